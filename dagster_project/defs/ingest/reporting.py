"""Materialisation metadata of an ingest run, summed over its days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import dagster as dg

from dagster_project.defs.ingest.loading import DayLoad, SuiteBatch


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; pipes inside cells are escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = (str(cell).replace("|", "\\|").replace("\n", " ") for cell in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rejected_by_reason(loads: Sequence[DayLoad]) -> dict[str, int]:
    """Rejected rows per reason over all days, most frequent first."""
    totals: Counter[str] = Counter()
    for load in loads:
        totals.update(load.rejected_by_reason)
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def reasons_table(reasons: dict[str, int]) -> str:
    """Markdown table of rejected rows per reason."""
    if not reasons:
        return "No row was rejected."
    return markdown_table(["reason", "rows"], reasons.items())


def partitions_label(loads: Sequence[DayLoad]) -> str:
    """The day, or the first and last day and how many, that a run loaded."""
    if len(loads) == 1:
        return loads[0].day
    return f"{loads[0].day} .. {loads[-1].day} ({len(loads)} days)"


def suite_result_label(batch: SuiteBatch) -> str:
    """``pass`` or ``FAIL``: the suite's result on a batch."""
    return "pass" if batch.outcome.success else "FAIL"


def materialization_metadata(
    loads: Sequence[DayLoad], batches: Sequence[SuiteBatch]
) -> dict[str, object]:
    """Files, bytes and rows of the run; when it loaded several days, a per-day table that also
    names each day's suite batch and that batch's result."""
    loaded = sum(load.loaded for load in loads)
    metadata: dict[str, object] = {
        "partitions": partitions_label(loads),
        "files": sum(len(load.files) for load in loads),
        "bytes": sum(load.bytes for load in loads),
        "rows_delivered": sum(load.delivered for load in loads),
        "rows_loaded": loaded,
        "rows_rejected": sum(load.rejected for load in loads),
        "rejected_by_reason": dg.MetadataValue.md(reasons_table(rejected_by_reason(loads))),
        "dagster/row_count": loaded,
    }
    extras = sorted({name for load in loads for name in load.extra_columns})
    if extras:
        metadata["extra_columns"] = ", ".join(extras)
    incomplete = [load.day for load in loads if not load.complete]
    if incomplete:
        metadata["days_without_success_marker"] = ", ".join(incomplete)
    if len(loads) > 1:
        metadata["days"] = dg.MetadataValue.md(_days_table(loads, batches))
    return metadata


def _days_table(loads: Sequence[DayLoad], batches: Sequence[SuiteBatch]) -> str:
    batch_of = {day: batch for batch in batches for day in batch.days}
    return markdown_table(
        ["day", "files", "bytes", "delivered", "loaded", "rejected", "suite batch", "suite"],
        (
            [
                load.day,
                len(load.files),
                load.bytes,
                load.delivered,
                load.loaded,
                load.rejected,
                batch_of[load.day].span,
                suite_result_label(batch_of[load.day]),
            ]
            for load in loads
        ),
    )
