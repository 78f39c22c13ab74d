"""Warehouse benchmark: simulate, ingest and build the dbt warehouse, stage by stage.

Run: ``make bench`` or ``.venv/bin/python -m bench.warehouse [--members N] [--days D]``
(defaults 100,000 members x 180 days). Each stage runs as its own process, so its wall time and
peak memory (max RSS) are its own. The last day is held back and then loaded on its own, to
compare what a day costs incrementally with a full rebuild of all days, and times a bare
``dbt parse`` with a new window: the start-up and full re-parse every dbt run pays before its
first node, whatever the data. Prints a Markdown report; nothing is tuned to the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dagster_project.defs.warehouse.project import DBT_BUILD_COMMAND
from dagster_project.settings import DBT_PROJECT_DIR, TELEMETRY_OFF_ENV

PYTHON = sys.executable
BIN = Path(sys.executable).parent

# Materialises the ingest assets for a day range in one run, the way the daily job does.
INGEST_SNIPPET = """
import sys, dagster as dg
from dagster_project.defs.ingest.assets import ingest_assets
from dagster_project.resources import build_resources
from dagster_project.settings import get_settings
first, last = sys.argv[1], sys.argv[2]
result = dg.materialize(
    ingest_assets,
    resources=build_resources(get_settings()),
    instance=dg.DagsterInstance.ephemeral(),
    tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    raise_on_error=False,
)
failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
sys.exit(1 if failed else 0)
"""


# The model assets' output tables, empty: the post_ml models (tags, panorama, action lists) read
# them, and this benchmark measures the warehouse, not the models (bench/ml_speed.py does).
MODEL_OUTPUTS_SNIPPET = """
import duckdb
from dagster_project.settings import get_settings
from models_ml.outputs import ensure_model_output_tables
with duckdb.connect(str(get_settings().warehouse_path)) as con:
    ensure_model_output_tables(con)
"""


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float


def run_stage(name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Stage:
    """Run one stage as a child process; its wall time and max RSS (children included)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name!r} failed: {' '.join(argv)}")
    stage = Stage(name, seconds, usage.ru_maxrss / 1024)
    print(f"  {name}: {seconds:,.1f} s, peak {stage.peak_rss_mb:,.0f} MB", file=sys.stderr)
    return stage


def window_vars(first: str, last: str) -> list[str]:
    return ["--vars", json.dumps({"min_date": first, "max_date": last})]


def dbt_build(first: str, last: str, full_refresh: bool = False) -> list[str]:
    argv = [str(BIN / "dbt"), *DBT_BUILD_COMMAND, *window_vars(first, last)]
    return argv + (["--full-refresh"] if full_refresh else [])


def dbt_parse(day: str) -> list[str]:
    """A parse with a window no earlier run had: dbt cannot reuse its partial parse then."""
    return [str(BIN / "dbt"), "parse", *window_vars(day, day)]


def run(members: int, days: int, start: dt.date, home: Path) -> list[Stage]:
    env = {**os.environ, **TELEMETRY_OFF_ENV, "PANORAMA_HOME": str(home)}
    first = start.isoformat()
    held_back = (start + dt.timedelta(days=days - 1)).isoformat()
    before = (start + dt.timedelta(days=days - 2)).isoformat()
    next_day = (start + dt.timedelta(days=days)).isoformat()
    simulate = [str(BIN / "panorama"), "--home", str(home), "simulate"]
    simulate += ["--members", str(members), "--days", str(days), "--start", first]
    return [
        run_stage(f"simulate {members:,} x {days} days", simulate, env),
        run_stage(f"ingest {days - 1} days", [PYTHON, "-c", INGEST_SNIPPET, first, before], env),
        run_stage("empty model output tables", [PYTHON, "-c", MODEL_OUTPUTS_SNIPPET], env),
        run_stage(
            f"dbt build {days - 1} days", dbt_build(first, before, True), env, DBT_PROJECT_DIR
        ),
        run_stage("ingest 1 more day", [PYTHON, "-c", INGEST_SNIPPET, held_back, held_back], env),
        run_stage("dbt build 1 more day", dbt_build(held_back, held_back), env, DBT_PROJECT_DIR),
        run_stage(
            f"dbt full rebuild {days} days",
            dbt_build(first, held_back, True),
            env,
            DBT_PROJECT_DIR,
        ),
        run_stage("dbt parse, a new window", dbt_parse(next_day), env, DBT_PROJECT_DIR),
    ]


def report(stages: list[Stage], members: int, days: int) -> str:
    one_day = stages[4].seconds + stages[5].seconds
    lines = [
        f"Warehouse benchmark, {members:,} members x {days} days, "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        "| stage | wall time (s) | peak memory (MB) |",
        "|---|---:|---:|",
        *(f"| {s.name} | {s.seconds:,.1f} | {s.peak_rss_mb:,.0f} |" for s in stages),
        "",
        f"- one more day, incremental (ingest + dbt): {one_day:,.1f} s",
        f"- dbt alone, one day vs full rebuild: {stages[5].seconds / stages[6].seconds:.1%}",
        f"- ingest + dbt of one day vs dbt full rebuild: {one_day / stages[6].seconds:.1%}",
        f"- dbt start-up and full re-parse, which every run pays: {stages[7].seconds:,.1f} s "
        f"({stages[7].seconds / stages[6].seconds:.1%} of the full rebuild)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    parser.add_argument("--home", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="panorama-bench-") as scratch:
        home = (args.home or Path(scratch)).resolve()
        stages = run(args.members, args.days, args.start, home)
    print(report(stages, args.members, args.days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
