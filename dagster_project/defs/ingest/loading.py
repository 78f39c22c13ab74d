"""Loading landing days of one source, and judging them with the source's suite in batches.

Each landing day is read, validated row by row and replaced in its own transaction
(``ingest_day``). The great-expectations suite costs a fixed fraction of a second per call
whatever the data size, so it does not run per day: ``SuiteBatches`` collects the delivered rows
of consecutive loaded days and validates them together once they hold ``batch_rows`` rows, and
at the end of the run. The suite therefore judges a batch of days (a daily run is a batch of
one day); the reject share stays a per-day rule.

No Dagster here: the asset drives these and turns the results into metadata and check results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.defs.ingest.landing import read_day
from dagster_project.defs.ingest.validation import validate_day
from dagster_project.defs.ingest.warehouse import replace_landing_day
from data_quality.contract import Source
from data_quality.runner import SuiteOutcome, run_suite
from data_quality.suites import RejectTolerance, build_suite

# Names the landing day of each row in a batch of several days, so the natural key is judged
# unique within each day (a key re-delivered on a later day is legitimate).
BATCH_DAY_COLUMN = "_landing_date"


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

    @property
    def reject_share(self) -> float:
        """Rejected rows over delivered rows (0 for an empty day)."""
        return self.rejected / self.delivered if self.delivered else 0.0


@dataclass(frozen=True)
class IngestedDay:
    """A loaded day and its delivered rows, leniently typed: its share of a suite batch."""

    load: DayLoad
    typed: pl.DataFrame


@dataclass(frozen=True)
class SuiteBatch:
    """One run of the suite over consecutive loaded days of a run."""

    days: tuple[str, ...]
    outcome: SuiteOutcome

    @property
    def span(self) -> str:
        """The day, or ``first .. last`` day, the batch covers."""
        return self.days[0] if len(self.days) == 1 else f"{self.days[0]} .. {self.days[-1]}"


def ingest_day(
    conn: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path, day: str
) -> IngestedDay:
    """Load one landing day of ``source`` into ``raw``, replacing that day.

    Raises ``LandingFileError`` / ``LandingDayError`` before touching the tables when a file
    cannot be loaded, so a bad day keeps its previous contents.
    """
    delivered = read_day(landing_dir, source, day)
    validated = validate_day(delivered.frame, source)
    replace_landing_day(
        conn, source, dt.date.fromisoformat(day), validated.accepted, validated.rejected
    )
    load = DayLoad(
        day=day,
        files=delivered.files,
        bytes=delivered.bytes,
        delivered=delivered.frame.height,
        loaded=validated.accepted.height,
        rejected=validated.rejected.height,
        rejected_by_reason=validated.rejected_by_reason,
        extra_columns=delivered.extra_columns,
        complete=delivered.complete,
    )
    return IngestedDay(load=load, typed=validated.typed)


@dataclass
class SuiteBatches:
    """Collects loaded days and runs the suite once per ``batch_rows`` delivered rows.

    Only the pending days' rows are held, so memory stays bounded by the batch size.
    """

    source: Source
    tolerance: RejectTolerance
    batch_rows: int
    batches: list[SuiteBatch] = field(default_factory=list, init=False)
    _pending: list[IngestedDay] = field(default_factory=list, init=False)
    _pending_rows: int = field(default=0, init=False)

    def add(self, day: IngestedDay) -> SuiteBatch | None:
        """Add a loaded day; returns the batch it closed, if it filled one."""
        self._pending.append(day)
        self._pending_rows += day.typed.height
        return self.finish() if self._pending_rows >= self.batch_rows else None

    def finish(self) -> SuiteBatch | None:
        """Validate the pending days (if any) as one batch and return it."""
        if not self._pending:
            return None
        batch = validate_batch(self.source, self._pending, self.tolerance)
        self.batches.append(batch)
        self._pending, self._pending_rows = [], 0
        return batch


def validate_batch(
    source: Source, days: list[IngestedDay], tolerance: RejectTolerance
) -> SuiteBatch:
    """Run the source's suite once over the delivered rows of ``days``, with tolerances from
    the batch's own row and value counts."""
    several = len(days) > 1
    frame = pl.concat(
        [
            day.typed.with_columns(pl.lit(day.load.day).alias(BATCH_DAY_COLUMN))
            if several
            else day.typed
            for day in days
        ],
        how="vertical",
    ).to_pandas()
    counts = {None: len(frame), **frame.notna().sum().to_dict()}
    suite = build_suite(
        source.name,
        tolerance.max_share,
        counts,
        tolerance.min_rows,
        day_column=BATCH_DAY_COLUMN if several else None,
    )
    return SuiteBatch(days=tuple(day.load.day for day in days), outcome=run_suite(suite, frame))
