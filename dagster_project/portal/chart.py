"""The size of a list over the last days as a bar chart, laid out here and drawn as inline SVG
by the segment template (server-side: no JavaScript, nothing to download)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 240
_LEFT = 56  # room for the row-count labels
_RIGHT = 8
_TOP = 12
_BOTTOM = 36  # room for the date labels


@dataclass(frozen=True)
class Bar:
    """One day: a bar, or a marker when that day has no list."""

    day: dt.date
    rows: int | None
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A label on an axis, at a position in pixels."""

    label: str
    position: float


@dataclass(frozen=True)
class SizeChart:
    """Everything the template needs to draw the chart."""

    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    max_rows: int

    @property
    def has_data(self) -> bool:
        return any(bar.rows is not None for bar in self.bars)


def size_chart(history: list[tuple[dt.date, int | None]]) -> SizeChart:
    """Lay out one bar per day of ``history`` (oldest first); days without a list get none."""
    plot_height = HEIGHT - _TOP - _BOTTOM
    plot_width = WIDTH - _LEFT - _RIGHT
    top_value = _nice_ceiling(max((rows or 0 for _, rows in history), default=0))
    slot = plot_width / max(len(history), 1)
    bars = []
    for index, (day, rows) in enumerate(history):
        height = plot_height * (rows or 0) / top_value
        bars.append(
            Bar(
                day=day,
                rows=rows,
                x=round(_LEFT + index * slot + slot * 0.15, 1),
                y=round(_TOP + plot_height - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
    y_ticks = tuple(
        Tick(f"{top_value * step // 4:,}", round(_TOP + plot_height * (1 - step / 4), 1))
        for step in range(5)
    )
    # A date label every week keeps the axis readable at 30 bars.
    x_ticks = tuple(
        Tick(bar.day.strftime("%m-%d"), round(bar.x + bar.width / 2, 1))
        for index, bar in enumerate(bars)
        if (len(bars) - 1 - index) % 7 == 0
    )
    return SizeChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=_LEFT,
        plot_bottom=_TOP + plot_height,
        plot_right=WIDTH - _RIGHT,
        bars=tuple(bars),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        max_rows=top_value,
    )


def _nice_ceiling(value: int) -> int:
    """A round top for the axis at or above ``value`` that splits into four whole steps
    (2,046 -> 2,400; 5 -> 8; 0 -> 4)."""
    if value <= 4:
        return 4
    unit = 10 ** int(math.log10(value / 4))
    return math.ceil(value / (4 * unit)) * 4 * unit
