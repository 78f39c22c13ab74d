"""Event rows collected day by day as numpy columns, one buffer per landing source.

A row is kept in coded form (member index, code positions, local seconds, cents) until it is
written; ``render`` turns the codes into the contract's strings. ``_at`` is always the
source's event-time column; ``_day`` (the event day in the window) is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dagster_project.simulator.clock import SECONDS_PER_DAY
from data_quality.contract import SOURCES

Columns = dict[str, np.ndarray]


@dataclass
class TableBuffer:
    """The chunks of one source; every chunk has the same columns."""

    source: str
    chunks: list[Columns] = field(default_factory=list)

    def append(self, at: np.ndarray, **columns: np.ndarray) -> None:
        """Add rows: ``at`` is the event time in local seconds, the rest coded columns."""
        if at.size == 0:
            return
        for name, values in columns.items():
            if values.shape[0] != at.size:
                raise ValueError(
                    f"{self.source}.{name}: {values.shape[0]} values for {at.size} rows"
                )
        self.chunks.append({"_at": at.astype(np.int64), **columns})

    def build(self, start_second: int, days: int) -> Columns:
        """All rows in generation order, with ``_day``; rows past the window are dropped."""
        if not self.chunks:
            return {}
        names = self.chunks[0].keys()
        table = {name: np.concatenate([chunk[name] for chunk in self.chunks]) for name in names}
        table["_seq"] = np.arange(table["_at"].size, dtype=np.int64)
        day = (table["_at"] - start_second) // SECONDS_PER_DAY
        inside = (day >= 0) & (day < days)
        table = {name: values[inside] for name, values in table.items()}
        table["_day"] = day[inside].astype(np.int32)
        return table


@dataclass
class Tables:
    """One buffer per landing source."""

    buffers: dict[str, TableBuffer] = field(
        default_factory=lambda: {name: TableBuffer(name) for name in SOURCES}
    )

    def __getitem__(self, source: str) -> TableBuffer:
        return self.buffers[source]


@dataclass
class IdCounter:
    """Hands out consecutive ids for rows that other rows refer to (tickets, contacts)."""

    next_id: int = 1

    def take(self, count: int) -> np.ndarray:
        ids = np.arange(self.next_id, self.next_id + count, dtype=np.int64)
        self.next_id += count
        return ids
