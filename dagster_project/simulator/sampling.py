"""Vectorised draws the simulator needs beyond numpy's own."""

from __future__ import annotations

import numpy as np


def weighted_choice(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights``, with probability proportional to the row."""
    cumulative = weights.cumsum(axis=1)
    draw = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((draw[:, None] >= cumulative).sum(axis=1), weights.shape[1] - 1)
