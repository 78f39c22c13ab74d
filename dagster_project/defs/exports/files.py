"""The daily export files: one CSV per action list and a manifest, written so that a reader
never sees half a file and a re-run replaces the day exactly.

Layout (docs/analyst_guide.md, interfaces of issues 5 and 6)::

    <PANORAMA_HOME>/exports/<YYYY-MM-DD>/<segment_code>.csv   UTF-8 with BOM, header row
    <PANORAMA_HOME>/exports/<YYYY-MM-DD>/manifest.json        written last

No Dagster here: the asset, its checks and the CLI call these functions.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

MANIFEST_NAME = "manifest.json"
# Excel opens a CSV as UTF-8 (Chinese names intact) only when the file starts with a BOM.
CSV_ENCODING = "utf-8-sig"
MODEL_VERSION_KEYS = ("churn", "potential_vip", "recommendation")

# Column order of every list; the contact columns depend on what the list may carry.
LEADING_COLUMNS = ("as_of_date", "segment", "list_rank", "member_id", "name_masked")
TRAILING_COLUMNS = (
    "tier_code",
    "channel",
    "action",
    "action_zh",
    "expected_value",
    "score",
    "reasons",
    "reasons_zh",
    "recommended_offers",
    "recommended_offers_zh",
)
# An 11-digit mainland mobile (1, then 3-9, then nine digits), optionally after +86 and with
# blanks or dashes inside, not part of a longer number. 138****1234 does not match.
_MOBILE = r"(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}"
UNMASKED_PHONE = re.compile(rf"(?<![0-9]){_MOBILE}(?![0-9])")
# RE2 (DuckDB's regular expressions) has no look-around: the same rule with explicit edges.
UNMASKED_PHONE_SQL = rf"(^|[^0-9]){_MOBILE}([^0-9]|$)"


@dataclass(frozen=True)
class Segment:
    """One action list as seed ``segments`` defines it."""

    code: str
    name_en: str
    name_zh: str
    description: str
    channel: str
    contact_field: str
    needs_full_contact: bool
    is_marketing: bool

    @property
    def file_name(self) -> str:
        return f"{self.code}.csv"

    @property
    def full_contact_column(self) -> str | None:
        """The column holding the full contact, or None when the list must not carry one."""
        if self.needs_full_contact and self.contact_field in ("phone", "email"):
            return self.contact_field
        return None

    @property
    def columns(self) -> list[str]:
        """The list's columns, in file order: the full contact only where the channel needs it,
        the masked phone everywhere else."""
        contact = self.full_contact_column
        if contact is None:
            contact_columns = ["phone_masked"]
        elif contact == "phone":
            contact_columns = ["phone"]
        else:
            contact_columns = [contact, "phone_masked"]
        return [*LEADING_COLUMNS, *contact_columns, *TRAILING_COLUMNS]


@dataclass(frozen=True)
class DayExport:
    """What one day's export wrote: the manifest and the day's folder."""

    day: dt.date
    folder: Path
    manifest: dict

    def rows_by_segment(self) -> dict[str, int]:
        return {entry["segment"]: entry["rows"] for entry in self.manifest["files"]}


def day_folder(exports_dir: Path, day: dt.date) -> Path:
    """``exports/<YYYY-MM-DD>``."""
    return exports_dir / day.isoformat()


def load_segments(conn: duckdb.DuckDBPyConnection) -> list[Segment]:
    """The action lists of seed ``segments`` (as loaded into the warehouse), by priority."""
    rows = conn.execute(
        """
        select segment_code, name_en, name_zh, description, channel_code, contact_field,
               needs_full_contact, is_marketing
        from reference.segments
        order by priority, segment_code
        """
    ).fetchall()
    return [Segment(*row) for row in rows]


def model_versions(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, str | None]:
    """The model versions behind the day's lists (null where the ML tables hold none)."""
    versions: dict[str, str | None] = dict.fromkeys(MODEL_VERSION_KEYS)
    if _table_exists(conn, "ml", "member_scores"):
        rows = conn.execute(
            "select model, max(version) from ml.member_scores where as_of_date = ? group by model",
            [day],
        ).fetchall()
        versions.update({model: version for model, version in rows if model in versions})
    if _table_exists(conn, "ml", "member_recommendations"):
        (version,) = conn.execute(
            "select max(version) from ml.member_recommendations where as_of_date = ?", [day]
        ).fetchone()
        versions["recommendation"] = version
    return versions


def export_day(
    conn: duckdb.DuckDBPyConnection, exports_dir: Path, day: dt.date, run_id: str
) -> DayExport:
    """Write every list of ``day`` from ``restricted.fct_daily_action_contacts`` and then the
    manifest. Files are written to a temporary name and renamed; files of lists that no longer
    exist are removed, so a re-run leaves exactly the day's current lists."""
    folder = day_folder(exports_dir, day)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for segment in load_segments(conn):
        rows = _list_rows(conn, segment, day)
        path = folder / segment.file_name
        write_csv_atomically(path, segment.columns, rows)
        entries.append(_manifest_entry(segment, path, len(rows)))
    _remove_stale_files(folder, {entry["file"] for entry in entries})
    manifest = {
        "as_of_date": day.isoformat(),
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": run_id,
        "model_versions": model_versions(conn, day),
        "files": entries,
    }
    write_text_atomically(
        folder / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    return DayExport(day, folder, manifest)


def _list_rows(conn: duckdb.DuckDBPyConnection, segment: Segment, day: dt.date) -> list[tuple]:
    # The full contact is selected only for lists allowed to carry it; it is null elsewhere in
    # the restricted table anyway, but the file layout must not depend on that.
    selected = [
        "contact_value" if column == segment.full_contact_column else column
        for column in segment.columns
    ]
    sql = (
        f"select {', '.join(selected)} from restricted.fct_daily_action_contacts "
        "where as_of_date = ? and segment = ? order by list_rank, member_id"
    )
    return conn.execute(sql, [day, segment.code]).fetchall()


def _manifest_entry(segment: Segment, path: Path, row_count: int) -> dict:
    return {
        "segment": segment.code,
        "file": segment.file_name,
        "name_en": segment.name_en,
        "name_zh": segment.name_zh,
        "description": segment.description,
        "channel": segment.channel,
        "marketing": segment.is_marketing,
        "contact_field": segment.contact_field,
        "full_contact": segment.full_contact_column is not None,
        "rows": row_count,
        "sha256": file_sha256(path),
        "columns": segment.columns,
    }


def _remove_stale_files(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("*.csv"):
        if path.name not in keep:
            path.unlink()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_csv_atomically(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a CSV (UTF-8 with BOM, header row) under a temporary name, then rename it."""
    with (
        _atomic_target(path) as handle_path,
        open(handle_path, "w", encoding=CSV_ENCODING, newline="") as handle,
    ):
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([_csv_value(value) for value in row] for row in rows)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) under a temporary name, then rename it."""
    with _atomic_target(path) as handle_path:
        handle_path.write_text(text, encoding="utf-8")


@contextmanager
def _atomic_target(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it on success and removed on failure."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(descriptor)
    temp = Path(name)
    try:
        yield temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    """The manifest of a day's export folder."""
    return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))


def unmasked_phone_findings(folder: Path) -> list[str]:
    """``file:line`` of every unmasked mobile number in the day's files whose manifest entry
    says full_contact is false (and in files the manifest does not know)."""
    manifest = read_manifest(folder)
    allowed = {entry["file"] for entry in manifest["files"] if entry["full_contact"]}
    findings = []
    for path in sorted(folder.glob("*.csv")):
        if path.name in allowed:
            continue
        with open(path, encoding=CSV_ENCODING) as handle:
            for line_number, line in enumerate(handle, start=1):
                if UNMASKED_PHONE.search(line):
                    findings.append(f"{path.name}:{line_number}")
    return findings


def checksum_mismatches(folder: Path) -> list[str]:
    """Files of the manifest whose bytes or row count differ from what it records."""
    mismatches = []
    for entry in read_manifest(folder)["files"]:
        path = folder / entry["file"]
        if not path.exists():
            mismatches.append(f"{entry['file']}: missing")
            continue
        if file_sha256(path) != entry["sha256"]:
            mismatches.append(f"{entry['file']}: sha256 differs")
        if count_csv_rows(path) != entry["rows"]:
            mismatches.append(f"{entry['file']}: row count differs")
    return mismatches


def count_csv_rows(path: Path) -> int:
    """Data rows of an export CSV (the header not counted)."""
    with open(path, encoding=CSV_ENCODING, newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (count,) = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return count > 0
