"""Resources, built from the settings object: the only place paths turn into resources."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging.version import Version

from dagster_project.defs.warehouse.project import dbt_executable, dbt_project
from dagster_project.settings import Settings

# Every asset that writes the warehouse runs in this pool; dagster.yaml limits it to one,
# because DuckDB admits a single writing process.
WRITER_POOL = "duckdb_writer"


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt learns the dbt version by running ``dbt --version``, which also asks PyPI for
    the latest release and so waits on the network at every run; the version installed beside
    this code is the answer without it."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))


class PanoramaResource(dg.ConfigurableResource):
    """The data directory and run knobs, handed to assets that read or write files."""

    home: str
    max_reject_share: float
    min_tolerated_bad_rows: int
    suite_batch_rows: int

    @property
    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home),
            max_reject_share=self.max_reject_share,
            min_tolerated_bad_rows=self.min_tolerated_bad_rows,
            suite_batch_rows=self.suite_batch_rows,
        )


def build_resources(settings: Settings) -> dict[str, object]:
    """All resources of the code location for one settings object."""
    return {
        "duckdb": DuckDBResource(
            database=str(settings.warehouse_path),
            connection_config={
                "threads": settings.duckdb_threads,
                "memory_limit": settings.duckdb_memory_limit,
                "autoinstall_known_extensions": False,
                "preserve_insertion_order": False,
            },
        ),
        "panorama": PanoramaResource(
            home=str(settings.home),
            max_reject_share=settings.max_reject_share,
            min_tolerated_bad_rows=settings.min_tolerated_bad_rows,
            suite_batch_rows=settings.suite_batch_rows,
        ),
        # dbt reaches the same warehouse file through PANORAMA_HOME (dbt/profiles.yml).
        "dbt": OfflineDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
