"""The dbt project as Dagster assets: every model and seed an asset, every dbt test a check.

One ``dbt build`` per run (a day, or a range of days in a single-run backfill): dbt orders the
models itself, and one invocation costs seconds where one per model would cost minutes.
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.defs.warehouse.project import (
    DBT_BUILD_COMMAND,
    dbt_project,
    prepare_manifest_if_dev,
    require_manifest,
)
from dagster_project.defs.warehouse.summaries import with_summaries
from dagster_project.partitions import daily_partitions, window_bounds
from dagster_project.resources import WRITER_POOL, PanoramaResource
from dagster_project.settings import Settings, get_settings

DEFAULT_OWNERS = ("team:crm-data",)
SEED_GROUP = "reference"
SNAPSHOT_GROUP = "marts"


def dbt_build_args(partition_time_window: dg.TimeWindow | None) -> list[str]:
    """The dbt arguments for one run: ``build`` (without unit tests, see DBT_BUILD_COMMAND), with
    the run's days as inclusive local dates.

    A partition window is half-open, ``[start, end)``, in Asia/Shanghai time; dbt receives
    ``min_date`` (the first day) and ``max_date`` (the last day) as vars. Without a window
    the project's defaults apply, which cover all history.
    """
    if partition_time_window is None:
        return [*DBT_BUILD_COMMAND]
    first_day, last_day = window_bounds(partition_time_window)
    window_vars = {"min_date": first_day.isoformat(), "max_date": last_day.isoformat()}
    return [*DBT_BUILD_COMMAND, "--vars", json.dumps(window_vars)]


class PanoramaDbtTranslator(DagsterDbtTranslator):
    """Asset keys ``[schema, name]``, sources on the ingest keys ``[raw, table]``, groups by
    layer (``staging``, ``intermediate``, ``marts``; seeds in ``reference``)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        configured = super().get_group_name(dbt_resource_props)
        if configured:
            return configured
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "seed":
            return SEED_GROUP
        if resource_type == "snapshot":
            return SNAPSHOT_GROUP
        # fqn is [project, <layer folder>, ..., name]: the folder under models/ is the layer.
        fqn = dbt_resource_props["fqn"]
        return fqn[1] if len(fqn) > 2 else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return super().get_owners(dbt_resource_props) or list(DEFAULT_OWNERS)

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        pii_columns = _pii_columns(dbt_resource_props)
        if pii_columns:
            metadata["pii_columns"] = dg.MetadataValue.json(pii_columns)
        return metadata


def _pii_columns(dbt_resource_props: Mapping[str, Any]) -> list[str]:
    columns = dbt_resource_props.get("columns") or {}
    return [name for name, column in columns.items() if (column.get("meta") or {}).get("pii")]


def _run_time_window(context: dg.AssetExecutionContext) -> dg.TimeWindow | None:
    if context.has_partition_key or context.has_partition_key_range:
        return context.partition_time_window
    return None


def dbt_run_artifacts_dir(settings: Settings, run_id: str, step: str) -> Path:
    """Where one dbt step of a run puts its artifacts and logs (run_results.json, compiled SQL,
    dbt.log); a run has two dbt steps, before and after the ML scores.

    Under the data directory rather than dbt's ``target/``: about 6 MB a run would otherwise
    pile up in the code checkout, which may be read-only where the project is deployed.
    """
    return settings.home / "dbt" / "runs" / run_id / step


def _check_dbt_targets_run_warehouse(panorama: PanoramaResource) -> None:
    """dbt finds the warehouse through ``PANORAMA_HOME``; refuse to build a different one."""
    dbt_warehouse = get_settings().warehouse_path.resolve()
    run_warehouse = panorama.settings.warehouse_path.resolve()
    if dbt_warehouse != run_warehouse:
        raise dg.Failure(
            description=(
                f"dbt would build {dbt_warehouse} (from PANORAMA_HOME) but this run's resources "
                f"point at {run_warehouse}. Set PANORAMA_HOME to the run's data directory."
            )
        )


prepare_manifest_if_dev()

# dbt tests become asset checks (already dagster-dbt 0.29's default; spelled out because the
# checks are how test failures reach the UI).
warehouse_translator = PanoramaDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
)


# Models that read the ML scores carry the dbt tag post_ml: they build in a second run, after
# the scoring assets, so the daily job runs warehouse -> scores -> post_ml models -> exports.
POST_ML_SELECTION = "tag:post_ml"


def _build_window(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, panorama: PanoramaResource
):
    """Build the selected models, seeds and tests for the run's days in one ``dbt build``."""
    _check_dbt_targets_run_warehouse(panorama)
    args = dbt_build_args(_run_time_window(context))
    # Row counts for seeds, tables and incremental models (dagster-dbt skips views). On DuckDB
    # dagster-dbt waits for dbt to exit, then counts through a dbt adapter in this process;
    # `keep_open: false` in profiles.yml makes that adapter release the file afterwards.
    target_path = dbt_run_artifacts_dir(panorama.settings, context.run.run_id, context.op.name)
    invocation = dbt.cli(args, context=context, target_path=target_path)
    events = invocation.stream().fetch_row_counts()
    yield from with_summaries(
        events, panorama.settings.warehouse_path, lambda event: _materialised_key(context, event)
    )


def _materialised_key(context: dg.AssetExecutionContext, event: object) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.AssetMaterialization):
        return event.asset_key
    return None


@dbt_assets(
    manifest=require_manifest(),
    project=dbt_project,
    name="warehouse_dbt",
    exclude=POST_ML_SELECTION,
    dagster_dbt_translator=warehouse_translator,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
)
def warehouse_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, panorama: PanoramaResource
):
    """Staging, intermediate and marts up to the features the models read."""
    yield from _build_window(context, dbt, panorama)


@dbt_assets(
    manifest=require_manifest(),
    project=dbt_project,
    name="warehouse_dbt_post_ml",
    select=POST_ML_SELECTION,
    dagster_dbt_translator=warehouse_translator,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
)
def warehouse_dbt_post_ml(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, panorama: PanoramaResource
):
    """The models that read the ML scores: tags, the member panorama and the action lists."""
    yield from _build_window(context, dbt, panorama)
