"""Landing files: ``<out>/<source>/dt=YYYY-MM-DD/part-00000.<ext>`` plus ``_SUCCESS``.

A partition folder is deleted before it is written, so a re-run replaces it cleanly; the
empty ``_SUCCESS`` marker is written last.
"""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from dagster_project.simulator.config import SOURCE_FORMATS, SimulationConfig
from dagster_project.simulator.dirty import Delivery, corrupt, plan_delivery
from dagster_project.simulator.render import SPECS, Lookups, render
from dagster_project.simulator.tables import Columns
from data_quality.contract import SOURCES

logger = logging.getLogger(__name__)

PART_NAME = "part-00000"
SUCCESS_MARKER = "_SUCCESS"


def partition_dir(out: Path, source: str, day: date) -> Path:
    """The landing folder of one source and day."""
    return out / source / f"dt={day.isoformat()}"


def write_frame(frame: pl.DataFrame, path: Path, file_format: str) -> None:
    """Write one part file in the source's format (text everywhere, UTF-8)."""
    if file_format == "parquet":
        frame.write_parquet(path, compression="zstd")
    elif file_format == "csv":
        frame.write_csv(path)
    elif file_format == "jsonl":
        frame.write_ndjson(path)
    else:
        raise ValueError(f"unknown landing format {file_format!r}")


def write_partition(frame: pl.DataFrame, folder: Path, file_format: str) -> None:
    """Replace a partition folder with one part file and the completion marker."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_frame(frame, folder / f"{PART_NAME}.{file_format}", file_format)
    (folder / SUCCESS_MARKER).touch()


def write_source(
    source: str,
    table: Columns,
    config: SimulationConfig,
    lookups: Lookups,
    rng: np.random.Generator,
    snapshot_second: int,
) -> dict[str, int]:
    """Plan the noise of one source, write one file per day; returns the rows per kind and
    the total under ``"rows"``."""
    contract_source = SOURCES[source]
    if not table:
        return _write_empty_source(source, config)
    delivery = plan_delivery(
        contract_source,
        table,
        config.days,
        config.dirty_rate,
        config.redelivery_rate,
        rng,
        snapshot_second,
    )
    bounds = delivery.bounds(config.days)
    for index, day in enumerate(config.dates):
        part = slice(bounds[index], bounds[index + 1])
        frame = _partition_frame(source, table, delivery, part, lookups)
        write_partition(frame, partition_dir(config.out, source, day), SOURCE_FORMATS[source])
    logger.debug("wrote %s: %d rows", source, delivery.rows.size)
    return {"rows": int(delivery.rows.size), **delivery.counts()}


def _partition_frame(
    source: str, table: Columns, delivery: Delivery, part: slice, lookups: Lookups
) -> pl.DataFrame:
    rows = delivery.rows[part]
    subset = {name: values[rows] for name, values in table.items()}
    frame = render(source, subset, lookups)
    return corrupt(
        frame, SOURCES[source], delivery.kind[part], delivery.column[part], delivery.variant[part]
    )


def _write_empty_source(source: str, config: SimulationConfig) -> dict[str, int]:
    frame = pl.DataFrame(schema={name: pl.String for name in SPECS[source]})
    for day in config.dates:
        write_partition(frame, partition_dir(config.out, source, day), SOURCE_FORMATS[source])
    return {"rows": 0}
