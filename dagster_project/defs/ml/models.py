"""Training assets ``ml/churn_model`` and ``ml/potential_vip_model``, their blocking quality
checks, the ``ml_training`` job and its weekly schedule.

Each asset trains a challenger on the labelled feature mart (``models_ml.train``), evaluates it
against its baseline, stores it in the registry and promotes it only if it wins
(``models_ml.registry``). Its output is the promoted (champion) version: the
``ml_champion_io_manager`` keeps it as the registry's champion pointer, and hands it to the
scoring asset as an input, so scoring always uses the promoted model, never the newest file.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ml.champion_io import CHAMPION_IO_MANAGER_KEY
from dagster_project.resources import WRITER_POOL, PanoramaResource
from models_ml import evaluate
from models_ml.features import (
    CHURN,
    FEATURE_NAMES,
    MODEL_SPECS,
    POTENTIAL_VIP,
    ModelSpec,
    read_feature_frame,
)
from models_ml.registry import (
    ModelRegistry,
    RegisteredModel,
    TrainingOutcome,
    train_and_promote,
)
from models_ml.train import NotEnoughDataError, TrainingConfig

ML_GROUP = "ml"
ML_KINDS = {"lightgbm"}
# Who answers for the models and their scores (shown on the assets in the UI).
ML_OWNERS = ["team:crm-data-science"]
FEATURE_MART_KEYS = [
    dg.AssetKey(["marts", "feat_member_daily"]),
    dg.AssetKey(["marts", "fct_ml_labels_daily"]),
]
TRAINING_JOB_NAME = "ml_training"
# The minimum validation ROC-AUC a promoted model must show before its scores are used
# (blocking checks on the training assets and on ml/member_scores).
AUC_FLOORS = {CHURN.name: 0.75, POTENTIAL_VIP.name: 0.80}
TOP_IMPORTANCES = 10


@contextmanager
def open_warehouse(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of the DuckDB resource that is closed even when the block raises (the
    resource's own context manager leaves it open then, and a later connection in the same
    process with another configuration would fail)."""
    connection = resource.get_connection()
    con = connection.__enter__()
    try:
        yield con
    finally:
        con.close()


def model_asset_key(model: str) -> dg.AssetKey:
    """``ml/<model>_model``."""
    return dg.AssetKey(["ml", f"{model}_model"])


class TrainingRunConfig(dg.Config):
    """Hyperparameters and split of one training run (defaults: models_ml.train)."""

    validation_days: int = TrainingConfig.validation_days
    sample_every_days: int = TrainingConfig.sample_every_days
    num_boost_round: int = TrainingConfig.num_boost_round
    early_stopping_rounds: int = TrainingConfig.early_stopping_rounds
    learning_rate: float = TrainingConfig.learning_rate
    num_leaves: int = TrainingConfig.num_leaves
    max_depth: int = TrainingConfig.max_depth
    min_data_in_leaf: int = TrainingConfig.min_data_in_leaf
    seed: int = TrainingConfig.seed

    def training_config(self, num_threads: int) -> TrainingConfig:
        return TrainingConfig(num_threads=num_threads, **self.model_dump())


def importance_markdown(importance: dict[str, float], top: int = TOP_IMPORTANCES) -> str:
    """The ``top`` features by total gain, as a Markdown table with their share."""
    total = sum(importance.values()) or 1.0
    lines = ["| feature | gain share |", "|---|---:|"]
    for name, gain in list(importance.items())[:top]:
        lines.append(f"| {name} | {gain / total:.1%} |")
    return "\n".join(lines)


def training_metadata(outcome: TrainingOutcome) -> dict[str, object]:
    """What the asset shows: versions, decision, windows, metrics vs baseline, lift table and
    top feature importances (Markdown)."""
    result = outcome.result
    return {
        "challenger_version": outcome.challenger.version,
        "promoted": outcome.decision.promoted,
        "decision": outcome.decision.reason,
        "champion_version": outcome.champion.version if outcome.champion else "none",
        "training_window": f"{result.split.train_first} .. {result.split.train_last}",
        "validation_window": f"{result.split.validation_first} .. {result.split.validation_last}",
        "train_rows": result.train_rows,
        "validation_rows": result.validation_rows,
        "roc_auc": result.model_metrics.roc_auc,
        "baseline_roc_auc": result.baseline_metrics.roc_auc,
        "top_decile_lift": result.model_metrics.top_decile_lift,
        "data_hash": result.data_hash,
        "metrics_vs_baseline": dg.MetadataValue.md(
            evaluate.metrics_markdown(
                result.model_metrics, result.baseline_metrics, result.spec.baseline_feature
            )
        ),
        "lift_table": dg.MetadataValue.md(evaluate.lift_markdown(result.lift)),
        "top_feature_importances": dg.MetadataValue.md(
            importance_markdown(result.feature_importance)
        ),
        "model_path": dg.MetadataValue.path(str(outcome.challenger.path)),
    }


def build_training_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    """The training asset of one model."""

    @dg.asset(
        key=model_asset_key(spec.name),
        group_name=ML_GROUP,
        owners=ML_OWNERS,
        kinds=ML_KINDS,
        deps=FEATURE_MART_KEYS,
        io_manager_key=CHAMPION_IO_MANAGER_KEY,
        pool=WRITER_POOL,
        description=(
            f"The promoted {spec.name} model (LightGBM): {spec.description}. Each run trains a "
            "challenger on marts.feat_member_daily with its labels (purged time split), and "
            "promotes it only if it beats its baseline and the champion on the same "
            "validation window. Output: the promoted version."
        ),
    )
    def training_asset(
        context: dg.AssetExecutionContext,
        config: TrainingRunConfig,
        duckdb: DuckDBResource,
        panorama: PanoramaResource,
    ) -> dg.Output[dict]:
        settings = panorama.settings
        registry = ModelRegistry(settings.models_dir)
        with open_warehouse(duckdb) as con:
            frame = read_feature_frame(con, spec, with_labels=True)
        try:
            outcome = train_and_promote(
                frame, spec, registry, config.training_config(settings.duckdb_threads)
            )
        except NotEnoughDataError as error:
            raise dg.Failure(
                description=f"cannot train the {spec.name} model on this warehouse: {error}. "
                "Training needs more days of history than a label window plus the validation "
                "days (e.g. 180 simulated days)."
            ) from error
        context.log.info("%s: %s", spec.name, outcome.decision.reason)
        if outcome.champion is None:
            raise dg.Failure(
                description=f"no {spec.name} model is promoted: {outcome.decision.reason}",
                metadata=training_metadata(outcome),
            )
        return dg.Output(outcome.champion.summary(), metadata=training_metadata(outcome))

    return training_asset


churn_model = build_training_asset(CHURN)
potential_vip_model = build_training_asset(POTENTIAL_VIP)


def champion_quality(champion: RegisteredModel) -> list[str]:
    """What is wrong with a promoted model for scoring: its validation ROC-AUC below the floor,
    or a feature list other than the code's (empty when it is fit to score)."""
    problems = []
    floor = AUC_FLOORS[champion.model]
    if champion.validation_roc_auc < floor:
        problems.append(
            f"{champion.model} {champion.version}: validation ROC-AUC "
            f"{champion.validation_roc_auc:.4f} is below the floor {floor}"
        )
    if champion.feature_names != tuple(FEATURE_NAMES):
        missing = sorted(set(FEATURE_NAMES) - set(champion.feature_names))
        extra = sorted(set(champion.feature_names) - set(FEATURE_NAMES))
        problems.append(
            f"{champion.model} {champion.version}: feature list differs from the code "
            f"(missing {missing}, extra {extra}, or another order)"
        )
    return problems


def _champion_or_none(panorama: PanoramaResource, model: str) -> RegisteredModel | None:
    return ModelRegistry(panorama.settings.models_dir).champion(model)


def build_quality_checks(spec: ModelSpec) -> list[dg.AssetChecksDefinition]:
    """Blocking checks of a training asset: AUC floor and feature list of the champion."""
    key = model_asset_key(spec.name)

    @dg.asset_check(
        asset=key,
        name="auc_floor",
        blocking=True,
        description=f"The promoted model's validation ROC-AUC is at least {AUC_FLOORS[spec.name]}.",
    )
    def auc_floor(panorama: PanoramaResource) -> dg.AssetCheckResult:
        champion = _champion_or_none(panorama, spec.name)
        if champion is None:
            return dg.AssetCheckResult(passed=False, description="no model was ever promoted")
        return dg.AssetCheckResult(
            passed=champion.validation_roc_auc >= AUC_FLOORS[spec.name],
            metadata={
                "version": champion.version,
                "roc_auc": champion.validation_roc_auc,
                "floor": AUC_FLOORS[spec.name],
            },
        )

    @dg.asset_check(
        asset=key,
        name="feature_list_matches",
        blocking=True,
        description="The promoted model's feature list is the code's (models_ml.features).",
    )
    def feature_list_matches(panorama: PanoramaResource) -> dg.AssetCheckResult:
        champion = _champion_or_none(panorama, spec.name)
        if champion is None:
            return dg.AssetCheckResult(passed=False, description="no model was ever promoted")
        return dg.AssetCheckResult(
            passed=champion.feature_names == tuple(FEATURE_NAMES),
            metadata={"version": champion.version, "features": len(champion.feature_names)},
        )

    return [auc_floor, feature_list_matches]


churn_model_checks = build_quality_checks(CHURN)
potential_vip_model_checks = build_quality_checks(POTENTIAL_VIP)

TRAINING_ASSET_KEYS = [model_asset_key(name) for name in MODEL_SPECS]

ml_training = dg.define_asset_job(
    TRAINING_JOB_NAME,
    selection=dg.AssetSelection.assets(*TRAINING_ASSET_KEYS),
    executor_def=dg.in_process_executor,
    description="Retrain the churn and potential-VIP models; promote a challenger only if it wins.",
)

ml_training_schedule = dg.ScheduleDefinition(
    job=ml_training,
    cron_schedule="0 4 * * 1",
    execution_timezone="Asia/Shanghai",
    description="Retrains both models every Monday at 04:00 Asia/Shanghai, before the daily run.",
)


def registry_from(panorama: PanoramaResource) -> ModelRegistry:
    """The registry of a run's data directory."""
    return ModelRegistry(panorama.settings.models_dir)
