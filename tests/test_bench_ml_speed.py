"""The ML speed benchmark runs the project's own training and scoring code end to end (here on a
small synthetic frame: real LightGBM, the real feature list and reason seed)."""

from __future__ import annotations

from bench.ml_speed import report, run
from models_ml.train import TrainingConfig


def test_the_benchmark_times_training_and_every_scoring_step() -> None:
    config = TrainingConfig(num_threads=1, num_boost_round=30)
    results = run(3_000, config)
    steps = [step for step, _, _ in results]
    assert steps[1] == "train (fit_booster)"
    assert "scores and per-feature contributions (pred_contrib)" in steps
    assert all(seconds > 0 for _, seconds, _ in results)
    scoring_parts = sum(seconds for step, seconds, _ in results[2:-2])
    assert results[-2][:2] == ("scoring + reasons (the three steps above)", scoring_parts)
    table = report(3_000, config, results)
    assert f"num_leaves={config.num_leaves}, max_depth={config.max_depth}" in table
    assert "| scores and per-feature contributions (pred_contrib) |" in table
