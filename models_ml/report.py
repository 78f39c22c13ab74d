"""Measure both models on a built warehouse: train a challenger per model (nothing is stored
or promoted) and print its metrics against the baseline as Markdown.

Run: ``.venv/bin/python -m models_ml.report --warehouse HOME/warehouse/panorama.duckdb``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from models_ml import evaluate
from models_ml.features import MODEL_SPECS, read_feature_frame
from models_ml.train import TrainingConfig, TrainingResult, train_challenger


def measure(warehouse: Path, model: str, config: TrainingConfig) -> tuple[TrainingResult, float]:
    """Train and evaluate one model on ``warehouse``; returns the result and training seconds."""
    spec = MODEL_SPECS[model]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = read_feature_frame(con, spec, with_labels=True)
    started = time.perf_counter()
    result = train_challenger(frame, spec, config)
    return result, time.perf_counter() - started


def describe(result: TrainingResult, seconds: float) -> str:
    """A Markdown section: windows, sizes, metrics vs baseline and the top of the lift table."""
    split = result.split
    return "\n".join(
        [
            f"## {result.spec.name}",
            f"training {split.train_first} .. {split.train_last} ({result.train_rows:,} rows), "
            f"validation {split.validation_first} .. {split.validation_last} "
            f"({result.validation_rows:,} rows), {seconds:.0f} s, "
            f"{result.best_iteration} rounds",
            "",
            evaluate.metrics_markdown(
                result.model_metrics, result.baseline_metrics, result.spec.baseline_feature
            ),
            "",
            evaluate.lift_markdown(result.lift[:3]),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True, help="panorama.duckdb")
    parser.add_argument("--model", choices=sorted(MODEL_SPECS), action="append")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    config = TrainingConfig(num_threads=args.threads)
    for model in args.model or list(MODEL_SPECS):
        sys.stdout.write(describe(*measure(args.warehouse, model, config)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
