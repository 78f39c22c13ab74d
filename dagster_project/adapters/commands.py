"""``panorama import-transactions``: run an import adapter into HOME/landing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FORMATS = ("online_retail",)


def register_adapter_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``import-transactions`` to the ``panorama`` command line."""
    parser = commands.add_parser(
        "import-transactions",
        help="map a transaction log (e.g. UCI Online Retail) into HOME/landing",
    )
    parser.add_argument("--file", type=Path, required=True, help="the log (Parquet or CSV)")
    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0])
    parser.add_argument(
        "--source-timezone",
        default="Europe/London",
        help="time zone of the log's wall-clock timestamps (default Europe/London)",
    )
    parser.add_argument(
        "--amount-rate",
        type=float,
        default=1.0,
        help="multiply the log's amounts by this to get CNY (default 1.0: source units)",
    )
    parser.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="data directory")
    parser.set_defaults(func=cmd_import_transactions)


def cmd_import_transactions(args: argparse.Namespace) -> int:
    """Import the file and print what was read, written and left out."""
    from dagster_project.adapters.online_retail import RetailImportOptions, import_online_retail
    from dagster_project.cli import _use_home

    settings = _use_home(args.home)
    if not args.file.is_file():
        raise SystemExit(f"no such file: {args.file}")
    options = RetailImportOptions(
        source_timezone=args.source_timezone, amount_rate=args.amount_rate
    )
    summary = import_online_retail(args.file, settings.landing_dir, options)
    print(json.dumps(summary.to_dict(), indent=2))
    return 0
