"""ML benchmark: LightGBM training time and scoring (+ reasons) throughput at 1M members.

Run: ``.venv/bin/python -m bench.ml_speed [--members N] [--threads T]`` (defaults 1,000,000
members, 2 threads, the project's training settings; ``--num-leaves``, ``--max-depth``,
``--learning-rate`` and ``--rounds`` override them to compare).

The frame is SYNTHETIC: THE feature list of ``models_ml.features`` (same names, types and
categorical levels), values drawn at random with realistic shapes (counts, skewed amounts, day
gaps, missing values), and a label that depends on a few of them plus noise, so the trees are
not trivial. What is timed is the project's own code path:

- training: ``models_ml.train.fit_booster`` (early stopping on held-out members);
- scoring: ``models_ml.score.score_frame`` = probability, band and the top 3 reasons in English
  and Chinese from ``pred_contrib`` and the reason seed, split into its parts (the feature
  matrix, the scores and contributions of one ``pred_contrib`` pass, the reason sentences).

Prints a Markdown table; nothing is tuned to the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time

import numpy as np
import polars as pl

from models_ml.features import FEATURE_NAMES, FEATURES, to_matrix
from models_ml.reasons import load_templates, reason_columns
from models_ml.score import LoadedModel, score_frame, scores_and_contributions
from models_ml.train import TrainingConfig, band_thresholds, fit_booster

SCORE_FRAME_SAMPLE = 50_000


def synthetic_frame(members: int, seed: int = 7) -> pl.DataFrame:
    """``members`` rows of keys, THE features and a label (synthetic, see the module doc)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "member_id": [f"M{n:07d}" for n in range(members)],
        "as_of_date": np.full(members, dt.date(2026, 3, 1)),
    }
    for feature in FEATURES:
        columns[feature.name] = _values(feature.name, feature.levels, members, rng)
    # Missing values as nulls, the way the feature mart delivers them.
    frame = pl.DataFrame(columns).fill_nan(None)
    logit = (
        -2.5
        + 0.08 * frame["days_since_last_login"].fill_null(60).to_numpy()
        - 0.1 * frame["login_days_30d"].to_numpy()
        - 0.5 * np.log1p(frame["consumption_cny_30d"].to_numpy())
        + rng.normal(0, 1, members)
    )
    label = (rng.random(members) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return frame.with_columns(pl.Series("label", label))


def _values(
    name: str, levels: tuple[str, ...] | None, size: int, rng: np.random.Generator
) -> np.ndarray:
    if levels is not None:
        return rng.choice(np.array(levels, dtype=object), size)
    if name.startswith("days_"):
        values = rng.exponential(15, size).round()
        values[rng.random(size) < 0.05] = np.nan
        return values
    if "cny" in name or "points" in name:
        return np.round(rng.lognormal(4, 1.5, size) * (rng.random(size) < 0.6), 2)
    if "change" in name:
        return rng.normal(0, 0.5, size)
    if "satisfaction" in name:
        return np.where(rng.random(size) < 0.9, np.nan, rng.integers(1, 6, size))
    return rng.poisson(3, size).astype(np.float64)


def timed(label: str, results: list[tuple[str, float, str]], work, note: str = ""):
    """Run ``work()``, record its wall time under ``label``; its result."""
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    results.append((label, seconds, note))
    print(f"  {label}: {seconds:,.1f} s", file=sys.stderr, flush=True)
    return value


def run(members: int, config: TrainingConfig) -> list[tuple[str, float, str]]:
    """Time training and each part of scoring; rows of (step, seconds, note)."""
    results: list[tuple[str, float, str]] = []
    frame = timed("build the synthetic frame", results, lambda: synthetic_frame(members))
    booster, best = timed("train (fit_booster)", results, lambda: fit_booster(frame, config))
    results[-1] = (*results[-1][:2], f"{booster.current_iteration()} trees, best {best}")
    features = frame.drop("label")
    matrix = timed("feature matrix (to_matrix)", results, lambda: to_matrix(features))
    scores, contributions = timed(
        "scores and per-feature contributions (pred_contrib)",
        results,
        lambda: scores_and_contributions(booster, matrix),
    )
    templates = load_templates()
    timed(
        "reasons (top 3 per member, en + zh)",
        results,
        lambda: reason_columns(features, FEATURE_NAMES, contributions, templates),
    )
    total = sum(seconds for step, seconds, _ in results[2:])
    results.append(("scoring + reasons (the three steps above)", total, "sum"))
    # The project's one scoring function, end to end, on a slice (its parts are timed above).
    model = LoadedModel("bench", "synthetic", booster, FEATURE_NAMES, band_thresholds(scores))
    sample = features.head(SCORE_FRAME_SAMPLE)
    scored = timed(
        f"score_frame end to end, first {sample.height:,} members",
        results,
        lambda: score_frame(sample, model, templates),
    )
    assert scored.height == sample.height and scored["reason_1"].null_count() < sample.height
    return results


def report(members: int, config: TrainingConfig, results: list[tuple[str, float, str]]) -> str:
    """The timings as Markdown, with scoring throughput in members per second."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"ML speed on SYNTHETIC data: {members:,} members x {len(FEATURE_NAMES)} features "
        f"(THE feature list), LightGBM num_threads={config.num_threads}, "
        f"num_leaves={config.num_leaves}, max_depth={config.max_depth}, "
        f"learning_rate={config.learning_rate}, at most {config.num_boost_round} rounds; "
        f"{platform.processor() or 'cpu'}, "
        f"{os.cpu_count()} cores, load average at the end {load}",
        "",
        "| step | seconds | members/s | note |",
        "|---|---:|---:|---|",
    ]
    for step, seconds, note in results:
        rows = SCORE_FRAME_SAMPLE if step.startswith("score_frame") else members
        lines.append(f"| {step} | {seconds:,.1f} | {min(rows, members) / seconds:,.0f} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=TrainingConfig.num_boost_round)
    parser.add_argument("--num-leaves", type=int, default=TrainingConfig.num_leaves)
    parser.add_argument("--max-depth", type=int, default=TrainingConfig.max_depth)
    parser.add_argument("--learning-rate", type=float, default=TrainingConfig.learning_rate)
    args = parser.parse_args(argv)
    config = TrainingConfig(
        num_threads=args.threads,
        num_boost_round=args.rounds,
        num_leaves=args.num_leaves,
        max_depth=args.max_depth,
        learning_rate=args.learning_rate,
    )
    results = run(args.members, config)
    print(report(args.members, config, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
