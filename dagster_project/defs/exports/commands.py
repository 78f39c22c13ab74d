"""``panorama export``: one action list of one day, without the UI, and the summary of a day's
exports that the demo prints at its end.

Both read only the published export files (``exports/<day>/manifest.json`` and the CSVs it
lists), never the warehouse, so they work while a run writes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

from dagster_project.defs.exports.files import (
    MANIFEST_NAME,
    day_folder,
    file_sha256,
    read_manifest,
)
from dagster_project.settings import Settings


class ExportNotFoundError(LookupError):
    """The day or list asked for has not been exported (the message says what exists)."""


def exported_days(settings: Settings) -> list[dt.date]:
    """The days with a complete export (a manifest), oldest first."""
    if not settings.exports_dir.exists():
        return []
    days = []
    for manifest in settings.exports_dir.glob(f"*/{MANIFEST_NAME}"):
        try:
            days.append(dt.date.fromisoformat(manifest.parent.name))
        except ValueError:
            continue
    return sorted(days)


def day_manifest(settings: Settings, day: dt.date) -> dict:
    """The manifest of ``day``, or ExportNotFoundError naming the days that exist."""
    folder = day_folder(settings.exports_dir, day)
    if not (folder / MANIFEST_NAME).exists():
        raise ExportNotFoundError(
            f"no exports for {day} under {settings.exports_dir}; "
            f"exported days: {_day_range(exported_days(settings))}"
        )
    return read_manifest(folder)


def _day_range(days: list[dt.date]) -> str:
    if not days:
        return "none yet"
    if len(days) == 1:
        return days[0].isoformat()
    return f"{days[0]} .. {days[-1]} ({len(days)} days)"


def export_list(settings: Settings, day: dt.date, segment: str, out: Path) -> Path:
    """Copy the CSV of list ``segment`` of ``day`` to ``out`` after checking it against the
    manifest's checksum; return ``out``."""
    manifest = day_manifest(settings, day)
    entries = {entry["segment"]: entry for entry in manifest["files"]}
    if segment not in entries:
        raise ExportNotFoundError(
            f"no list {segment!r} on {day}; lists: {', '.join(sorted(entries))}"
        )
    source = day_folder(settings.exports_dir, day) / entries[segment]["file"]
    if file_sha256(source) != entries[segment]["sha256"]:
        raise ExportNotFoundError(
            f"{source} does not match its manifest checksum (being rewritten?); try again"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return out


def describe_exports(settings: Settings, day: dt.date | None = None) -> str:
    """Per list, the rows exported on ``day`` (default: the last exported day) and the path of
    its CSV, for the end of the demo."""
    if day is None:
        days = exported_days(settings)
        if not days:
            return f"exports: none under {settings.exports_dir}"
        day = days[-1]
    manifest = day_manifest(settings, day)
    folder = day_folder(settings.exports_dir, day)
    lines = [
        f"action lists exported for {day} (manifest: {folder / MANIFEST_NAME})",
        "",
        f"{'list':<20}{'channel':<9}{'rows':>7}  file",
    ]
    for entry in manifest["files"]:
        contact = "  (full phone)" if entry["full_contact"] else ""
        lines.append(
            f"{entry['segment']:<20}{entry['channel']:<9}{entry['rows']:>7,}  "
            f"{folder / entry['file']}{contact}"
        )
    total = sum(entry["rows"] for entry in manifest["files"])
    lines.append(f"{'total':<29}{total:>7,}")
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace) -> int:
    """``panorama export --date D --segment CODE --out FILE``."""
    from dagster_project.cli import _use_home

    settings = _use_home(args.home)
    try:
        out = export_list(settings, args.date, args.segment, args.out)
    except ExportNotFoundError as error:
        print(f"panorama export: {error}", file=sys.stderr)
        return 2
    print(out)
    return 0


def register_export_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``panorama export`` to the CLI's subcommands."""
    from dagster_project.cli import _date

    export = commands.add_parser(
        "export", help="copy one exported action list (CSV, UTF-8 with BOM) to a file"
    )
    export.add_argument("--date", type=_date, required=True, help="day of the list, YYYY-MM-DD")
    export.add_argument("--segment", required=True, help="list code, e.g. churn_risk")
    export.add_argument("--out", type=Path, required=True, help="file to write")
    export.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="data directory")
    export.set_defaults(func=cmd_export)
