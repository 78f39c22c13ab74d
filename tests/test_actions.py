"""The daily action lists on hand-made rows: each list's rule, and each contact-policy rule
(red list, one action per channel, frequency cap, missing contact, OB capacity, holdout).

The upstream marts, the information library and the ML tables are written by hand into a
real DuckDB file (only the columns the action models read), then a real ``dbt build`` runs the
action models, their data tests and unit tests on it, for two days: 2026-03-09 and
2026-03-10. The warehouse is built once for all test workers (the export tests use it too).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project.settings import Settings
from tests.fixtures.warehouse import BuiltWarehouse, run_dbt_build

DAY = dt.date(2026, 3, 10)
PREVIOUS_DAY = dt.date(2026, 3, 9)
ACTION_MODELS = ["int_action_candidates+"]
HOLDOUT_SHARE = 0.10
OB_CAPACITY = 150
# Churned VIPs with a phone and little value: more win-back calls than the OB team can make.
FILLER_COUNT = 200

# (member, tier, tier_rank, lifecycle stage): the named members of the scenarios below.
NAMED_MEMBERS = [
    ("M01", "GOLD", 1, "active"),  # churn risk; red-listed once, then taken off the red list
    ("M02", "PLATINUM", 2, "active"),  # churn risk but red-listed; a ticket past its SLA
    ("M03", "GOLD", 1, "active"),  # churn risk and pre-downgrade: two OB lists, one call
    ("M04", "GOLD", 1, "active"),  # churn risk, already called 3 times this week
    ("M05", "GOLD", 1, "churned"),  # win-back without any usable phone
    ("M06", "REGULAR", 0, "active"),  # ticket past its SLA, resolved on the morning of DAY
    ("M07", "REGULAR", 0, "active"),  # abnormal device on DAY
    ("M08", "REGULAR", 0, "active"),  # security product bound: no warning
    ("M09", "REGULAR", 0, "active"),  # abnormal login region two days ago: out of window
    ("M10", "GOLD", 1, "new"),  # reached gold from regular on DAY
    ("M11", "PLATINUM", 2, "active"),  # gold to platinum on DAY: not a new VIP
    ("M12", "REGULAR", 0, "active"),  # potential VIP, drawn into the holdout
    ("M13", "REGULAR", 0, "active"),  # potential VIP, listed without any phone (in-game page)
    ("M20", "REGULAR", 0, "active"),  # potential-VIP score in band medium only
    ("M14", "GOLD", 1, "active"),  # birthday in 3 days
    ("M15", "GOLD", 1, "active"),  # birthday in 10 days
    ("M16", "REGULAR", 0, "active"),  # birthday in 2 days, not a VIP
    ("M17", "REGULAR", 0, "active"),  # 400 G-points expire on 2026-03-15
    ("M18", "REGULAR", 0, "active"),  # G-points earned recently
    ("M19", "DIAMOND", 3, "churned"),  # churned VIP with a phone
]
NO_PHONE = {"M05", "M12", "M13"}


def filler_ids() -> list[str]:
    """The churned gold members that fill the OB capacity."""
    return [f"F{number:03d}" for number in range(1, FILLER_COUNT + 1)]


def phone_of(member_id: str) -> str:
    """A valid-looking mainland mobile for a member (digits of the id, zero padded)."""
    digits = "".join(ch for ch in member_id if ch.isdigit())
    prefix = "137" if member_id.startswith("F") else "138"
    return f"{prefix}{int(digits):08d}"


def holdout_draw(member_id: str, segment: str) -> float:
    """The stable holdout draw, computed independently of dbt: md5 of member|segment."""
    return int(hashlib.md5(f"{member_id}|{segment}".encode()).hexdigest()[:6], 16) / 16**6


SCHEMA_SQL = """
create schema if not exists marts;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists restricted;
create schema if not exists ml;
create table marts.fct_lifecycle_daily (
    member_id varchar, as_of_date date, stage varchar, days_since_last_login integer);
create table marts.fct_member_tier_daily (
    member_id varchar, as_of_date date, tier_code varchar, tier_rank integer,
    is_pre_downgrade boolean, quarter_to_date_consumption_cny decimal(18, 2),
    retention_cny decimal(18, 2), days_left_in_quarter integer);
create table marts.fct_lifecycle_events (
    member_id varchar, event_date date, event_type varchar, from_value varchar,
    to_value varchar);
create table marts.fct_points_balance_daily (
    member_id varchar, balance_date date, valid_to date, balance bigint,
    points_earned_to_date bigint);
create table marts.fct_points_ledger (
    member_id varchar, movement_date date, movement_type varchar, points bigint);
create table marts.fct_tickets (
    ticket_id varchar, member_id varchar, ticket_category varchar, ticket_priority varchar,
    opened_at timestamp, opened_date date, sla_due_at timestamp, resolved_at timestamp);
create table marts.fct_contacts (
    contact_id varchar, member_id varchar, contacted_date date, is_outbound boolean);
create table staging.stg_security_events__events (
    security_event_id varchar, member_id varchar, occurred_at timestamp, occurred_date date,
    security_event_type varchar);
create table staging.stg_members__profile_versions (
    member_id varchar, updated_at timestamp, updated_date date, birth_date date);
create table staging.stg_manual_tags__entries (
    tag_entry_id varchar, member_id varchar, entered_at timestamp, entered_date date,
    tag_code varchar, tag_action varchar);
create table intermediate.int_member_daily_activity (
    member_id varchar, activity_date date, consumption_cny decimal(18, 2));
create table restricted.fct_member_contact_history (
    member_id varchar, contact_type varchar, contact_value varchar,
    contact_value_masked varchar, contact_status varchar, valid_from date, valid_to date);
create table restricted.dim_member_contacts (member_id varchar, real_name_masked varchar);
create table ml.member_scores (
    member_id varchar, as_of_date date, model varchar, version varchar, score double,
    band varchar, reason_1 varchar, reason_2 varchar, reason_3 varchar, reason_1_zh varchar,
    reason_2_zh varchar, reason_3_zh varchar, reason_codes varchar,
    scored_at timestamp with time zone);
create table ml.member_recommendations (
    member_id varchar, as_of_date date, rank integer, offer_type varchar, offer_code varchar,
    offer_name varchar, offer_name_zh varchar, score double, version varchar);
"""

EVENTS_SQL = """
insert into marts.fct_lifecycle_events values
    ('M10', '2026-03-10', 'upgraded', 'REGULAR', 'GOLD'),
    ('M11', '2026-03-10', 'upgraded', 'GOLD', 'PLATINUM');
insert into marts.fct_points_balance_daily values
    ('M17', '2026-02-01', null, 500, 500),
    ('M18', '2026-02-01', null, 500, 500);
insert into marts.fct_points_ledger values
    ('M17', '2025-03-15', 'earn', 400),
    ('M17', '2026-02-01', 'earn', 100),
    ('M18', '2026-02-01', 'earn', 500);
insert into marts.fct_tickets values
    ('T1', 'M02', 'PAYMENT', 'P1', '2026-03-07 10:00', '2026-03-07', '2026-03-08 10:00', null),
    ('T2', 'M06', 'BUG', 'P2', '2026-03-07 10:00', '2026-03-07', '2026-03-08 10:00',
     '2026-03-10 09:00');
insert into marts.fct_contacts values
    ('C1', 'M04', '2026-03-08', true), ('C2', 'M04', '2026-03-09', true),
    ('C3', 'M04', '2026-03-10', true), ('C4', 'M01', '2026-03-01', true),
    ('C5', 'M03', '2026-03-10', false);
insert into staging.stg_security_events__events values
    ('S1', 'M07', '2026-03-10 08:00', '2026-03-10', 'ABNORMAL_DEVICE'),
    ('S2', 'M08', '2026-03-10 08:00', '2026-03-10', 'BOUND'),
    ('S3', 'M09', '2026-03-08 08:00', '2026-03-08', 'ABNORMAL_LOGIN_REGION');
insert into staging.stg_members__profile_versions values
    ('M14', '2025-01-01 09:00', '2025-01-01', '1990-03-13'),
    ('M15', '2025-01-01 09:00', '2025-01-01', '1990-03-20'),
    ('M16', '2025-01-01 09:00', '2025-01-01', '1990-03-12');
insert into staging.stg_manual_tags__entries values
    ('E1', 'M01', '2026-01-01 09:00', '2026-01-01', 'RED_LIST', 'ADD'),
    ('E2', 'M01', '2026-02-01 09:00', '2026-02-01', 'RED_LIST', 'REMOVE'),
    ('E3', 'M02', '2026-02-01 09:00', '2026-02-01', 'RED_LIST', 'ADD');
"""


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert many rows in one statement (one execute per row costs seconds on a busy box)."""
    frame = pl.DataFrame(rows, orient="row", infer_schema_length=None)
    conn.register("new_rows", frame.to_arrow())
    conn.execute(f"insert into {table} select * from new_rows")
    conn.unregister("new_rows")


def _member_rows(conn: duckdb.DuckDBPyConnection) -> None:
    members = NAMED_MEMBERS + [(fid, "GOLD", 1, "churned") for fid in filler_ids()]
    lifecycle, tiers = [], []
    for day in (PREVIOUS_DAY, DAY):
        days_left = (dt.date(2026, 3, 31) - day).days
        for member_id, tier, rank, stage in members:
            lifecycle.append((member_id, day, stage, 45 if stage == "churned" else 1))
            tiers.append((member_id, day, tier, rank, member_id == "M03", 100, 250, days_left))
    _insert(conn, "marts.fct_lifecycle_daily", lifecycle)
    _insert(conn, "marts.fct_member_tier_daily", tiers)
    # the named members are worth far more than the fillers, whose value rises with the index
    values = [
        (member_id, dt.date(2026, 3, 1), 100_000 if member_id.startswith("M") else index)
        for index, (member_id, *_) in enumerate(members, start=1)
    ]
    _insert(conn, "intermediate.int_member_daily_activity", values)
    _insert(conn, "restricted.dim_member_contacts", [(m, "王*") for m, *_ in members])
    phones = [
        (
            m,
            "phone",
            phone_of(m),
            f"{phone_of(m)[:3]}****{phone_of(m)[-4:]}",
            "verified",
            dt.date(2025, 6, 1),
            None,
        )
        for m, *_ in members
        if m not in NO_PHONE
    ]
    _insert(conn, "restricted.fct_member_contact_history", phones)


def _ml_rows(conn: duckdb.DuckDBPyConnection) -> None:
    scores = [
        ("M01", "churn", 0.9, "high"),
        ("M02", "churn", 0.8, "high"),
        ("M03", "churn", 0.85, "high"),
        ("M04", "churn", 0.7, "high"),
        ("M11", "churn", 0.5, "medium"),
        ("M12", "potential_vip", 0.9, "high"),
        ("M13", "potential_vip", 0.8, "high"),
        ("M20", "potential_vip", 0.5, "medium"),
    ]
    reasons = ("No login for 9 days", "Consumption down 60%", None, "9天未登录", "消费下降60%")
    score_rows, offers = [], []
    for day in (PREVIOUS_DAY, DAY):
        for member_id, model, score, band in scores:
            score_rows.append(
                (
                    member_id,
                    day,
                    model,
                    f"{model}-v1",
                    score,
                    band,
                    *reasons,
                    None,
                    "days_since_login|consumption_drop",
                    dt.datetime(2026, 3, 11, tzinfo=dt.UTC),
                )
            )
        for member_id in ("M01", "M13"):
            offers.append(
                (
                    member_id,
                    day,
                    1,
                    "activity",
                    "A_G01_VIPNIGHT",
                    "VIP night",
                    "VIP之夜",
                    0.7,
                    "rec-v1",
                )
            )
            offers.append(
                (
                    member_id,
                    day,
                    2,
                    "mall_item",
                    "COUPON_10",
                    "10 CNY coupon",
                    "10元优惠券",
                    0.4,
                    "rec-v1",
                )
            )
    _insert(conn, "ml.member_scores", score_rows)
    _insert(conn, "ml.member_recommendations", offers)


def write_upstream_tables(warehouse: Path) -> None:
    """The hand-made upstream of the action models (only the columns they read)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(SCHEMA_SQL)
        conn.execute(EVENTS_SQL)
        _member_rows(conn)
        _ml_rows(conn)


def build_action_warehouse(home: Path) -> BuiltWarehouse:
    """Hand-made upstream tables plus a real dbt build of the action models for both days."""
    settings = Settings(home=home)
    write_upstream_tables(settings.warehouse_path)
    window = {"min_date": PREVIOUS_DAY.isoformat(), "max_date": DAY.isoformat()}
    return BuiltWarehouse(settings, run_dbt_build(settings, ACTION_MODELS, window))


@pytest.fixture(scope="session", name="action_warehouse")
def action_warehouse_fixture(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The hand-made action warehouse, built once for all test workers (open it read-only)."""
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent
    home = root / "action_warehouse"
    results_path = home / "dbt" / "build_results.json"
    with open(root / "action_warehouse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not results_path.exists():
            built = build_action_warehouse(home)
            results_path.write_text(json.dumps(built.run_results), encoding="utf-8")
    return BuiltWarehouse(Settings(home=home), json.loads(results_path.read_text("utf-8")))


def actions_of(warehouse: BuiltWarehouse, day: dt.date) -> dict[tuple[str, str], dict]:
    """fct_daily_actions of ``day`` keyed by (member_id, segment)."""
    with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as conn:
        cursor = conn.execute("select * from marts.fct_daily_actions where as_of_date = ?", [day])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {(row["member_id"], row["segment"]): row for row in rows}


def named(actions: dict[tuple[str, str], dict]) -> dict[tuple[str, str], str | None]:
    """(member, segment) -> suppression reason ('listed' when exported) of the named members."""
    return {
        key: row["suppression_reason"] or "listed"
        for key, row in actions.items()
        if key[0].startswith("M")
    }


def test_the_action_models_their_tests_and_unit_tests_pass(action_warehouse) -> None:
    assert action_warehouse.failed_nodes() == []
    unit_tests = action_warehouse.ran("unit_test.vip_panorama.fct_daily_actions")
    assert len(unit_tests) >= 2


def test_each_list_rule_and_each_policy_rule_on_the_day(action_warehouse) -> None:
    assert named(actions_of(action_warehouse, DAY)) == {
        ("M01", "churn_risk"): "listed",  # off the red list since February
        ("M02", "churn_risk"): "red_list",
        ("M02", "service_follow_up"): "listed",  # service lists ignore the red list
        ("M03", "churn_risk"): "listed",
        ("M03", "pre_downgrade"): "lower_priority_same_channel",
        ("M04", "churn_risk"): "frequency_cap",
        ("M05", "win_back"): "no_valid_contact",
        ("M07", "security_reminder"): "listed",
        ("M10", "new_vip_welcome"): "listed",
        ("M12", "potential_vip"): "holdout",
        ("M13", "potential_vip"): "listed",  # the in-game page needs no phone
        ("M14", "birthday_care"): "listed",
        ("M17", "points_expiring"): "listed",
        ("M19", "win_back"): "listed",
    }


def test_rules_follow_the_day(action_warehouse) -> None:
    previous = named(actions_of(action_warehouse, PREVIOUS_DAY))
    # M06's ticket was still open at the end of the previous day; M07's event and M10's
    # upgrade happened on DAY only
    assert previous[("M06", "service_follow_up")] == "listed"
    assert ("M07", "security_reminder") not in previous
    assert ("M10", "new_vip_welcome") not in previous
    assert ("M06", "service_follow_up") not in actions_of(action_warehouse, DAY)


def test_at_most_one_exported_action_per_member_channel_and_day(action_warehouse) -> None:
    duplicates = action_warehouse.query(
        """
        select as_of_date, member_id, channel, count(*) from marts.fct_daily_actions
        where not is_suppressed group by all having count(*) > 1
        """
    )
    assert duplicates == []


def test_red_listed_members_get_no_marketing(action_warehouse) -> None:
    leaks = action_warehouse.query(
        "select * from marts.fct_daily_actions "
        "where is_red_listed and is_marketing and not is_suppressed"
    )
    assert leaks == []
    assert (
        action_warehouse.scalar(
            "select count(*) from marts.fct_daily_actions where suppression_reason = 'red_list'"
        )
        == 2
    )


def test_outbound_calls_are_cut_at_capacity_by_expected_value(action_warehouse) -> None:
    for day in (PREVIOUS_DAY, DAY):
        rows = list(actions_of(action_warehouse, day).values())
        outbound = [r for r in rows if r["channel"] == "OB"]
        listed = [r for r in outbound if not r["is_suppressed"]]
        cut = [r for r in outbound if r["suppression_reason"] == "over_capacity"]
        assert len(listed) == OB_CAPACITY
        assert len(cut) > 0
        assert min(r["expected_value"] for r in listed) >= max(r["expected_value"] for r in cut)


def test_holdout_is_a_stable_draw_per_member_and_list(action_warehouse) -> None:
    previous, today = actions_of(action_warehouse, PREVIOUS_DAY), actions_of(action_warehouse, DAY)
    for key, row in today.items():
        expected = row["is_marketing"] and holdout_draw(*key) < HOLDOUT_SHARE
        assert row["is_holdout"] == expected, key
        if key in previous:
            assert previous[key]["is_holdout"] == row["is_holdout"], key
    fillers = [row for key, row in today.items() if key[0].startswith("F")]
    held_out = sum(row["is_holdout"] for row in fillers)
    # about a tenth of the win-back list
    assert 0.03 * len(fillers) < held_out < 0.2 * len(fillers)


def test_the_export_table_holds_full_phones_only_where_the_list_needs_them(
    action_warehouse,
) -> None:
    rows = action_warehouse.query(
        """
        select segment, needs_full_contact, count(*), count(contact_value), count(phone_masked)
        from restricted.fct_daily_action_contacts where as_of_date = '2026-03-10'
        group by all order by all
        """
    )
    by_segment = {segment: rest for segment, *rest in rows}
    assert by_segment["churn_risk"] == [True, 2, 2, 2]
    # the in-game list carries no full contact even where the member has a phone
    assert by_segment["potential_vip"][0] is False
    assert by_segment["potential_vip"][2] == 0
    assert by_segment["points_expiring"] == [False, 1, 0, 1]
