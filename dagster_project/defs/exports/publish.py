"""The published warehouse: a read-only copy of the warehouse for analysts, BI tools and the
CLI, without the schemas that hold full personal data, swapped in atomically.

DuckDB admits one writing process or many readers: analysts who read the published copy never
block a run, and a run never breaks their queries. A reader that has the old file open keeps
reading it (the rename leaves its inode alone) until it reconnects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.defs.exports.files import UNMASKED_PHONE_SQL

# raw, staging and restricted hold full phone numbers, e-mails and real names (snapshots of the
# information library live in restricted too); the published copy leaves them out.
UNPUBLISHED_SCHEMAS = ("raw", "staging", "restricted", "snapshots")
PUBLISHED_ALIAS = "published_copy"
# System-generated identifiers never hold a phone number; scanning them would cost most of
# the scan on the member x day tables.
UNSCANNED_COLUMN_SUFFIXES = ("_id",)
# Columns that hold phone numbers which belong to nobody (seed phone_placeholders: the numbers
# the information library rejects as placeholders).
NOT_PERSONAL_PHONE_COLUMNS = frozenset({"reference.phone_placeholders.phone_number"})


class PersonalDataFoundError(RuntimeError):
    """The copy about to be published holds unmasked phone numbers."""


@dataclass(frozen=True)
class PublishedWarehouse:
    """What a publish wrote: the file and the row count of each table it holds."""

    path: Path
    table_rows: dict[str, int]


def temporary_path(published_path: Path) -> Path:
    """``panorama.duckdb.tmp`` beside the published file: built there, then renamed."""
    return published_path.with_name(published_path.name + ".tmp")


def publish_warehouse(conn: duckdb.DuckDBPyConnection, published_path: Path) -> PublishedWarehouse:
    """Copy every table and view of the warehouse open on ``conn`` outside the unpublished
    schemas into a new DuckDB file, refuse it if a text column holds an unmasked mobile
    number, make it read-only and rename it onto ``published_path``."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_path(published_path)
    _remove_database_file(temp)
    relations = _published_relations(conn)
    conn.execute(f"attach '{temp}' as {PUBLISHED_ALIAS}")
    try:
        table_rows = _copy_relations(conn, relations)
        findings = _unmasked_phone_columns(conn, relations)
    finally:
        conn.execute(f"detach {PUBLISHED_ALIAS}")
    if findings:
        _remove_database_file(temp)
        raise PersonalDataFoundError(
            "refusing to publish: unmasked phone numbers in " + ", ".join(findings)
        )
    # Read-only on disk too: an analyst's tool that forgets read_only cannot write to it.
    os.chmod(temp, 0o444)
    os.replace(temp, published_path)
    return PublishedWarehouse(published_path, table_rows)


def _published_relations(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    excluded = ", ".join(f"'{schema}'" for schema in UNPUBLISHED_SCHEMAS)
    return conn.execute(
        f"""
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database()
          and table_schema not in ({excluded})
          and table_schema not in ('information_schema', 'pg_catalog')
        order by table_schema, table_name
        """
    ).fetchall()


def _copy_relations(
    conn: duckdb.DuckDBPyConnection, relations: list[tuple[str, str]]
) -> dict[str, int]:
    for schema in sorted({schema for schema, _ in relations}):
        conn.execute(f'create schema if not exists {PUBLISHED_ALIAS}."{schema}"')
    table_rows = {}
    for schema, table in relations:
        target = f'{PUBLISHED_ALIAS}."{schema}"."{table}"'
        conn.execute(f'create table {target} as select * from "{schema}"."{table}"')
        (rows,) = conn.execute(f"select count(*) from {target}").fetchone()
        table_rows[f"{schema}.{table}"] = rows
    return table_rows


def _unmasked_phone_columns(
    conn: duckdb.DuckDBPyConnection, relations: list[tuple[str, str]]
) -> list[str]:
    """``schema.table.column`` of every text column of the copy holding a mobile number."""
    findings = []
    for schema, table in relations:
        columns = conn.execute(
            """
            select column_name from information_schema.columns
            where table_catalog = ? and table_schema = ? and table_name = ?
              and data_type = 'VARCHAR'
            """,
            [PUBLISHED_ALIAS, schema, table],
        ).fetchall()
        for (column,) in columns:
            qualified = f"{schema}.{table}.{column}"
            if (
                column.endswith(UNSCANNED_COLUMN_SUFFIXES)
                or qualified in NOT_PERSONAL_PHONE_COLUMNS
            ):
                continue
            (found,) = conn.execute(
                f'select count(*) from {PUBLISHED_ALIAS}."{schema}"."{table}" '
                f'where regexp_matches("{column}", ?)',
                [UNMASKED_PHONE_SQL],
            ).fetchone()
            if found:
                findings.append(f"{qualified} ({found} rows)")
    return findings


def _remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        if leftover.exists():
            leftover.chmod(0o644)
            leftover.unlink()
