"""Writing model output into the warehouse: a re-run replaces its rows, never adds to them."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: Sequence[object],
    rows: pl.DataFrame,
) -> None:
    """Delete the rows of ``table`` matching ``where`` (with ``params``) and insert ``rows``
    (columns matched by name), in one transaction: readers see the old rows or the new."""
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {table} where {where}", list(params))
        con.register("replacement_rows", rows.to_arrow())
        con.execute(f"insert into {table} by name select * from replacement_rows")
        con.unregister("replacement_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
