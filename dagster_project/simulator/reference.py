"""Reference data the simulator draws from, read from the project's seeds (never copied)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np

from data_quality.contract import SEEDS_DIR


def _read_seed(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Reference:
    """Seed data as arrays: codes are positions in these tuples."""

    games: tuple[str, ...]
    game_weights: np.ndarray
    server_counts: np.ndarray
    servers: tuple[str, ...]  # "<game>-S<nn>", grouped by game
    server_game: np.ndarray
    server_offset: np.ndarray  # first server index of each game
    regions: tuple[str, ...]
    region_names_zh: tuple[str, ...]
    region_weights: np.ndarray
    occupations: tuple[str, ...]
    occupation_weights: np.ndarray
    activities: tuple[str, ...]
    activity_types: tuple[str, ...]
    activity_type: np.ndarray  # index into activity_types
    activity_game: np.ndarray  # index into games, -1 for ALL
    activity_vip_only: np.ndarray
    mall_items: tuple[str, ...]
    mall_prices: np.ndarray
    agents: tuple[str, ...]
    ob_agents: np.ndarray
    ib_agents: np.ndarray
    online_agents: np.ndarray
    account_managers: np.ndarray
    campaigns: tuple[tuple[date, date, float], ...]
    gold_threshold_cny: float

    def points_multiplier(self, day: date) -> float:
        """The G-point multiplier on a day: the largest running campaign's, else 1."""
        running = [m for start, end, m in self.campaigns if start <= day <= end]
        return max(running, default=1.0)


def _agents_of(rows: list[dict[str, str]], **match: str) -> np.ndarray:
    return np.array(
        [i for i, row in enumerate(rows) if all(row[k] == v for k, v in match.items())],
        dtype=np.int32,
    )


def _normalised(values: list[float]) -> np.ndarray:
    weights = np.array(values, dtype=float)
    return weights / weights.sum()


@cache
def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    """Read the seeds the simulator needs (games, regions, activities, mall, agents, ...)."""
    games = _read_seed("games", seeds_dir)
    server_counts = np.array([int(g["server_count"]) for g in games], dtype=np.int32)
    servers = tuple(
        f"{g['game_code']}-S{n:02d}" for g in games for n in range(1, int(g["server_count"]) + 1)
    )
    regions = _read_seed("regions", seeds_dir)
    occupations = _read_seed("occupations", seeds_dir)
    activities = _read_seed("activities", seeds_dir)
    activity_types = tuple(sorted({a["activity_type"] for a in activities}))
    game_codes = tuple(g["game_code"] for g in games)
    mall = _read_seed("mall_items", seeds_dir)
    agents = _read_seed("agents", seeds_dir)
    tiers = {t["tier_code"]: t for t in _read_seed("tiers", seeds_dir)}
    campaigns = tuple(
        (
            date.fromisoformat(c["start_date"]),
            date.fromisoformat(c["end_date"]),
            float(c["multiplier"]),
        )
        for c in _read_seed("points_campaigns", seeds_dir)
    )
    return Reference(
        games=game_codes,
        # Bigger games (more servers) have more players.
        game_weights=_normalised([float(n) for n in server_counts]),
        server_counts=server_counts,
        servers=servers,
        server_game=np.repeat(np.arange(len(games), dtype=np.int32), server_counts),
        server_offset=np.concatenate([[0], np.cumsum(server_counts)[:-1]]).astype(np.int32),
        regions=tuple(r["region_code"] for r in regions),
        region_names_zh=tuple(r["region_name_zh"] for r in regions),
        region_weights=_normalised([float(r["weight"]) for r in regions]),
        occupations=tuple(o["occupation_code"] for o in occupations),
        occupation_weights=_normalised([float(o["weight"]) for o in occupations]),
        activities=tuple(a["activity_code"] for a in activities),
        activity_types=activity_types,
        activity_type=np.array([activity_types.index(a["activity_type"]) for a in activities]),
        activity_game=np.array(
            [
                game_codes.index(a["game_code"]) if a["game_code"] in game_codes else -1
                for a in activities
            ]
        ),
        activity_vip_only=np.array([a["is_exclusive_vip"].lower() == "true" for a in activities]),
        mall_items=tuple(m["item_code"] for m in mall),
        mall_prices=np.array([int(m["points_price"]) for m in mall], dtype=np.int64),
        agents=tuple(a["agent_id"] for a in agents),
        ob_agents=_agents_of(agents, team="OB_TEAM", role="agent"),
        ib_agents=_agents_of(agents, team="IB_TEAM", role="agent"),
        online_agents=_agents_of(agents, team="ONLINE_TEAM", role="agent"),
        account_managers=_agents_of(agents, role="account_manager"),
        campaigns=campaigns,
        gold_threshold_cny=float(tiers["GOLD"]["upgrade_threshold_cny"]),
    )
