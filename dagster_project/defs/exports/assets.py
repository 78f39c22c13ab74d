"""Daily export of the action lists, its checks, and the published warehouse for analysts.

Order within a run: dbt post_ml (``restricted.fct_daily_action_contacts``) -> the export asset
(CSV files and manifest per day, checked for unmasked phone numbers and checksums, blocking)
-> the publish asset (a copy of the warehouse without personal data, swapped in atomically).
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.exports.files import (
    DayExport,
    checksum_mismatches,
    export_day,
    unmasked_phone_findings,
)
from dagster_project.defs.exports.publish import publish_warehouse
from dagster_project.partitions import daily_partitions, window_days
from dagster_project.resources import WRITER_POOL, PanoramaResource

EXPORTS_GROUP = "exports"
# The CRM data team answers for the lists and the published copy (shown in the UI).
EXPORT_OWNERS = ["team:crm-data"]
EXPORT_KEY = dg.AssetKey(["exports", "daily_action_lists"])
PUBLISH_KEY = dg.AssetKey(["published", "panorama_duckdb"])
NO_UNMASKED_PHONES_CHECK = "no_unmasked_phone_numbers"
CHECKSUMS_CHECK = "manifest_checksums_match"


def _export_checks(exports: list[DayExport]) -> list[dg.AssetCheckResult]:
    phone_findings = [
        f"{export.day}/{finding}"
        for export in exports
        for finding in unmasked_phone_findings(export.folder)
    ]
    mismatches = [
        f"{export.day}/{mismatch}"
        for export in exports
        for mismatch in checksum_mismatches(export.folder)
    ]
    return [
        dg.AssetCheckResult(
            check_name=NO_UNMASKED_PHONES_CHECK,
            passed=not phone_findings,
            severity=dg.AssetCheckSeverity.ERROR,
            description="Lists without full_contact hold no unmasked mobile number.",
            metadata={
                "findings": dg.MetadataValue.json(phone_findings[:100]),
                "finding_count": len(phone_findings),
            },
        ),
        dg.AssetCheckResult(
            check_name=CHECKSUMS_CHECK,
            passed=not mismatches,
            severity=dg.AssetCheckSeverity.ERROR,
            description="Every file of the manifests has the sha256 and row count recorded.",
            metadata={"mismatches": dg.MetadataValue.json(mismatches[:100])},
        ),
    ]


def _export_metadata(exports: list[DayExport]) -> dict[str, dg.MetadataValue]:
    last = exports[-1]
    return {
        "days": dg.MetadataValue.int(len(exports)),
        "last_day": dg.MetadataValue.text(last.day.isoformat()),
        "last_day_folder": dg.MetadataValue.path(str(last.folder)),
        "rows_by_segment": dg.MetadataValue.json(last.rows_by_segment()),
        "rows_total": dg.MetadataValue.int(sum(last.rows_by_segment().values())),
        "model_versions": dg.MetadataValue.json(last.manifest["model_versions"]),
        "files": dg.MetadataValue.md(
            "\n".join(
                f"- `{last.folder / entry['file']}`: {entry['rows']} rows"
                + (" (full contact)" if entry["full_contact"] else "")
                for entry in last.manifest["files"]
            )
        ),
    }


@dg.asset(
    key=EXPORT_KEY,
    group_name=EXPORTS_GROUP,
    owners=EXPORT_OWNERS,
    description=(
        "The day's action lists as CSV files (UTF-8 with BOM) and manifest.json under "
        "PANORAMA_HOME/exports/<day>/, from restricted.fct_daily_action_contacts: one file per "
        "list of seed segments, header-only when empty; full phone numbers only in lists whose "
        "channel needs them (outbound call, SMS)."
    ),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    deps=[
        dg.AssetKey(["restricted", "fct_daily_action_contacts"]),
        dg.AssetKey(["marts", "fct_daily_actions"]),
        dg.AssetKey(["reference", "segments"]),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            NO_UNMASKED_PHONES_CHECK,
            asset=EXPORT_KEY,
            blocking=True,
            description="Scans every file whose manifest entry says full_contact is false for "
            "11-digit mainland mobile numbers; one is a leak and stops the publish.",
        ),
        dg.AssetCheckSpec(
            CHECKSUMS_CHECK,
            asset=EXPORT_KEY,
            blocking=True,
            description="Recomputes each file's sha256 and row count against the manifest.",
        ),
    ],
    kinds={"csv"},
)
def daily_action_lists(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, panorama: PanoramaResource
) -> dg.MaterializeResult:
    """Write the lists and manifest of every day of the run; re-running a day replaces it."""
    exports_dir = panorama.settings.exports_dir
    with duckdb.get_connection() as conn:
        exports = [
            export_day(conn, exports_dir, day, context.run.run_id)
            for day in window_days(context.partition_time_window)
        ]
    for export in exports:
        context.log.info("exports %s: %s", export.day, export.rows_by_segment())
    return dg.MaterializeResult(
        metadata=_export_metadata(exports), check_results=_export_checks(exports)
    )


@dg.asset(
    key=PUBLISH_KEY,
    group_name=EXPORTS_GROUP,
    owners=EXPORT_OWNERS,
    description=(
        "PANORAMA_HOME/published/panorama.duckdb: a copy of the warehouse for analysts without "
        "the raw, staging, restricted and snapshots schemas, built as panorama.duckdb.tmp and "
        "renamed over the previous copy once the exports' checks passed. Open it read-only."
    ),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    deps=[EXPORT_KEY],
    kinds={"duckdb"},
)
def published_warehouse(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, panorama: PanoramaResource
) -> dg.MaterializeResult:
    """Copy the warehouse without personal data and swap it in; refuse if a phone leaks."""
    with duckdb.get_connection() as conn:
        published = publish_warehouse(conn, panorama.settings.published_path)
    context.log.info("published %s tables to %s", len(published.table_rows), published.path)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "tables": dg.MetadataValue.int(len(published.table_rows)),
            "table_rows": dg.MetadataValue.json(published.table_rows),
        }
    )
