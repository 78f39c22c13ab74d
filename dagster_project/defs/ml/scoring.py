"""``ml/member_scores``: the daily churn and potential-VIP scores with their reasons.

Daily-partitioned; a range run scores every day of the range. The promoted models arrive as
asset inputs (``ml/churn_model``, ``ml/potential_vip_model`` through the champion IO manager):
a run fails with a clear message when a model was never promoted. Each (day, model) is replaced
in one transaction, so re-scoring a day gives the same table.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ml.models import (
    FEATURE_MART_KEYS,
    ML_GROUP,
    ML_KINDS,
    ML_OWNERS,
    champion_quality,
    model_asset_key,
    open_warehouse,
    registry_from,
)
from dagster_project.partitions import daily_partitions, window_days
from dagster_project.resources import WRITER_POOL, PanoramaResource
from models_ml.features import MODEL_SPECS, read_feature_frame
from models_ml.reasons import load_templates
from models_ml.registry import ModelRegistry
from models_ml.score import (
    SCORES_TABLE,
    LoadedModel,
    ensure_scores_table,
    score_frame,
    write_scores,
)

SCORES_KEY = dg.AssetKey(["ml", "member_scores"])


def score_days(
    con: duckdb.DuckDBPyConnection,
    registry: ModelRegistry,
    promoted: dict[str, dict],
    days: list[dt.date],
    scored_at: dt.datetime,
) -> pl.DataFrame:
    """Score every model's population on every day with the promoted versions; returns the
    rows written per (model, day, band)."""
    templates = load_templates()
    counts = []
    for name, champion in promoted.items():
        model = LoadedModel.from_registry(registry.get(name, champion["version"]))
        spec = MODEL_SPECS[name]
        for day in days:
            scores = score_frame(read_feature_frame(con, spec, day, day), model, templates)
            write_scores(con, scores, day, name, scored_at)
            counts.append(
                scores.group_by("band")
                .len()
                .with_columns(pl.lit(name).alias("model"), pl.lit(day).alias("as_of_date"))
            )
    if not counts:
        return pl.DataFrame()
    return pl.concat(counts).select("model", "as_of_date", "band", "len")


def band_summary_markdown(counts: pl.DataFrame) -> str:
    """Rows per model and band over the run's days, as Markdown."""
    if counts.is_empty():
        return "no rows scored"
    totals = counts.group_by("model", "band").agg(pl.col("len").sum()).sort("model", "band")
    lines = ["| model | band | rows |", "|---|---|---:|"]
    lines += [f"| {m} | {b} | {n:,} |" for m, b, n in totals.iter_rows()]
    return "\n".join(lines)


@dg.asset(
    key=SCORES_KEY,
    group_name=ML_GROUP,
    owners=ML_OWNERS,
    kinds=ML_KINDS | {"duckdb"},
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    ins={f"{name}_model": dg.AssetIn(key=model_asset_key(name)) for name in MODEL_SPECS},
    check_specs=[
        dg.AssetCheckSpec(
            "every_model_promoted",
            asset=SCORES_KEY,
            description="Warns while a model has no promoted version (too little history to "
            "train yet): its scores, tags and action lists are then empty.",
        )
    ],
    deps=FEATURE_MART_KEYS[:1],
    description=(
        "Churn and potential-VIP scores per member and day (ml.member_scores): probability, "
        "band (high / medium / low, cut-offs from the model's validation scores) and the top 3 "
        "reasons in English and Chinese from LightGBM's per-feature contributions. Churn "
        "scores active VIPs; potential VIP scores members below gold seen in the last 30 days."
    ),
)
def member_scores(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    panorama: PanoramaResource,
    churn_model: dict | None,
    potential_vip_model: dict | None,
) -> dg.MaterializeResult:
    champions = {"churn": churn_model, "potential_vip": potential_vip_model}
    promoted = {name: champion for name, champion in champions.items() if champion}
    unpromoted = sorted(set(champions) - set(promoted))
    days = window_days(context.partition_time_window)
    with open_warehouse(duckdb) as con:
        # The table exists even before a first model: the action lists read it.
        ensure_scores_table(con)
        counts = score_days(con, registry_from(panorama), promoted, days, dt.datetime.now(dt.UTC))
    for name in unpromoted:
        context.log.warning(
            f"no {name} model was ever promoted: its scores and lists stay empty until the "
            "training job `ml_training` promotes one (check every_model_promoted)"
        )
    return dg.MaterializeResult(
        metadata={
            "days": f"{days[0]} .. {days[-1]}",
            "rows": int(counts.get_column("len").sum()) if not counts.is_empty() else 0,
            "versions": ", ".join(f"{m}={v['version']}" for m, v in promoted.items()) or "none",
            "models_without_a_promoted_version": ", ".join(unpromoted) or "none",
            "bands": dg.MetadataValue.md(band_summary_markdown(counts)),
            "table": SCORES_TABLE,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="every_model_promoted",
                passed=not unpromoted,
                severity=dg.AssetCheckSeverity.WARN,
                description=(
                    f"not scored, no promoted model: {', '.join(unpromoted)} "
                    "(run the training job ml_training)"
                    if unpromoted
                    else "every model scored with its promoted version"
                ),
            )
        ],
    )


@dg.asset_check(
    asset=SCORES_KEY,
    name="scored_with_fit_models",
    blocking=True,
    description="Every model version in the scores is promoted-quality: validation ROC-AUC at "
    "or above its floor and the code's feature list (nothing downstream uses scores otherwise).",
)
def scored_with_fit_models(
    duckdb: DuckDBResource, panorama: PanoramaResource
) -> dg.AssetCheckResult:
    registry = registry_from(panorama)
    with open_warehouse(duckdb) as con:
        versions = con.execute(
            f"select distinct model, version from {SCORES_TABLE} "
            f"where as_of_date = (select max(as_of_date) from {SCORES_TABLE})"
        ).fetchall()
    problems = []
    for model, version in versions:
        try:
            problems += champion_quality(registry.get(model, version))
        except KeyError as error:
            problems.append(str(error))
    # No versions at all (nothing promoted yet) is every_model_promoted's warning, not a
    # quality failure: the lists that need no model still go out.
    return dg.AssetCheckResult(
        passed=not problems,
        description="; ".join(problems) if problems else None,
        metadata={"versions": ", ".join(f"{m}={v}" for m, v in versions) or "none"},
    )
