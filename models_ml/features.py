"""THE feature list of the churn and potential-VIP models, and the one reader of feature frames.

Training and scoring both call :func:`read_feature_frame` and :func:`to_matrix`, so a feature is
never prepared twice in two places. The values come from the dbt mart ``marts.feat_member_daily``
(point-in-time: every value uses only data up to the end of its ``as_of_date``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

FEATURES_TABLE = "marts.feat_member_daily"
LABELS_TABLE = "marts.fct_ml_labels_daily"
KEY_COLUMNS = ("member_id", "as_of_date")


@dataclass(frozen=True)
class Feature:
    """One model input: its column in the feature mart and, for a categorical, its levels (the
    integer code LightGBM sees is the position in ``levels``; unknown values become missing)."""

    name: str
    description: str
    levels: tuple[str, ...] | None = None

    @property
    def is_categorical(self) -> bool:
        return self.levels is not None


FEATURES: tuple[Feature, ...] = (
    Feature("days_since_last_login", "days since the last login"),
    Feature("login_days_7d", "days with a login in the last 7 days"),
    Feature("login_days_30d", "days with a login in the last 30 days"),
    Feature("login_days_90d", "days with a login in the last 90 days"),
    Feature("login_change_30d", "login days of the last 30 days vs the 30 before (share)"),
    Feature("avg_session_minutes_7d", "minutes played per login day, last 7 days"),
    Feature("avg_session_minutes_30d", "minutes played per login day, last 30 days"),
    Feature("consumption_cny_7d", "consumption in the last 7 days, CNY"),
    Feature("consumption_cny_30d", "consumption in the last 30 days, CNY"),
    Feature("consumption_cny_90d", "consumption in the last 90 days, CNY"),
    Feature("consumption_change_30d", "consumption of the last 30 days vs the 30 before (share)"),
    Feature("consumption_days_30d", "days with consumption in the last 30 days"),
    Feature("days_since_last_consumption", "days since the last consumption"),
    Feature("recharge_cny_30d", "payments in the last 30 days, CNY"),
    Feature("days_since_last_recharge", "days since the last payment"),
    Feature("refund_chargeback_cny_90d", "refunds and chargebacks in the last 90 days, CNY"),
    Feature("activity_joins_30d", "activity participations in the last 30 days"),
    Feature("points_spent_90d", "G-points spent in the last 90 days"),
    Feature(
        "lifecycle_stage",
        "lifecycle stage",
        levels=("new", "active", "declining", "churned"),
    ),
    Feature("tenure_days", "days since registration"),
    Feature("tier_rank", "tier (0 regular .. 3 diamond)"),
    Feature("tier_consumption_cny", "consumption counted for the tier (rolling 365 days), CNY"),
    Feature("distance_to_next_tier_cny", "consumption still needed for the next tier, CNY"),
    Feature("quarter_to_date_consumption_cny", "consumption this quarter, CNY"),
    Feature("retention_gap_cny", "consumption still needed this quarter to keep the tier, CNY"),
    Feature("days_left_in_quarter", "days left in the quarter"),
    Feature("points_balance", "G-point balance"),
    Feature(
        "guild_role",
        "best guild role over the member's characters",
        levels=("LEADER", "OFFICER", "MEMBER", "NONE"),
    ),
    Feature("max_character_level", "highest character level"),
    Feature("open_tickets", "service tickets open"),
    Feature("tickets_opened_90d", "service tickets opened in the last 90 days"),
    Feature("satisfaction_avg_90d", "average survey score (1-5), last 90 days"),
    Feature("contacts_reached_90d", "reached service contacts in the last 90 days"),
    Feature("security_events_30d", "security warnings in the last 30 days"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.is_categorical)


@dataclass(frozen=True)
class ModelSpec:
    """What a model predicts: its population flag in the mart, its label column and the one
    feature its baseline ranks by (higher = more likely)."""

    name: str
    population_column: str
    label_column: str
    label_window_end_column: str
    baseline_feature: str
    description: str


CHURN = ModelSpec(
    name="churn",
    population_column="is_churn_population",
    label_column="churn_label",
    label_window_end_column="churn_label_window_end",
    baseline_feature="days_since_last_login",
    description="an active VIP (gold and up) with no login in the next 30 days",
)
POTENTIAL_VIP = ModelSpec(
    name="potential_vip",
    population_column="is_potential_vip_population",
    label_column="pvip_label",
    label_window_end_column="pvip_label_window_end",
    baseline_feature="consumption_cny_30d",
    description="a member below gold, seen in the last 30 days, who reaches gold within 60 days",
)
MODEL_SPECS: dict[str, ModelSpec] = {spec.name: spec for spec in (CHURN, POTENTIAL_VIP)}


def read_feature_frame(
    con: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    first_date: dt.date | None = None,
    last_date: dt.date | None = None,
    with_labels: bool = False,
) -> pl.DataFrame:
    """The population rows of ``spec`` between ``first_date`` and ``last_date`` (inclusive,
    either may be open): keys plus every feature; with ``with_labels``, only rows whose label is
    known, with ``label`` (0/1) and ``label_window_end``. Sorted by day, then member, so the
    same data always gives the same frame."""
    columns = ", ".join(f"f.{name}" for name in (*KEY_COLUMNS, *FEATURE_NAMES))
    conditions = [f"f.{spec.population_column}"]
    parameters: list[object] = []
    if first_date is not None:
        conditions.append("f.as_of_date >= ?")
        parameters.append(first_date)
    if last_date is not None:
        conditions.append("f.as_of_date <= ?")
        parameters.append(last_date)
    join = ""
    if with_labels:
        columns += (
            f", cast(l.{spec.label_column} as integer) as label,"
            f" l.{spec.label_window_end_column} as label_window_end"
        )
        join = f" join {LABELS_TABLE} as l using (member_id, as_of_date)"
        conditions.append(f"l.{spec.label_column} is not null")
    query = (
        f"select {columns} from {FEATURES_TABLE} as f{join} "
        f"where {' and '.join(conditions)} order by f.as_of_date, f.member_id"
    )
    return pl.from_arrow(con.sql(query, params=parameters).to_arrow_table())


def to_matrix(frame: pl.DataFrame, feature_names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """The feature columns as a float matrix in ``feature_names`` order: categoricals become
    their level's position (unknown values and nulls become NaN, LightGBM's missing value)."""
    by_name = {feature.name: feature for feature in FEATURES}
    columns = []
    for name in feature_names:
        column = frame.get_column(name)
        feature = by_name[name]
        if feature.is_categorical:
            codes = {level: float(code) for code, level in enumerate(feature.levels)}
            column = column.cast(pl.String).replace_strict(
                codes, default=None, return_dtype=pl.Float64
            )
        columns.append(column.cast(pl.Float64).fill_nan(None).to_numpy(allow_copy=True))
    if not columns:
        return np.empty((frame.height, 0))
    return np.column_stack(columns).astype(np.float64)


def categorical_indices(feature_names: Sequence[str] = FEATURE_NAMES) -> list[int]:
    """Positions of the categorical features in ``feature_names`` (LightGBM's
    ``categorical_feature``)."""
    return [i for i, name in enumerate(feature_names) if name in CATEGORICAL_FEATURES]
