"""The ``panorama`` command line: simulate source data, prepare the project, run the demo."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dagster_project.adapters.commands import register_adapter_commands
from dagster_project.defs.exports.commands import register_export_commands
from dagster_project.portal.commands import register_portal_commands
from dagster_project.settings import TELEMETRY_OFF_ENV, Settings

log = logging.getLogger("panorama")

DEMO_DAYS = 180

# The Dagster instance every command shares: one writing run at a time (DuckDB admits a single
# writer), one writing step at a time inside a run, and no telemetry.
INSTANCE_CONFIG = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 1
"""


def _use_home(home: Path | None) -> Settings:
    """Point this process (and the dbt and Dagster processes it starts) at one data directory."""
    if home is not None:
        # A home given on the command line is self-contained: its own Dagster instance too.
        os.environ["PANORAMA_HOME"] = str(home.resolve())
        os.environ["DAGSTER_HOME"] = str(home.resolve() / "dagster")
    settings = Settings.from_env()
    os.environ["PANORAMA_HOME"] = str(settings.home)
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    for name, value in TELEMETRY_OFF_ENV.items():
        os.environ.setdefault(name, value)
    return settings


def write_instance_config(dagster_home: Path) -> Path:
    """Write ``dagster.yaml`` for the local instance (idempotent)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists() or path.read_text() != INSTANCE_CONFIG:
        path.write_text(INSTANCE_CONFIG)
    return path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"expected a rate from 0 to 0.5, got {text!r}")
    return value


def _add_simulation_args(parser: argparse.ArgumentParser) -> None:
    from dagster_project.simulator import SimulationConfig

    defaults = {
        name: field.default for name, field in SimulationConfig.__dataclass_fields__.items()
    }
    parser.add_argument("--members", type=_positive, default=defaults["members"])
    parser.add_argument("--days", type=_positive, default=defaults["days"])
    parser.add_argument(
        "--start", type=_date, default=defaults["start"], help="first day, YYYY-MM-DD"
    )
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument(
        "--dirty-rate",
        type=_rate,
        default=defaults["dirty_rate"],
        help="share of bad rows per source",
    )


def run_simulation(args: argparse.Namespace, out: Path):
    from dagster_project.simulator import SimulationConfig, simulate

    config = SimulationConfig(
        members=args.members,
        days=args.days,
        start=args.start,
        seed=args.seed,
        dirty_rate=args.dirty_rate,
        out=out,
    )
    log.info(
        "simulating %s members x %s days from %s into %s",
        config.members,
        config.days,
        config.start,
        out,
    )
    summary = simulate(config)
    log.info(
        "wrote %s rows in %.1f s (%s rows/s)",
        f"{summary.total_rows:,}",
        summary.elapsed_seconds,
        f"{summary.rows_per_second:,.0f}",
    )
    return summary


def cmd_simulate(args: argparse.Namespace) -> int:
    settings = _use_home(args.home)
    summary = run_simulation(args, args.out or settings.landing_dir)
    print(json.dumps(summary.to_dict(), indent=2, default=str))
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    _use_home(args.home)
    write_instance_config(Path(os.environ["DAGSTER_HOME"]))
    from dagster_project.defs.warehouse.project import prepare_dbt_manifest

    prepare_dbt_manifest()
    log.info(
        "dbt manifest and Dagster instance ready (DAGSTER_HOME=%s)", os.environ["DAGSTER_HOME"]
    )
    return 0


def materialise_days(
    first_day: str, last_day: str, selection: Sequence[object] | None = None
) -> bool:
    """Materialise the daily job's assets (or the ``selection`` of asset keys) for the days
    first..last in one in-process run."""
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.defs.automation import DAILY_JOB_NAME

    # Built now, not imported: the resources must point at this command's home.
    job = build_definitions().resolve_job_def(DAILY_JOB_NAME)
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        tags={
            "dagster/asset_partition_range_start": first_day,
            "dagster/asset_partition_range_end": last_day,
        },
        asset_selection=list(selection) if selection is not None else None,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    return result.success


def warehouse_keys() -> list[object]:
    """Ingest and the dbt models up to the features: everything the training job reads."""
    from dagster_project.defs.ingest.assets import ingest_assets
    from dagster_project.defs.warehouse.assets import warehouse_dbt

    return [key for assets in (*ingest_assets, warehouse_dbt) for key in assets.keys]


def train_models() -> bool:
    """Run the training job (train, evaluate, promote or keep the champion) in process."""
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.defs.ml.models import TRAINING_JOB_NAME

    job = build_definitions().resolve_job_def(TRAINING_JOB_NAME)
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    return result.success


def describe_warehouse(settings: Settings) -> str:
    """What the raw layer holds, with rejected rows by rule, for the end of the demo."""
    import duckdb

    from dagster_project.defs.ingest.validation import REJECTION_RULES
    from data_quality.contract import SOURCES

    by_rule = ", ".join(
        f"count(*) filter (where _reason like '{rule}:%') as {rule}" for rule in REJECTION_RULES
    )
    query = " union all ".join(
        f"select '{name}', (select count(*) from raw.{name}), count(*), {by_rule} "
        f"from raw.{name}__rejected"
        for name in SOURCES
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(query).fetchall()
    header = ["raw table", "rows", "rejected", *REJECTION_RULES]
    widths = [28, 10, 9, *(len(rule) + 2 for rule in REJECTION_RULES)]
    lines = [
        f"warehouse: {settings.warehouse_path}",
        "rejected rows and their reasons: raw.<source>__rejected",
        "",
        header[0].ljust(widths[0])
        + "".join(h.rjust(w) for h, w in zip(header[1:], widths[1:], strict=True)),
    ]
    for name, *numbers in rows:
        cells = "".join(f"{n:,}".rjust(w) for n, w in zip(numbers, widths[1:], strict=True))
        lines.append(f"raw.{name}".ljust(widths[0]) + cells)
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    """Backfill the history (ingest and warehouse), train the models, then run the last day
    whole: scores, tags, action lists, exports and the published warehouse."""
    from dagster_project.defs.exports.commands import describe_exports
    from dagster_project.portal.users import ensure_first_admin

    settings = _use_home(args.home)
    write_instance_config(Path(os.environ["DAGSTER_HOME"]))
    started = time.perf_counter()
    run_simulation(args, settings.landing_dir)
    first_day = args.start.isoformat()
    last_day = (args.start + dt.timedelta(days=args.days - 1)).isoformat()
    log.info("1/3 ingest and warehouse for %s .. %s in one run", first_day, last_day)
    ok = materialise_days(first_day, last_day, warehouse_keys())
    trained = False
    if ok:
        log.info("2/3 training the churn and potential-VIP models")
        trained = train_models()
        log.info("3/3 the daily run of %s: scores, tags, action lists, exports, publish", last_day)
        ok = materialise_days(last_day, last_day)
    elapsed = time.perf_counter() - started
    print(describe_warehouse(settings))
    print()
    if not trained:
        print(
            "the models were not trained (see the log above; they need about 150 days of "
            "history): the model-driven lists are empty",
            file=sys.stderr,
        )
    if ok:
        print(describe_exports(settings))
        print()
    first_login = ensure_first_admin(settings)
    print(f"landing files:  {settings.landing_dir}")
    print(f"published warehouse (analysts): {settings.published_path}")
    print(f"Dagster runs:   {os.environ['DAGSTER_HOME']} (`make dev`, http://127.0.0.1:3000)")
    print(f"CRM portal:     panorama --home {settings.home} portal --port 8080")
    if first_login:
        print(f"                first login: {first_login[0]} / {first_login[1]} (admin)")
    print(f"demo took {elapsed:,.0f} s")
    if not ok:
        print("the run FAILED: the step errors are in the log above", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="panorama", description=__doc__)
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="data directory (default: $PANORAMA_HOME or ./.panorama)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser(
        "simulate", help="write simulated landing files of all 12 sources"
    )
    _add_simulation_args(simulate)
    simulate.add_argument(
        "--out", type=Path, default=None, help="landing folder (default: HOME/landing)"
    )
    simulate.set_defaults(func=cmd_simulate)

    prepare = commands.add_parser(
        "prepare", help="build the dbt manifest and the Dagster instance config"
    )
    prepare.set_defaults(func=cmd_prepare)

    demo = commands.add_parser(
        "demo",
        help="simulate, backfill the warehouse, train the models, then run the last day whole",
    )
    _add_simulation_args(demo)
    # Long enough for the potential-VIP labels (60 days ahead) to train and validate on.
    demo.set_defaults(func=cmd_demo, days=DEMO_DAYS)
    register_adapter_commands(commands)
    register_portal_commands(commands)
    register_export_commands(commands)
    for sub in (simulate, prepare, demo):
        sub.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="data directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Our own progress at INFO; libraries (great-expectations is chatty) only when they warn.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S"
    )
    log.setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
