"""Deliberate noise: which rows go wrong, how, and in which day's file each row lands.

Each dirty row carries exactly one fault that breaks exactly the rule its kind names, so the
rows ingestion rejects can be checked against the summary:
- duplicate: an exact copy of a valid row, later in the same file;
- missing_required: a required value blanked (null, empty or spaces);
- bad_type: a value that does not parse as the column's type;
- invalid_value: a value outside the allowed list;
- out_of_range: a number below the minimum or absurdly above the maximum;
- late: a valid row delivered 1-3 days after its event day (not rejected).
Separately, a small share of valid rows is delivered again in the next day's file
(``redelivered``, not rejected: staging dedupes it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.simulator.config import REDELIVERED, SUMMARY_KINDS
from dagster_project.simulator.tables import Columns
from data_quality.contract import Column, Source

CLEAN = 0
CODE = {kind: i + 1 for i, kind in enumerate(SUMMARY_KINDS)}
IN_PLACE = ("missing_required", "bad_type", "invalid_value", "out_of_range")
MAX_LATENESS_DAYS = 3

BLANKS = (None, "", "   ")
UNPARSEABLE = {
    "timestamp": ("2026-02-30T25:61:00", "not a time", "2026/13/45 99:99"),
    "date": ("1990-02-30", "unknown", "31/13/1990"),
    "int": ("n/a", "12x", "one"),
    "float": ("n/a", "12,5x", "abc"),
}
UNKNOWN_CODES = ("UNKNOWN", "unknown_code", "???")


def _targets(source: Source, kind: str) -> list[int]:
    """Positions of the columns a kind of fault can hit in this source."""
    rules = {
        "missing_required": lambda c: c.required,
        "bad_type": lambda c: c.dtype != "string",
        "invalid_value": lambda c: c.allowed_values() is not None,
        "out_of_range": lambda c: c.min_value is not None,
    }
    return [i for i, column in enumerate(source.columns) if rules[kind](column)]


def supported_kinds(source: Source) -> tuple[str, ...]:
    """The dirty kinds this source can carry (every source can be duplicated or late)."""
    in_place = tuple(kind for kind in IN_PLACE if _targets(source, kind))
    return ("duplicate", *in_place, "late")


def out_of_range_values(column: Column) -> tuple[str, ...]:
    """A negative value and an absurdly large one, both parseable as the column's type."""
    high = column.max_value * 10
    if column.dtype == "int":
        return ("-1", str(int(high)))
    return ("-50.00", f"{high:.2f}")


def bad_values(column: Column, kind: str) -> tuple[str | None, ...]:
    """Replacement values that break ``kind`` for ``column``."""
    if kind == "missing_required":
        return BLANKS
    if kind == "bad_type":
        return UNPARSEABLE[column.dtype]
    if kind == "invalid_value":
        return UNKNOWN_CODES
    return out_of_range_values(column)


@dataclass
class Delivery:
    """Where every output row comes from, which file it lands in and what is wrong with it.
    Rows are in file order: by delivery day; within a day its own rows by event time, then the
    late and re-delivered ones; a duplicate right after its original."""

    rows: np.ndarray  # position in the built table
    dt: np.ndarray  # delivery day index
    kind: np.ndarray  # CODE of the row's dirty kind, CLEAN when none
    column: np.ndarray  # contract column position hit by an in-place fault, else -1
    variant: np.ndarray  # which replacement value

    def counts(self) -> dict[str, int]:
        """Rows per summary kind."""
        found = np.bincount(self.kind, minlength=len(SUMMARY_KINDS) + 1)
        return {kind: int(found[code]) for kind, code in CODE.items()}

    def bounds(self, days: int) -> np.ndarray:
        """Start of each day's rows (``days + 1`` entries)."""
        return np.searchsorted(self.dt, np.arange(days + 1), side="left")


def plan_delivery(
    source: Source,
    table: Columns,
    days: int,
    dirty_rate: float,
    redelivery_rate: float,
    rng: np.random.Generator,
    snapshot_second: int,
) -> Delivery:
    """Pick dirty rows (``dirty_rate`` per row, spread over the source's kinds), late days and
    re-deliveries, and put all rows in file order."""
    size = table["_at"].size
    day = table["_day"].astype(np.int64)
    kinds = np.array([CODE[k] for k in supported_kinds(source)])
    kind = np.where(rng.random(size) < dirty_rate, kinds[rng.integers(0, kinds.size, size)], CLEAN)
    # Snapshot rows (the first full delivery) are never late.
    lag = rng.integers(1, MAX_LATENESS_DAYS + 1, size)
    can_be_late = (day + lag < days) & (table["_at"] != snapshot_second)
    kind[(kind == CODE["late"]) & ~can_be_late] = CLEAN
    dt = np.where(kind == CODE["late"], day + lag, day)
    column = np.full(size, -1)
    for name in IN_PLACE:
        hit = np.flatnonzero(kind == CODE[name])
        targets = np.array(_targets(source, name) or [-1])
        column[hit] = targets[rng.integers(0, targets.size, hit.size)]
    variant = rng.integers(0, 1 << 30, size)

    duplicated = np.flatnonzero(kind == CODE["duplicate"])
    kind[duplicated] = CLEAN  # the original stays valid; its copy is the dirty row
    redelivered = np.flatnonzero(
        (kind == CLEAN) & (rng.random(size) < redelivery_rate) & (day + 1 < days)
    )
    redelivered = np.setdiff1d(redelivered, duplicated)
    rows = np.concatenate([np.arange(size), duplicated, redelivered])
    copy = np.repeat([0, 1, 1], [size, duplicated.size, redelivered.size])
    out_dt = np.concatenate([dt, dt[duplicated], day[redelivered] + 1])
    out_kind = np.concatenate(
        [
            kind,
            np.full(duplicated.size, CODE["duplicate"]),
            np.full(redelivered.size, CODE[REDELIVERED]),
        ]
    )
    # Late and re-delivered rows come after the day's own rows, as an appended batch would.
    behind = np.isin(out_kind, [CODE["late"], CODE[REDELIVERED]])
    order = np.lexsort((copy, table["_seq"][rows], table["_at"][rows], behind, out_dt))
    no_column = np.full(duplicated.size + redelivered.size, -1)
    return Delivery(
        rows=rows[order],
        dt=out_dt[order],
        kind=out_kind[order],
        column=np.concatenate([column, no_column])[order],
        variant=np.concatenate([variant, variant[duplicated], variant[redelivered]])[order],
    )


def corrupt(
    frame: pl.DataFrame, source: Source, kind: np.ndarray, column: np.ndarray, variant: np.ndarray
) -> pl.DataFrame:
    """Apply the in-place faults of one file's rows to its rendered text."""
    faulty = np.flatnonzero(np.isin(kind, [CODE[k] for k in IN_PLACE]))
    if faulty.size == 0:
        return frame
    series = {name: frame[name] for name in frame.columns}
    for position in np.unique(column[faulty]):
        target = source.columns[position]
        replaced = series[target.name].clone()
        for name in IN_PLACE:
            rows = faulty[(column[faulty] == position) & (kind[faulty] == CODE[name])]
            if rows.size == 0:
                continue
            choices = bad_values(target, name)
            values = [choices[v % len(choices)] for v in variant[rows]]
            replaced = replaced.scatter(rows, pl.Series(values, dtype=pl.String))
        series[target.name] = replaced
    return pl.DataFrame(series)
