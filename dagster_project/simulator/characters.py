"""Characters, their levels and their guilds.

Each member has one to three character slots (slot ``k`` of member ``m`` is character
``3 * m + k``). Guilds live on a server and have one LEADER, a few OFFICERs and MEMBERs;
when a leader leaves, the highest-level member left takes over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.simulator.clock import Day
from dagster_project.simulator.population import ACTIVE, CHURNED, DECLINING, NOT_YET, Population
from dagster_project.simulator.reference import Reference
from dagster_project.simulator.tables import Tables

SLOTS = 3
LEADER, OFFICER, MEMBER, NO_ROLE = 0, 1, 2, 3
GUILD_ROLES = ("LEADER", "OFFICER", "MEMBER", "NONE")
MAX_LEVEL = 200
MEMBERS_PER_GUILD = 25
OFFICERS_PER_GUILD = 3
GUILD_NAME_HEADS = (
    "龙腾",
    "凌云",
    "天下",
    "风云",
    "苍穹",
    "星辰",
    "烈焰",
    "傲世",
    "逍遥",
    "破晓",
    "九天",
    "战神",
    "无双",
    "青龙",
    "白虎",
    "朱雀",
    "玄武",
    "明月",
    "長風",
    "雷霆",
)
GUILD_NAME_TAILS = ("战盟", "公会", "联盟", "家族", "军团", "殿", "阁", "会", "帮", "堂")
# Daily chance that a character leaves its guild, by member state.
LEAVE_RATE = {ACTIVE: 0.0015, DECLINING: 0.03, CHURNED: 0.01}
SWITCH_RATE = 0.0007
JOIN_RATE = 0.012


@dataclass
class Characters:
    """All character slots and the guilds of every server."""

    member: np.ndarray
    created_day: np.ndarray
    exists: np.ndarray
    server: np.ndarray
    game: np.ndarray
    level: np.ndarray  # float: grows with play time
    shown_level: np.ndarray  # level in the last snapshot row
    guild: np.ndarray  # -1 when guildless
    role: np.ndarray
    guild_server: np.ndarray
    guild_ids: tuple[str, ...]
    guild_names: tuple[str, ...]


def _slot_creation_days(rng: np.random.Generator, pop: Population) -> np.ndarray:
    count = rng.choice([1, 2, 3], size=pop.size, p=[0.6, 0.3, 0.1])
    later = pop.reg_day[:, None] + np.ceil(rng.exponential(120.0, size=(pop.size, SLOTS)))
    days = np.where(np.arange(SLOTS)[None, :] == 0, pop.reg_day[:, None], later)
    days = np.where(np.arange(SLOTS)[None, :] < count[:, None], days, NOT_YET)
    return days.astype(np.int32).ravel()


def _make_guilds(
    rng: np.random.Generator, ref: Reference, server: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Guilds per server, sized for the characters that will play there."""
    per_server = np.bincount(server, minlength=len(ref.servers))
    guild_count = np.maximum(2, np.ceil(per_server / MEMBERS_PER_GUILD)).astype(np.int32)
    guild_server = np.repeat(np.arange(len(ref.servers), dtype=np.int32), guild_count)
    offset = np.concatenate([[0], np.cumsum(guild_count)[:-1]]).astype(np.int32)
    local = np.arange(guild_server.size) - offset[guild_server]
    server_labels = pl.Series(ref.servers).gather(guild_server)
    number = pl.Series(local + 1).cast(pl.String).str.zfill(4)
    ids = pl.select(pl.concat_str([server_labels, pl.lit("-GU"), number])).to_series()
    combos = [h + t for h in GUILD_NAME_HEADS for t in GUILD_NAME_TAILS]
    names = np.array(combos, dtype=object)[rng.permutation(len(combos))]
    names = names[np.arange(guild_server.size) % len(combos)]
    return guild_server, offset, tuple(ids.to_list()), tuple(names.tolist())


def _random_guild_on(rng: np.random.Generator, chars: Characters, index: np.ndarray) -> np.ndarray:
    servers = chars.server[index]
    first = np.searchsorted(chars.guild_server, servers, side="left")
    last = np.searchsorted(chars.guild_server, servers, side="right")
    return (first + (rng.random(index.size) * (last - first)).astype(np.int64)).astype(np.int32)


def assign_roles(chars: Characters, index: np.ndarray) -> None:
    """Rank the given characters within their guilds by level: LEADER, OFFICERs, MEMBERs."""
    if index.size == 0:
        return
    order = index[np.lexsort((-chars.level[index], chars.guild[index]))]
    guild = chars.guild[order]
    first_of_guild = np.concatenate([[True], guild[1:] != guild[:-1]])
    group_start = np.maximum.accumulate(np.where(first_of_guild, np.arange(order.size), 0))
    rank = np.arange(order.size) - group_start
    chars.role[order] = np.where(
        rank == 0, LEADER, np.where(rank <= OFFICERS_PER_GUILD, OFFICER, MEMBER)
    )


def init_characters(rng: np.random.Generator, pop: Population, ref: Reference) -> Characters:
    """Character slots, levels of existing characters, and the guilds on the eve of the window."""
    size = pop.size * SLOTS
    member = np.repeat(np.arange(pop.size, dtype=np.int32), SLOTS)
    game = rng.choice(len(ref.games), size=size, p=ref.game_weights)
    server = (ref.server_offset[game] + (rng.random(size) * ref.server_counts[game])).astype(
        np.int32
    )
    created_day = _slot_creation_days(rng, pop)
    exists = created_day < 0
    age = np.maximum(-created_day, 0)
    engagement = pop.engagement[member]
    level = np.clip(1 + age * (0.05 + 0.5 * engagement) * rng.lognormal(0, 0.3, size), 1, MAX_LEVEL)
    guild_server, _, ids, names = _make_guilds(rng, ref, server)
    chars = Characters(
        member=member,
        created_day=created_day,
        exists=exists,
        server=server,
        game=game.astype(np.int8),
        level=np.where(exists, level, 1.0),
        shown_level=np.where(exists, level, 1.0).astype(np.int32),
        guild=np.full(size, -1, dtype=np.int32),
        role=np.full(size, NO_ROLE, dtype=np.int8),
        guild_server=guild_server,
        guild_ids=ids,
        guild_names=names,
    )
    in_guild_odds = np.where(pop.state[member] == CHURNED, 0.2, 0.35 + 0.4 * engagement)
    joined = np.flatnonzero(exists & (rng.random(size) < in_guild_odds))
    chars.guild[joined] = _random_guild_on(rng, chars, joined)
    assign_roles(chars, joined)
    return chars


def snapshot_rows(tables: Tables, chars: Characters, index: np.ndarray, at: np.ndarray) -> None:
    """A character snapshot row for each given character at the given time."""
    chars.shown_level[index] = chars.level[index].astype(np.int32)
    tables["characters"].append(
        at,
        character=index.astype(np.int64) + 1,
        member=chars.member[index],
        game=chars.game[index],
        server=chars.server[index],
        level=chars.shown_level[index],
        guild=chars.guild[index],
        role=chars.role[index],
    )


def create_characters(
    rng: np.random.Generator,
    chars: Characters,
    pop: Population,
    day: Day,
    first_login: np.ndarray,
    tables: Tables,
) -> None:
    """Slots due today come alive when their member plays; a snapshot row marks each."""
    due = np.flatnonzero(~chars.exists & (chars.created_day <= day.index))
    member = chars.member[due]
    plays = first_login[member] >= 0
    due, member = due[plays], member[plays]
    chars.exists[due] = True
    chars.created_day[due] = day.index
    at = np.maximum(first_login[member], pop.reg_at[member]) + rng.integers(10, 300, size=due.size)
    snapshot_rows(tables, chars, due, np.minimum(at, day.end_second - 1))


def gain_levels(
    rng: np.random.Generator, chars: Characters, session_char: np.ndarray, minutes: np.ndarray
) -> None:
    """Characters level up with play time, slower near the cap."""
    hours = np.bincount(session_char, weights=minutes, minlength=chars.level.size) / 60.0
    played = np.flatnonzero(hours > 0)
    gain = (
        hours[played]
        * rng.uniform(0.3, 1.2, played.size)
        * (1 - chars.level[played] / (MAX_LEVEL + 10))
    )
    chars.level[played] = np.minimum(chars.level[played] + gain, MAX_LEVEL)


def _leaders_lost(chars: Characters, leaving: np.ndarray) -> np.ndarray:
    return np.unique(chars.guild[leaving[chars.role[leaving] == LEADER]])


def _promote(chars: Characters, guilds: np.ndarray) -> np.ndarray:
    """In guilds that lost their leader, the highest-level character left becomes LEADER."""
    if guilds.size == 0:
        return np.empty(0, dtype=np.int64)
    candidates = np.flatnonzero(np.isin(chars.guild, guilds))
    order = candidates[np.lexsort((chars.level[candidates], chars.guild[candidates]))]
    guild = chars.guild[order]
    last_of_guild = np.concatenate([guild[1:] != guild[:-1], [True]]) if order.size else order
    promoted = order[last_of_guild]
    chars.role[promoted] = LEADER
    return promoted


def _join(rng: np.random.Generator, chars: Characters, joining: np.ndarray) -> None:
    """Join a random guild of the server; the first to join an empty guild leads it."""
    target = _random_guild_on(rng, chars, joining)
    size_before = np.bincount(chars.guild[chars.guild >= 0], minlength=chars.guild_server.size)
    chars.guild[joining] = target
    chars.role[joining] = MEMBER
    empty = size_before[target] == 0
    _, first = np.unique(target[empty], return_index=True)
    chars.role[joining[np.flatnonzero(empty)[first]]] = LEADER


def guild_moves(
    rng: np.random.Generator, chars: Characters, pop: Population, day: Day, first_login: np.ndarray
) -> np.ndarray:
    """Leave, switch and join guilds for today; returns the characters that changed."""
    state = pop.state[chars.member]
    in_guild = chars.exists & (chars.guild >= 0)
    leave_rate = np.select(
        [state == ACTIVE, state == DECLINING, state == CHURNED],
        [LEAVE_RATE[ACTIVE], LEAVE_RATE[DECLINING], LEAVE_RATE[CHURNED]],
        0.0,
    )
    draw = rng.random(chars.member.size)
    leaving = np.flatnonzero(in_guild & (draw < leave_rate))
    switching = np.flatnonzero(
        in_guild & (state == ACTIVE) & (draw >= leave_rate) & (draw < leave_rate + SWITCH_RATE)
    )
    played = first_login[chars.member] >= 0
    odds = JOIN_RATE * (0.5 + pop.engagement[chars.member])
    joining = np.flatnonzero(
        chars.exists & (chars.guild < 0) & played & (chars.created_day < day.index) & (draw < odds)
    )
    departing = np.concatenate([leaving, switching])
    orphaned = _leaders_lost(chars, departing)
    chars.guild[departing] = -1
    chars.role[departing] = NO_ROLE
    promoted = _promote(chars, orphaned)
    _join(rng, chars, np.concatenate([joining, switching]))
    return np.unique(np.concatenate([departing, promoted, joining]))


def daily_snapshots(
    rng: np.random.Generator,
    chars: Characters,
    pop: Population,
    day: Day,
    first_login: np.ndarray,
    tables: Tables,
) -> None:
    """Guild changes every day, level-ups batched weekly (per character weekday)."""
    moved = guild_moves(rng, chars, pop, day, first_login)
    weekly = (np.arange(chars.member.size) + day.index) % 7 == 0
    levelled = np.flatnonzero(
        weekly
        & chars.exists
        & (chars.level.astype(np.int32) > chars.shown_level)
        & (chars.created_day < day.index)
    )
    changed = np.union1d(moved, levelled)
    changed = changed[chars.created_day[changed] < day.index]
    at = day.start_second + rng.integers(1, 86_400, size=changed.size)
    snapshot_rows(tables, chars, changed, at)
