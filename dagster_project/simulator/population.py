"""The members: who they are (profile), how they behave (latent traits) and where they stand.

Latent traits are drawn once; the daily loop changes only the state fields. Nothing here is
delivered as such: the sources only show what members do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator import identity
from dagster_project.simulator.clock import SECONDS_PER_DAY, day_number
from dagster_project.simulator.config import SimulationConfig
from dagster_project.simulator.reference import Reference

# Lifecycle states (latent).
UNREGISTERED, ACTIVE, DECLINING, CHURNED = -1, 0, 1, 2

GENDERS = ("M", "F", "U")
REGISTER_CHANNELS = ("APP", "WEB", "PARTNER")
DEVICES = ("IOS", "ANDROID", "PC")
PAY_METHODS = ("ALIPAY", "WECHAT", "CARD", "APPLE", "GOOGLE")
# Preferred payment method by device (rows: DEVICES, columns: PAY_METHODS).
PAY_METHOD_BY_DEVICE = np.array(
    [[0.25, 0.25, 0.0, 0.5, 0.0], [0.4, 0.45, 0.1, 0.0, 0.05], [0.5, 0.35, 0.15, 0.0, 0.0]]
)

EXISTING_SHARE = 0.55  # registered before the window
MAX_TENURE_DAYS = 3 * 365
PAYER_BASE, PAYER_PER_ENGAGEMENT = 0.28, 0.25
# Spend scale of payers: CNY per day when fully active, lognormal (the heavy tail).
SPEND_MEDIAN_CNY_PER_DAY, SPEND_SIGMA, SPEND_Z_CAP = 0.8, 3.0, 2.5
GROWTH_SHARE = 0.05  # of regular payers
GROWTH_CROSSER_SHARE = 0.6
CREDIT_RISK_SHARE_OF_PAYERS = 0.04  # refund and charge back again and again
SECURITY_RISK_SHARE = 0.02
NOT_YET = np.iinfo(np.int32).max // 2  # a day that never comes


@dataclass
class Population:
    """Every member's profile, latent traits and current state, as arrays indexed by member."""

    # profile
    reg_day: np.ndarray
    reg_at: np.ndarray
    surname: np.ndarray
    given_first: np.ndarray
    name: np.ndarray
    gender: np.ndarray
    birth_day: np.ndarray  # days since 1970-01-01
    region: np.ndarray
    occupation: np.ndarray
    register_channel: np.ndarray
    true_phone: np.ndarray
    phone: np.ndarray  # as in the profile (object, may be stale, malformed or None)
    phone_ok: np.ndarray  # the profile phone cleans to the true phone
    email: np.ndarray
    # latent traits
    engagement: np.ndarray
    night_player: np.ndarray
    device: np.ndarray
    pay_method: np.ndarray
    payer: np.ndarray
    spend_scale: np.ndarray  # CNY per day when fully active
    credit_risk: np.ndarray
    security_risk: np.ndarray
    preferred_activity_type: np.ndarray
    growth_start: np.ndarray
    growth_days: np.ndarray
    growth_scale: np.ndarray  # CNY per day at the end of the ramp (0: no growth phase)
    # state
    state: np.ndarray
    decline_start: np.ndarray
    decline_days: np.ndarray
    decline_depth: np.ndarray
    recovers: np.ndarray
    break_until: np.ndarray
    last_login: np.ndarray
    wallet_cents: np.ndarray
    consumed_cents: np.ndarray  # in the window (what the warehouse sees)
    points: np.ndarray
    open_ticket_until: np.ndarray
    bad_survey_day: np.ndarray
    winback_day: np.ndarray
    refund_due: np.ndarray
    refund_cents: np.ndarray
    chargeback_due: np.ndarray
    chargeback_cents: np.ndarray
    security_bound: np.ndarray
    red_listed: np.ndarray
    white_listed: np.ndarray

    @property
    def size(self) -> int:
        return self.reg_day.size

    def registered(self) -> np.ndarray:
        return self.state != UNREGISTERED

    def registered_before(self, day: int) -> np.ndarray:
        """Members who existed before the given day (events of their first day all follow
        their registration, so day-level triggers skip it)."""
        return (self.state != UNREGISTERED) & (self.reg_day < day)

    def has_phone(self) -> np.ndarray:
        """Members whose profile carries a phone (valid or not)."""
        return np.not_equal(self.phone, None)

    def has_email(self) -> np.ndarray:
        """Members whose profile carries an e-mail (valid or not)."""
        return np.not_equal(self.email, None)

    def high_spender(self, gold_threshold_cny: float) -> np.ndarray:
        """Members the operator knows as big spenders: consumption in the window reached the
        gold threshold, or they were already big spenders before it."""
        known_before = (self.reg_day < 0) & (self.spend_scale * 365 >= gold_threshold_cny)
        return (self.consumed_cents >= gold_threshold_cny * 100) | known_before

    def growth_multiplier(self, day: int) -> np.ndarray:
        """Spend multiplier of the growth phase: 1 before it, rising to its plateau."""
        progress = np.clip((day - self.growth_start) / self.growth_days, 0.0, 1.0)
        grows = self.growth_scale > 0
        target = np.divide(
            self.growth_scale, self.spend_scale, out=np.ones_like(self.spend_scale), where=grows
        )
        return 1.0 + (target - 1.0) * progress

    def growth_progress(self, day: int) -> np.ndarray:
        """0 before (or without) a growth phase, rising to 1 at its end."""
        progress = np.clip((day - self.growth_start) / self.growth_days, 0.0, 1.0)
        return np.where(self.growth_scale > 0, progress, 0.0)


def _registration_days(rng: np.random.Generator, config: SimulationConfig) -> np.ndarray:
    size = config.members
    existing = rng.random(size) < EXISTING_SHARE
    # More recent cohorts are larger (the game grows).
    tenure = np.ceil(MAX_TENURE_DAYS * rng.random(size) ** 1.5).astype(np.int32)
    growth = 1.0 + 0.5 * np.arange(config.days) / config.days
    in_window = rng.choice(config.days, size=size, p=growth / growth.sum()).astype(np.int32)
    return np.where(existing, -tenure, in_window)


def _initial_states(rng: np.random.Generator, reg_day: np.ndarray) -> np.ndarray:
    """Existing members: older accounts are more often churned already."""
    size = reg_day.size
    tenure_share = np.clip(-reg_day / MAX_TENURE_DAYS, 0.0, 1.0)
    draw = rng.random(size)
    churned = draw < 0.15 + 0.3 * tenure_share
    declining = ~churned & (draw < 0.21 + 0.3 * tenure_share)
    state = np.where(churned, CHURNED, np.where(declining, DECLINING, ACTIVE)).astype(np.int8)
    return np.where(reg_day < 0, state, UNREGISTERED).astype(np.int8)


def _spend_traits(
    rng: np.random.Generator, engagement: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    size = engagement.size
    payer = rng.random(size) < PAYER_BASE + PAYER_PER_ENGAGEMENT * engagement
    # Truncated far out: a handful of extreme whales would make small runs erratic.
    z = np.minimum(rng.standard_normal(size), SPEND_Z_CAP)
    log_scale = np.log(SPEND_MEDIAN_CNY_PER_DAY) + 0.8 * (engagement - 0.5) + SPEND_SIGMA * z
    return payer, np.where(payer, np.exp(log_scale), 0.0)


def _growth_traits(
    rng: np.random.Generator,
    config: SimulationConfig,
    payer: np.ndarray,
    scale: np.ndarray,
    gold_cny: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A share of regular payers ramps up: most past the gold threshold, some plateau below."""
    size = payer.size
    regular = payer & (scale * 365 < 0.8 * gold_cny)
    grows = regular & (rng.random(size) < GROWTH_SHARE)
    start = rng.integers(-14, max(config.days - 7, 1), size=size)
    days = rng.integers(14, 36, size=size)
    crosses = rng.random(size) < GROWTH_CROSSER_SHARE
    # Daily plateau, relative to the gold threshold: crossers reach it within ~1-2 months.
    plateau = np.where(
        crosses,
        rng.uniform(0.025, 0.06, size) * gold_cny,
        rng.uniform(0.0035, 0.009, size) * gold_cny,
    )
    growth_scale = np.where(grows, np.maximum(plateau, scale), 0.0)
    return np.where(grows, start, NOT_YET).astype(np.int32), days.astype(np.int32), growth_scale


def init_population(
    rng: np.random.Generator, config: SimulationConfig, ref: Reference
) -> Population:
    """Draw every member: profile, traits and the state on the eve of the window."""
    size = config.members
    start_day = day_number(config.start)
    reg_day = _registration_days(rng, config)
    reg_at = (start_day + reg_day.astype(np.int64)) * SECONDS_PER_DAY + rng.integers(
        0, SECONDS_PER_DAY, size=size
    )
    surname, first, second = identity.real_names(rng, size)
    age_days = (16 + 39 * rng.beta(2.0, 3.5, size=size)) * 365.25
    true_phone = identity.mobile_numbers(rng, size)
    phone, phone_ok = identity.profile_phones(rng, true_phone)
    engagement = rng.beta(2.0, 2.2, size=size)
    device = rng.choice(len(DEVICES), size=size, p=[0.3, 0.55, 0.15])
    cumulative = PAY_METHOD_BY_DEVICE.cumsum(axis=1)[device]
    pay_method = (rng.random(size)[:, None] > cumulative).sum(axis=1)
    payer, scale = _spend_traits(rng, engagement)
    growth_start, growth_days, growth_scale = _growth_traits(
        rng, config, payer, scale, ref.gold_threshold_cny
    )
    state = _initial_states(rng, reg_day)
    never = np.full(size, NOT_YET, dtype=np.int32)
    zero = np.zeros(size, dtype=np.int64)
    return Population(
        reg_day=reg_day,
        reg_at=reg_at,
        surname=surname,
        given_first=first,
        name=identity.render_names(surname, first, second),
        gender=rng.choice(len(GENDERS), size=size, p=[0.62, 0.34, 0.04]).astype(np.int8),
        birth_day=(start_day - age_days).astype(np.int64),
        region=rng.choice(len(ref.regions), size=size, p=ref.region_weights),
        occupation=rng.choice(len(ref.occupations), size=size, p=ref.occupation_weights),
        register_channel=rng.choice(len(REGISTER_CHANNELS), size=size, p=[0.6, 0.3, 0.1]),
        true_phone=true_phone,
        phone=phone,
        phone_ok=phone_ok,
        email=identity.emails(rng, surname, first),
        engagement=engagement,
        night_player=rng.random(size) < 0.15,
        device=device,
        pay_method=np.minimum(pay_method, len(PAY_METHODS) - 1),
        payer=payer,
        spend_scale=scale,
        credit_risk=payer & (rng.random(size) < CREDIT_RISK_SHARE_OF_PAYERS),
        security_risk=rng.random(size) < SECURITY_RISK_SHARE,
        preferred_activity_type=rng.integers(0, len(ref.activity_types), size=size),
        growth_start=growth_start,
        growth_days=growth_days,
        growth_scale=growth_scale,
        state=state,
        decline_start=np.where(state == DECLINING, -rng.integers(0, 20, size=size), NOT_YET).astype(
            np.int32
        ),
        decline_days=rng.integers(7, 31, size=size).astype(np.int32),
        decline_depth=rng.uniform(0.75, 0.98, size=size),
        recovers=rng.random(size) < 0.3,
        break_until=np.full(size, -1, dtype=np.int32),
        last_login=np.where(
            state == CHURNED, -rng.integers(30, 400, size=size), -rng.integers(1, 6, size=size)
        ).astype(np.int32),
        wallet_cents=zero.copy(),
        consumed_cents=zero.copy(),
        points=zero.copy(),
        open_ticket_until=np.full(size, -1, dtype=np.int32),
        bad_survey_day=np.full(size, -NOT_YET, dtype=np.int32),
        winback_day=np.full(size, -NOT_YET, dtype=np.int32),
        refund_due=never.copy(),
        refund_cents=zero.copy(),
        chargeback_due=never.copy(),
        chargeback_cents=zero.copy(),
        security_bound=rng.random(size) < 0.25 + 0.3 * payer,
        red_listed=np.zeros(size, dtype=bool),
        white_listed=np.zeros(size, dtype=bool),
    )
