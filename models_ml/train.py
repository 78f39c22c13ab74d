"""Training with an honest time split: LightGBM on earlier days, judged on later days.

The split (:func:`time_split`): the validation period is the last ``validation_days`` days whose
labels are known; a training row is kept only when its whole label window ends before the
validation period starts (the purge), so no training label looks into validation days. Early
stopping uses a held-out share of the training *members* (same days as training), never the
validation rows, so the validation metrics are not tuned on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import polars as pl

from models_ml import evaluate
from models_ml.features import FEATURE_NAMES, ModelSpec, categorical_indices, to_matrix

log = logging.getLogger(__name__)

# Bands: the share of validation scores above each cut-off. "high" is the top 10%, "medium" the
# next 20%, "low" the rest; the cut-offs are the validation score quantiles, fixed at training
# and stored in the model's metadata (the one place scoring reads them from).
BAND_SHARES = {"high": 0.10, "medium": 0.30}


@dataclass(frozen=True)
class TrainingConfig:
    """Knobs of one training run (defaults suit the simulator at 50k members x 180 days)."""

    validation_days: int = 14
    sample_every_days: int = 1
    early_stopping_share: float = 0.15
    num_threads: int = 2
    seed: int = 42
    num_boost_round: int = 600
    early_stopping_rounds: int = 40
    fallback_rounds: int = 100
    # Shallow trees (two splits deep) at a higher learning rate: the per-member reasons come
    # from pred_contrib (TreeSHAP), whose cost grows with trees x leaves x depth squared, and
    # scoring 1M members with reasons must stay well under a minute. On the simulator they
    # score as well as 31-leaf trees for potential VIP and 0.017 ROC-AUC lower for churn
    # (docs/models.md); bench/ml_speed.py --num-leaves/--max-depth compares settings.
    learning_rate: float = 0.2
    num_leaves: int = 3
    max_depth: int = 2
    min_data_in_leaf: int = 50

    def lightgbm_params(self) -> dict[str, object]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "num_threads": self.num_threads,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }


@dataclass(frozen=True)
class TimeSplit:
    """The days of a split: training rows have as_of_date in [train_first, train_last] and a
    label window ending before validation_first; validation rows lie in
    [validation_first, validation_last]."""

    train_first: dt.date
    train_last: dt.date
    validation_first: dt.date
    validation_last: dt.date

    def as_dict(self) -> dict[str, str]:
        return {name: value.isoformat() for name, value in self.__dict__.items()}


@dataclass
class TrainingResult:
    """A trained challenger with everything the registry records about it."""

    spec: ModelSpec
    booster: lgb.Booster
    split: TimeSplit
    model_metrics: evaluate.Metrics
    baseline_metrics: evaluate.Metrics
    calibration: list[dict[str, float]]
    lift: list[dict[str, float]]
    band_thresholds: dict[str, float]
    feature_importance: dict[str, float]
    data_hash: str
    train_rows: int
    validation_rows: int
    best_iteration: int
    validation: pl.DataFrame = field(repr=False)
    feature_names: tuple[str, ...] = FEATURE_NAMES

    @property
    def beats_baseline(self) -> bool:
        return self.model_metrics.roc_auc > self.baseline_metrics.roc_auc


class NotEnoughDataError(ValueError):
    """The labelled frame cannot give a purged time split with both classes on both sides."""


def time_split(frame: pl.DataFrame, validation_days: int) -> TimeSplit:
    """The purged time split of a labelled frame (columns ``as_of_date``,
    ``label_window_end``)."""
    days = frame.get_column("as_of_date").unique().sort()
    if days.len() <= validation_days:
        raise NotEnoughDataError(
            f"{days.len()} labelled days: need more than validation_days={validation_days}"
        )
    validation_first = days[-validation_days]
    trainable = frame.filter(pl.col("label_window_end") < validation_first)
    if trainable.is_empty():
        raise NotEnoughDataError(
            f"no row's label window ends before the validation period starts "
            f"({validation_first}): the data is shorter than a label window plus validation"
        )
    return TimeSplit(
        train_first=trainable.get_column("as_of_date").min(),
        train_last=trainable.get_column("as_of_date").max(),
        validation_first=validation_first,
        validation_last=days[-1],
    )


def split_frames(
    frame: pl.DataFrame, split: TimeSplit, sample_every_days: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Training rows (purged; every ``sample_every_days``-th day from the first) and
    validation rows of ``split``."""
    train = frame.filter(
        (pl.col("as_of_date") <= split.train_last)
        & (pl.col("label_window_end") < split.validation_first)
    )
    if sample_every_days > 1:
        offset = (pl.col("as_of_date") - pl.lit(split.train_first)).dt.total_days()
        train = train.filter(offset % sample_every_days == 0)
    validation = frame.filter(pl.col("as_of_date") >= split.validation_first)
    return train, validation


def data_hash(*frames: pl.DataFrame) -> str:
    """A fingerprint of the rows a model was trained and validated on."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def _early_stopping_members(frame: pl.DataFrame, share: float, seed: int) -> pl.Series:
    """True for the training rows of a deterministic ``share`` of members (by a hash of the
    member id), held out to decide when to stop boosting."""
    buckets = frame.get_column("member_id").hash(seed=seed) % 10_000
    return buckets < int(share * 10_000)


def _has_both_classes(labels: np.ndarray) -> bool:
    return labels.size > 0 and labels.min() != labels.max()


def _check_classes(name: str, labels: np.ndarray) -> None:
    if not _has_both_classes(labels):
        raise NotEnoughDataError(
            f"{name} rows: {labels.size} with {int(labels.sum())} positives; both classes needed"
        )


def fit_booster(train: pl.DataFrame, config: TrainingConfig) -> tuple[lgb.Booster, int]:
    """LightGBM on ``train`` (features and ``label``), early-stopped on held-out members; with
    too few held-out members to hold both classes (tiny data), a fixed
    ``fallback_rounds`` on all training rows instead."""
    _check_classes("training", train.get_column("label").to_numpy())
    held_out = _early_stopping_members(train, config.early_stopping_share, config.seed)
    fit, stop = train.filter(~held_out), train.filter(held_out)
    fit_labels = fit.get_column("label").to_numpy()
    stop_labels = stop.get_column("label").to_numpy()
    early_stopping = _has_both_classes(fit_labels) and _has_both_classes(stop_labels)
    if not early_stopping:
        log.warning(
            "too few rows to hold out early-stopping members (%d rows, %d positives): "
            "training %d rounds on all training rows",
            stop_labels.size,
            int(stop_labels.sum()),
            config.fallback_rounds,
        )
        fit, fit_labels = train, train.get_column("label").to_numpy()
    fit_set = lgb.Dataset(
        to_matrix(fit),
        label=fit_labels,
        feature_name=list(FEATURE_NAMES),
        categorical_feature=categorical_indices(),
        free_raw_data=False,
    )
    if not early_stopping:
        booster = lgb.train(config.lightgbm_params(), fit_set, config.fallback_rounds)
        return booster, config.fallback_rounds
    stop_set = lgb.Dataset(to_matrix(stop), label=stop_labels, reference=fit_set)
    booster = lgb.train(
        config.lightgbm_params(),
        fit_set,
        num_boost_round=config.num_boost_round,
        valid_sets=[stop_set],
        valid_names=["early_stopping"],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    return booster, int(booster.best_iteration or booster.current_iteration())


def predict(booster: lgb.Booster, frame: pl.DataFrame) -> np.ndarray:
    """Probabilities of ``booster`` for the rows of ``frame`` (its own feature list)."""
    names = booster.feature_name()
    return booster.predict(to_matrix(frame, names), num_iteration=booster.best_iteration or None)


def band_thresholds(validation_scores: np.ndarray) -> dict[str, float]:
    """The score cut-offs of the bands (see BAND_SHARES) from validation score quantiles."""
    return {
        band: float(np.quantile(validation_scores, 1.0 - share))
        for band, share in BAND_SHARES.items()
    }


def baseline_scores(
    spec: ModelSpec, train: pl.DataFrame, validation: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The baseline's ranking of the validation rows and its calibrated probabilities."""
    # Never seen logging in ranks as the longest absence; no consumption ranks as none.
    missing = np.inf if spec.baseline_feature.startswith("days_since") else 0.0
    train_values = evaluate.baseline_ranking(
        train.get_column(spec.baseline_feature).to_numpy(), missing
    )
    values = evaluate.baseline_ranking(
        validation.get_column(spec.baseline_feature).to_numpy(), missing
    )
    probabilities = evaluate.calibrate_baseline(
        train_values, train.get_column("label").to_numpy(), values
    )
    return values, probabilities


def train_challenger(
    frame: pl.DataFrame, spec: ModelSpec, config: TrainingConfig | None = None
) -> TrainingResult:
    """Train and evaluate a challenger for ``spec`` on a labelled feature frame
    (:func:`models_ml.features.read_feature_frame` with ``with_labels=True``)."""
    config = config or TrainingConfig()
    split = time_split(frame, config.validation_days)
    train, validation = split_frames(frame, split, config.sample_every_days)
    validation_labels = validation.get_column("label").to_numpy()
    _check_classes("validation", validation_labels)
    log.info(
        "%s: training on %d rows (%s..%s), validating on %d rows (%s..%s)",
        spec.name,
        train.height,
        split.train_first,
        split.train_last,
        validation.height,
        split.validation_first,
        split.validation_last,
    )
    booster, best_iteration = fit_booster(train, config)
    scores = predict(booster, validation)
    baseline_values, baseline_probabilities = baseline_scores(spec, train, validation)
    importance = booster.feature_importance(importance_type="gain")
    return TrainingResult(
        spec=spec,
        booster=booster,
        split=split,
        model_metrics=evaluate.compute_metrics(validation_labels, scores, scores),
        baseline_metrics=evaluate.compute_metrics(
            validation_labels, baseline_values, baseline_probabilities
        ),
        calibration=evaluate.calibration_table(validation_labels, scores),
        lift=evaluate.lift_table(validation_labels, scores),
        band_thresholds=band_thresholds(scores),
        feature_importance={
            name: float(value)
            for name, value in sorted(
                zip(FEATURE_NAMES, importance, strict=True), key=lambda item: -item[1]
            )
        },
        data_hash=data_hash(train, validation),
        train_rows=train.height,
        validation_rows=validation.height,
        best_iteration=best_iteration,
        validation=validation,
    )
