"""Row rules of the raw contract, as vectorised polars expressions.

A delivered row is rejected with the reason ``<rule>:<column>`` of the first rule it breaks,
rules taken in this order (each across the columns in contract order): ``missing_required``,
``bad_type``, ``invalid_value``, ``out_of_range``; then ``duplicate_key:<key cols joined by +>``
when an earlier accepted row of the same day (file order, then row order) has the same natural
key. Accepted values are stored typed and trimmed; empty text is null.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from dagster_project.defs.ingest.landing import LINE, RAW_RECORD, SOURCE_FILE
from data_quality.contract import Source
from data_quality.parsing import normalised_text, parse_text

REASON = "_reason"
RULE_ORDER = ("missing_required", "bad_type", "invalid_value", "out_of_range")
# Every rule a rejected row can name in its `_reason`, in the order they are checked.
REJECTION_RULES = (*RULE_ORDER, "duplicate_key")


@dataclass(frozen=True)
class ValidatedDay:
    """A landing day split by the row rules."""

    typed: pl.DataFrame
    """Every delivered row, contract columns leniently typed: the quality suite's batch."""
    accepted: pl.DataFrame
    """Rows that pass: typed contract columns, then ``_source_file`` and ``_line``."""
    rejected: pl.DataFrame
    """Rows that fail: ``_source_file``, ``_line``, ``_reason``, ``_raw_record``."""

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """How many rows each reason rejected, most frequent first."""
        counts = (
            self.rejected.group_by(REASON).len().sort(["len", REASON], descending=[True, False])
        )
        return dict(counts.iter_rows())


def validate_day(delivered: pl.DataFrame, source: Source) -> ValidatedDay:
    """Apply the row rules to a day's delivered rows (text, as ``landing.read_day`` gives)."""
    # Normalise and parse each column once; the rules then compare the two cheaply.
    typed = (
        delivered.select(
            *(normalised_text(name).alias(_text(name)) for name in source.column_names),
            pl.col(SOURCE_FILE),
            pl.col(LINE),
            pl.col(RAW_RECORD),
        )
        .with_columns(parse_text(column, pl.col(_text(column.name))) for column in source.columns)
        .with_columns(first_broken_rule(source).alias(REASON))
        .with_columns(_with_duplicate_keys(source))
    )
    accepted = typed.filter(pl.col(REASON).is_null()).select(
        *source.column_names, SOURCE_FILE, LINE
    )
    rejected = typed.filter(pl.col(REASON).is_not_null()).select(
        SOURCE_FILE, LINE, REASON, RAW_RECORD
    )
    return ValidatedDay(
        typed=typed.select(source.column_names), accepted=accepted, rejected=rejected
    )


def first_broken_rule(source: Source) -> pl.Expr:
    """``<rule>:<column>`` of the first broken column rule of a row, null when none is.

    Reads the normalised text of each column (``_text(name)``) and its parsed value (``name``).
    """
    reasons = [
        pl.when(condition).then(pl.lit(f"{rule}:{name}"))
        for rule in RULE_ORDER
        for name, condition in _rule_conditions(source, rule)
    ]
    return pl.coalesce(reasons) if reasons else pl.lit(None, dtype=pl.String)


def duplicate_key_reason(source: Source) -> str:
    """The reason a row gets when an earlier accepted row has its natural key."""
    return f"duplicate_key:{'+'.join(source.key)}"


def _rule_conditions(source: Source, rule: str) -> Iterator[tuple[str, pl.Expr]]:
    for column in source.columns:
        text, value = pl.col(_text(column.name)), pl.col(column.name)
        if rule == "missing_required" and column.required:
            yield column.name, text.is_null()
        elif rule == "bad_type" and column.dtype != "string":
            yield column.name, text.is_not_null() & value.is_null()
        elif rule == "invalid_value" and column.allowed_values() is not None:
            yield column.name, text.is_not_null() & ~text.is_in(list(column.allowed_values()))
        elif rule == "out_of_range":
            if column.min_value is not None:
                yield column.name, value.is_not_null() & (value < column.min_value)
            if column.max_value is not None:
                yield column.name, value.is_not_null() & (value > column.max_value)


def _with_duplicate_keys(source: Source) -> pl.Expr:
    """Mark repeats of a natural key among the rows no other rule rejected.

    The ``accepted`` flag joins the key so rejected rows never count as the first occurrence;
    ``is_first_distinct`` keeps file order, so the first delivery wins.
    """
    accepted = pl.col(REASON).is_null()
    first = pl.struct(accepted.alias("_accepted"), *source.key).is_first_distinct()
    return (
        pl.when(accepted & ~first)
        .then(pl.lit(duplicate_key_reason(source)))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )


def _text(name: str) -> str:
    return f"__text__{name}"
