"""One landing day of one source, start to finish: read, validate, run the suite, replace.

No Dagster here: the asset calls ``ingest_day`` once per partition key and turns the returned
``DayLoad`` objects into metadata and check results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.defs.ingest.landing import read_day
from dagster_project.defs.ingest.validation import validate_day
from dagster_project.defs.ingest.warehouse import replace_landing_day
from data_quality.contract import Source
from data_quality.runner import SuiteOutcome, run_suite
from data_quality.suites import RejectTolerance, build_suite


@dataclass(frozen=True)
class DayLoad:
    """What loading one landing day of a source did."""

    day: str
    files: tuple[str, ...]
    bytes: int
    delivered: int
    loaded: int
    rejected: int
    rejected_by_reason: dict[str, int]
    extra_columns: tuple[str, ...]
    complete: bool
    suite: SuiteOutcome

    @property
    def reject_share(self) -> float:
        """Rejected rows over delivered rows (0 for an empty day)."""
        return self.rejected / self.delivered if self.delivered else 0.0


def ingest_day(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    landing_dir: Path,
    day: str,
    tolerance: RejectTolerance,
) -> DayLoad:
    """Load one landing day of ``source`` into ``raw`` (replacing that day) and validate it.

    Raises ``LandingFileError`` / ``LandingDayError`` before touching the tables when a file
    cannot be loaded, so a bad day keeps its previous contents.
    """
    delivered = read_day(landing_dir, source, day)
    validated = validate_day(delivered.frame, source)
    batch = validated.typed.to_pandas()
    counts = {None: len(batch), **batch.notna().sum().to_dict()}
    suite = build_suite(source.name, tolerance.max_share, counts, tolerance.min_rows)
    outcome = run_suite(suite, batch)
    replace_landing_day(
        conn, source, dt.date.fromisoformat(day), validated.accepted, validated.rejected
    )
    return DayLoad(
        day=day,
        files=delivered.files,
        bytes=delivered.bytes,
        delivered=delivered.frame.height,
        loaded=validated.accepted.height,
        rejected=validated.rejected.height,
        rejected_by_reason=validated.rejected_by_reason,
        extra_columns=delivered.extra_columns,
        complete=delivered.complete,
        suite=outcome,
    )
