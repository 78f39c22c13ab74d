"""The simulation: a loop over days, each day one vectorised step per behaviour, then the
landing files.

Randomness comes from one seed: the world and the noise use separate streams, so the same
world is produced whatever the dirty rate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from dagster_project.simulator import accounts, behaviour, characters, lifecycle, service
from dagster_project.simulator.clock import SECONDS_PER_DAY, Day, day_number
from dagster_project.simulator.config import SimulationConfig, SimulationSummary
from dagster_project.simulator.population import ACTIVE, Population, init_population
from dagster_project.simulator.reference import Reference, load_reference
from dagster_project.simulator.render import Lookups
from dagster_project.simulator.tables import Columns, IdCounter, Tables
from dagster_project.simulator.writer import write_source
from data_quality.contract import SOURCES

logger = logging.getLogger(__name__)


@dataclass
class Truth:
    """The latent side of a run, for tests and model sanity checks (never delivered)."""

    state_by_day: np.ndarray  # days x members: lifecycle state at the end of each day
    payer: np.ndarray
    spend_scale: np.ndarray
    latent_vip: np.ndarray
    growth_start: np.ndarray
    growth_days: np.ndarray
    growth_scale: np.ndarray
    true_phone: np.ndarray  # at the end of the window


@dataclass
class World:
    """Everything a run produced before it was written."""

    config: SimulationConfig
    tables: dict[str, Columns]
    lookups: Lookups
    truth: Truth
    start_second: int


def _day(config: SimulationConfig, ref: Reference, index: int) -> Day:
    on = config.start + timedelta(days=index)
    return Day(index, on, day_number(on) * SECONDS_PER_DAY, ref.points_multiplier(on))


def _birth_month_days(pop: Population) -> np.ndarray:
    dates = pop.birth_day.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    day_of_month = (dates - months).astype(np.int64) + 1
    return (months.astype(np.int64) % 12 + 1) * 100 + day_of_month


def _register(pop: Population, day: Day, tables: Tables) -> None:
    """New accounts: active from today, their first profile version at registration."""
    new = np.flatnonzero(pop.reg_day == day.index)
    pop.state[new] = ACTIVE
    pop.last_login[new] = day.index
    accounts.profile_rows(tables, pop, new, pop.reg_at[new])


def _first_delivery(
    pop: Population, chars: characters.Characters, start_second: int, tables: Tables
) -> None:
    """Day one carries a full snapshot of existing members and their characters."""
    existing = np.flatnonzero(pop.reg_day < 0)
    accounts.profile_rows(tables, pop, existing, np.full(existing.size, start_second))
    alive = np.flatnonzero(chars.exists)
    characters.snapshot_rows(tables, chars, alive, np.full(alive.size, start_second))


def run_world(config: SimulationConfig) -> World:
    """Simulate every day in memory; nothing is written."""
    world_seed, _ = np.random.SeedSequence(config.seed).spawn(2)
    rng = np.random.default_rng(world_seed)
    ref = load_reference()
    pop = init_population(rng, config, ref)
    chars = characters.init_characters(rng, pop, ref)
    latent_vip = pop.spend_scale * 365 >= ref.gold_threshold_cny
    birth_mmdd = _birth_month_days(pop)
    tables, contact_ids, ticket_ids = Tables(), IdCounter(), IdCounter()
    start_second = day_number(config.start) * SECONDS_PER_DAY
    _first_delivery(pop, chars, start_second, tables)
    states = np.empty((config.days, pop.size), dtype=np.int8)
    for index in range(config.days):
        day = _day(config, ref, index)
        _simulate_day(
            rng,
            pop,
            chars,
            ref,
            day,
            latent_vip,
            birth_mmdd,
            tables,
            contact_ids,
            ticket_ids,
            config.days,
        )
        states[index] = pop.state
    built = {name: tables[name].build(start_second, config.days) for name in SOURCES}
    truth = Truth(
        state_by_day=states,
        payer=pop.payer,
        spend_scale=pop.spend_scale,
        latent_vip=latent_vip,
        growth_start=pop.growth_start,
        growth_days=pop.growth_days,
        growth_scale=pop.growth_scale,
        true_phone=pop.true_phone,
    )
    lookups = Lookups(ref, chars.guild_ids, chars.guild_names)
    return World(config, built, lookups, truth, start_second)


def _simulate_day(
    rng: np.random.Generator,
    pop: Population,
    chars: characters.Characters,
    ref: Reference,
    day: Day,
    latent_vip: np.ndarray,
    birth_mmdd: np.ndarray,
    tables: Tables,
    contact_ids: IdCounter,
    ticket_ids: IdCounter,
    horizon_days: int,
) -> None:
    _register(pop, day, tables)
    lifecycle.step_lifecycle(rng, pop, day.index, latent_vip)
    factor = lifecycle.activity_factor(pop, day.index)
    logins = behaviour.step_logins(rng, pop, chars, ref, day, factor, tables)
    characters.create_characters(rng, chars, pop, day, logins.first_login, tables)
    characters.gain_levels(rng, chars, logins.session_char, logins.session_minutes)
    consumed = behaviour.step_money(rng, pop, chars, day, logins, factor, tables)
    behaviour.step_points(rng, pop, ref, day, logins, consumed, tables)
    behaviour.step_activities(rng, pop, chars, ref, day, logins, factor, tables)
    characters.daily_snapshots(rng, chars, pop, day, logins.first_login, tables)
    seen = service.observe(pop, ref, day, birth_mmdd)
    contacts, survey_ids = service.step_contacts(rng, pop, ref, day, seen, tables, contact_ids)
    service.step_contact_surveys(rng, pop, day, contacts, survey_ids, tables)
    service.step_tickets(rng, pop, ref, day, logins, tables, ticket_ids)
    accounts.step_security(rng, pop, ref, day, logins, tables)
    accounts.step_manual_tags(rng, pop, ref, day, max(horizon_days, 30), tables)
    accounts.step_profile_changes(rng, pop, ref, day, tables)


def write_world(world: World) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Write every source's landing files; returns rows per source and dirty rows per kind."""
    config = world.config
    _, noise_seed = np.random.SeedSequence(config.seed).spawn(2)
    source_seeds = noise_seed.spawn(len(SOURCES))
    rows: dict[str, int] = {}
    dirty: dict[tuple[str, str], int] = {}
    for name, seed in zip(SOURCES, source_seeds, strict=True):
        counts = write_source(
            name,
            world.tables[name],
            config,
            world.lookups,
            np.random.default_rng(seed),
            world.start_second,
        )
        rows[name] = counts.pop("rows")
        dirty.update({(name, kind): count for kind, count in counts.items()})
    return rows, dirty


def simulate(config: SimulationConfig) -> SimulationSummary:
    """Simulate the source systems and write the landing files of all twelve sources."""
    started = time.perf_counter()
    world = run_world(config)
    rows, dirty = write_world(world)
    summary = SimulationSummary(config, rows, dirty, time.perf_counter() - started)
    logger.info(
        "simulated %d members x %d days: %d rows in %.1f s (%.0f rows/s)",
        config.members,
        config.days,
        summary.total_rows,
        summary.elapsed_seconds,
        summary.rows_per_second,
    )
    return summary
