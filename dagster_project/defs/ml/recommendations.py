"""``ml/member_recommendations``: the top 3 activities or mall items per member and day.

A thin wrapper around ``models_ml.recommend``: for each day of the run it trains the
propensity model on label windows that end by that day (once per week of a range run, so a
backfill costs one training a week, not one a day) and writes the day's top 3 per member of the
population; re-running a day replaces it. The metadata holds hit rate at 3 on the latest
complete later period against the most-popular baseline.
"""

import datetime as dt
import warnings
from contextlib import closing

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ml.models import ML_OWNERS
from dagster_project.partitions import daily_partitions, window_days
from dagster_project.resources import WRITER_POOL
from models_ml import recommend
from models_ml.recommend import RECOMMENDATIONS_TABLE, ensure_recommendations_table
from models_ml.tables import replace_rows

RECOMMENDATIONS_KEY = dg.AssetKey(["ml", "member_recommendations"])
# A range run retrains on the first day of each block of this many days.
RETRAIN_EVERY_DAYS = 7
UPSTREAM = [
    dg.AssetKey(["staging", "stg_activity_participation__participations"]),
    dg.AssetKey(["staging", "stg_points_exchanges__exchanges"]),
    dg.AssetKey(["staging", "stg_logins__sessions"]),
    dg.AssetKey(["marts", "fct_member_tier_daily"]),
    dg.AssetKey(["marts", "fct_points_balance_daily"]),
    dg.AssetKey(["reference", "activities"]),
    dg.AssetKey(["reference", "mall_items"]),
    dg.AssetKey(["reference", "tiers"]),
]


def training_cutoff(day: dt.date, first_day: dt.date) -> dt.date:
    """The day whose model serves ``day``: the first day of its block of the run."""
    return day - dt.timedelta(days=(day - first_day).days % RETRAIN_EVERY_DAYS)


def write_recommendations(
    con: duckdb.DuckDBPyConnection, days: list[dt.date], rows: pl.DataFrame
) -> None:
    """Replace the rows of ``days`` by ``rows`` in one transaction."""
    ensure_recommendations_table(con)
    replace_rows(
        con,
        RECOMMENDATIONS_TABLE,
        "as_of_date between ? and ?",
        [min(days), max(days)],
        rows.select(recommend.OUTPUT_COLUMNS),
    )


def recommend_days(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    config: recommend.RecommenderConfig,
    log,
) -> tuple[pl.DataFrame, dict[dt.date, recommend.Recommender]]:
    """Every day's top 3, with the models used (by training cut-off)."""
    models: dict[dt.date, recommend.Recommender] = {}
    frames = []
    for day in days:
        cutoff = training_cutoff(day, days[0])
        if cutoff not in models:
            models[cutoff] = recommend.train_recommender(con, cutoff, config)
            model = models[cutoff]
            log.info(
                f"recommender {model.version}: {model.training_rows:,} training rows, "
                f"{model.training_positives:,} take-ups"
            )
        frames.append(recommend.recommend(con, models[cutoff], day))
    return pl.concat(frames) if frames else pl.DataFrame(), models


def evaluation_metadata(evaluation: recommend.HitRate | None) -> dict[str, dg.MetadataValue]:
    """Hit rate at 3 against the baseline, as numbers and a Markdown table."""
    if evaluation is None:
        return {"hit_rate_at_3": dg.MetadataValue.text("not enough history to evaluate")}
    table = (
        "| ranking | hit rate at 3 |\n|---|---|\n"
        f"| model ({evaluation.model_version}) | {evaluation.model_hit_rate:.3f} |\n"
        f"| most popular (baseline) | {evaluation.baseline_hit_rate:.3f} |\n\n"
        f"Members with a take-up between {evaluation.as_of_date} (as-of, excluded) and "
        f"{evaluation.horizon_days} days later: {evaluation.members_evaluated:,}."
    )
    return {
        "hit_rate_at_3": dg.MetadataValue.float(evaluation.model_hit_rate),
        "baseline_hit_rate_at_3": dg.MetadataValue.float(evaluation.baseline_hit_rate),
        "evaluation_as_of_date": dg.MetadataValue.text(evaluation.as_of_date.isoformat()),
        "evaluation": dg.MetadataValue.md(table),
    }


def latest_evaluation(
    con: duckdb.DuckDBPyConnection, last_day: dt.date, config: recommend.RecommenderConfig
) -> recommend.HitRate | None:
    """Hit rate at 3 on the latest period that is complete by ``last_day`` (None when the
    history is too short for a training date before it)."""
    first_day, _ = recommend.data_span(con)
    as_of = last_day - dt.timedelta(days=config.horizon_days)
    if first_day is None or not recommend.training_dates(as_of, first_day, config):
        return None
    return recommend.evaluate_hit_rate(con, as_of, config)


# Single-run backfills are a deliberate choice; Dagster would warn "beta" every time
# definitions load.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", ".*backfill_policy.*", dg.BetaWarning)

    @dg.asset(
        key=RECOMMENDATIONS_KEY,
        group_name="ml",
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        kinds={"lightgbm", "duckdb"},
        deps=UPSTREAM,
        owners=ML_OWNERS,
        description=(
            "Top 3 activities or mall items per member and day (population: a login in the last "
            "30 days or tier gold and up), from a LightGBM per-offer propensity model trained on "
            "past activity participation and mall redemptions. Re-running a day replaces it."
        ),
    )
    def member_recommendations(
        context: dg.AssetExecutionContext, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        days = window_days(context.partition_time_window)
        config = recommend.RecommenderConfig()
        with duckdb.get_connection() as con, closing(con):
            recommend.prepare_inputs(con)
            rows, models = recommend_days(con, days, config, context.log)
            evaluation = latest_evaluation(con, days[-1], config)
            write_recommendations(con, days, rows)
        members = rows.select("as_of_date", "member_id").unique().height if rows.height else 0
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows.height,
                "member_days": members,
                "days": f"{days[0]} .. {days[-1]}",
                "model_versions": dg.MetadataValue.json(sorted(m.version for m in models.values())),
                **evaluation_metadata(evaluation),
            }
        )
