"""Service behaviour of one day: contacts (calls, chats, pushes), tickets and surveys.

The operator acts on what it can observe (days since last login, consumption so far,
birthdays, registrations), never on the latent state: targeting must not leak the churn label.
Members act on their latent state: decliners call in, open tickets and answer surveys badly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.simulator import clock, identity
from dagster_project.simulator.behaviour import LoginDay
from dagster_project.simulator.clock import Day
from dagster_project.simulator.population import ACTIVE, CHURNED, DECLINING, NOT_YET, Population
from dagster_project.simulator.reference import Reference
from dagster_project.simulator.sampling import weighted_choice
from dagster_project.simulator.tables import IdCounter, Tables
from data_quality.contract import CHANNELS, CONTACT_OUTCOMES, CONTACT_PURPOSES, TICKET_CATEGORIES

OB, IB, IM, SMS, EMAIL, APP, WEB = (
    CHANNELS.index(c) for c in ("OB", "IB", "IM", "SMS", "EMAIL", "APP", "WEB")
)
IN, OUT = 0, 1
DIRECTIONS = ("IN", "OUT")
REACHED, NO_ANSWER, WRONG_NUMBER, REFUSED = (
    CONTACT_OUTCOMES.index(o) for o in ("REACHED", "NO_ANSWER", "WRONG_NUMBER", "REFUSED")
)
PURPOSE = {p: i for i, p in enumerate(CONTACT_PURPOSES)}
PRIORITIES = ("P1", "P2", "P3")
TICKET_STATUSES = ("OPEN", "RESOLVED", "CLOSED")
OPEN, RESOLVED, CLOSED = 0, 1, 2
CATEGORY_WEIGHTS = np.array([0.22, 0.18, 0.2, 0.12, 0.2, 0.08])
COMPLAINT = TICKET_CATEGORIES.index("COMPLAINT")
SURVEY_COMMENTS = {
    1: ("问题一直没解决，很失望", "投诉多次没人理", "太差了，考虑退游", "再也不想充值了"),
    2: ("处理太慢了", "客服答非所问", "充值问题拖了很久", "等了好几天才回复"),
    3: ("一般般吧", "等待时间有点长", "解决了，但过程有点繁琐"),
    4: ("整体还可以", "处理速度还行", "比较满意，希望继续保持"),
    5: ("客服响应很快，满意", "服务非常专业，点赞", "问题很快解决了，谢谢", "态度很好，体验不错"),
}


@dataclass
class Observed:
    """What the operator can see about each member today."""

    registered: np.ndarray
    days_since_login: np.ndarray
    high_spender: np.ndarray
    has_paid: np.ndarray
    birthday: np.ndarray
    new: np.ndarray


def observe(pop: Population, ref: Reference, day: Day, birth_mmdd: np.ndarray) -> Observed:
    """The operator's view of every member on a day."""
    return Observed(
        registered=pop.registered_before(day.index),
        days_since_login=day.index - pop.last_login,
        high_spender=pop.high_spender(ref.gold_threshold_cny),
        has_paid=pop.consumed_cents > 0,
        birthday=birth_mmdd == day.date.month * 100 + day.date.day,
        new=(day.index - pop.reg_day >= 0) & (day.index - pop.reg_day <= 3),
    )


@dataclass
class ContactBatch:
    """Contacts of one channel, in coded columns."""

    member: np.ndarray
    at: np.ndarray
    channel: int
    direction: int
    agent: np.ndarray
    purpose: np.ndarray
    outcome: np.ndarray
    phone: np.ndarray
    email: np.ndarray
    seconds: np.ndarray


def _choose(
    rng: np.random.Generator, size: int, weights: dict[str, float], codes: dict[str, int]
) -> np.ndarray:
    names = list(weights)
    probabilities = np.array([weights[n] for n in names])
    picks = rng.choice(len(names), size=size, p=probabilities / probabilities.sum())
    return np.array([codes[n] for n in names])[picks]


def _purposes(
    rng: np.random.Generator, seen: Observed, member: np.ndarray, routine: dict[str, float]
) -> np.ndarray:
    """Birthday care, win-back, retention or welcome where they apply, else routine purposes."""
    since = seen.days_since_login[member]
    return np.select(
        [seen.birthday[member], since >= 30, since >= 7, seen.new[member]],
        [PURPOSE["BIRTHDAY"], PURPOSE["WINBACK"], PURPOSE["RETENTION"], PURPOSE["WELCOME"]],
        _choose(rng, member.size, routine, PURPOSE),
    )


def _pick_agents(rng: np.random.Generator, team: np.ndarray, size: int) -> np.ndarray:
    return team[rng.integers(0, team.size, size=size)]


def _none(size: int) -> np.ndarray:
    return np.full(size, None, dtype=object)


def outbound_calls(
    rng: np.random.Generator, pop: Population, ref: Reference, day: Day, seen: Observed
) -> ContactBatch:
    """OB calls, mostly to high spenders and to payers who stopped playing; the agent dials the
    profile phone: only the member's true phone can be reached."""
    since = seen.days_since_login
    odds = (
        0.0003
        + 0.01 * seen.high_spender
        + 0.02 * (seen.has_paid & (since >= 7) & (since < 30))
        + 0.01 * (seen.high_spender & (since >= 30) & (since < 120))
        + 0.3 * (seen.birthday & seen.high_spender)
        + 0.01 * seen.new
    )
    callable_ = seen.registered & pop.has_phone()
    member = np.flatnonzero(callable_ & (rng.random(pop.size) < odds))
    purpose = _purposes(
        rng, seen, member, {"MARKETING": 0.5, "SURVEY": 0.2, "VERIFY": 0.2, "SERVICE": 0.1}
    )
    reach_odds = np.where(pop.state[member] == CHURNED, 0.5, 0.62)
    draw = rng.random(member.size)
    answered = np.where(
        draw < reach_odds, REACHED, np.where(draw < reach_odds + 0.28, NO_ANSWER, REFUSED)
    )
    wrong = np.where(rng.random(member.size) < 0.85, WRONG_NUMBER, NO_ANSWER)
    outcome = np.where(pop.phone_ok[member], answered, wrong)
    return ContactBatch(
        member=member,
        at=day.start_second + clock.seconds_in_hours(rng, member.size, clock.OFFICE_HOURS),
        channel=OB,
        direction=OUT,
        agent=_pick_agents(rng, ref.ob_agents, member.size),
        purpose=purpose,
        outcome=outcome,
        phone=pop.phone[member],
        email=_none(member.size),
        seconds=_call_seconds(rng, outcome),
    )


def _call_seconds(rng: np.random.Generator, outcome: np.ndarray) -> np.ndarray:
    talk = np.clip(rng.lognormal(np.log(180), 0.7, outcome.size), 20, 3600)
    short = rng.uniform(0, 60, outcome.size)
    return np.where(outcome == REACHED, talk, short).astype(np.int64)


def _member_initiated(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    seen: Observed,
    channel: int,
    base: float,
    declining_boost: float,
    ticket_boost: float,
) -> ContactBatch:
    """IB calls and IM chats: more often from decliners and members with open tickets."""
    odds = (
        base
        + declining_boost * (pop.state == DECLINING)
        + ticket_boost * (pop.open_ticket_until >= day.index)
    )
    odds = odds * np.where(pop.state == CHURNED, 0.3, 1.0)
    member = np.flatnonzero(seen.registered & (rng.random(pop.size) < odds))
    is_call = channel == IB
    outcome = np.where(is_call & (rng.random(member.size) < 0.08), NO_ANSWER, REACHED)
    caller_id = identity.format_mobiles(
        pop.true_phone[member], np.zeros(member.size, dtype=np.int64)
    )
    phone = caller_id.to_numpy().astype(object)
    phone[rng.random(member.size) < 0.1] = None  # withheld numbers
    talk = np.clip(rng.lognormal(np.log(240 if is_call else 420), 0.8, member.size), 20, 14_400)
    return ContactBatch(
        member=member,
        at=day.start_second + clock.seconds_in_hours(rng, member.size, clock.DAY_PLAYER_HOURS),
        channel=channel,
        direction=IN,
        agent=_pick_agents(rng, ref.ib_agents if is_call else ref.online_agents, member.size),
        purpose=_choose(
            rng, member.size, {"SERVICE": 0.78, "SECURITY": 0.1, "VERIFY": 0.12}, PURPOSE
        ),
        outcome=outcome,
        phone=phone if is_call else _none(member.size),
        email=_none(member.size),
        seconds=np.where(outcome == REACHED, talk, rng.uniform(0, 60, member.size)).astype(
            np.int64
        ),
    )


def _push(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    seen: Observed,
    channel: int,
    odds: np.ndarray,
    reachable: np.ndarray,
) -> ContactBatch:
    """Automated SMS, e-mail, app and website pushes (no agent, no talk time)."""
    member = np.flatnonzero(seen.registered & reachable & (rng.random(pop.size) < odds))
    delivered = rng.random(member.size) < 0.9
    outcome = np.where(delivered, REACHED, NO_ANSWER)
    if channel == SMS:
        bad_number = np.where(rng.random(member.size) < 0.6, WRONG_NUMBER, NO_ANSWER)
        outcome = np.where(pop.phone_ok[member], outcome, bad_number)
    return ContactBatch(
        member=member,
        at=day.start_second + clock.seconds_in_hours(rng, member.size, clock.DAY_PLAYER_HOURS),
        channel=channel,
        direction=OUT,
        agent=np.full(member.size, -1),
        purpose=_purposes(rng, seen, member, {"MARKETING": 0.85, "SECURITY": 0.1, "SURVEY": 0.05}),
        outcome=outcome,
        phone=pop.phone[member] if channel == SMS else _none(member.size),
        email=pop.email[member] if channel == EMAIL else _none(member.size),
        seconds=np.full(member.size, -1),
    )


def _pushes(
    rng: np.random.Generator, pop: Population, day: Day, seen: Observed
) -> list[ContactBatch]:
    since = seen.days_since_login
    lapsed_payer = seen.has_paid & (since >= 30) & (since < 120)
    everyone = np.ones(pop.size, dtype=bool)
    return [
        _push(
            rng,
            pop,
            day,
            seen,
            SMS,
            0.004 + 0.02 * seen.birthday + 0.01 * lapsed_payer,
            pop.has_phone(),
        ),
        _push(rng, pop, day, seen, EMAIL, 0.004 + 0.01 * seen.birthday, pop.has_email()),
        _push(
            rng,
            pop,
            day,
            seen,
            APP,
            0.012 * (since < 30) + 0.005 * (since >= 30) * (since < 120),
            everyone,
        ),
        _push(rng, pop, day, seen, WEB, 0.0005 + 0.002 * seen.high_spender, everyone),
    ]


def _contact_effects(
    rng: np.random.Generator, pop: Population, day: Day, calls: ContactBatch
) -> None:
    """A reached retention call can turn a decline around; a reached win-back call makes a
    return more likely for a week."""
    reached = calls.outcome == REACHED
    retained = calls.member[reached & (calls.purpose == PURPOSE["RETENTION"])]
    retained = retained[(pop.state[retained] == DECLINING) & (rng.random(retained.size) < 0.35)]
    pop.recovers[retained] = True
    won = calls.member[reached & (calls.purpose == PURPOSE["WINBACK"])]
    pop.winback_day[won[pop.state[won] == CHURNED]] = day.index


def step_contacts(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    seen: Observed,
    tables: Tables,
    contact_ids: IdCounter,
) -> tuple[ContactBatch, np.ndarray]:
    """All contacts of the day; returns the phone and chat contacts with their ids (for surveys)."""
    calls = outbound_calls(rng, pop, ref, day, seen)
    _contact_effects(rng, pop, day, calls)
    batches = [
        calls,
        _member_initiated(rng, pop, ref, day, seen, IB, 0.0002, 0.002, 0.01),
        _member_initiated(rng, pop, ref, day, seen, IM, 0.0005, 0.003, 0.012),
        *_pushes(rng, pop, day, seen),
    ]
    merged = ContactBatch(
        member=np.concatenate([b.member for b in batches]),
        at=np.concatenate([b.at for b in batches]),
        channel=-1,
        direction=-1,
        agent=np.concatenate([b.agent for b in batches]),
        purpose=np.concatenate([b.purpose for b in batches]),
        outcome=np.concatenate([b.outcome for b in batches]),
        phone=np.concatenate([b.phone for b in batches]),
        email=np.concatenate([b.email for b in batches]),
        seconds=np.concatenate([b.seconds for b in batches]),
    )
    channel = np.concatenate([np.full(b.member.size, b.channel, dtype=np.int8) for b in batches])
    direction = np.concatenate(
        [np.full(b.member.size, b.direction, dtype=np.int8) for b in batches]
    )
    ids = contact_ids.take(merged.member.size)
    tables["contacts"].append(
        merged.at,
        contact=ids,
        member=merged.member,
        channel=channel,
        direction=direction,
        agent=merged.agent,
        purpose=merged.purpose,
        outcome=merged.outcome,
        phone=merged.phone,
        email=merged.email,
        seconds=merged.seconds,
    )
    conversational = np.isin(channel, [OB, IB, IM]) & (merged.outcome == REACHED)
    return merged, ids * conversational


def _scores(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return np.clip(np.round(mean + rng.normal(0, 0.9, mean.size)), 1, 5).astype(np.int64)


def _survey_rows(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    tables: Tables,
    member: np.ndarray,
    at: np.ndarray,
    contact: np.ndarray,
    score: np.ndarray,
) -> None:
    """Survey answers: a comment chosen by score (often none), sometimes a callback phone."""
    comment = _none(member.size)
    for value, texts in SURVEY_COMMENTS.items():
        rows = np.flatnonzero((score == value) & (rng.random(member.size) < 0.65))
        comment[rows] = np.array(texts, dtype=object)[rng.integers(0, len(texts), size=rows.size)]
    phone = _none(member.size)
    leaves_phone = np.flatnonzero(rng.random(member.size) < 0.1)
    phone[leaves_phone] = identity.format_mobiles(
        pop.true_phone[member[leaves_phone]], rng.integers(0, 3, size=leaves_phone.size)
    ).to_numpy()
    email = _none(member.size)
    leaves_email = np.flatnonzero(rng.random(member.size) < 0.05)
    email[leaves_email] = pop.email[member[leaves_email]]
    tables["surveys"].append(
        at, member=member, contact=contact, score=score, comment=comment, phone=phone, email=email
    )
    bad = score <= 2
    window_start = day.start_second - day.index * 86_400
    pop.bad_survey_day[member[bad]] = ((at[bad] - window_start) // 86_400).astype(np.int32)


def step_contact_surveys(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    contacts: ContactBatch,
    survey_contact_ids: np.ndarray,
    tables: Tables,
) -> None:
    """Some members rate a reached call or chat within hours."""
    answered = np.flatnonzero(
        (survey_contact_ids > 0) & (rng.random(survey_contact_ids.size) < 0.2)
    )
    member = contacts.member[answered]
    mean = (
        4.1
        - 1.3 * (pop.state[member] == DECLINING)
        - 0.5 * (pop.state[member] == CHURNED)
        - 1.5 * (pop.open_ticket_until[member] >= day.index)
    )
    at = (
        contacts.at[answered]
        + np.maximum(contacts.seconds[answered], 0)
        + rng.integers(60, 6 * 3600, size=answered.size)
    )
    _survey_rows(
        rng, pop, day, tables, member, at, survey_contact_ids[answered], _scores(rng, mean)
    )


def step_tickets(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    logins: LoginDay,
    tables: Tables,
    ticket_ids: IdCounter,
) -> None:
    """Tickets: opened by 1-2% of active members a week (more by decliners), resolved after a
    lognormal number of hours or never; each version is a row; some get a follow-up survey."""
    state = pop.state
    odds = np.select(
        [state == ACTIVE, state == DECLINING, state == CHURNED], [0.0022, 0.0066, 0.0002], 0.0
    )
    member = np.flatnonzero(rng.random(pop.size) < odds)
    declining = state[member] == DECLINING
    played = logins.first_login[member] >= 0
    opened = np.where(
        played,
        logins.first_login[member] + rng.integers(60, 3 * 3600, size=member.size),
        day.start_second + clock.seconds_in_hours(rng, member.size, clock.DAY_PLAYER_HOURS),
    )
    opened = clock.clip_to_day(opened, day)
    weights = np.tile(CATEGORY_WEIGHTS, (member.size, 1))
    weights[:, COMPLAINT] *= np.where(declining, 3.0, 1.0)
    category = weighted_choice(rng, weights)
    priority = rng.choice(3, size=member.size, p=[0.1, 0.4, 0.5])
    agents = np.concatenate([ref.ib_agents, ref.online_agents])
    agent = _pick_agents(rng, agents, member.size)
    never = rng.random(member.size) < 0.08 + 0.25 * declining
    hours = rng.lognormal(np.log(20), 1.1, member.size) * np.where(priority == 0, 0.4, 1.0)
    resolved = np.where(never, -1, opened + np.maximum(600, hours * 3600).astype(np.int64))
    closed = np.where(
        (resolved > 0) & (rng.random(member.size) < 0.5),
        resolved + 3 * 86_400 + rng.integers(0, 6 * 3600, size=member.size),
        -1,
    )
    ids = ticket_ids.take(member.size)
    versions = [
        (opened, OPEN, np.ones(member.size, bool)),
        (resolved, RESOLVED, resolved > 0),
        (closed, CLOSED, closed > 0),
    ]
    for at, status, present in versions:
        tables["tickets"].append(
            at[present],
            ticket=ids[present],
            member=member[present],
            opened=opened[present],
            category=category[present],
            priority=priority[present],
            status=np.full(int(present.sum()), status, dtype=np.int8),
            resolved=np.where(status == OPEN, -1, resolved)[present],
            agent=agent[present],
        )
    resolve_day = np.where(never, NOT_YET, day.index + (resolved - day.start_second) // 86_400)
    pop.open_ticket_until[member] = np.maximum(pop.open_ticket_until[member], resolve_day)
    _ticket_surveys(rng, pop, day, tables, member, opened, resolved, hours, declining)


def _ticket_surveys(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    tables: Tables,
    member: np.ndarray,
    opened: np.ndarray,
    resolved: np.ndarray,
    hours: np.ndarray,
    declining: np.ndarray,
) -> None:
    """After resolution some members rate the service; a week after an unresolved opening,
    some answer a follow-up survey, badly."""
    after_resolution = (resolved > 0) & (rng.random(member.size) < 0.3)
    unresolved_follow_up = (resolved < 0) & (rng.random(member.size) < 0.25)
    mean = np.where(resolved > 0, 4.3 - 1.2 * declining - 0.8 * (hours > 72), 1.6)
    at = np.where(
        resolved > 0,
        resolved + rng.integers(1800, 48 * 3600, size=member.size),
        opened + 7 * 86_400 + rng.integers(0, 86_400, size=member.size),
    )
    answered = after_resolution | unresolved_follow_up
    _survey_rows(
        rng,
        pop,
        day,
        tables,
        member[answered],
        at[answered],
        np.zeros(int(answered.sum()), dtype=np.int64),
        _scores(rng, mean[answered]),
    )
