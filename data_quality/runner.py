"""The one helper that runs a suite on a batch and returns a result Dagster can show.

great-expectations 1.x on its pandas path: an ephemeral context (in memory, analytics and
progress bars off) with one pandas data source whose dataframe asset is validated as a whole.
Creating the context is slow, so each process creates it once. The SQL path on DuckDB returns no
metrics at this version, which is why batches are pandas frames.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

# Enough values for a person to see what is wrong without copying bad data into the metadata.
UNEXPECTED_EXAMPLES = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one batch."""

    expectation_type: str
    column: str | None
    description: str | None
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    unexpected_examples: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True)
class SuiteOutcome:
    """The result of a suite on one batch: overall success, statistics, each expectation."""

    suite_name: str
    success: bool
    row_count: int
    statistics: dict[str, float]
    expectations: tuple[ExpectationOutcome, ...]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        """The expectations that did not pass."""
        return [outcome for outcome in self.expectations if not outcome.success]

    def to_markdown(self) -> str:
        """The expectations as a Markdown table, failures first."""
        header = (
            "| result | expectation | column | unexpected | unexpected % | examples |\n"
            "|---|---|---|---:|---:|---|"
        )
        ordered = sorted(self.expectations, key=lambda outcome: outcome.success)
        return "\n".join([header, *(_markdown_row(outcome) for outcome in ordered)])


def run_suite(suite: gx.ExpectationSuite, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate a whole pandas frame with ``suite`` and summarise the result."""
    batch = _whole_dataframe_batches().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": UNEXPECTED_EXAMPLES,
        },
    )
    statistics = {key: float(value or 0) for key, value in result.statistics.items()}
    return SuiteOutcome(
        suite_name=suite.name,
        success=bool(result.success),
        row_count=len(frame),
        statistics=statistics,
        expectations=tuple(_expectation_outcome(item) for item in result.results),
    )


@functools.cache
def _whole_dataframe_batches() -> BatchDefinition:
    """The batch definition of this process's great-expectations context, created once."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("panorama").add_dataframe_asset("delivered_batch")
    return asset.add_batch_definition_whole_dataframe("whole_batch")


def _expectation_outcome(item: ExpectationValidationResult) -> ExpectationOutcome:
    config = item.expectation_config
    result: dict[str, Any] = item.result or {}
    error = None
    if item.exception_info and item.exception_info.get("raised_exception"):
        error = str(item.exception_info.get("exception_message"))
    return ExpectationOutcome(
        expectation_type=config.type,
        column=_columns_of(config.kwargs),
        description=config.description,
        success=bool(item.success),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=_finite_or_none(result.get("unexpected_percent")),
        # The same bad value repeated says less than a few different ones.
        unexpected_examples=tuple(
            dict.fromkeys(_shown(value) for value in result.get("partial_unexpected_list") or [])
        ),
        error=error,
    )


def _columns_of(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return " + ".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']} vs {kwargs['column_B']}"
    return None


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    # pandas reports a missing value as NaN or NaT (neither equals itself); people read "null".
    if value is None or value != value:
        return "null"
    return str(value)


def _markdown_row(outcome: ExpectationOutcome) -> str:
    mark = "pass" if outcome.success else "**FAIL**"
    name = outcome.description or outcome.expectation_type
    if outcome.error:
        name = f"{name} (error: {outcome.error})"
    count = "" if outcome.unexpected_count is None else str(outcome.unexpected_count)
    percent = "" if outcome.unexpected_percent is None else f"{outcome.unexpected_percent:.2f}"
    examples = ", ".join(outcome.unexpected_examples)
    cells = [mark, f"`{outcome.expectation_type}`: {name}", outcome.column or "", count, percent]
    return "| " + " | ".join(_escaped(cell) for cell in [*cells, examples]) + " |"


def _escaped(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")
