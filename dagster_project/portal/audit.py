"""The download audit: ``<home>/portal/audit.jsonl``, one JSON object per line, append-only.

Every download is written before its bytes are sent; refused attempts are written too, so an
admin sees who tried to fetch what. The file survives restarts; nothing rewrites or trims it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from dagster_project.portal.state import ensure_private_dir, portal_dir
from dagster_project.settings import Settings

log = logging.getLogger(__name__)

DOWNLOADED = "downloaded"
FORBIDDEN = "forbidden"
INTEGRITY_FAILED = "integrity_failed"


@dataclass(frozen=True)
class AuditRecord:
    """One download or refused attempt."""

    at: str  # UTC, ISO 8601
    user: str
    role: str
    outcome: str  # downloaded, forbidden or integrity_failed
    day: str
    segment: str
    file: str  # relative to the exports folder
    rows: int | None
    sha256: str | None
    client: str
    detail: str = ""


def audit_path(settings: Settings) -> Path:
    """``<home>/portal/audit.jsonl``."""
    return portal_dir(settings) / "audit.jsonl"


def now_utc() -> str:
    """The current instant as the audit writes it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class AuditLog:
    """Append to and read the audit file."""

    def __init__(self, path: Path):
        self.path = path

    def append(self, record: AuditRecord) -> None:
        """Append ``record`` as one line, synced to disk before returning."""
        ensure_private_dir(self.path.parent)
        line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode("utf-8")
        # O_APPEND: one write call per record, so concurrent writers never interleave a line.
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(handle, line)
            os.fsync(handle)
        finally:
            os.close(handle)

    def read(self, limit: int | None = None) -> list[AuditRecord]:
        """The records, newest first (at most ``limit``)."""
        if not self.path.exists():
            return []
        records = []
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                record = _parse(line, number)
                if record is not None:
                    records.append(record)
        records.reverse()
        return records if limit is None else records[:limit]


def _parse(line: str, number: int) -> AuditRecord | None:
    if not line.strip():
        return None
    try:
        return AuditRecord(**json.loads(line))
    except (ValueError, TypeError):
        # A line cut by a crash mid-write must not hide the rest of the log.
        log.warning("audit log line %s is unreadable and skipped", number)
        return None
