"""Latent lifecycle: active -> declining -> churned -> (returned), one step per day.

Hazards depend on engagement and on what happened to the member (unresolved tickets, bad
surveys, win-back calls), so the signals before churn are real but noisy: some members churn
abruptly, some decline and recover, some simply take a break.
"""

from __future__ import annotations

import numpy as np

from dagster_project.simulator.population import ACTIVE, CHURNED, DECLINING, NOT_YET, Population

DECLINE_HAZARD = 0.008
ABRUPT_CHURN_HAZARD = 0.001
RETURN_HAZARD = 0.003
WINBACK_BOOST = 5.0
BREAK_HAZARD = 0.004  # a short break with no other warning sign
RECOVERY_SHARE = 0.3


def decline_hazard(pop: Population, day: int, latent_vip: np.ndarray) -> np.ndarray:
    """Daily chance that an active member starts declining."""
    hazard = DECLINE_HAZARD * (1.6 - pop.engagement)
    hazard *= np.where(pop.open_ticket_until >= day, 2.5, 1.0)
    hazard *= np.where((day - pop.bad_survey_day >= 0) & (day - pop.bad_survey_day <= 14), 2.0, 1.0)
    hazard *= np.where(latent_vip, 0.6, 1.0)
    return hazard * np.where(pop.growth_progress(day) > 0, 0.3, 1.0)


def step_lifecycle(
    rng: np.random.Generator, pop: Population, day: int, latent_vip: np.ndarray
) -> None:
    """Move every registered member one day through the lifecycle."""
    size = pop.size
    draw = rng.random(size)
    active = pop.state == ACTIVE
    abrupt = ABRUPT_CHURN_HAZARD * np.where(latent_vip, 0.5, 1.0)
    starts_decline = (
        active & (draw >= abrupt) & (draw < abrupt + decline_hazard(pop, day, latent_vip))
    )
    churns_abruptly = active & (draw < abrupt)

    declining = pop.state == DECLINING
    ends_decline = declining & (day - pop.decline_start >= pop.decline_days)
    recovers = ends_decline & pop.recovers
    churns_after_decline = ends_decline & ~pop.recovers

    winback = (day - pop.winback_day >= 0) & (day - pop.winback_day <= 7)
    returns = (pop.state == CHURNED) & (
        draw < RETURN_HAZARD * np.where(winback, WINBACK_BOOST, 1.0)
    )

    pop.state[churns_abruptly | churns_after_decline] = CHURNED
    pop.state[recovers | returns] = ACTIVE
    pop.state[starts_decline] = DECLINING
    pop.decline_start[starts_decline] = day
    pop.decline_days[starts_decline] = rng.integers(7, 31, size=int(starts_decline.sum()))
    pop.decline_depth[starts_decline] = rng.uniform(0.75, 0.98, size=int(starts_decline.sum()))
    pop.recovers[starts_decline] = rng.random(int(starts_decline.sum())) < RECOVERY_SHARE
    pop.decline_start[~(pop.state == DECLINING)] = NOT_YET

    # A growth phase starts with the member (back) in the game.
    grows = pop.growth_start == day
    pop.state[grows & pop.registered()] = ACTIVE
    pop.break_until[grows] = -1

    takes_break = (
        (pop.state == ACTIVE) & (pop.break_until < day) & (rng.random(size) < BREAK_HAZARD)
    )
    pop.break_until[takes_break] = day + rng.integers(3, 15, size=int(takes_break.sum()))


def activity_factor(pop: Population, day: int) -> np.ndarray:
    """How much of its usual activity each member shows today (0 when churned)."""
    elapsed = np.clip((day - pop.decline_start) / pop.decline_days, 0.0, 1.0)
    fading = 1.0 - pop.decline_depth * elapsed**0.5
    factor = np.select(
        [pop.state == ACTIVE, pop.state == DECLINING, pop.state == CHURNED],
        [1.0, fading, 0.0],
        0.0,
    )
    return np.where((pop.state == ACTIVE) & (pop.break_until >= day), 0.08, factor)
