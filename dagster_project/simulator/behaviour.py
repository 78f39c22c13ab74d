"""Game behaviour of one day: logins, money (wallet, recharges, consumption), activities, points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator import clock
from dagster_project.simulator.characters import SLOTS, Characters
from dagster_project.simulator.clock import Day
from dagster_project.simulator.population import DEVICES, NOT_YET, PAY_METHODS, Population
from dagster_project.simulator.reference import Reference
from dagster_project.simulator.sampling import weighted_choice
from dagster_project.simulator.tables import Tables

RECHARGE_PACKAGES_CNY = np.array([6, 30, 68, 128, 328, 648])
MAX_DAILY_SPEND_CNY = 40_000
ITEM_CATEGORIES = ("PROP", "SKIN", "GACHA", "VIP_PASS", "BATTLE_PASS", "OTHER")
SMALL_ITEM_WEIGHTS = np.array([0.35, 0.05, 0.3, 0.02, 0.08, 0.2])
LARGE_ITEM_WEIGHTS = np.array([0.15, 0.25, 0.35, 0.1, 0.1, 0.05])
TXN_TYPES = ("PAYMENT", "REFUND", "CHARGEBACK")
PAYMENT, REFUND, CHARGEBACK = 0, 1, 2
REFUND_RATE, CHARGEBACK_RATE = 0.01, 0.002
CREDIT_RISK_MULTIPLIER = 10.0
RESULTS = ("JOINED", "COMPLETED", "WON")
EXCHANGE_TYPES = ("MALL_REDEEM", "CONVERT_GROWTH")


@dataclass
class LoginDay:
    """Who played today and their sessions (sorted by member, then start)."""

    members: np.ndarray
    first_login: np.ndarray  # per member: first session start, -1 when not played
    session_member: np.ndarray
    session_start: np.ndarray
    session_minutes: np.ndarray
    session_char: np.ndarray
    session_region: np.ndarray
    session_device: np.ndarray

    def sessions_of(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First session index and session count of each given (playing) member."""
        first = np.searchsorted(self.session_member, members, side="left")
        last = np.searchsorted(self.session_member, members, side="right")
        return first, last - first


def base_login_odds(pop: Population) -> np.ndarray:
    """Chance to play on an ordinary day when fully active."""
    return 0.08 + 0.8 * pop.engagement


def _session_chars(rng: np.random.Generator, chars: Characters, member: np.ndarray) -> np.ndarray:
    """Mostly the main character, sometimes another existing one."""
    slot = np.where(rng.random(member.size) < 0.7, 0, rng.integers(0, SLOTS, size=member.size))
    char = member.astype(np.int64) * SLOTS + slot
    return np.where(chars.exists[char], char, member.astype(np.int64) * SLOTS)


def step_logins(
    rng: np.random.Generator,
    pop: Population,
    chars: Characters,
    ref: Reference,
    day: Day,
    factor: np.ndarray,
    tables: Tables,
) -> LoginDay:
    """Sessions of everyone who plays today (new members play on their registration day)."""
    new = pop.reg_day == day.index
    odds = base_login_odds(pop) * factor * (1.0 + 0.4 * pop.growth_progress(day.index))
    odds = np.minimum(odds * (1.08 if day.is_weekend else 1.0), 0.97)
    played = np.flatnonzero((pop.registered() & (rng.random(pop.size) < odds)) | new)
    active_factor = np.where(new[played], 1.0, factor[played])
    sessions_lambda = (0.2 + 1.3 * pop.engagement[played]) * (0.4 + 0.6 * active_factor)
    count = np.minimum(1 + rng.poisson(sessions_lambda), 4)
    member = np.repeat(played, count)
    offset = clock.play_offsets(rng, pop.night_player[member])
    reg_offset = pop.reg_at[member] - day.start_second
    # On their first day members play only after registering (and before midnight).
    after_registration = reg_offset + 60 + rng.random(member.size) * (86_339 - reg_offset)
    after_registration = np.minimum(after_registration.astype(np.int64), 86_399)
    offset = np.where(new[member], after_registration, offset)
    start = day.start_second + offset
    order = np.lexsort((start, member))
    member, start = member[order], start[order]
    median = (12 + 60 * pop.engagement[member]) * (
        0.35 + 0.65 * np.repeat(active_factor, count)[order]
    )
    minutes = np.clip(rng.lognormal(np.log(median), 0.75), 1, 600).astype(np.int64)
    char = _session_chars(rng, chars, member)
    away = rng.random(member.size) < np.where(pop.security_risk[member], 0.12, 0.01)
    region = np.where(away, rng.integers(0, len(ref.regions), size=member.size), pop.region[member])
    other_device = rng.random(member.size) < 0.05
    device = np.where(
        other_device, rng.integers(0, len(DEVICES), size=member.size), pop.device[member]
    )
    tables["logins"].append(
        start,
        member=member,
        game=chars.game[char],
        server=chars.server[char],
        minutes=minutes,
        region=region,
        device=device,
    )
    first_login = np.full(pop.size, -1, dtype=np.int64)
    first_of_member = np.concatenate([[True], member[1:] != member[:-1]]) if member.size else member
    first_login[member[first_of_member]] = start[first_of_member]
    pop.last_login[played] = day.index
    return LoginDay(played, first_login, member, start, minutes, char, region, device)


def _package_cents(rng: np.random.Generator, deficit_cents: np.ndarray) -> np.ndarray:
    """The recharge that covers a deficit: the smallest package, or multiples of 648 CNY."""
    deficit_cny = deficit_cents / 100.0
    index = np.searchsorted(RECHARGE_PACKAGES_CNY, deficit_cny, side="left")
    upsell = rng.random(deficit_cents.size) < 0.2
    bundles = np.ceil(deficit_cny / RECHARGE_PACKAGES_CNY[-1]) + upsell
    single = RECHARGE_PACKAGES_CNY[np.minimum(index + upsell, RECHARGE_PACKAGES_CNY.size - 1)]
    cny = np.where(index >= RECHARGE_PACKAGES_CNY.size, bundles * RECHARGE_PACKAGES_CNY[-1], single)
    return (cny * 100).astype(np.int64)


def _pay_methods(rng: np.random.Generator, pop: Population, member: np.ndarray) -> np.ndarray:
    other = rng.random(member.size) < 0.1
    return np.where(
        other, rng.integers(0, len(PAY_METHODS), size=member.size), pop.pay_method[member]
    )


def _money_rows(
    tables: Tables,
    chars: Characters,
    pop: Population,
    rng: np.random.Generator,
    at: np.ndarray,
    member: np.ndarray,
    txn_type: int,
    cents: np.ndarray,
) -> None:
    tables["recharges"].append(
        at,
        member=member,
        game=chars.game[member.astype(np.int64) * SLOTS],
        txn_type=np.full(member.size, txn_type, dtype=np.int8),
        cents=cents,
        pay_method=_pay_methods(rng, pop, member),
    )


def settle_refunds(
    rng: np.random.Generator, pop: Population, chars: Characters, day: Day, tables: Tables
) -> None:
    """Refunds (bounded by the wallet) and chargebacks scheduled for today."""
    refund = np.flatnonzero(pop.refund_due == day.index)
    cents = np.minimum(pop.refund_cents[refund], pop.wallet_cents[refund])
    refund, cents = refund[cents >= 100], cents[cents >= 100]
    pop.wallet_cents[refund] -= cents
    at = day.start_second + clock.seconds_in_hours(rng, refund.size, clock.OFFICE_HOURS)
    _money_rows(tables, chars, pop, rng, at, refund, REFUND, cents)
    pop.refund_due[pop.refund_due == day.index] = NOT_YET

    chargeback = np.flatnonzero(pop.chargeback_due == day.index)
    cents = pop.chargeback_cents[chargeback]
    pop.wallet_cents[chargeback] -= np.minimum(cents, pop.wallet_cents[chargeback])
    at = day.start_second + rng.integers(0, 86_400, size=chargeback.size)
    _money_rows(tables, chars, pop, rng, at, chargeback, CHARGEBACK, cents)
    pop.chargeback_due[chargeback] = NOT_YET


def _desired_spend_cents(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    factor: np.ndarray,
    spender: np.ndarray,
    spend_odds: np.ndarray,
) -> np.ndarray:
    """What a playing payer wants to spend today: scaled so the long-run mean per day is the
    member's spend scale (times growth), falling with the square of the activity factor."""
    scale = pop.spend_scale[spender] * pop.growth_multiplier(day.index)[spender]
    per_spend_day = scale / (np.minimum(base_login_odds(pop)[spender], 0.97) * spend_odds)
    noise = rng.lognormal(-0.32, 0.8, size=spender.size)
    cny = np.clip(per_spend_day * factor[spender] ** 2 * noise, 1.0, MAX_DAILY_SPEND_CNY)
    return (np.round(cny * 10) * 10).astype(np.int64)


def _split_spend(
    rng: np.random.Generator, cents: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each day's spend into 1-3 transactions: (owner position, amounts, group starts)."""
    count = 1 + rng.binomial(2, 0.25, size=cents.size)
    owner = np.repeat(np.arange(cents.size), count)
    weight = rng.uniform(0.2, 1.0, size=owner.size)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    share = weight / np.repeat(np.add.reduceat(weight, starts), count)
    amounts = np.floor(np.repeat(cents, count) * share).astype(np.int64)
    amounts[starts] += cents - np.add.reduceat(amounts, starts)
    return owner, amounts, starts


def step_money(
    rng: np.random.Generator,
    pop: Population,
    chars: Characters,
    day: Day,
    logins: LoginDay,
    factor: np.ndarray,
    tables: Tables,
) -> np.ndarray:
    """Payers who play spend from their wallet and recharge when it cannot cover the day.
    Returns the cents consumed today per member."""
    settle_refunds(rng, pop, chars, day, tables)
    playing = logins.members
    spend_odds_all = 0.3 + 0.4 * pop.engagement
    spender = playing[pop.payer[playing] & (rng.random(playing.size) < spend_odds_all[playing])]
    if spender.size == 0:
        return np.zeros(pop.size, dtype=np.int64)
    cents = _desired_spend_cents(rng, pop, day, factor, spender, spend_odds_all[spender])
    owner, amounts, starts = _split_spend(rng, cents)
    first, count = logins.sessions_of(spender)
    session = first[owner] + (rng.random(owner.size) * count[owner]).astype(np.int64)
    at = logins.session_start[session] + (
        rng.random(owner.size) * logins.session_minutes[session] * 60
    ).astype(np.int64)
    at = clock.clip_to_day(at, day)
    categories = np.where(
        amounts >= 3000,
        rng.choice(len(ITEM_CATEGORIES), size=owner.size, p=LARGE_ITEM_WEIGHTS),
        rng.choice(len(ITEM_CATEGORIES), size=owner.size, p=SMALL_ITEM_WEIGHTS),
    )
    char = logins.session_char[session]
    tables["consumption"].append(
        at,
        member=spender[owner],
        game=chars.game[char],
        server=chars.server[char],
        cents=amounts,
        category=categories,
    )

    deficit = cents - pop.wallet_cents[spender]
    needs = deficit > 0
    payer = spender[needs]
    paid = _package_cents(rng, deficit[needs])
    # The payment lands just before the first purchase it funds.
    first_purchase = np.minimum.reduceat(at, starts)[needs]
    pay_at = np.maximum(
        logins.first_login[payer], first_purchase - rng.integers(10, 300, size=payer.size)
    )
    _money_rows(tables, chars, pop, rng, pay_at, payer, PAYMENT, paid)
    pop.wallet_cents[payer] += paid
    pop.wallet_cents[spender] -= cents
    pop.consumed_cents[spender] += cents
    _schedule_reversals(rng, pop, day, payer, paid)

    today = np.zeros(pop.size, dtype=np.int64)
    today[spender] = cents
    return today


def _schedule_reversals(
    rng: np.random.Generator, pop: Population, day: Day, payer: np.ndarray, paid: np.ndarray
) -> None:
    """Some payments are refunded days later, a few charged back; risky members repeatedly."""
    risk = np.where(pop.credit_risk[payer], CREDIT_RISK_MULTIPLIER, 1.0)
    draw = rng.random(payer.size)
    refund = draw < REFUND_RATE * risk
    chargeback = ~refund & (draw < (REFUND_RATE + CHARGEBACK_RATE) * risk)
    pop.refund_due[payer[refund]] = day.index + rng.integers(1, 8, size=int(refund.sum()))
    pop.refund_cents[payer[refund]] = paid[refund]
    pop.chargeback_due[payer[chargeback]] = day.index + rng.integers(
        2, 15, size=int(chargeback.sum())
    )
    pop.chargeback_cents[payer[chargeback]] = paid[chargeback]


def _during_play(
    rng: np.random.Generator, logins: LoginDay, member: np.ndarray, day: Day, hours: float
) -> np.ndarray:
    """A moment within a few hours after the member's first login of the day."""
    at = logins.first_login[member] + (rng.random(member.size) * hours * 3600).astype(np.int64)
    return clock.clip_to_day(at, day)


def step_activities(
    rng: np.random.Generator,
    pop: Population,
    chars: Characters,
    ref: Reference,
    day: Day,
    logins: LoginDay,
    factor: np.ndarray,
    tables: Tables,
) -> None:
    """Players join activities of their games (VIP-only ones when they spend big), mostly of
    their preferred type."""
    playing = logins.members
    odds = 0.12 * (0.5 + pop.engagement) * factor * (1.0 + pop.growth_progress(day.index))
    joiner = playing[rng.random(playing.size) < odds[playing]]
    joiner = np.concatenate([joiner, joiner[rng.random(joiner.size) < 0.2]])
    has_game = np.zeros((pop.size, len(ref.games)), dtype=bool)
    has_game[chars.member[chars.exists], chars.game[chars.exists]] = True
    any_game = ref.activity_game < 0
    eligible = any_game[None, :] | has_game[joiner][:, np.maximum(ref.activity_game, 0)]
    high = pop.high_spender(ref.gold_threshold_cny)[joiner]
    eligible &= ~ref.activity_vip_only[None, :] | high[:, None]
    preferred = ref.activity_type[None, :] == pop.preferred_activity_type[joiner][:, None]
    activity = weighted_choice(rng, eligible * (1.0 + 3.0 * preferred))
    win_odds = 0.05 + 0.15 * pop.engagement[joiner]
    draw = rng.random(joiner.size)
    result = np.where(draw < win_odds, 2, np.where(draw < win_odds + 0.45, 1, 0))
    tables["activity_participation"].append(
        _during_play(rng, logins, joiner, day, 4.0), member=joiner, activity=activity, result=result
    )


def step_points(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    logins: LoginDay,
    consumed_today: np.ndarray,
    tables: Tables,
) -> None:
    """G-points: earned on consumption (times the campaign multiplier), spent in the mall when
    the balance covers the item (rarely a little more), sometimes converted to growth."""
    multiplier_pct = int(round(day.points_multiplier * 100))
    pop.points += consumed_today * multiplier_pct // 10_000
    playing = logins.members
    high = pop.high_spender(ref.gold_threshold_cny)[playing]
    odds = 0.03 * (1.0 + high)
    redeemer = playing[
        (pop.points[playing] >= ref.mall_prices.min()) & (rng.random(playing.size) < odds)
    ]
    budget = pop.points[redeemer] * np.where(rng.random(redeemer.size) < 0.03, 1.3, 1.0)
    affordable = ref.mall_prices[None, :] <= budget[:, None]
    item = weighted_choice(rng, affordable / np.sqrt(ref.mall_prices)[None, :])
    price = ref.mall_prices[item]
    pop.points[redeemer] = np.maximum(pop.points[redeemer] - price, 0)

    converter = playing[(pop.points[playing] >= 1000) & (rng.random(playing.size) < 0.004)]
    converted = (pop.points[converter] * rng.uniform(0.3, 1.0, converter.size) // 100 * 100).astype(
        np.int64
    )
    pop.points[converter] -= converted

    member = np.concatenate([redeemer, converter])
    tables["points_exchanges"].append(
        _during_play(rng, logins, member, day, 3.0),
        member=member,
        exchange_type=np.repeat(np.array([0, 1], dtype=np.int8), [redeemer.size, converter.size]),
        item=np.concatenate([item, np.full(converter.size, -1)]),
        points=np.concatenate([price, converted]),
    )
