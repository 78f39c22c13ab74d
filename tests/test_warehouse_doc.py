"""The analysts' guide docs/warehouse.md: it names every mart, and each of its example queries
reads only marts and runs on the session's simulated warehouse (a real dbt build on real
DuckDB), returning the columns it names and, where the simulation must have data, rows."""

from __future__ import annotations

import re

import duckdb
import pytest

from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from tests.fixtures.warehouse import (
    BuiltWarehouse,
    simulated_warehouse_fixture,  # noqa: F401 - provides the fixture simulated_warehouse
)

GUIDE_PATH = PROJECT_ROOT / "docs" / "warehouse.md"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
MIN_EXAMPLE_QUERIES = 10
# Queries that may rightly return nothing on the session's 50 days from 2026-01-01, keyed by a
# part of their heading: the last 30 days of a quarter (pre-downgrade) lie after the data,
# G-points expire 12 months after they were earned, and no member has been VIP long enough to
# churn. Every other query must return rows.
MAY_BE_EMPTY = {
    "pre-downgrade this quarter",
    "Points expiring in the next 30 days",
    "Churned VIPs",
}
NON_MART_SCHEMAS = ("raw", "reference", "staging", "intermediate", "restricted", "snapshots")
EXAMPLE_QUERY = re.compile(r"^### (?P<title>[^\n]+)\n+```sql\n(?P<sql>.*?)^```", re.M | re.S)
STRING_LITERAL = re.compile(r"'[^']*'")
LINE_COMMENT = re.compile(r"--[^\n]*")


def guide_text() -> str:
    """The text of docs/warehouse.md."""
    return GUIDE_PATH.read_text(encoding="utf-8")


def example_queries() -> list[tuple[str, str]]:
    """The guide's example queries as (heading, sql), in the guide's order."""
    return [(m["title"], m["sql"]) for m in EXAMPLE_QUERY.finditer(guide_text())]


def example_query_params() -> list:
    """The example queries as pytest parameters (title, sql), each named after its heading."""
    return [
        pytest.param(title, sql, id=re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_"))
        for title, sql in example_queries()
    ]


def mart_names() -> list[str]:
    """The names of the dbt models under models/marts."""
    return sorted(path.stem for path in MARTS_DIR.rglob("*.sql"))


def sql_code(sql: str) -> str:
    """``sql`` without its comments and string literals: the part that must be lower case."""
    return STRING_LITERAL.sub("''", LINE_COMMENT.sub("", sql))


def may_be_empty(title: str) -> bool:
    """True when the query under ``title`` may return no rows on the simulated warehouse."""
    return any(key in title for key in MAY_BE_EMPTY)


def run_query(warehouse: BuiltWarehouse, sql: str) -> tuple[list[str], list[tuple]]:
    """The column names and rows of ``sql`` on the warehouse, opened read-only."""
    with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as conn:
        cursor = conn.execute(sql)
        columns = [column[0] for column in cursor.description]
        return columns, cursor.fetchall()


def test_the_guide_has_ten_example_queries_each_under_a_heading() -> None:
    queries = example_queries()
    assert len(queries) >= MIN_EXAMPLE_QUERIES
    # a ```sql block outside the heading pattern would escape the checks below
    assert len(queries) == guide_text().count("```sql")
    titles = [title for title, _ in queries]
    assert len(set(titles)) == len(titles)


def test_most_queries_must_return_rows() -> None:
    titles = [title for title, _ in example_queries()]
    for key in MAY_BE_EMPTY:
        assert sum(key in title for title in titles) == 1, f"no single heading holds {key!r}"
    assert sum(not may_be_empty(title) for title in titles) >= MIN_EXAMPLE_QUERIES - 3


def test_the_guide_names_every_mart() -> None:
    text = guide_text()
    names = mart_names()
    assert "dim_members" in names
    missing = [name for name in names if f"`{name}`" not in text]
    assert missing == [], f"docs/warehouse.md does not describe the marts {missing}"


@pytest.mark.parametrize(("title", "sql"), example_query_params())
def test_example_query_is_lowercase_and_reads_only_marts(title: str, sql: str) -> None:
    code = sql_code(sql)
    assert code == code.lower(), title
    for schema in NON_MART_SCHEMAS:
        assert not re.search(rf"\b{schema}\.", code), f"{title} reads schema {schema}"
    assert re.search(r"\b(?:from|join)\s+marts\.", code), f"{title} reads no mart"


@pytest.mark.slow
@pytest.mark.parametrize(("title", "sql"), example_query_params())
def test_example_query_runs_and_returns_the_columns_it_names(
    simulated_warehouse: BuiltWarehouse, title: str, sql: str
) -> None:
    columns, rows = run_query(simulated_warehouse, sql)
    assert columns, title
    assert len(set(columns)) == len(columns), f"{title} returns duplicate columns {columns}"
    # a column the query does not name (count_star(), an unaliased expression) is a doc bug
    unnamed = [c for c in columns if not re.search(rf"\b{re.escape(c)}\b", sql_code(sql))]
    assert unnamed == [], f"{title} returns columns it does not name: {unnamed}"
    if not may_be_empty(title):
        assert rows, f"{title} returned no rows on the simulated warehouse"
