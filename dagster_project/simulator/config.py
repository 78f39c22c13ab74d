"""What a simulation run is asked to do, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster_project.settings import get_settings

# Kinds of injected noise. The first five are rejected by ingestion with the rule of the same
# name; `late` rows are valid rows delivered 1-3 days after their event day.
REJECTED_KINDS = ("duplicate", "missing_required", "bad_type", "invalid_value", "out_of_range")
DIRTY_KINDS = (*REJECTED_KINDS, "late")
# A valid row delivered again in the next day's file: staging dedupes it, ingestion accepts it.
REDELIVERED = "redelivered"
SUMMARY_KINDS = (*DIRTY_KINDS, REDELIVERED)

# Re-deliveries per row, as a share of the dirty rate (a small share of valid rows).
REDELIVERY_SHARE_OF_DIRTY_RATE = 0.5

SOURCE_FORMATS = {
    "members": "csv",
    "logins": "parquet",
    "recharges": "parquet",
    "consumption": "parquet",
    "characters": "parquet",
    "activity_participation": "parquet",
    "points_exchanges": "parquet",
    "contacts": "csv",
    "tickets": "csv",
    "surveys": "jsonl",
    "security_events": "parquet",
    "manual_tags": "jsonl",
}


def _default_landing_dir() -> Path:
    return get_settings().landing_dir


@dataclass(frozen=True)
class SimulationConfig:
    """How many members over how many days, from which start day, and how dirty."""

    members: int = 5000
    days: int = 60
    start: date = date(2026, 1, 1)
    seed: int = 42
    dirty_rate: float = 0.01
    out: Path = field(default_factory=_default_landing_dir)

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ValueError(f"members must be at least 1, got {self.members}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not 0.0 <= self.dirty_rate <= 0.5:
            raise ValueError(f"dirty_rate must be within [0, 0.5], got {self.dirty_rate}")

    @property
    def dates(self) -> list[date]:
        """The simulated calendar days, in order (also the landing partitions)."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def redelivery_rate(self) -> float:
        return self.dirty_rate * REDELIVERY_SHARE_OF_DIRTY_RATE


@dataclass
class SimulationSummary:
    """Rows written and noise injected by one run, and how fast it went."""

    config: SimulationConfig
    rows_written: dict[str, int]
    dirty: dict[tuple[str, str], int]
    elapsed_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows_written.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def dirty_rows(self, source: str, kind: str) -> int:
        """Injected rows of one kind in one source (0 when none)."""
        return self.dirty.get((source, kind), 0)

    def expected_rejected(self, source: str) -> int:
        """Rows of a source that ingestion must reject: the sum of the rejected kinds."""
        return sum(self.dirty_rows(source, kind) for kind in REJECTED_KINDS)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for logs, Dagster metadata and the benchmark)."""
        return {
            "members": self.config.members,
            "days": self.config.days,
            "start": self.config.start.isoformat(),
            "seed": self.config.seed,
            "dirty_rate": self.config.dirty_rate,
            "out": str(self.config.out),
            "rows_written": dict(self.rows_written),
            "total_rows": self.total_rows,
            "dirty": {
                source: {kind: self.dirty_rows(source, kind) for kind in SUMMARY_KINDS}
                for source in self.rows_written
            },
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
        }
