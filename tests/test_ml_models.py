# ruff: noqa: F401, F811 (a fixture imported from another module is a parameter here)
"""Training, registry, scoring and reasons with real LightGBM on real feature frames of the
session's simulated warehouse (labels at short horizons), and the Dagster assets around them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from test_ml_features import copy_warehouse, short_label_warehouse

from dagster_project.defs.ml.champion_io import CHAMPION_IO_MANAGER_KEY, ChampionModelIOManager
from dagster_project.defs.ml.models import (
    churn_model,
    potential_vip_model,
    potential_vip_model_checks,
)
from dagster_project.defs.ml.scoring import SCORES_KEY, member_scores, scored_with_fit_models
from dagster_project.resources import build_resources
from dagster_project.settings import Settings
from models_ml.features import (
    CHURN,
    FEATURE_NAMES,
    FEATURES,
    POTENTIAL_VIP,
    ModelSpec,
    read_feature_frame,
    to_matrix,
)
from models_ml.reasons import load_templates, reason_columns
from models_ml.registry import (
    ModelRegistry,
    NoChampionError,
    promote_if_better,
)
from models_ml.score import (
    BANDS,
    LoadedModel,
    score_frame,
    scores_and_contributions,
    write_scores,
)
from models_ml.train import (
    NotEnoughDataError,
    TrainingConfig,
    TrainingResult,
    predict,
    split_frames,
    time_split,
    train_challenger,
)
from tests.fixtures.warehouse import (
    SESSION_DAYS,
    SIMULATION_START,
    simulated_warehouse_fixture,  # noqa: F401 (the session fixture)
)

VALIDATION_DAYS = 5
SMALL = TrainingConfig(
    validation_days=VALIDATION_DAYS,
    min_data_in_leaf=20,
    num_boost_round=150,
    early_stopping_rounds=15,
)
# A stump: one split, one round; the "old champion" a retrained model should beat.
WEAK = dataclasses.replace(SMALL, num_leaves=2, num_boost_round=1, early_stopping_rounds=1)
SCORING_DAY = SIMULATION_START + dt.timedelta(days=SESSION_DAYS - 1)
CJK = re.compile(r"[\u4e00-\u9fff]")


def labelled_frame(settings: Settings, spec: ModelSpec) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return read_feature_frame(con, spec, with_labels=True)


def day_frame(settings: Settings, spec: ModelSpec, day: dt.date) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return read_feature_frame(con, spec, day, day)


def with_baseline_auc(result: TrainingResult, roc_auc: float) -> TrainingResult:
    """The same trained model judged against a baseline of the given ROC-AUC (to exercise
    both sides of the promotion rule on one real model)."""
    baseline = dataclasses.replace(result.baseline_metrics, roc_auc=roc_auc)
    return dataclasses.replace(result, baseline_metrics=baseline)


@pytest.fixture(scope="module")
def potential_vip_frame(short_label_warehouse: Settings) -> pl.DataFrame:
    return labelled_frame(short_label_warehouse, POTENTIAL_VIP)


@pytest.fixture(scope="module")
def trained(potential_vip_frame: pl.DataFrame) -> TrainingResult:
    return train_challenger(potential_vip_frame, POTENTIAL_VIP, SMALL)


def test_time_split_purges_rows_whose_label_window_reaches_validation(
    potential_vip_frame: pl.DataFrame,
):
    split = time_split(potential_vip_frame, VALIDATION_DAYS)
    train, validation = split_frames(potential_vip_frame, split)
    purged = potential_vip_frame.filter(
        (pl.col("as_of_date") < split.validation_first)
        & (pl.col("label_window_end") >= split.validation_first)
    )
    assert purged.height > 0
    assert train.get_column("label_window_end").max() < split.validation_first
    assert train.join(purged, on=["member_id", "as_of_date"]).is_empty()
    assert validation.get_column("as_of_date").n_unique() == VALIDATION_DAYS
    assert validation.get_column("as_of_date").min() == split.validation_first
    assert train.get_column("as_of_date").max() == split.train_last < split.validation_first


def test_time_split_refuses_data_shorter_than_a_label_window(potential_vip_frame: pl.DataFrame):
    last_days = potential_vip_frame.filter(
        pl.col("as_of_date") > potential_vip_frame.get_column("as_of_date").max() - dt.timedelta(7)
    )
    with pytest.raises(NotEnoughDataError, match="label window"):
        time_split(last_days, VALIDATION_DAYS)


def test_training_is_deterministic(potential_vip_frame: pl.DataFrame, trained: TrainingResult):
    again = train_challenger(potential_vip_frame, POTENTIAL_VIP, SMALL)
    assert again.data_hash == trained.data_hash
    assert again.model_metrics == trained.model_metrics
    assert np.array_equal(
        predict(again.booster, again.validation), predict(trained.booster, trained.validation)
    )
    assert trained.model_metrics.roc_auc > 0.8
    assert set(trained.band_thresholds) == {"high", "medium"}


def test_a_challenger_that_beats_its_baseline_is_stored_and_promoted(
    tmp_path: Path, trained: TrainingResult
):
    registry = ModelRegistry(tmp_path / "models")
    outcome = promote_if_better(with_baseline_auc(trained, 0.5), registry, SMALL)

    assert outcome.decision.promoted
    assert outcome.champion.version == outcome.challenger.version
    folder = tmp_path / "models" / "potential_vip" / outcome.challenger.version
    assert {p.name for p in folder.iterdir()} == {"model.txt", "features.json", "metadata.json"}
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["data_hash"] == trained.data_hash
    assert metadata["validation_window"]["first"] == trained.split.validation_first.isoformat()
    assert metadata["training_window"]["last"] == trained.split.train_last.isoformat()
    assert metadata["metrics"]["model"]["roc_auc"] == trained.model_metrics.roc_auc
    assert outcome.champion.feature_names == FEATURE_NAMES
    # The stored model scores exactly as the trained one.
    reloaded = predict(outcome.champion.load_booster(), trained.validation)
    assert np.allclose(reloaded, predict(trained.booster, trained.validation), atol=1e-9)


def test_a_challenger_that_does_not_beat_its_baseline_is_not_promoted(
    tmp_path: Path, trained: TrainingResult
):
    registry = ModelRegistry(tmp_path / "models")
    outcome = promote_if_better(with_baseline_auc(trained, 0.9999), registry, SMALL)

    assert not outcome.decision.promoted
    assert "does not beat the baseline" in outcome.decision.reason
    assert registry.versions("potential_vip") == [outcome.challenger.version]
    assert registry.champion("potential_vip") is None
    with pytest.raises(NoChampionError, match="ml_training"):
        registry.require_champion("potential_vip")


def test_the_champion_is_replaced_only_by_a_better_model_on_the_same_window(
    tmp_path: Path, potential_vip_frame: pl.DataFrame, trained: TrainingResult
):
    registry = ModelRegistry(tmp_path / "models")
    weak = train_challenger(potential_vip_frame, POTENTIAL_VIP, WEAK)
    assert weak.model_metrics.roc_auc < trained.model_metrics.roc_auc
    first = promote_if_better(with_baseline_auc(weak, 0.5), registry, WEAK)
    assert first.decision.promoted

    better = promote_if_better(with_baseline_auc(trained, 0.5), registry, SMALL)
    assert better.decision.promoted
    # The champion was scored on the challenger's validation rows: the same window.
    assert better.decision.champion_roc_auc == pytest.approx(weak.model_metrics.roc_auc)
    assert registry.champion("potential_vip").version == better.challenger.version

    same = promote_if_better(with_baseline_auc(trained, 0.5), registry, SMALL)
    assert not same.decision.promoted
    assert "does not beat champion" in same.decision.reason
    assert registry.champion("potential_vip").version == better.challenger.version


def test_scoring_replaces_a_day_and_leaves_other_days(
    tmp_path: Path,
    short_label_warehouse: Settings,
    trained: TrainingResult,
):
    registry = ModelRegistry(tmp_path / "models")
    registry.set_champion("potential_vip", registry.register(trained, SMALL).version)
    model = LoadedModel.from_registry(registry.require_champion("potential_vip"))
    templates = load_templates()
    previous_day = SCORING_DAY - dt.timedelta(days=1)
    with duckdb.connect(str(tmp_path / "scores.duckdb")) as con:
        for day in (previous_day, SCORING_DAY, SCORING_DAY):
            frame = day_frame(short_label_warehouse, POTENTIAL_VIP, day)
            scores = score_frame(frame, model, templates)
            write_scores(con, scores, day, "potential_vip", dt.datetime.now(dt.UTC))
        per_day = dict(
            con.execute(
                "select as_of_date, count(*) from ml.member_scores group by as_of_date"
            ).fetchall()
        )
        stored = pl.from_arrow(
            con.sql(
                "select * exclude (scored_at) from ml.member_scores where as_of_date = ? "
                "order by member_id",
                params=[SCORING_DAY],
            ).to_arrow_table()
        )
    expected = day_frame(short_label_warehouse, POTENTIAL_VIP, SCORING_DAY).height
    assert per_day == {
        previous_day: day_frame(short_label_warehouse, POTENTIAL_VIP, previous_day).height,
        SCORING_DAY: expected,
    }
    assert stored.equals(scores.sort("member_id"))
    assert set(stored.get_column("band")) <= set(BANDS)
    assert stored.get_column("score").is_between(0, 1).all()
    high_share = (stored.get_column("band") == "high").mean()
    assert 0.02 < high_share < 0.3


def test_reasons_are_sentences_in_both_languages(
    short_label_warehouse: Settings,
    trained: TrainingResult,
):
    model = LoadedModel(
        "potential_vip", "test", trained.booster, FEATURE_NAMES, trained.band_thresholds
    )
    scores = score_frame(
        day_frame(short_label_warehouse, POTENTIAL_VIP, SCORING_DAY), model, load_templates()
    )
    assert scores.get_column("reason_1").null_count() == 0
    for row in scores.iter_rows(named=True):
        codes = row["reason_codes"].split("|")
        assert set(codes) <= set(FEATURE_NAMES)
        english = [row[f"reason_{r}"] for r in (1, 2, 3) if row[f"reason_{r}"]]
        chinese = [row[f"reason_{r}_zh"] for r in (1, 2, 3) if row[f"reason_{r}_zh"]]
        assert len(english) == len(chinese) == len(codes)
        assert all("{" not in s and "}" not in s and s[0].isalnum() for s in english)
        assert all(CJK.search(s) for s in chinese)


def test_scores_are_the_models_probabilities(
    short_label_warehouse: Settings, trained: TrainingResult
):
    """Scoring takes the probability from the contributions' sum (one pass over the trees):
    it must be exactly what the booster predicts, and the reasons its contributions."""
    frame = day_frame(short_label_warehouse, POTENTIAL_VIP, SCORING_DAY)
    matrix = to_matrix(frame, FEATURE_NAMES)
    scores, contributions = scores_and_contributions(trained.booster, matrix)
    assert len(scores) == frame.height > 0
    np.testing.assert_allclose(scores, trained.booster.predict(matrix), rtol=1e-9, atol=1e-12)
    expected = trained.booster.predict(matrix, pred_contrib=True)[:, :-1]
    np.testing.assert_array_equal(contributions, expected)


def test_a_reason_carries_the_members_own_value():
    frame = pl.DataFrame(
        {name: [None] for name in FEATURE_NAMES},
        schema={f.name: pl.String if f.is_categorical else pl.Float64 for f in FEATURES},
    ).with_columns(
        pl.lit(9.0).alias("days_since_last_login"),
        pl.lit(-0.62).alias("consumption_change_30d"),
        pl.lit("LEADER").alias("guild_role"),
    )
    contributions = np.zeros((1, len(FEATURE_NAMES)))
    for weight, name in enumerate(
        ("guild_role", "consumption_change_30d", "days_since_last_login"), start=1
    ):
        contributions[0, FEATURE_NAMES.index(name)] = weight
    reasons = reason_columns(frame, FEATURE_NAMES, contributions, load_templates()).row(
        0, named=True
    )
    assert reasons["reason_1"] == "no login for 9 days"
    assert reasons["reason_1_zh"] == "9天未登录"
    assert reasons["reason_2"] == "consumption down 62% vs previous 30 days"
    assert reasons["reason_3_zh"] == "公会会长"
    assert reasons["reason_codes"] == "days_since_last_login|consumption_change_30d|guild_role"


def test_every_feature_has_reason_templates():
    templates = load_templates()
    for feature in FEATURES:
        rules = templates.for_feature(feature.name)
        if feature.is_categorical:
            assert set(feature.levels) <= set(rules), feature.name
        else:
            assert "any" in rules, feature.name


# --- Dagster -----------------------------------------------------------------------------

TRAINING_RUN_CONFIG = {"validation_days": VALIDATION_DAYS, "min_data_in_leaf": 20}


def ml_resources(settings: Settings) -> dict[str, object]:
    return {
        **build_resources(settings),
        CHAMPION_IO_MANAGER_KEY: ChampionModelIOManager(models_dir=str(settings.models_dir)),
    }


def promote_manually(settings: Settings, spec: ModelSpec, config: TrainingConfig) -> str:
    """An operator's manual promotion of a trained model (the registry's set_champion)."""
    registry = ModelRegistry(settings.models_dir)
    result = train_challenger(labelled_frame(settings, spec), spec, config)
    version = registry.register(result, config).version
    registry.set_champion(spec.name, version)
    return version


@pytest.fixture
def ml_home(short_label_warehouse: Settings, tmp_path: Path) -> Settings:
    """A writable copy of the short-label warehouse with an empty model registry."""
    return copy_warehouse(short_label_warehouse, tmp_path / "ml_home")


def register_churn_stand_in(settings: Settings, trained: TrainingResult) -> str:
    """Promote a churn model for the scoring test. The session warehouse is too short for a
    churn model (VIPs count as "new" for their first 30 days, so few rows have churn labels):
    the stand-in is a real LightGBM model on the same feature list, trained on the
    potential-VIP labels, which is all the scoring plumbing needs."""
    registry = ModelRegistry(settings.models_dir)
    version = registry.register(dataclasses.replace(trained, spec=CHURN), SMALL).version
    registry.set_champion(CHURN.name, version)
    return version


def test_training_asset_promotes_or_keeps_and_scoring_uses_the_champions(
    ml_home: Settings, trained: TrainingResult
):
    promote_manually(ml_home, POTENTIAL_VIP, WEAK)
    churn_version = register_churn_stand_in(ml_home, trained)
    result = dg.materialize(
        [potential_vip_model, *potential_vip_model_checks],
        resources=ml_resources(ml_home),
        run_config={"ops": {"ml__potential_vip_model": {"config": TRAINING_RUN_CONFIG}}},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {"auc_floor", "feature_list_matches"}
    assert all(check.passed for check in checks)
    registry = ModelRegistry(ml_home.models_dir)
    (materialization,) = result.asset_materializations_for_node("ml__potential_vip_model")
    for name in ("metrics_vs_baseline", "lift_table", "top_feature_importances", "decision"):
        assert name in materialization.metadata
    # The retrained challenger beats the one-split champion on the same validation window.
    assert materialization.metadata["promoted"].value is True
    assert len(registry.versions("potential_vip")) == 2
    champion = registry.champion("potential_vip")
    assert result.output_for_node("ml__potential_vip_model")["version"] == champion.version

    scoring = dg.materialize(
        [churn_model, potential_vip_model, member_scores, scored_with_fit_models],
        selection=dg.AssetSelection.assets(SCORES_KEY),
        partition_key=SCORING_DAY.isoformat(),
        resources=ml_resources(ml_home),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert scoring.success
    assert all(check.passed for check in scoring.get_asset_check_evaluations())
    with duckdb.connect(str(ml_home.warehouse_path), read_only=True) as con:
        written = dict(
            con.execute(
                "select model || ' ' || version, count(*) from ml.member_scores group by all"
            ).fetchall()
        )
    assert written == {
        f"churn {churn_version}": day_frame(ml_home, CHURN, SCORING_DAY).height,
        f"potential_vip {champion.version}": day_frame(ml_home, POTENTIAL_VIP, SCORING_DAY).height,
    }


def test_scoring_without_a_promoted_model_writes_nothing_and_warns(ml_home: Settings):
    """A new installation has no model yet: scoring succeeds with no rows (the lists that need
    no model still go out) and its warning check names the models and the job to run."""
    result = dg.materialize(
        [churn_model, potential_vip_model, member_scores],
        selection=dg.AssetSelection.assets(SCORES_KEY),
        partition_key=SCORING_DAY.isoformat(),
        resources=ml_resources(ml_home),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    (materialisation,) = result.get_asset_materialization_events()
    metadata = materialisation.materialization.metadata
    assert metadata["rows"].value == 0
    assert metadata["models_without_a_promoted_version"].value == "churn, potential_vip"
    (warning,) = [
        check
        for check in result.get_asset_check_evaluations()
        if check.check_name == "every_model_promoted"
    ]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert "ml_training" in warning.description
    with duckdb.connect(str(ml_home.warehouse_path), read_only=True) as con:
        assert con.execute(
            "select count(*) from ml.member_scores where as_of_date = ?", [SCORING_DAY]
        ).fetchone() == (0,)
