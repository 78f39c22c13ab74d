"""Potential high value on an imported transaction log (e.g. UCI Online Retail).

Label: a member is *high value* on ``as_of_date`` when their net revenue over the next
``horizon_days`` (90) days (consumption minus refunds) is in the top ``top_share`` (10%) of that
day's population and above zero. Population: the members the feature mart
``marts.feat_member_daily`` holds that day (the churn and potential-VIP populations: a login,
i.e. a purchase, in the last 30 days, or tier gold and up and not churned). Features: THE feature
list of ``models_ml.features`` unchanged (the game-only ones are empty on a shop's log).

Training reuses ``models_ml.train.train_challenger``: the same purged time split, LightGBM with
early stopping, and the same metrics, against the past-revenue baseline (consumption of the last
90 days). A second baseline, the last 365 days' consumption, is reported next to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from models_ml import evaluate
from models_ml.features import FEATURE_NAMES, FEATURES_TABLE, ModelSpec
from models_ml.train import TrainingConfig, TrainingResult, train_challenger

HORIZON_DAYS = 90
TOP_SHARE = 0.10
# The log starts with everyone "new": as-of days need this much history before them.
MIN_HISTORY_DAYS = 90
LONG_BASELINE_FEATURE = "tier_consumption_cny"

HIGH_VALUE = ModelSpec(
    name="high_value",
    population_column="",  # every row of the feature mart
    label_column="label",
    label_window_end_column="label_window_end",
    baseline_feature="consumption_cny_90d",
    description="net revenue of the next 90 days in the top 10% of the day's population",
)

LABELS_SQL = """
with
last_day as (
    select max(consumed_date) as day from staging.stg_consumption__transactions
),
first_day as (
    select min(consumed_date) as day from staging.stg_consumption__transactions
),
population as (
    select f.member_id, f.as_of_date
    from {features} as f
    where f.as_of_date + $horizon <= (select day from last_day)
        and f.as_of_date >= (select day from first_day) + $min_history
),
revenue_events as (
    select member_id, consumed_date as event_date, cast(amount_cny as double) as amount
    from staging.stg_consumption__transactions
    union all
    select member_id, recharged_date, -cast(amount_cny as double)
    from staging.stg_recharges__transactions
    where recharge_type = 'REFUND'
),
future_revenue as (
    select p.member_id, p.as_of_date, coalesce(sum(e.amount), 0) as revenue_next
    from population as p
    left join revenue_events as e
        on e.member_id = p.member_id
        and e.event_date > p.as_of_date
        and e.event_date <= p.as_of_date + $horizon
    group by all
),
ranked as (
    select *,
        row_number() over (
            partition by as_of_date order by revenue_next desc, member_id
        ) as revenue_rank,
        count(*) over (partition by as_of_date) as population_size
    from future_revenue
)
select member_id, as_of_date, revenue_next,
    cast(revenue_rank <= ceil($top_share * population_size) and revenue_next > 0 as integer)
        as label,
    as_of_date + $horizon as label_window_end
from ranked
"""


@dataclass(frozen=True)
class HighValueResult:
    """The trained model's evaluation, with the second (365-day) baseline."""

    training: TrainingResult
    long_baseline: evaluate.Metrics
    labelled_rows: int
    members: int
    first_day: dt.date
    last_day: dt.date


def labelled_frame(
    con: duckdb.DuckDBPyConnection,
    horizon_days: int = HORIZON_DAYS,
    top_share: float = TOP_SHARE,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> pl.DataFrame:
    """Every feature-mart row whose label window is complete and that has at least
    ``min_history_days`` of log before it (so the 90-day features are whole): keys, THE
    features, ``label``, ``label_window_end`` and ``revenue_next``; sorted by day, then
    member."""
    con.execute(
        "create or replace temp table high_value_labels as "
        + LABELS_SQL.format(features=FEATURES_TABLE),
        {"horizon": horizon_days, "top_share": top_share, "min_history": min_history_days},
    )
    columns = ", ".join(f"f.{name}" for name in FEATURE_NAMES)
    query = f"""
        select f.member_id, f.as_of_date, {columns},
            l.label, l.label_window_end, l.revenue_next
        from {FEATURES_TABLE} as f
        inner join high_value_labels as l using (member_id, as_of_date)
        order by f.as_of_date, f.member_id
    """
    return pl.from_arrow(con.sql(query).to_arrow_table())


def train_high_value(frame: pl.DataFrame, config: TrainingConfig | None = None) -> HighValueResult:
    """Train and evaluate on a labelled frame (see :func:`labelled_frame`)."""
    # A shop's customers buy every few weeks: one as-of day a week keeps training rows from
    # repeating the same members' near-identical days.
    config = config or TrainingConfig(validation_days=14, sample_every_days=7)
    training = train_challenger(frame, HIGH_VALUE, config)
    validation = training.validation
    labels = validation.get_column("label").to_numpy()
    long_values = evaluate.baseline_ranking(
        validation.get_column(LONG_BASELINE_FEATURE).to_numpy(), 0.0
    )
    long_baseline = evaluate.compute_metrics(labels, long_values, _rank_share(long_values))
    return HighValueResult(
        training=training,
        long_baseline=long_baseline,
        labelled_rows=frame.height,
        members=frame.get_column("member_id").n_unique(),
        first_day=frame.get_column("as_of_date").min(),
        last_day=frame.get_column("as_of_date").max(),
    )


def _rank_share(values: np.ndarray) -> np.ndarray:
    # Only the ranking metrics of the second baseline are reported; its "probability" is its
    # rank share, so the Brier score is computed but not meaningful.
    order = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    return order / max(1, values.size - 1)


def evaluate_high_value(
    warehouse: Path | str, config: TrainingConfig | None = None
) -> HighValueResult:
    """Open the warehouse read-only, build the labelled frame and train; the result."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = labelled_frame(con)
    return train_high_value(frame, config)


def report_markdown(result: HighValueResult) -> str:
    """The evaluation as Markdown: split, metrics against both baselines, lift table and the
    strongest features."""
    training = result.training
    model, baseline = training.model_metrics, training.baseline_metrics
    split = training.split
    top_features = list(training.feature_importance.items())[:8]
    lines = [
        "## Potential high value (top 10% of net revenue in the next 90 days)",
        "",
        f"- labelled rows: {result.labelled_rows:,} ({result.members:,} members, as-of days "
        f"{result.first_day} .. {result.last_day})",
        f"- training: as-of days {split.train_first} .. {split.train_last}, "
        f"{training.train_rows:,} rows (one day a week; every label window ends before "
        f"validation starts); best iteration {training.best_iteration}",
        f"- validation: as-of days {split.validation_first} .. {split.validation_last}, "
        f"{training.validation_rows:,} rows, base rate {model.base_rate:.3f}",
        "",
        evaluate.metrics_markdown(model, baseline, "consumption_cny_90d"),
        "",
        f"Second baseline, consumption of the last 365 days ({LONG_BASELINE_FEATURE}): "
        f"ROC-AUC {result.long_baseline.roc_auc:.4f}, PR-AUC {result.long_baseline.pr_auc:.4f}, "
        f"top-decile lift {result.long_baseline.top_decile_lift:.2f}.",
        "",
        "Lift by decile of the model's score (validation):",
        "",
        evaluate.lift_markdown(training.lift),
        "",
        "Strongest features (gain): " + ", ".join(name for name, _ in top_features),
    ]
    return "\n".join(lines)
