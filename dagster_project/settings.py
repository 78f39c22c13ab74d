"""One settings object: every path and tunable the pipeline reads from the environment.

Nothing else reads ``os.environ``; resources and assets take their values from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from data_quality.suites import RejectTolerance

TIMEZONE = "Asia/Shanghai"
DEFAULT_HOME = ".panorama"
DEFAULT_PARTITION_START = "2025-01-01"
DEFAULT_MAX_REJECT_SHARE = 0.05
# A day may always hold this many bad rows, so one bad row among ten does not stop the pipeline.
DEFAULT_MIN_TOLERATED_BAD_ROWS = 10
# Ingestion runs a source's quality suite once per this many delivered rows of consecutive days:
# each run costs a fixed fraction of a second, and the batch is held in memory.
DEFAULT_SUITE_BATCH_ROWS = 500_000

# No usage reporting from the tools the pipeline starts (dbt, Dagster, great-expectations): the
# CLI, the benchmarks and the tests set these before those tools load.
TELEMETRY_OFF_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
SEEDS_DIR = PROJECT_ROOT / "seeds"


@dataclass(frozen=True)
class Settings:
    """Where the data lives and the knobs of a run, read once from the environment."""

    home: Path
    partition_start: str = DEFAULT_PARTITION_START
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE
    min_tolerated_bad_rows: int = DEFAULT_MIN_TOLERATED_BAD_ROWS
    suite_batch_rows: int = DEFAULT_SUITE_BATCH_ROWS
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "4GB"

    @property
    def reject_tolerance(self) -> RejectTolerance:
        return RejectTolerance(self.max_reject_share, self.min_tolerated_bad_rows)

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "panorama.duckdb"

    @property
    def published_path(self) -> Path:
        return self.home / "published" / "panorama.duckdb"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            home=Path(env.get("PANORAMA_HOME", DEFAULT_HOME)).resolve(),
            partition_start=env.get("PANORAMA_PARTITION_START", DEFAULT_PARTITION_START),
            max_reject_share=float(env.get("PANORAMA_MAX_REJECT_SHARE", DEFAULT_MAX_REJECT_SHARE)),
            min_tolerated_bad_rows=int(
                env.get("PANORAMA_MIN_TOLERATED_BAD_ROWS", DEFAULT_MIN_TOLERATED_BAD_ROWS)
            ),
            suite_batch_rows=int(env.get("PANORAMA_SUITE_BATCH_ROWS", DEFAULT_SUITE_BATCH_ROWS)),
            duckdb_threads=int(env.get("PANORAMA_DUCKDB_THREADS", "2")),
            duckdb_memory_limit=env.get("PANORAMA_DUCKDB_MEMORY_LIMIT", "4GB"),
        )


def get_settings() -> Settings:
    """The settings of this process (read from the environment on each call, so tests can
    point ``PANORAMA_HOME`` at a temporary folder)."""
    return Settings.from_env()
