"""The two blocking quality gates of every ingest asset, evaluated in the asset's own pass.

``<source>_contract_suite``: the source's great-expectations suite on each delivered day.
``<source>_reject_share``: rejected / delivered rows of each day at most ``max_reject_share``.
A run of several days fails a check when any of its days fails; the metadata names those days.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from dagster_project.defs.ingest.loading import DayLoad
from dagster_project.defs.ingest.reporting import (
    markdown_table,
    reasons_table,
    rejected_by_reason,
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
                f"great-expectations suite raw_{source.name} (from the data contract) on each "
                "delivered day, before rows are rejected."
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


def contract_suite_result(source: Source, loads: Sequence[DayLoad]) -> dg.AssetCheckResult:
    """The suite check over a run's days: passes when the suite passed on every day."""
    failed = [load for load in loads if not load.suite.success]
    shown = failed or [loads[-1]]
    metadata: dict[str, object] = {
        **_summed_statistics(loads),
        "expectations": dg.MetadataValue.md(
            "\n\n".join(_suite_section(load, several=len(shown) > 1) for load in shown)
        ),
    }
    if failed:
        metadata["failed_days"] = ", ".join(load.day for load in failed)
        metadata["failed_expectations"] = ", ".join(
            sorted({_expectation_label(o) for load in failed for o in load.suite.failed})
        )
    if len(loads) > 1:
        metadata["days"] = dg.MetadataValue.md(_suite_days_table(loads))
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


def _summed_statistics(loads: Sequence[DayLoad]) -> dict[str, object]:
    names = ("evaluated_expectations", "successful_expectations", "unsuccessful_expectations")
    totals = {
        name: int(sum(load.suite.statistics.get(name, 0) for load in loads)) for name in names
    }
    evaluated = totals["evaluated_expectations"]
    success_percent = 100.0 * totals["successful_expectations"] / evaluated if evaluated else 100.0
    return {**totals, "success_percent": success_percent}


def _suite_section(load: DayLoad, several: bool) -> str:
    table = load.suite.to_markdown()
    return f"**{load.day}** ({load.suite.row_count} rows)\n\n{table}" if several else table


def _suite_days_table(loads: Sequence[DayLoad]) -> str:
    return markdown_table(
        ["day", "rows", "suite", "failed expectations"],
        (
            [
                load.day,
                load.suite.row_count,
                "pass" if load.suite.success else "FAIL",
                ", ".join(_expectation_label(o) for o in load.suite.failed),
            ]
            for load in loads
        ),
    )


def _expectation_label(outcome: ExpectationOutcome) -> str:
    return (
        f"{outcome.expectation_type}({outcome.column})"
        if outcome.column
        else outcome.expectation_type
    )
