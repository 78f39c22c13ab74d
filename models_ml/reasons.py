"""Per-member reasons: LightGBM's own per-feature contributions (``pred_contrib``) turned into
sentences a CRM agent reads, in English and Chinese.

For each member the three features with the largest positive contribution to the score (those
that pushed it up most) become the reasons, strongest first; fewer when fewer push it up. Each
is rendered with the seed ``seeds/ml_reason_templates.csv`` filled with the member's own value
("no login for 9 days" / "9天未登录"). Rendering is vectorised per (feature, template), so a
million members take seconds.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from models_ml.features import FEATURES

REASON_COUNT = 3
DEFAULT_TEMPLATES_PATH = (
    Path(__file__).resolve().parent.parent / "seeds" / "ml_reason_templates.csv"
)
LANGUAGES = ("en", "zh")
PLACEHOLDERS = ("value", "abs_pct")
# Numeric conditions, checked in this order before `any`.
NUMERIC_CONDITIONS = ("missing", "zero", "negative", "positive")


@dataclass(frozen=True)
class ReasonTemplates:
    """Templates per feature: condition -> {"en": ..., "zh": ...}."""

    by_feature: dict[str, dict[str, dict[str, str]]]

    def for_feature(self, name: str) -> dict[str, dict[str, str]]:
        if name not in self.by_feature:
            raise KeyError(f"no reason template for feature {name!r} in the reason seed")
        return self.by_feature[name]


def load_templates(path: Path = DEFAULT_TEMPLATES_PATH) -> ReasonTemplates:
    """The reason seed (CSV: feature_name, condition, template_en, template_zh)."""
    by_feature: dict[str, dict[str, dict[str, str]]] = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_feature.setdefault(row["feature_name"], {})[row["condition"]] = {
                "en": row["template_en"],
                "zh": row["template_zh"],
            }
    return ReasonTemplates(by_feature)


def top_contributions(contributions: np.ndarray, count: int = REASON_COUNT) -> np.ndarray:
    """Per row, the column indices of the ``count`` largest positive contributions, strongest
    first; -1 where fewer than ``count`` are positive. ``contributions`` is LightGBM's
    ``pred_contrib`` output without its last (bias) column."""
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :count]
    picked = np.take_along_axis(contributions, order, axis=1)
    return np.where(picked > 0, order, -1)


def _condition_masks(values: pl.Series, levels: tuple[str, ...] | None) -> dict[str, pl.Series]:
    if levels is not None:
        text = values.cast(pl.String)
        return {level: text == level for level in levels} | {"missing": text.is_null()}
    numbers = values.cast(pl.Float64)
    missing = numbers.is_null() | numbers.is_nan()
    return {
        "missing": missing,
        "zero": ~missing & (numbers == 0),
        "negative": ~missing & (numbers < 0),
        "positive": ~missing & (numbers > 0),
    }


def _formatted_value(values: pl.Series) -> pl.Series:
    """Whole numbers for counts, days and amounts; one decimal for small fractions."""
    frame = pl.DataFrame({"v": values.cast(pl.Float64)})
    whole = (pl.col("v").abs() >= 10) | (pl.col("v") == pl.col("v").round(0))
    return frame.select(
        pl.when(whole)
        .then(pl.col("v").round(0).cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("v").round(1).cast(pl.String))
    ).to_series()


def _render(template: str, values: pl.Series) -> pl.Series:
    """``template`` filled with each value (placeholders {value} and {abs_pct})."""
    names = re.findall(r"\{(\w+)\}", template)
    unknown = set(names) - set(PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in reason {template!r}")
    if not names:
        return pl.Series([template] * values.len(), dtype=pl.String)
    columns = {
        "value": _formatted_value(values) if values.dtype != pl.String else values,
        "abs_pct": (values.cast(pl.Float64).abs() * 100).round(0).cast(pl.Int64).cast(pl.String)
        if "abs_pct" in names
        else pl.Series([None] * values.len(), dtype=pl.String),
    }
    frame = pl.DataFrame(columns)
    pattern = re.sub(r"\{\w+\}", "{}", template)
    return frame.select(pl.format(pattern, *(pl.col(name) for name in names))).to_series()


def _sentences_for_feature(
    name: str, values: pl.Series, templates: ReasonTemplates
) -> dict[str, pl.Series]:
    """The sentence of every value of one feature, per language."""
    feature = next(f for f in FEATURES if f.name == name)
    rules = templates.for_feature(name)
    masks = _condition_masks(values, feature.levels)
    order = [c for c in (*(feature.levels or ()), *NUMERIC_CONDITIONS) if c in rules and c in masks]
    result = {}
    for language in LANGUAGES:
        fallback = rules.get("any", {}).get(language, feature.description)
        sentence = (
            _render(fallback, values)
            if "{" in fallback
            else pl.Series([fallback] * values.len(), dtype=pl.String)
        )
        for condition in reversed(order):
            rendered = _render(rules[condition][language], values)
            sentence = pl.select(
                pl.when(pl.lit(masks[condition].fill_null(False)))
                .then(pl.lit(rendered))
                .otherwise(pl.lit(sentence))
            ).to_series()
        result[language] = sentence
    return result


def reason_columns(
    frame: pl.DataFrame,
    feature_names: tuple[str, ...] | list[str],
    contributions: np.ndarray,
    templates: ReasonTemplates,
) -> pl.DataFrame:
    """``reason_1..3``, ``reason_1_zh..3_zh`` and ``reason_codes`` (feature names joined by
    ``|``) for the rows of ``frame``, from LightGBM contributions (rows x features, no bias)."""
    top = top_contributions(contributions)
    height = frame.height
    output: dict[str, np.ndarray] = {}
    for rank in range(REASON_COUNT):
        english = np.full(height, None, dtype=object)
        chinese = np.full(height, None, dtype=object)
        codes = np.full(height, None, dtype=object)
        for index in np.unique(top[:, rank]):
            if index < 0:
                continue
            rows = np.flatnonzero(top[:, rank] == index)
            name = feature_names[index]
            values = frame.get_column(name).gather(rows)
            sentences = _sentences_for_feature(name, values, templates)
            english[rows] = sentences["en"].to_numpy()
            chinese[rows] = sentences["zh"].to_numpy()
            codes[rows] = name
        output[f"reason_{rank + 1}"] = english
        output[f"reason_{rank + 1}_zh"] = chinese
        output[f"code_{rank + 1}"] = codes
    columns = {
        **{f"reason_{r}": output[f"reason_{r}"] for r in range(1, REASON_COUNT + 1)},
        **{f"reason_{r}_zh": output[f"reason_{r}_zh"] for r in range(1, REASON_COUNT + 1)},
    }
    result = pl.DataFrame(
        {name: pl.Series(values, dtype=pl.String) for name, values in columns.items()}
    )
    codes_frame = pl.DataFrame(
        {
            f"code_{r}": pl.Series(output[f"code_{r}"], dtype=pl.String)
            for r in range(1, REASON_COUNT + 1)
        }
    )
    joined = codes_frame.select(
        pl.concat_str(
            [pl.col(f"code_{r}") for r in range(1, REASON_COUNT + 1)],
            separator="|",
            ignore_nulls=True,
        ).alias("reason_codes")
    )
    joined = joined.with_columns(
        pl.when(pl.col("reason_codes") == "")
        .then(None)
        .otherwise(pl.col("reason_codes"))
        .alias("reason_codes")
    )
    return pl.concat([result, joined], how="horizontal")
