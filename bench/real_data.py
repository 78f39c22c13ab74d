"""Real data end to end: import the UCI Online Retail log, build the warehouse, evaluate the
potential-high-value model.

Run: ``.venv/bin/python -m bench.real_data [--file PATH] [--home DIR]``. The file defaults to
``../shared/data/online_retail/online_retail.parquet`` next to the repository (or
``$PANORAMA_SHARED_DATA/online_retail/online_retail.parquet``); the home defaults to a fresh
temporary folder. Steps:

1. ``import_online_retail`` writes every landing day (2010-12-01 .. 2011-12-09).
2. The ingest assets and the ``warehouse_dbt`` assets (everything before the ML step) are
   materialised for that day range in one in-process run, like ``panorama demo``.
3. ``models_ml.high_value`` trains the potential-high-value model (label: top 10% of revenue in
   the next 90 days) on a time split and prints ROC-AUC and the other metrics against the
   past-revenue baseline.

Prints the import summary, stage times and the metrics as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_NAME = Path("online_retail") / "online_retail.parquet"


def default_log_path() -> Path:
    """The shared copy of the log: ``$PANORAMA_SHARED_DATA`` or ``../shared/data``."""
    shared = os.environ.get("PANORAMA_SHARED_DATA")
    base = Path(shared) if shared else REPO.parent / "shared" / "data"
    return base / DATA_NAME


def point_at_home(home: Path, first_day: str) -> None:
    """Environment for this process and the dbt processes it starts, before Dagster loads:
    the partitions must start at the log's first day."""
    from dagster_project.settings import TELEMETRY_OFF_ENV

    os.environ["PANORAMA_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ["PANORAMA_PARTITION_START"] = first_day
    for name, value in TELEMETRY_OFF_ENV.items():
        os.environ.setdefault(name, value)


def build_warehouse(first_day: str, last_day: str) -> bool:
    """Ingest and the pre-ML dbt models for the day range, in one in-process run."""
    import dagster as dg

    from dagster_project.defs.warehouse.project import prepare_dbt_manifest

    # The dbt assets are defined from the manifest: parse first, so they match the project.
    prepare_dbt_manifest()
    from dagster_project.defs.ingest.assets import ingest_assets
    from dagster_project.defs.warehouse.assets import warehouse_dbt
    from dagster_project.resources import build_resources
    from dagster_project.settings import get_settings

    settings = get_settings()
    result = dg.materialize(
        [*ingest_assets, warehouse_dbt],
        resources=build_resources(settings),
        # In memory: a year of daily partitions writes tens of thousands of run events, which
        # a SQLite instance on a busy disk takes many minutes to store.
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": first_day,
            "dagster/asset_partition_range_end": last_day,
        },
        raise_on_error=False,
    )
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    if failed:
        print(f"failed steps: {', '.join(failed)}", file=sys.stderr)
    return not failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument(
        "--skip-build", action="store_true", help="reuse the warehouse already in --home"
    )
    args = parser.parse_args(argv)
    log_path = args.file or default_log_path()
    if not log_path.is_file():
        raise SystemExit(f"no log at {log_path}: pass --file or set PANORAMA_SHARED_DATA")
    home = (args.home or Path(tempfile.mkdtemp(prefix="panorama-real-"))).resolve()

    from dagster_project.adapters.online_retail import import_online_retail

    timings: dict[str, float] = {}
    started = time.perf_counter()
    summary = import_online_retail(log_path, home / "landing")
    timings["import"] = time.perf_counter() - started
    print("## Import\n\n```json\n" + json.dumps(summary.to_dict(), indent=2) + "\n```\n")

    point_at_home(home, summary.first_day)
    if not args.skip_build:
        started = time.perf_counter()
        ok = build_warehouse(summary.first_day, summary.last_day)
        timings["ingest + dbt"] = time.perf_counter() - started
        if not ok:
            print(f"warehouse build failed (home {home})", file=sys.stderr)
            return 1

    from models_ml.high_value import evaluate_high_value, report_markdown

    started = time.perf_counter()
    result = evaluate_high_value(home / "warehouse" / "panorama.duckdb")
    timings["train + evaluate"] = time.perf_counter() - started
    print(report_markdown(result))
    print("\n## Stage times\n")
    for stage, seconds in timings.items():
        print(f"- {stage}: {seconds:,.1f} s")
    print(f"\nhome: {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
