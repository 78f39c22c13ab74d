"""The model registry: every trained model kept on disk, one promoted champion per model.

Layout under ``PANORAMA_HOME/models``::

    <model>/<version>/model.txt       LightGBM model (text)
    <model>/<version>/features.json   the feature list, in the model's column order
    <model>/<version>/metadata.json   training and validation windows, metrics vs baseline,
                                      calibration and lift tables, band cut-offs, data hash,
                                      the promotion decision
    <model>/champion.json             {"version": ...}: the promoted model (replaced atomically)

Promotion (:func:`decide_promotion`): a challenger replaces the champion only if its validation
ROC-AUC beats its baseline's AND beats the champion's ROC-AUC on the challenger's own
validation rows (the same window). A champion whose feature list is no longer the code's cannot
be scored by this code: then beating the baseline is enough.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import polars as pl

from models_ml import evaluate
from models_ml.features import FEATURE_NAMES, ModelSpec
from models_ml.train import TrainingConfig, TrainingResult, predict, train_challenger

log = logging.getLogger(__name__)

MODEL_FILE = "model.txt"
FEATURES_FILE = "features.json"
METADATA_FILE = "metadata.json"
CHAMPION_FILE = "champion.json"


class NoChampionError(LookupError):
    """No model of this name was ever promoted."""


@dataclass(frozen=True)
class RegisteredModel:
    """One stored model version."""

    model: str
    version: str
    path: Path
    metadata: dict
    feature_names: tuple[str, ...]

    @property
    def band_thresholds(self) -> dict[str, float]:
        return dict(self.metadata["band_thresholds"])

    @property
    def validation_roc_auc(self) -> float:
        return float(self.metadata["metrics"]["model"]["roc_auc"])

    def load_booster(self) -> lgb.Booster:
        """The LightGBM model of this version."""
        return lgb.Booster(model_file=str(self.path / MODEL_FILE))

    def summary(self) -> dict[str, object]:
        """What an asset output or a log line needs: name, version, path, validation AUC."""
        return {
            "model": self.model,
            "version": self.version,
            "path": str(self.path),
            "validation_roc_auc": self.validation_roc_auc,
            "baseline_roc_auc": float(self.metadata["metrics"]["baseline"]["roc_auc"]),
            "validation_window": self.metadata["validation_window"],
        }


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a challenger became the champion, and why."""

    promoted: bool
    reason: str
    challenger_roc_auc: float
    baseline_roc_auc: float
    champion_version: str | None
    champion_roc_auc: float | None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TrainingOutcome:
    """One training run: the challenger, the decision and the champion after it."""

    result: TrainingResult
    challenger: RegisteredModel
    decision: PromotionDecision
    champion: RegisteredModel | None


def _write_json_atomically(path: Path, payload: object) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``: a reader sees
    the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(payload, stream, indent=2, ensure_ascii=False)
    os.replace(temporary, path)


class ModelRegistry:
    """Models stored under one folder (``Settings.models_dir``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def model_dir(self, model: str) -> Path:
        return self.root / model

    def versions(self, model: str) -> list[str]:
        """Stored versions of ``model``, oldest first."""
        folder = self.model_dir(model)
        if not folder.exists():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / METADATA_FILE).exists())

    def get(self, model: str, version: str) -> RegisteredModel:
        """A stored version; KeyError when it does not exist."""
        path = self.model_dir(model) / version
        if not (path / METADATA_FILE).exists():
            raise KeyError(f"{model} has no version {version} under {self.model_dir(model)}")
        metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
        features = json.loads((path / FEATURES_FILE).read_text(encoding="utf-8"))
        return RegisteredModel(model, version, path, metadata, tuple(features["features"]))

    def champion(self, model: str) -> RegisteredModel | None:
        """The promoted version of ``model``, or None when none was ever promoted."""
        pointer = self.model_dir(model) / CHAMPION_FILE
        if not pointer.exists():
            return None
        version = json.loads(pointer.read_text(encoding="utf-8"))["version"]
        return self.get(model, version)

    def require_champion(self, model: str) -> RegisteredModel:
        """The promoted version of ``model``; NoChampionError with what to do when none."""
        champion = self.champion(model)
        if champion is None:
            raise NoChampionError(
                f"no {model} model was ever promoted (no {CHAMPION_FILE} under "
                f"{self.model_dir(model)}): run the training job `ml_training` (assets "
                f"ml/churn_model, ml/potential_vip_model) on a warehouse with enough history"
            )
        return champion

    def set_champion(self, model: str, version: str) -> None:
        """Promote a stored version (the pointer file is replaced atomically)."""
        self.get(model, version)
        _write_json_atomically(
            self.model_dir(model) / CHAMPION_FILE,
            {"version": version, "promoted_at": _now().isoformat()},
        )

    def new_version_name(self, result: TrainingResult, created_at: dt.datetime) -> str:
        """``<UTC time>-<data hash prefix>``, with a counter if that folder already exists."""
        base = f"{created_at:%Y%m%dT%H%M%SZ}-{result.data_hash[:8]}"
        name, counter = base, 1
        while (self.model_dir(result.spec.name) / name).exists():
            counter += 1
            name = f"{base}-{counter}"
        return name

    def register(
        self,
        result: TrainingResult,
        config: TrainingConfig,
        decision: PromotionDecision | None = None,
        created_at: dt.datetime | None = None,
    ) -> RegisteredModel:
        """Store a trained model with its feature list and metadata (not promoted)."""
        created_at = created_at or _now()
        version = self.new_version_name(result, created_at)
        path = self.model_dir(result.spec.name) / version
        path.mkdir(parents=True)
        result.booster.save_model(str(path / MODEL_FILE), num_iteration=result.best_iteration)
        _write_json_atomically(path / FEATURES_FILE, {"features": list(result.feature_names)})
        _write_json_atomically(
            path / METADATA_FILE, build_metadata(result, config, version, created_at, decision)
        )
        return self.get(result.spec.name, version)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def build_metadata(
    result: TrainingResult,
    config: TrainingConfig,
    version: str,
    created_at: dt.datetime,
    decision: PromotionDecision | None,
) -> dict[str, object]:
    """Everything the registry records about a trained model."""
    return {
        "model": result.spec.name,
        "version": version,
        "created_at": created_at.isoformat(),
        "label": result.spec.description,
        "training_window": {
            "first": result.split.train_first.isoformat(),
            "last": result.split.train_last.isoformat(),
            "rows": result.train_rows,
        },
        "validation_window": {
            "first": result.split.validation_first.isoformat(),
            "last": result.split.validation_last.isoformat(),
            "rows": result.validation_rows,
        },
        "metrics": {
            "model": result.model_metrics.as_dict(),
            "baseline": result.baseline_metrics.as_dict(),
            "baseline_feature": result.spec.baseline_feature,
        },
        "calibration": result.calibration,
        "lift": result.lift,
        "band_thresholds": result.band_thresholds,
        "feature_importance_gain": result.feature_importance,
        "data_hash": result.data_hash,
        "best_iteration": result.best_iteration,
        "training_config": dict(config.__dict__),
        "promotion": decision.as_dict() if decision else None,
    }


def champion_roc_auc_on(champion: RegisteredModel, validation: pl.DataFrame) -> float:
    """The champion's ROC-AUC on the challenger's validation rows."""
    scores = predict(champion.load_booster(), validation)
    labels = validation.get_column("label").to_numpy()
    return float(evaluate.compute_metrics(labels, scores, scores).roc_auc)


def decide_promotion(result: TrainingResult, champion: RegisteredModel | None) -> PromotionDecision:
    """Apply the promotion rule (module docstring) to a trained challenger."""
    challenger_auc = result.model_metrics.roc_auc
    baseline_auc = result.baseline_metrics.roc_auc

    def decision(promoted: bool, reason: str, champion_auc: float | None = None):
        return PromotionDecision(
            promoted=promoted,
            reason=reason,
            challenger_roc_auc=challenger_auc,
            baseline_roc_auc=baseline_auc,
            champion_version=champion.version if champion else None,
            champion_roc_auc=champion_auc,
        )

    if not result.beats_baseline:
        return decision(
            False,
            f"challenger ROC-AUC {challenger_auc:.4f} does not beat the baseline "
            f"({result.spec.baseline_feature}) {baseline_auc:.4f}",
        )
    if champion is None:
        return decision(True, "beats the baseline; no champion yet")
    if champion.feature_names != tuple(FEATURE_NAMES):
        return decision(
            True, f"beats the baseline; champion {champion.version} uses another feature list"
        )
    champion_auc = champion_roc_auc_on(champion, result.validation)
    if challenger_auc > champion_auc:
        return decision(
            True,
            f"beats the baseline and champion {champion.version} "
            f"({challenger_auc:.4f} > {champion_auc:.4f} on the same validation window)",
            champion_auc,
        )
    return decision(
        False,
        f"does not beat champion {champion.version} on the same validation window "
        f"({challenger_auc:.4f} <= {champion_auc:.4f})",
        champion_auc,
    )


def promote_if_better(
    result: TrainingResult, registry: ModelRegistry, config: TrainingConfig
) -> TrainingOutcome:
    """Store a trained challenger and promote it if it wins (see the module docstring)."""
    name = result.spec.name
    decision = decide_promotion(result, registry.champion(name))
    challenger = registry.register(result, config, decision)
    if decision.promoted:
        registry.set_champion(name, challenger.version)
    log.info("%s %s: %s", name, challenger.version, decision.reason)
    return TrainingOutcome(result, challenger, decision, registry.champion(name))


def train_and_promote(
    frame: pl.DataFrame,
    spec: ModelSpec,
    registry: ModelRegistry,
    config: TrainingConfig | None = None,
) -> TrainingOutcome:
    """Train a challenger on a labelled feature frame, store it, promote it if it wins."""
    config = config or TrainingConfig()
    return promote_if_better(train_challenger(frame, spec, config), registry, config)
