"""Lenient typing of delivered values by the contract, as polars expressions.

Every landing value arrives as text. Ingestion and the quality suites read it the same way:
surrounding whitespace is dropped, empty text is null, and a value that does not parse as its
column's type becomes null (the row rules report it as ``bad_type``). Timestamps become UTC
instants: an explicit offset (``+08:00``, ``+0800``, ``Z``) is honoured, a value without one is
Asia/Shanghai wall-clock time.
"""

from __future__ import annotations

import polars as pl

from data_quality.contract import SOURCE_TIMEZONE, Column, Source

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "timestamp": pl.Datetime("us", "UTC"),
    "date": pl.Date(),
}

# Date, a 'T' or a space, hours and minutes, optional seconds and fraction, optional offset.
_TIMESTAMP_PATTERN = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<hm>\d{2}:\d{2})(?P<sec>:\d{2}(?:\.\d{1,9})?)?"
    r"\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)
# Integers may arrive as integral decimals ("42.0") when a writer stored them as floats.
_INTEGER_PATTERN = r"^[+-]?\d+(\.0*)?$"


def normalised_text(name: str) -> pl.Expr:
    """The delivered value of column ``name`` without surrounding whitespace; empty is null."""
    trimmed = pl.col(name).str.strip_chars()
    return pl.when(trimmed.str.len_chars() > 0).then(trimmed).otherwise(None)


def parsed_value(column: Column) -> pl.Expr:
    """The column's delivered text parsed as its contract type, null where it does not parse."""
    return parse_text(column, normalised_text(column.name))


def parse_text(column: Column, text: pl.Expr) -> pl.Expr:
    """``text`` (already normalised) parsed as ``column``'s type, named after the column."""
    parsers = {
        "string": lambda: text,
        "int": lambda: _as_integer(text),
        "float": lambda: _as_float(text),
        "timestamp": lambda: _as_instant(text),
        "date": lambda: text.str.to_date("%Y-%m-%d", strict=False),
    }
    return parsers[column.dtype]().cast(POLARS_TYPES[column.dtype]).alias(column.name)


def parse_delivered(delivered: pl.DataFrame, source: Source) -> pl.DataFrame:
    """The contract columns of ``delivered`` (text) leniently typed, in contract order."""
    return delivered.select([parsed_value(column) for column in source.columns])


def _as_integer(text: pl.Expr) -> pl.Expr:
    digits = text.str.replace(r"\.0*$", "")
    # strict=False turns overflow into null, which the row rules report as bad_type.
    return pl.when(text.str.contains(_INTEGER_PATTERN)).then(digits.cast(pl.Int64, strict=False))


def _as_float(text: pl.Expr) -> pl.Expr:
    number = text.cast(pl.Float64, strict=False)
    # "nan" and "inf" parse as floats but are no amount anyone delivered on purpose.
    return pl.when(number.is_finite()).then(number)


def _as_instant(text: pl.Expr) -> pl.Expr:
    parts = text.str.extract_groups(_TIMESTAMP_PATTERN)
    local = pl.concat_str(
        parts.struct.field("date"),
        pl.lit("T"),
        parts.struct.field("hm"),
        pl.coalesce(parts.struct.field("sec"), pl.lit(":00")),
    )
    offset = parts.struct.field("offset")
    with_offset = pl.concat_str(
        local, pl.when(offset == "Z").then(pl.lit("+00:00")).otherwise(offset)
    ).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_unit="us", time_zone="UTC", strict=False)
    shanghai_wall_clock = (
        local.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
        .dt.replace_time_zone(SOURCE_TIMEZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    return pl.when(offset.is_null()).then(shanghai_wall_clock).otherwise(with_offset)
