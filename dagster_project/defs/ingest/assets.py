"""One daily-partitioned ingest asset per contract source: ``raw/<source>``.

Each run loads its partition keys (a backfill range runs as one run), every day in its own
transaction, and yields the two blocking quality checks of ``checks.py`` from the same pass over
the data: the suite on batches of consecutive loaded days (``loading.SuiteBatches``), the reject
share on each day. A day whose files cannot be loaded keeps its previous contents and belongs to
no batch; the other days of the run still load, then the run fails naming every bad file.
"""

import warnings
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ingest.checks import (
    contract_suite_result,
    ingest_check_specs,
    reject_share_result,
)
from dagster_project.defs.ingest.landing import LandingDayError, LandingFileError
from dagster_project.defs.ingest.loading import DayLoad, SuiteBatch, SuiteBatches, ingest_day
from dagster_project.defs.ingest.reporting import markdown_table, materialization_metadata
from dagster_project.defs.ingest.warehouse import (
    DUCKDB_TYPES,
    RawTableMismatch,
    ensure_tables,
    raw_columns,
    raw_table,
    rejected_table,
)
from dagster_project.partitions import daily_partitions
from dagster_project.resources import WRITER_POOL, PanoramaResource
from data_quality.contract import LANDING_FORMATS, SOURCES, Column, Source

INGEST_GROUP = "ingest"
INGEST_OWNERS = ["team:data-platform"]
INGEST_KINDS = {"duckdb", "polars", "great-expectations"}


def ingest_asset_key(source_name: str) -> dg.AssetKey:
    """``raw/<source>``: the key of a source's ingest asset (and of its raw table)."""
    return dg.AssetKey(["raw", source_name])


def build_ingest_asset(source: Source) -> dg.AssetsDefinition:
    """The ingest asset of one contract source."""
    # Single-run backfills are a deliberate choice; Dagster would warn "beta" once per asset
    # every time definitions load.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*backfill_policy.*", dg.BetaWarning)
        return _ingest_asset(source)


def _ingest_asset(source: Source) -> dg.AssetsDefinition:
    key = ingest_asset_key(source.name)

    @dg.asset(
        key=key,
        group_name=INGEST_GROUP,
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        kinds=INGEST_KINDS,
        owners=INGEST_OWNERS,
        description=asset_description(source),
        metadata={
            "dagster/column_schema": column_schema(source),
            "dagster/table_name": raw_table(source),
        },
        check_specs=ingest_check_specs(source, key),
    )
    def ingest(
        context: dg.AssetExecutionContext, duckdb: DuckDBResource, panorama: PanoramaResource
    ) -> dg.MaterializeResult:
        return ingest_partition_keys(context, source, duckdb, panorama)

    return ingest


def ingest_partition_keys(
    context: dg.AssetExecutionContext,
    source: Source,
    duckdb: DuckDBResource,
    panorama: PanoramaResource,
) -> dg.MaterializeResult:
    """Load every partition key of the run, then report metadata and both checks."""
    settings = panorama.settings
    _ensure_database_folder(duckdb.database)
    # closing(): the resource does not close its connection when the body raises.
    with duckdb.get_connection() as conn, closing(conn):
        try:
            ensure_tables(conn, source)
        except RawTableMismatch as error:
            raise dg.Failure(description=str(error)) from error
        suite_batches = SuiteBatches(
            source, settings.reject_tolerance, batch_rows=settings.suite_batch_rows
        )
        loads, failures = _load_days(context, conn, source, settings.landing_dir, suite_batches)
    if failures:
        raise _landing_failure(source, failures, loads)
    batches = suite_batches.batches
    return dg.MaterializeResult(
        metadata=materialization_metadata(loads, batches),
        check_results=[
            contract_suite_result(source, batches),
            reject_share_result(source, loads, settings.reject_tolerance),
        ],
    )


def _load_days(
    context: dg.AssetExecutionContext,
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    landing_dir: Path,
    suite_batches: SuiteBatches,
) -> tuple[list[DayLoad], list[tuple[str, LandingFileError]]]:
    """Each partition key in its own transaction; a day with bad files is skipped (it keeps
    its previous contents, and joins no suite batch) and reported, and the next day still
    loads. Loaded days go to ``suite_batches``, which validates them once it holds a batch's
    rows, and the remaining days at the end."""
    loads: list[DayLoad] = []
    failures: list[tuple[str, LandingFileError]] = []
    total = len(context.partition_keys)
    for day in context.partition_keys:
        try:
            ingested = ingest_day(conn, source, landing_dir, day)
        except (LandingFileError, LandingDayError) as error:
            failures.extend((day, file_error) for file_error in _file_errors(error))
            context.log.error(f"{source.name} {day}: not loaded, {error}")
            continue
        loads.append(ingested.load)
        context.log.info(_progress(source, ingested.load, len(loads) + len(failures), total))
        _log_batch(context, source, suite_batches.add(ingested))
    _log_batch(context, source, suite_batches.finish())
    return loads, failures


def _log_batch(context: dg.AssetExecutionContext, source: Source, batch: SuiteBatch | None) -> None:
    if batch is not None:
        result = "passed" if batch.outcome.success else "FAILED"
        context.log.info(
            f"{source.name} suite on {batch.span} ({batch.outcome.row_count} rows): {result}"
        )


def asset_description(source: Source) -> str:
    """The asset's description, from the contract."""
    formats = ",".join(LANDING_FORMATS)
    return (
        f"{source.description}\n\n"
        f"Natural key: {' + '.join(source.key)}; event time: {source.event_time}. "
        f"Loaded from landing/{source.name}/dt=YYYY-MM-DD/part-*.{{{formats}}} into "
        f"{raw_table(source)}; rows that break the contract go to {rejected_table(source)} "
        "with their reason."
    )


def column_schema(source: Source) -> dg.TableSchema:
    """The raw table's columns, with the contract's descriptions and constraints."""
    contract = [
        dg.TableColumn(
            name=column.name,
            type=DUCKDB_TYPES[column.dtype],
            description=column.description,
            constraints=dg.TableColumnConstraints(
                nullable=not column.required, other=_constraints(column)
            ),
            tags={"pii": ""} if column.pii else None,
        )
        for column in source.columns
    ]
    lineage = [
        dg.TableColumn(name=name, type=kind, description=_LINEAGE_DESCRIPTIONS[name])
        for name, kind in raw_columns(source)[len(source.columns) :]
    ]
    return dg.TableSchema(columns=[*contract, *lineage])


_LINEAGE_DESCRIPTIONS = {
    "_landing_date": "The landing day (partition) the row was delivered in.",
    "_source_file": "The part file, relative to the landing directory.",
    "_line": "1-based row number in that file.",
    "_loaded_at": "When the row was loaded.",
}


def _constraints(column: Column) -> list[str]:
    found = []
    allowed = column.allowed_values()
    if allowed is not None:
        found.append(
            f"in seed {column.allowed_seed[0]}.{column.allowed_seed[1]}"
            if column.allowed_seed
            else f"one of {', '.join(allowed)}"
        )
    if column.min_value is not None:
        found.append(f">= {column.min_value:g}")
    if column.max_value is not None:
        found.append(f"<= {column.max_value:g}")
    return found


def _progress(source: Source, load: DayLoad, done: int, total: int) -> str:
    return (
        f"{source.name} {load.day} ({done}/{total}): {load.loaded} rows loaded, "
        f"{load.rejected} rejected, from {len(load.files)} file(s)"
    )


def _file_errors(error: LandingFileError | LandingDayError) -> list[LandingFileError]:
    return error.errors if isinstance(error, LandingDayError) else [error]


def _landing_failure(
    source: Source, failures: Sequence[tuple[str, LandingFileError]], loads: Sequence[DayLoad]
) -> dg.Failure:
    bad_days = sorted({day for day, _ in failures})
    lines = "\n".join(f"- {error}" for _, error in failures)
    loaded = ", ".join(load.day for load in loads) or "none"
    table = markdown_table(
        ["day", "file", "problem", "line", "missing columns"],
        (
            [day, e.relative_path, e.problem, e.line or "", ", ".join(e.missing_columns)]
            for day, e in failures
        ),
    )
    return dg.Failure(
        description=(
            f"{source.name}: {len(bad_days)} landing day(s) not loaded "
            f"({', '.join(bad_days)}); days loaded: {loaded}.\n{lines}"
        ),
        metadata={"bad_files": dg.MetadataValue.md(table), "days_loaded": loaded},
    )


def _ensure_database_folder(database: str) -> None:
    # DuckDB creates the database file but not its folder.
    if database != ":memory:" and not database.startswith("md:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


ingest_assets = [build_ingest_asset(source) for source in SOURCES.values()]
