"""One great-expectations suite per raw source, built in code from the contract.

A suite validates a batch of what a source delivered: one landing day, or several consecutive
days validated together (ingestion batches days because each validation has a fixed cost), every
row before rejection, leniently typed (``data_quality.parsing``: unparseable values are null). Row
rules tolerate up to ``max_reject_share`` bad rows of the batch, because ingestion rejects those
rows one by one; a suite fails when there is more bad data than that, which is what the blocking
quality gate is for.

great-expectations is imported inside the functions: importing it takes several seconds, and the
Dagster definitions that refer to this module must load fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from data_quality.contract import PHONE_SHAPE_REGEX, SOURCES, Column, Source

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.expectations import Expectation

# Malformed phone numbers are kept in raw and rejected later by the information library, so
# their shape is a quality share with its own tolerance, not a row rule.
PHONE_SHAPE_MOSTLY = 0.9


@dataclass(frozen=True)
class RejectTolerance:
    """How much bad data a delivery may hold before its quality gate fails: a share of its
    rows, but never fewer than ``min_rows`` rows, so that one bad row in a day of ten rows does
    not stop the pipeline while a day that is mostly bad still does. The reject share applies
    it to each landing day, the suite to each batch of days it validates."""

    max_share: float
    min_rows: int

    def share_for(self, rows: int) -> float:
        """The tolerated share of bad rows in a delivery of ``rows`` rows."""
        if rows <= 0:
            return self.max_share
        return min(1.0, max(self.max_share, self.min_rows / rows))

    def allows(self, bad_rows: int, rows: int) -> bool:
        """True when ``bad_rows`` out of ``rows`` is within the tolerance."""
        return bad_rows <= max(self.max_share * rows, self.min_rows)


def row_rule_mostly(max_reject_share: float) -> float:
    """The share of rows a row rule needs to pass: everything but the tolerated rejects."""
    if not 0.0 <= max_reject_share <= 1.0:
        raise ValueError(f"max_reject_share must be between 0 and 1, got {max_reject_share}")
    return 1.0 - max_reject_share


# Maps a column name (None for rules over whole rows) to the share of rows a rule needs to pass.
Mostly = Callable[[str | None], float]


def build_suite(
    source_name: str,
    max_reject_share: float,
    counts: Mapping[str | None, int] | None = None,
    min_tolerated_rows: int = 0,
    day_column: str | None = None,
) -> gx.ExpectationSuite:
    """The expectation suite of one raw source: contract rules plus the source's extras.

    Without ``counts`` every row rule tolerates ``max_reject_share``. With the delivered batch's
    row count (key None) and non-null count per column, each rule tolerates at least
    ``min_tolerated_rows`` bad values among the values it judges (see ``RejectTolerance``).
    A batch of several landing days names each row's day in ``day_column``: the natural key
    must then be unique within each day, since a key re-delivered on a later day is legitimate.
    """
    import great_expectations as gx

    source = SOURCES[source_name]
    tolerance = RejectTolerance(max_reject_share, min_tolerated_rows)
    row_rule_mostly(max_reject_share)  # validates the share

    def mostly(column: str | None) -> float:
        rows = (counts or {}).get(column, 0)
        return 1.0 - tolerance.share_for(rows)

    # Passing the expectations to the constructor needs no data context (add_expectation does).
    return gx.ExpectationSuite(
        name=f"raw_{source.name}",
        expectations=[
            *contract_expectations(source, mostly, day_column),
            *extra_expectations(source, mostly),
        ],
    )


def contract_expectations(
    source: Source, mostly: Mostly, day_column: str | None = None
) -> Iterator[Expectation]:
    """Expectations every source gets from its contract: columns, required values, allowed
    values, ranges, the natural key (unique within each ``day_column`` value, if given) and
    phone shapes."""
    import great_expectations.expectations as gxe

    yield gxe.ExpectTableColumnsToMatchSet(
        column_set=source.column_names,
        exact_match=False,
        description=f"the delivery has every contract column of {source.name}",
    )
    for column in source.columns:
        if column.required:
            yield gxe.ExpectColumnValuesToNotBeNull(
                column=column.name, mostly=mostly(None), description=f"{column.name} is present"
            )
        allowed = column.allowed_values()
        if allowed is not None:
            yield gxe.ExpectColumnValuesToBeInSet(
                column=column.name,
                value_set=list(allowed),
                mostly=mostly(column.name),
                description=f"{column.name} is one of the allowed values",
            )
        if column.min_value is not None or column.max_value is not None:
            yield _between(column, mostly)
        if column.phone:
            yield gxe.ExpectColumnValuesToMatchRegex(
                column=column.name,
                regex=PHONE_SHAPE_REGEX,
                mostly=PHONE_SHAPE_MOSTLY,
                description=f"{column.name} looks like a phone number",
            )
    yield (
        _key_is_unique_per_day(source, mostly(None), day_column)
        if day_column
        else _key_is_unique(source, mostly(None))
    )


def extra_expectations(source: Source, mostly: Mostly) -> list[Expectation]:
    """Source-specific rules the column-by-column contract cannot express.

    Amount limits (e.g. recharges at most the contract maximum) are already contract ranges.
    """
    builders: dict[str, Callable[[Source, Mostly], list[Expectation]]] = {
        "members": lambda s, m: [_not_before(s, "updated_at", "registered_at", m)],
        "tickets": lambda s, m: [
            _not_before(s, "updated_at", "opened_at", m),
            _not_before(s, "resolved_at", "opened_at", m),
            _present_when(s, "resolved_at", "status", "RESOLVED", m),
        ],
        "recharges": lambda s, m: [_present_when(s, "pay_method", "txn_type", "PAYMENT", m)],
        "points_exchanges": lambda s, m: [
            _present_when(s, "item_code", "exchange_type", "MALL_REDEEM", m)
        ],
        "characters": lambda s, m: [_absent_when(s, "guild_id", "guild_role", "NONE", m)],
    }
    return builders.get(source.name, lambda s, m: [])(source, mostly)


def _between(column: Column, mostly: Mostly) -> Expectation:
    import great_expectations.expectations as gxe

    low = "" if column.min_value is None else f"{column.min_value:g} <= "
    high = "" if column.max_value is None else f" <= {column.max_value:g}"
    return gxe.ExpectColumnValuesToBeBetween(
        column=column.name,
        min_value=column.min_value,
        max_value=column.max_value,
        mostly=mostly(column.name),
        description=f"{low}{column.name}{high}",
    )


def _key_is_unique(source: Source, mostly: float) -> Expectation:
    import great_expectations.expectations as gxe

    description = f"the natural key ({' + '.join(source.key)}) is unique in the delivery"
    if len(source.key) == 1:
        return gxe.ExpectColumnValuesToBeUnique(
            column=source.key[0], mostly=mostly, description=description
        )
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=list(source.key), mostly=mostly, description=description
    )


def _key_is_unique_per_day(source: Source, mostly: float, day_column: str) -> Expectation:
    import great_expectations.expectations as gxe

    # A row missing a key value is the not-null rule's finding, so only complete keys compare
    # (the day is never missing, so the default "all values missing" would compare every row).
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=[day_column, *source.key],
        ignore_row_if="any_value_is_missing",
        mostly=mostly,
        description=(
            f"the natural key ({' + '.join(source.key)}) is unique within each landing day "
            "of the delivery"
        ),
    )


def _not_before(source: Source, later: str, earlier: str, mostly: Mostly) -> Expectation:
    import great_expectations.expectations as gxe

    _require_columns(source, later, earlier)
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        mostly=mostly(later),
        description=f"{later} is not before {earlier} where both are present",
    )


def _present_when(
    source: Source, name: str, condition_column: str, value: Any, mostly: Mostly
) -> Expectation:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column as RowColumn

    _require_columns(source, name, condition_column)
    return gxe.ExpectColumnValuesToNotBeNull(
        column=name,
        row_condition=RowColumn(condition_column) == value,
        mostly=mostly(None),
        description=f"{name} is present when {condition_column} is {value}",
    )


def _absent_when(
    source: Source, name: str, condition_column: str, value: Any, mostly: Mostly
) -> Expectation:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column as RowColumn

    _require_columns(source, name, condition_column)
    return gxe.ExpectColumnValuesToBeNull(
        column=name,
        row_condition=RowColumn(condition_column) == value,
        mostly=mostly(None),
        description=f"{name} is empty when {condition_column} is {value}",
    )


def _require_columns(source: Source, *names: str) -> None:
    """Fail when the suite is built, not when it runs, if a rule names a column the contract
    no longer has."""
    for name in names:
        source.column(name)
