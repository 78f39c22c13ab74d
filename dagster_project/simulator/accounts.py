"""Account-level sources: profile versions, security events and account managers' manual tags."""

from __future__ import annotations

import numpy as np

from dagster_project.simulator import clock, identity
from dagster_project.simulator.behaviour import LoginDay
from dagster_project.simulator.clock import Day
from dagster_project.simulator.population import DEVICES, Population
from dagster_project.simulator.reference import Reference
from dagster_project.simulator.tables import Tables
from data_quality.contract import MANUAL_TAG_CODES, SECURITY_EVENT_TYPES

QUARTER_DAYS = 91
PHONE_CHANGE_PER_QUARTER = 0.03
PROFILE_UPDATED_ON_PHONE_CHANGE = 0.6
EMAIL_CHANGE_PER_QUARTER = 0.01
OCCUPATION_CHANGE_PER_QUARTER = 0.02
PROFILE_FIX_PER_MONTH = 0.005

EVENT = {e: i for i, e in enumerate(SECURITY_EVENT_TYPES)}
TAG = {t: i for i, t in enumerate(MANUAL_TAG_CODES)}
ADD, REMOVE = 0, 1
TAG_ACTIONS = ("ADD", "REMOVE")
RESET_DETAILS = ("短信验证重置", "邮箱验证重置", "客服协助重置")
PERSONALITY_NOTES = (
    "性格直爽，喜欢直接沟通",
    "比较谨慎，做决定前会反复确认",
    "很健谈，愿意分享游戏体验",
    "不喜欢电话打扰，偏好消息联系",
    "对服务要求高，注重细节",
    "脾气较急，需要快速响应",
)
PREFERENCE_NOTES_BY_TYPE = {
    "COLLECT": "热衷收集稀有道具",
    "FESTIVAL": "节日活动必参加",
    "PVP": "喜欢PVP竞技对战",
    "RAID": "常组队打团本",
    "SOCIAL": "重视社交，经常组织公会活动",
}


def profile_rows(tables: Tables, pop: Population, member: np.ndarray, at: np.ndarray) -> None:
    """A full profile version of each given member, as it stands now."""
    tables["members"].append(
        at,
        member=member,
        registered=pop.reg_at[member],
        name=pop.name[member],
        gender=pop.gender[member],
        birth=pop.birth_day[member],
        region=pop.region[member],
        occupation=pop.occupation[member],
        phone=pop.phone[member],
        email=pop.email[member],
        channel=pop.register_channel[member],
    )


def step_profile_changes(
    rng: np.random.Generator, pop: Population, ref: Reference, day: Day, tables: Tables
) -> None:
    """Phones change (the profile follows only sometimes), e-mails and occupations change,
    a few stale profiles get fixed; one profile version per changed member and day."""
    eligible = pop.registered_before(day.index)
    draw = rng.random((4, pop.size))
    new_phone = eligible & (draw[0] < PHONE_CHANGE_PER_QUARTER / QUARTER_DAYS)
    new_email = eligible & (draw[1] < EMAIL_CHANGE_PER_QUARTER / QUARTER_DAYS)
    new_job = eligible & (draw[2] < OCCUPATION_CHANGE_PER_QUARTER / QUARTER_DAYS)
    fixed = eligible & ~pop.phone_ok & (draw[3] < PROFILE_FIX_PER_MONTH / 30)

    changed_phone = np.flatnonzero(new_phone)
    pop.true_phone[changed_phone] = identity.mobile_numbers(rng, changed_phone.size)
    told = changed_phone[rng.random(changed_phone.size) < PROFILE_UPDATED_ON_PHONE_CHANGE]
    pop.phone_ok[changed_phone] = False
    updated = np.union1d(told, np.flatnonzero(fixed))
    pop.phone[updated] = identity.format_mobiles(
        pop.true_phone[updated], np.zeros(updated.size, dtype=np.int64)
    ).to_numpy()
    pop.phone_ok[updated] = True

    emails = np.flatnonzero(new_email)
    pop.email[emails] = identity.emails(rng, pop.surname[emails], pop.given_first[emails])
    jobs = np.flatnonzero(new_job)
    pop.occupation[jobs] = rng.choice(
        len(ref.occupations), size=jobs.size, p=ref.occupation_weights
    )

    member = np.unique(np.concatenate([updated, emails, jobs]))
    at = day.start_second + rng.integers(1, 86_400, size=member.size)
    profile_rows(tables, pop, member, at)


def _security_rows(
    tables: Tables, member: np.ndarray, at: np.ndarray, event: int, detail: np.ndarray
) -> None:
    tables["security_events"].append(
        at, member=member, event=np.full(member.size, event, dtype=np.int8), detail=detail
    )


def step_security(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    logins: LoginDay,
    tables: Tables,
) -> None:
    """Abnormal logins (away from home, new device; clustered on at-risk members), password
    resets, and security products bound or unbound, often right after an alarm."""
    session_member = logins.session_member
    away = logins.session_region != pop.region[session_member]
    flagged = np.flatnonzero(away & (rng.random(session_member.size) < 0.3))
    region_zh = np.array(ref.region_names_zh, dtype=object)[logins.session_region[flagged]]
    region_code = np.array(ref.regions, dtype=object)[logins.session_region[flagged]]
    at = clock.clip_to_day(logins.session_start[flagged] + rng.integers(5, 120, flagged.size), day)
    _security_rows(
        tables,
        session_member[flagged],
        at,
        EVENT["ABNORMAL_LOGIN_REGION"],
        "异地登录: " + region_zh + "(" + region_code + ")",
    )

    new_device = logins.session_device != pop.device[session_member]
    odd = np.flatnonzero(new_device & (rng.random(session_member.size) < 0.1))
    device = np.array(DEVICES, dtype=object)[logins.session_device[odd]]
    at = clock.clip_to_day(logins.session_start[odd] + rng.integers(5, 120, odd.size), day)
    _security_rows(
        tables, session_member[odd], at, EVENT["ABNORMAL_DEVICE"], "新设备登录: " + device
    )

    alarmed = np.zeros(pop.size, dtype=bool)
    alarmed[session_member[flagged]] = True
    alarmed[session_member[odd]] = True
    _resets_and_products(rng, pop, day, logins, alarmed, tables)


def _resets_and_products(
    rng: np.random.Generator,
    pop: Population,
    day: Day,
    logins: LoginDay,
    alarmed: np.ndarray,
    tables: Tables,
) -> None:
    played = logins.first_login >= 0
    reset = np.flatnonzero(
        pop.registered_before(day.index) & (rng.random(pop.size) < 0.0003 + 0.08 * alarmed)
    )
    at = day.start_second + clock.seconds_in_hours(rng, reset.size, clock.DAY_PLAYER_HOURS)
    detail = np.array(RESET_DETAILS, dtype=object)[rng.integers(0, len(RESET_DETAILS), reset.size)]
    _security_rows(tables, reset, at, EVENT["PASSWORD_RESET"], detail)

    draw = rng.random(pop.size)
    bind = np.flatnonzero(played & ~pop.security_bound & (draw < 0.0008 + 0.05 * alarmed))
    unbind = np.flatnonzero(played & pop.security_bound & (draw < 0.0002))
    pop.security_bound[bind] = True
    pop.security_bound[unbind] = False
    for member, event, text in (
        (bind, "SECURITY_PRODUCT_BOUND", "绑定手机令牌"),
        (unbind, "SECURITY_PRODUCT_UNBOUND", "解绑手机令牌"),
    ):
        at = clock.clip_to_day(
            logins.first_login[member] + rng.integers(30, 1800, member.size), day
        )
        _security_rows(tables, member, at, EVENT[event], np.full(member.size, text, dtype=object))


def _tag_rows(
    rng: np.random.Generator,
    ref: Reference,
    day: Day,
    tables: Tables,
    member: np.ndarray,
    tag: int,
    action: int,
    value: np.ndarray,
) -> None:
    tables["manual_tags"].append(
        day.start_second + clock.seconds_in_hours(rng, member.size, clock.OFFICE_HOURS),
        member=member,
        manager=ref.account_managers[rng.integers(0, ref.account_managers.size, member.size)],
        tag=np.full(member.size, tag, dtype=np.int8),
        value=value,
        action=np.full(member.size, action, dtype=np.int8),
    )


def step_manual_tags(
    rng: np.random.Generator,
    pop: Population,
    ref: Reference,
    day: Day,
    horizon_days: int,
    tables: Tables,
) -> None:
    """Account managers list members (red ~1%, white ~2% of high spenders over the window),
    write notes on high spenders, record contact details they learned, and sometimes remove."""
    registered = pop.registered_before(day.index)
    high = pop.high_spender(ref.gold_threshold_cny)
    draw = rng.random((7, pop.size))
    per_day = 1.0 / horizon_days
    red = np.flatnonzero(registered & ~pop.red_listed & (draw[0] < 0.01 * per_day))
    white = np.flatnonzero(high & ~pop.white_listed & (draw[1] < 0.025 * per_day))
    unred = np.flatnonzero(pop.red_listed & (draw[2] < 0.002))
    unwhite = np.flatnonzero(pop.white_listed & (draw[2] < 0.002))
    pop.red_listed[red], pop.white_listed[white] = True, True
    pop.red_listed[unred], pop.white_listed[unwhite] = False, False
    for member, tag, action in (
        (red, "RED_LIST", ADD),
        (white, "WHITE_LIST", ADD),
        (unred, "RED_LIST", REMOVE),
        (unwhite, "WHITE_LIST", REMOVE),
    ):
        _tag_rows(
            rng,
            ref,
            day,
            tables,
            member,
            TAG[tag],
            action,
            np.full(member.size, None, dtype=object),
        )

    noted = np.flatnonzero(high & (draw[3] < 0.2 * per_day))
    notes = np.array(PERSONALITY_NOTES, dtype=object)[
        rng.integers(0, len(PERSONALITY_NOTES), noted.size)
    ]
    _tag_rows(rng, ref, day, tables, noted, TAG["PERSONALITY_NOTE"], ADD, notes)
    liking = np.flatnonzero(high & (draw[4] < 0.2 * per_day))
    by_type = np.array(
        [PREFERENCE_NOTES_BY_TYPE.get(t, "活动参与积极") for t in ref.activity_types], dtype=object
    )
    _tag_rows(
        rng,
        ref,
        day,
        tables,
        liking,
        TAG["PREFERENCE_NOTE"],
        ADD,
        by_type[pop.preferred_activity_type[liking]],
    )
    phoned = np.flatnonzero(high & (draw[5] < 0.15 * per_day))
    phones = identity.format_mobiles(pop.true_phone[phoned], rng.integers(0, 3, phoned.size))
    _tag_rows(
        rng, ref, day, tables, phoned, TAG["CONTACT_PHONE"], ADD, phones.to_numpy().astype(object)
    )
    mailed = np.flatnonzero(high & pop.has_email() & (draw[6] < 0.08 * per_day))
    _tag_rows(rng, ref, day, tables, mailed, TAG["CONTACT_EMAIL"], ADD, pop.email[mailed])
