"""Scoring with a promoted model: probability, band and the top three reasons per member, and
the idempotent write of one day's scores to ``ml.member_scores``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import lightgbm as lgb
import numpy as np
import polars as pl

from models_ml.features import to_matrix
from models_ml.reasons import ReasonTemplates, reason_columns
from models_ml.registry import RegisteredModel
from models_ml.tables import replace_rows

SCORES_TABLE = "ml.member_scores"
BANDS = ("high", "medium", "low")
SCORE_COLUMNS = (
    "member_id",
    "as_of_date",
    "model",
    "version",
    "score",
    "band",
    "reason_1",
    "reason_2",
    "reason_3",
    "reason_1_zh",
    "reason_2_zh",
    "reason_3_zh",
    "reason_codes",
    "scored_at",
)
SCORES_DDL = f"""
create table if not exists {SCORES_TABLE} (
    member_id varchar not null,
    as_of_date date not null,
    model varchar not null,
    version varchar not null,
    score double not null,
    band varchar not null,
    reason_1 varchar,
    reason_2 varchar,
    reason_3 varchar,
    reason_1_zh varchar,
    reason_2_zh varchar,
    reason_3_zh varchar,
    reason_codes varchar,
    scored_at timestamptz not null
)
"""


@dataclass(frozen=True)
class LoadedModel:
    """A registry version in memory, ready to score."""

    model: str
    version: str
    booster: lgb.Booster
    feature_names: tuple[str, ...]
    band_thresholds: dict[str, float]

    @classmethod
    def from_registry(cls, registered: RegisteredModel) -> LoadedModel:
        return cls(
            model=registered.model,
            version=registered.version,
            booster=registered.load_booster(),
            feature_names=registered.feature_names,
            band_thresholds=registered.band_thresholds,
        )


def assign_bands(scores: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """``high`` at or above the high cut-off, ``medium`` at or above the medium one, else
    ``low`` (cut-offs from the model's metadata: validation score quantiles)."""
    return np.where(
        scores >= thresholds["high"],
        "high",
        np.where(scores >= thresholds["medium"], "medium", "low"),
    )


def scores_and_contributions(
    booster: lgb.Booster, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The probability and the per-feature contributions of each row, from one pass over the
    trees: a binary model's contributions plus its expected value (``pred_contrib``'s last
    column) add up to the row's log-odds, so a second ``predict`` would only repeat the work."""
    if matrix.shape[0] == 0:
        return np.empty(0), np.empty((0, matrix.shape[1]))
    contributions = booster.predict(matrix, pred_contrib=True)
    log_odds = contributions.sum(axis=1)
    return 1.0 / (1.0 + np.exp(-log_odds)), contributions[:, :-1]


def score_frame(
    frame: pl.DataFrame, model: LoadedModel, templates: ReasonTemplates
) -> pl.DataFrame:
    """Scores of the rows of a feature frame (keys + features): the ``ml.member_scores``
    columns except ``scored_at``."""
    matrix = to_matrix(frame, model.feature_names)
    scores, contributions = scores_and_contributions(model.booster, matrix)
    reasons = reason_columns(frame, model.feature_names, contributions, templates)
    keys = frame.select("member_id", "as_of_date")
    return pl.concat(
        [
            keys.with_columns(
                pl.lit(model.model).alias("model"),
                pl.lit(model.version).alias("version"),
                pl.Series("score", scores, dtype=pl.Float64),
                pl.Series("band", assign_bands(scores, model.band_thresholds), dtype=pl.String),
            ),
            reasons,
        ],
        how="horizontal",
    )


def ensure_scores_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ml.member_scores`` when missing (the models' output; dbt reads it)."""
    con.execute("create schema if not exists ml")
    con.execute(SCORES_DDL)


def write_scores(
    con: duckdb.DuckDBPyConnection,
    scores: pl.DataFrame,
    as_of_date: dt.date,
    model: str,
    scored_at: dt.datetime,
) -> int:
    """Replace the rows of (``as_of_date``, ``model``) in ``ml.member_scores`` with ``scores``,
    in one transaction (re-scoring a day gives the same table). Returns the rows written."""
    stray = scores.filter((pl.col("as_of_date") != as_of_date) | (pl.col("model") != model))
    if stray.height:
        raise ValueError(f"{stray.height} score rows are not of {model} on {as_of_date}")
    rows = scores.with_columns(pl.lit(scored_at).cast(pl.Datetime("us", "UTC")).alias("scored_at"))
    rows = rows.select(SCORE_COLUMNS)
    ensure_scores_table(con)
    replace_rows(con, SCORES_TABLE, "as_of_date = ? and model = ?", [as_of_date, model], rows)
    return rows.height
