"""Reading the exports folder (``<home>/exports/<day>/<segment>.csv`` + ``manifest.json``).

Everything a request names (day, segment) is checked against a strict pattern and the manifest;
every file is resolved and must lie inside the exports folder; every file's bytes must match
the checksum of its manifest before anyone receives them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
SEGMENT_PATTERN = re.compile(r"[a-z0-9_]{1,64}")
FILE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.csv")
# Mainland mobiles (optionally +86) and e-mail addresses written out in full.
_FULL_PHONE = re.compile(
    rb"(?<![0-9A-Za-z.])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])"
)
_FULL_EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class ExportError(Exception):
    """A request the exports folder cannot serve: a status, a title and a message for the page."""

    status = 500
    title = "Export problem"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownDay(ExportError):
    status = 404
    title = "No such day"


class ManifestMissing(ExportError):
    status = 404
    title = "Lists not published"


class ManifestInvalid(ExportError):
    status = 500
    title = "Manifest unreadable"


class UnknownSegment(ExportError):
    status = 404
    title = "No such list"


class OutsideExports(ExportError):
    status = 403
    title = "Refused"


class FileMissing(ExportError):
    status = 404
    title = "File missing"


class IntegrityFailed(ExportError):
    status = 409
    title = "File does not match its manifest"


@dataclass(frozen=True)
class ExportFile:
    """One list of a day, as its manifest describes it."""

    segment: str
    file: str
    name_en: str
    name_zh: str
    description: str
    channel: str
    marketing: bool
    contact_field: str
    full_contact: bool
    rows: int
    sha256: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class DayManifest:
    """The manifest of one export day."""

    as_of_date: dt.date
    generated_at: str
    run_id: str
    model_versions: dict[str, str | None]  # None: no model behind that part today
    files: tuple[ExportFile, ...]

    def file_for(self, segment: str) -> ExportFile:
        """The list of ``segment``; ``UnknownSegment`` when the day has none."""
        for entry in self.files:
            if entry.segment == segment:
                return entry
        raise UnknownSegment(f"The lists of {self.as_of_date} have no list called {segment!r}.")

    @property
    def total_rows(self) -> int:
        return sum(entry.rows for entry in self.files)


def parse_day(text: str) -> dt.date:
    """The day named by a URL part; ``UnknownDay`` for anything but a real YYYY-MM-DD date."""
    if DAY_PATTERN.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise UnknownDay(f"{text!r} is not a day (expected YYYY-MM-DD).")


def check_segment_name(text: str) -> str:
    """``text`` if it can be a segment code; ``UnknownSegment`` otherwise (path tricks too)."""
    if not SEGMENT_PATTERN.fullmatch(text):
        raise UnknownSegment(f"{text!r} is not a list name.")
    return text


class ExportsFolder:
    """The exports folder, read-only."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._manifests: dict[dt.date, tuple[tuple[int, int], DayManifest]] = {}

    def days(self) -> list[dt.date]:
        """Days with a published manifest, newest first."""
        if not self.root.is_dir():
            return []
        days = []
        for folder in self.root.iterdir():
            if DAY_PATTERN.fullmatch(folder.name) and (folder / MANIFEST_NAME).is_file():
                try:
                    days.append(dt.date.fromisoformat(folder.name))
                except ValueError:
                    continue
        return sorted(days, reverse=True)

    def newest_day(self) -> dt.date | None:
        """The newest day with a manifest, if any."""
        days = self.days()
        return days[0] if days else None

    def manifest(self, day: dt.date) -> DayManifest:
        """The manifest of ``day`` (cached while the file is unchanged)."""
        folder = self.root / day.isoformat()
        path = folder / MANIFEST_NAME
        try:
            stat = path.stat()
        except FileNotFoundError:
            if folder.is_dir():
                raise ManifestMissing(
                    f"The lists of {day} are not published yet (the folder has no manifest): "
                    "the export may still be running or may have failed."
                ) from None
            raise UnknownDay(f"There are no lists for {day}.") from None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._manifests.get(day)
        if cached is not None and cached[0] == key:
            return cached[1]
        manifest = _parse_manifest(path, day)
        self._manifests[day] = (key, manifest)
        return manifest

    def manifest_or_none(self, day: dt.date) -> DayManifest | None:
        """The manifest of ``day``, or None when it is missing or unreadable."""
        try:
            return self.manifest(day)
        except ExportError:
            return None

    def read_verified(self, day: dt.date, entry: ExportFile) -> bytes:
        """The bytes of a list, only when they lie inside the exports folder and match the
        manifest's checksum (and a masked list really holds no full contact)."""
        path = self._contained_path(day, entry)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileMissing(
                f"The manifest of {day} lists {entry.file}, but the file is not there."
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            log.error("checksum mismatch: %s has %s, manifest says %s", path, digest, entry.sha256)
            raise IntegrityFailed(
                f"{entry.file} of {day} changed after its manifest was written (checksum "
                "mismatch). It is not served; please tell the data team."
            )
        if not entry.full_contact and holds_full_contact(data):
            log.error("masked list %s holds a full phone number or e-mail", path)
            raise IntegrityFailed(
                f"{entry.file} of {day} should be masked but holds a full phone number or "
                "e-mail. It is not served; please tell the data team."
            )
        return data

    def size_history(
        self, segment: str, last_day: dt.date, days: int = 30
    ) -> list[tuple[dt.date, int | None]]:
        """Rows of ``segment`` on each of the ``days`` days up to ``last_day`` (None: no list)."""
        history = []
        for offset in range(days - 1, -1, -1):
            day = last_day - dt.timedelta(days=offset)
            manifest = self.manifest_or_none(day)
            rows = None
            if manifest is not None:
                try:
                    rows = manifest.file_for(segment).rows
                except UnknownSegment:
                    rows = None
            history.append((day, rows))
        return history

    def _contained_path(self, day: dt.date, entry: ExportFile) -> Path:
        path = (self.root / day.isoformat() / entry.file).resolve()
        if not path.is_relative_to(self.root):
            log.error("refused %s: it resolves outside the exports folder %s", path, self.root)
            raise OutsideExports(f"{entry.file} of {day} is not inside the exports folder.")
        return path


def holds_full_contact(data: bytes) -> bool:
    """Whether ``data`` holds a mainland mobile number or an e-mail address written in full."""
    return bool(_FULL_PHONE.search(data) or _FULL_EMAIL.search(data))


def _parse_manifest(path: Path, day: dt.date) -> DayManifest:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        manifest = DayManifest(
            as_of_date=dt.date.fromisoformat(document["as_of_date"]),
            generated_at=str(document["generated_at"]),
            run_id=str(document.get("run_id", "")),
            model_versions={
                str(model): None if version is None else str(version)
                for model, version in document["model_versions"].items()
            },
            files=tuple(_parse_entry(entry) for entry in document["files"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.error("manifest %s is unreadable: %r", path, exc)
        raise ManifestInvalid(
            f"The manifest of {day} is unreadable or incomplete; its lists are not served."
        ) from None
    if manifest.as_of_date != day:
        raise ManifestInvalid(f"The manifest in the folder of {day} is for another day.")
    return manifest


def _parse_entry(entry: dict) -> ExportFile:
    segment, file = str(entry["segment"]), str(entry["file"])
    # A manifest names plain files of its own folder; anything else is refused outright.
    if not SEGMENT_PATTERN.fullmatch(segment) or not FILE_NAME_PATTERN.fullmatch(file):
        raise ValueError(f"bad segment or file name: {segment!r}, {file!r}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(entry["sha256"])):
        raise ValueError(f"bad sha256 for {segment!r}")
    return ExportFile(
        segment=segment,
        file=file,
        name_en=str(entry.get("name_en", segment)),
        name_zh=str(entry.get("name_zh", "")),
        description=str(entry.get("description", "")),
        channel=str(entry["channel"]),
        marketing=bool(entry.get("marketing", False)),
        contact_field=str(entry.get("contact_field", "")),
        full_contact=_strict_bool(entry["full_contact"]),
        rows=int(entry["rows"]),
        sha256=str(entry["sha256"]),
        columns=tuple(str(column) for column in entry.get("columns", ())),
    )


def _strict_bool(value: object) -> bool:
    # "false" as a string would be truthy: the access rule depends on this flag, so be exact.
    if not isinstance(value, bool):
        raise ValueError(f"full_contact must be true or false, got {value!r}")
    return value
