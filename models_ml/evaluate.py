"""Honest evaluation of a score against labels, and against the model's simple baseline.

Every metric is computed the same way for the model and for its baseline (churn: days since the
last login; potential VIP: 30-day consumption). A baseline is a ranking, not a probability: for
its Brier score and calibration it is first mapped to probabilities by an isotonic fit on the
training rows (so it is judged on validation rows it did not see).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

TOP_SHARE = 0.10
CALIBRATION_BINS = 10
LIFT_BINS = 10


@dataclass(frozen=True)
class Metrics:
    """Quality of one score on one set of rows."""

    rows: int
    positives: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    top_decile_precision: float
    top_decile_lift: float
    brier: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def top_share_mask(scores: np.ndarray, share: float = TOP_SHARE) -> np.ndarray:
    """The rows in the top ``share`` of scores; ties broken by position so exactly
    ceil(share * n) rows are picked, the same ones on every run."""
    count = max(1, int(np.ceil(share * scores.size)))
    order = np.lexsort((np.arange(scores.size), -scores))
    mask = np.zeros(scores.size, dtype=bool)
    mask[order[:count]] = True
    return mask


def compute_metrics(labels: np.ndarray, scores: np.ndarray, probabilities: np.ndarray) -> Metrics:
    """ROC-AUC and PR-AUC of ``scores``; precision and lift in its top decile; Brier score of
    ``probabilities`` (the scores as calibrated probabilities)."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0 or labels.min() == labels.max():
        raise ValueError(
            f"cannot evaluate on {labels.size} rows with {int(labels.sum())} positives: "
            "both classes are needed"
        )
    base_rate = float(labels.mean())
    top = top_share_mask(scores)
    precision = float(labels[top].mean())
    return Metrics(
        rows=int(labels.size),
        positives=int(labels.sum()),
        base_rate=base_rate,
        roc_auc=float(roc_auc_score(labels, scores)),
        pr_auc=float(average_precision_score(labels, scores)),
        top_decile_precision=precision,
        top_decile_lift=precision / base_rate,
        brier=float(brier_score_loss(labels, np.clip(probabilities, 0.0, 1.0))),
    )


def baseline_ranking(values: np.ndarray, missing_rank: float) -> np.ndarray:
    """A baseline feature as a ranking score: missing values take ``missing_rank`` (e.g. +inf
    days since the last login for a member never seen logging in)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), missing_rank, values)


def calibrate_baseline(
    train_values: np.ndarray, train_labels: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Probabilities for a baseline ranking: an increasing isotonic fit on the training rows."""
    finite_train = np.nan_to_num(train_values, posinf=np.finfo(np.float64).max / 2)
    finite = np.nan_to_num(values, posinf=np.finfo(np.float64).max / 2)
    model = IsotonicRegression(increasing=True, out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(finite_train, train_labels)
    return model.predict(finite)


def calibration_table(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[dict[str, float]]:
    """Rows grouped into ``bins`` equal-count bins of predicted probability: per bin the mean
    prediction and the observed positive rate (a calibrated model has them close)."""
    order = np.argsort(probabilities, kind="stable")
    table = []
    for number, chunk in enumerate(np.array_split(order, bins), start=1):
        if chunk.size == 0:
            continue
        table.append(
            {
                "bin": number,
                "rows": int(chunk.size),
                "mean_predicted": float(probabilities[chunk].mean()),
                "observed_rate": float(np.asarray(labels)[chunk].mean()),
            }
        )
    return table


def lift_table(
    labels: np.ndarray, scores: np.ndarray, bins: int = LIFT_BINS
) -> list[dict[str, float]]:
    """Rows ranked by score, best first, in ``bins`` equal-count groups (deciles): per group
    the positives, the positive rate and the lift over the overall rate."""
    labels = np.asarray(labels, dtype=np.float64)
    order = np.lexsort((np.arange(scores.size), -scores))
    base_rate = labels.mean() if labels.size else 0.0
    table = []
    for number, chunk in enumerate(np.array_split(order, bins), start=1):
        if chunk.size == 0:
            continue
        rate = float(labels[chunk].mean())
        table.append(
            {
                "decile": number,
                "rows": int(chunk.size),
                "positives": int(labels[chunk].sum()),
                "positive_rate": rate,
                "lift": rate / base_rate if base_rate else 0.0,
            }
        )
    return table


def metrics_markdown(model: Metrics, baseline: Metrics, baseline_name: str) -> str:
    """The model's metrics next to the baseline's, as a Markdown table."""
    lines = [
        f"| metric | model | baseline ({baseline_name}) |",
        "|---|---:|---:|",
    ]
    for name in ("roc_auc", "pr_auc", "top_decile_precision", "top_decile_lift", "brier"):
        lines.append(f"| {name} | {getattr(model, name):.4f} | {getattr(baseline, name):.4f} |")
    lines.append(f"| rows / positives | {model.rows:,} / {model.positives:,} | |")
    return "\n".join(lines)


def lift_markdown(table: list[dict[str, float]]) -> str:
    """A lift table as Markdown."""
    lines = ["| decile | rows | positives | rate | lift |", "|---:|---:|---:|---:|---:|"]
    for row in table:
        lines.append(
            f"| {row['decile']} | {row['rows']:,} | {row['positives']:,} "
            f"| {row['positive_rate']:.3f} | {row['lift']:.2f} |"
        )
    return "\n".join(lines)
