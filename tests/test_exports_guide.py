"""docs/analyst_guide.md: every example query runs against the published warehouse while a
``dbt run`` writes the working warehouse in another process, which is the promise the guide
makes to analysts (DuckDB admits one writer per file, so they must never share one)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import duckdb

from dagster_project.defs.exports.publish import publish_warehouse
from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from tests.fixtures.warehouse import BuiltWarehouse, dbt_command
from tests.test_actions import (  # noqa: F401 - action_warehouse_fixture provides the fixture
    DAY,
    PREVIOUS_DAY,
    action_warehouse_fixture,
)

GUIDE_PATH = PROJECT_ROOT / "docs" / "analyst_guide.md"
EXAMPLE_QUERY = re.compile(r"^### (?P<title>[^\n]+)\n+```sql\n(?P<sql>.*?)^```", re.M | re.S)
MIN_EXAMPLE_QUERIES = 8
# Queries that must return rows on the hand-made warehouse (the others may be empty there).
MUST_RETURN_ROWS = ("Exported rows per list", "Why members were left out", "outbound call list")


def guide_queries() -> list[tuple[str, str]]:
    """The guide's example queries as (heading, sql)."""
    text = GUIDE_PATH.read_text(encoding="utf-8")
    queries = [(m["title"], m["sql"]) for m in EXAMPLE_QUERY.finditer(text)]
    assert len(queries) == text.count("```sql"), "a ```sql block without a ### heading"
    return queries


def start_dbt_build(settings: Settings) -> subprocess.Popen:
    """``dbt run`` of fct_daily_actions on the working warehouse, in its own process (one model:
    dbt's parse is most of the time anyway)."""
    target = settings.home / "dbt" / "writer"
    window = {"min_date": PREVIOUS_DAY.isoformat(), "max_date": DAY.isoformat()}
    command = dbt_command(
        target, "run", "--select", "fct_daily_actions", "--vars", json.dumps(window)
    )
    env = {**os.environ, "PANORAMA_HOME": str(settings.home)}
    return subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_guide_queries(published: Path, queries: list[tuple[str, str]]) -> dict[str, int]:
    """Row count of each query, each on a fresh read-only connection to the published file."""
    counts = {}
    for title, sql in queries:
        with duckdb.connect(str(published), read_only=True) as conn:
            cursor = conn.execute(sql)
            assert cursor.description, title
            counts[title] = len(cursor.fetchall())
    return counts


def test_the_guide_queries_run_on_the_published_file_while_dbt_writes_the_warehouse(
    action_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    queries = guide_queries()
    assert len(queries) >= MIN_EXAMPLE_QUERIES
    settings = Settings(home=tmp_path / "home")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(action_warehouse.settings.warehouse_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        publish_warehouse(conn, settings.published_path)

    writer = start_dbt_build(settings)
    passes_during_the_build = []
    started = time.monotonic()
    while writer.poll() is None and time.monotonic() - started < 300:
        counts = run_guide_queries(settings.published_path, queries)
        if writer.poll() is None:
            passes_during_the_build.append(counts)
        # leave the shared cores to dbt: the point is overlap, not the number of passes
        time.sleep(0.5)
    output, _ = writer.communicate()
    assert writer.returncode == 0, output[-3000:]
    # the build really wrote the working warehouse while the guide's queries ran
    assert "OK created sql incremental model marts.fct_daily_actions" in output
    assert passes_during_the_build, "dbt finished before one pass of the queries"
    for counts in passes_during_the_build:
        for title in MUST_RETURN_ROWS:
            matching = [count for heading, count in counts.items() if title in heading]
            assert matching and matching[0] > 0, title
