"""The two blocking quality gates of every ingest asset, evaluated in the asset's own pass.

``<source>_contract_suite``: the source's great-expectations suite on each suite batch, the
delivered rows of consecutive days validated together (see ``loading.SuiteBatches``); it fails
when any batch fails, and the metadata names those batches by their days (``first .. last``).
``<source>_reject_share``: rejected / delivered rows of each day at most ``max_reject_share``;
it fails when any day fails, and the metadata names those days.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from dagster_project.defs.ingest.loading import DayLoad, SuiteBatch
from dagster_project.defs.ingest.reporting import (
    markdown_table,
    reasons_table,
    rejected_by_reason,
    suite_result_label,
)
from data_quality.contract import Source
from data_quality.runner import ExpectationOutcome
from data_quality.suites import RejectTolerance


def contract_suite_check_name(source: Source) -> str:
    """Name of the suite check of ``source``."""
    return f"{source.name}_contract_suite"


def reject_share_check_name(source: Source) -> str:
    """Name of the reject-share check of ``source``."""
    return f"{source.name}_reject_share"


def ingest_check_specs(source: Source, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """The blocking check specs an ingest asset declares (and evaluates itself)."""
    return [
        dg.AssetCheckSpec(
            contract_suite_check_name(source),
            asset=asset_key,
            blocking=True,
            description=(
                f"great-expectations suite raw_{source.name} (from the data contract) on the "
                "delivered rows, before rows are rejected, in batches of consecutive days that "
                "close once they hold suite_batch_rows rows (a daily run is one batch)."
            ),
        ),
        dg.AssetCheckSpec(
            reject_share_check_name(source),
            asset=asset_key,
            blocking=True,
            description=(
                "Rejected rows of each landing day stay within max_reject_share of its rows "
                "(a day may always hold min_tolerated_bad_rows bad rows)."
            ),
        ),
    ]


def contract_suite_result(source: Source, batches: Sequence[SuiteBatch]) -> dg.AssetCheckResult:
    """The suite check over a run's suite batches: passes when the suite passed on every batch."""
    failed = [batch for batch in batches if not batch.outcome.success]
    shown = failed or [batches[-1]]
    metadata: dict[str, object] = {
        **_summed_statistics(batches),
        "expectations": dg.MetadataValue.md(
            "\n\n".join(_suite_section(batch, several=len(shown) > 1) for batch in shown)
        ),
    }
    if failed:
        metadata["failed_days"] = ", ".join(batch.span for batch in failed)
        metadata["failed_expectations"] = ", ".join(
            sorted({_expectation_label(o) for batch in failed for o in batch.outcome.failed})
        )
    if len(batches) > 1:
        metadata["batches"] = dg.MetadataValue.md(_suite_batches_table(batches))
    return dg.AssetCheckResult(
        check_name=contract_suite_check_name(source),
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def reject_share_result(
    source: Source, loads: Sequence[DayLoad], tolerance: RejectTolerance
) -> dg.AssetCheckResult:
    """The reject-share check over a run's days: passes when every day is within ``tolerance``."""
    delivered = sum(load.delivered for load in loads)
    rejected = sum(load.rejected for load in loads)
    worst = max(loads, key=lambda load: load.reject_share)
    failed = [load for load in loads if not tolerance.allows(load.rejected, load.delivered)]
    metadata: dict[str, object] = {
        "share": rejected / delivered if delivered else 0.0,
        "threshold": tolerance.max_share,
        "min_tolerated_bad_rows": tolerance.min_rows,
        "worst_day": worst.day,
        "worst_day_share": worst.reject_share,
        "rows_delivered": delivered,
        "rows_rejected": rejected,
        "rejected_by_reason": dg.MetadataValue.md(reasons_table(rejected_by_reason(loads))),
    }
    if failed:
        metadata["failed_days"] = ", ".join(load.day for load in failed)
    if len(loads) > 1:
        metadata["days"] = dg.MetadataValue.md(
            markdown_table(
                ["day", "delivered", "rejected", "share"],
                ([x.day, x.delivered, x.rejected, f"{x.reject_share:.4f}"] for x in loads),
            )
        )
    return dg.AssetCheckResult(
        check_name=reject_share_check_name(source),
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def _summed_statistics(batches: Sequence[SuiteBatch]) -> dict[str, object]:
    names = ("evaluated_expectations", "successful_expectations", "unsuccessful_expectations")
    totals = {
        name: int(sum(batch.outcome.statistics.get(name, 0) for batch in batches)) for name in names
    }
    evaluated = totals["evaluated_expectations"]
    success_percent = 100.0 * totals["successful_expectations"] / evaluated if evaluated else 100.0
    return {**totals, "success_percent": success_percent}


def _suite_section(batch: SuiteBatch, several: bool) -> str:
    table = batch.outcome.to_markdown()
    return f"**{batch.span}** ({batch.outcome.row_count} rows)\n\n{table}" if several else table


def _suite_batches_table(batches: Sequence[SuiteBatch]) -> str:
    return markdown_table(
        ["days", "rows", "suite", "failed expectations"],
        (
            [
                batch.span,
                batch.outcome.row_count,
                suite_result_label(batch),
                ", ".join(_expectation_label(o) for o in batch.outcome.failed),
            ]
            for batch in batches
        ),
    )


def _expectation_label(outcome: ExpectationOutcome) -> str:
    return (
        f"{outcome.expectation_type}({outcome.column})"
        if outcome.column
        else outcome.expectation_type
    )
