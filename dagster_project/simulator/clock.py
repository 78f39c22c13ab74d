"""Time in the simulation: whole seconds of Asia/Shanghai wall-clock time.

Every timestamp is kept as an int64 count of local seconds since 1970-01-01 00:00 (no time zone
arithmetic is needed: China has no daylight saving) and rendered with a fixed ``+08:00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

SECONDS_PER_DAY = 86_400
EPOCH = date(1970, 1, 1)

# Relative activity by hour of day: most players play at lunch and in the evening, night
# players between 22:00 and 04:00.
DAY_PLAYER_HOURS = np.array(
    [
        0.6,
        0.3,
        0.2,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.4,
        1.7,
        2.0,
        2.3,
        3.0,
        3.0,
        2.4,
        2.2,
        2.4,
        2.9,
        3.4,
        4.4,
        5.0,
        5.0,
        4.4,
        2.2,
    ]
)
NIGHT_PLAYER_HOURS = np.array(
    [
        4.0,
        3.6,
        3.0,
        2.4,
        0.8,
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.3,
        0.4,
        0.6,
        0.6,
        0.4,
        0.4,
        0.4,
        0.5,
        0.6,
        0.8,
        1.0,
        1.6,
        3.6,
        4.2,
    ]
)
OFFICE_HOURS = np.array([0.0] * 9 + [1.0] * 12 + [0.3] + [0.0] * 2)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class Day:
    """One simulated day: its index in the window, its date and where its seconds start."""

    index: int
    date: date
    start_second: int
    points_multiplier: float

    @property
    def end_second(self) -> int:
        return self.start_second + SECONDS_PER_DAY

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


def seconds_in_hours(rng: np.random.Generator, size: int, hour_weights: np.ndarray) -> np.ndarray:
    """Offsets into a day (seconds) drawn from an hour-of-day profile."""
    hours = rng.choice(24, size=size, p=hour_weights / hour_weights.sum())
    return hours * 3600 + rng.integers(0, 3600, size=size)


def play_offsets(rng: np.random.Generator, night_player: np.ndarray) -> np.ndarray:
    """Offsets into a day for sessions of day or night players (one per element)."""
    day_offsets = seconds_in_hours(rng, night_player.size, DAY_PLAYER_HOURS)
    night_offsets = seconds_in_hours(rng, night_player.size, NIGHT_PLAYER_HOURS)
    return np.where(night_player, night_offsets, day_offsets)


def clip_to_day(seconds: np.ndarray, day: Day) -> np.ndarray:
    """Keep timestamps inside the day (events triggered late in the evening stay on it)."""
    return np.clip(seconds, day.start_second, day.end_second - 1)
