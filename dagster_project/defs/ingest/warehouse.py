"""The raw tables in DuckDB: DDL from the contract and the atomic replacement of a landing day.

``raw.<source>``: the contract columns typed, then ``_landing_date``, ``_source_file``, ``_line``,
``_loaded_at``. ``raw.<source>__rejected``: ``_landing_date``, ``_source_file``, ``_line``,
``_reason``, ``_raw_record``, ``_loaded_at``. A day is replaced in one transaction, so a crash
leaves the previous contents and a re-run never duplicates rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from data_quality.contract import Source

RAW_SCHEMA = "raw"
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}
LOADED_LINEAGE = (
    ("_landing_date", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_line", "BIGINT"),
    ("_loaded_at", "TIMESTAMPTZ"),
)
REJECTED_COLUMNS = (
    ("_landing_date", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_line", "BIGINT"),
    ("_reason", "VARCHAR"),
    ("_raw_record", "VARCHAR"),
    ("_loaded_at", "TIMESTAMPTZ"),
)


class RawTableMismatch(Exception):
    """An existing raw table whose columns differ from what the contract says."""


def raw_table(source: Source) -> str:
    """``raw.<source>``."""
    return f"{RAW_SCHEMA}.{source.name}"


def rejected_table(source: Source) -> str:
    """``raw.<source>__rejected``."""
    return f"{RAW_SCHEMA}.{source.name}__rejected"


def raw_columns(source: Source) -> list[tuple[str, str]]:
    """(name, DuckDB type) of ``raw.<source>``, in table order."""
    contract = [(column.name, DUCKDB_TYPES[column.dtype]) for column in source.columns]
    return [*contract, *LOADED_LINEAGE]


def ensure_tables(conn: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the raw schema and the source's two tables if missing; refuse tables whose
    columns no longer match the contract (a silent mismatch would corrupt every load)."""
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in (
        (raw_table(source), raw_columns(source)),
        (rejected_table(source), list(REJECTED_COLUMNS)),
    ):
        conn.execute(f"create table if not exists {table} ({_column_ddl(columns)})")
        found = _existing_columns(conn, table)
        if found != [(name, kind) for name, kind in columns]:
            raise RawTableMismatch(
                f"{table} has columns {found}, the contract expects {columns}; "
                "migrate or drop the table"
            )


def replace_landing_day(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    landing_date: dt.date,
    accepted: pl.DataFrame,
    rejected: pl.DataFrame,
) -> None:
    """Swap one landing day of both tables in one transaction.

    ``accepted`` has the typed contract columns plus ``_source_file`` and ``_line``; ``rejected``
    has ``_source_file``, ``_line``, ``_reason`` and ``_raw_record``.
    """
    loaded_at = dt.datetime.now(dt.UTC)
    conn.begin()
    try:
        for table in (raw_table(source), rejected_table(source)):
            conn.execute(f"delete from {table} where _landing_date = ?", [landing_date])
        _insert(conn, raw_table(source), raw_columns(source), accepted, landing_date, loaded_at)
        _insert(conn, rejected_table(source), REJECTED_COLUMNS, rejected, landing_date, loaded_at)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _insert(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str]] | tuple[tuple[str, str], ...],
    rows: pl.DataFrame,
    landing_date: dt.date,
    loaded_at: dt.datetime,
) -> None:
    stamped = rows.with_columns(
        pl.lit(landing_date, dtype=pl.Date).alias("_landing_date"),
        pl.lit(loaded_at, dtype=pl.Datetime("us", "UTC")).alias("_loaded_at"),
    )
    names = [name for name, _ in columns]
    view = "_ingest_rows"
    conn.register(view, stamped.select(names).to_arrow())
    try:
        quoted = ", ".join(f'"{name}"' for name in names)
        conn.execute(f"insert into {table} ({quoted}) select {quoted} from {view}")
    finally:
        conn.unregister(view)


def _column_ddl(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f'"{name}" {kind}' for name, kind in columns)


def _existing_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [(column, _canonical_type(kind)) for column, kind in rows]


def _canonical_type(kind: str) -> str:
    # information_schema spells TIMESTAMPTZ out in full.
    return {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}.get(kind, kind)
