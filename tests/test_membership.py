"""Membership marts on a small simulated warehouse: tiers, VIP levels and the G-point ledger
are built by dbt (with their data and unit tests) and make business sense."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from test_incremental import Dbt, ingest_landing_day, parse_manifest

from dagster_project.simulator import SimulationConfig, simulate

MEMBERS = 1500
DAYS = 60
# Mid-February to mid-April: the first quarter ends inside the simulation.
START = dt.date(2026, 2, 15)
MEMBERSHIP_MODELS = (
    "int_member_daily_activity",
    "int_member_tier_events",
    "fct_tier_history",
    "fct_member_tier_daily",
    "fct_points_ledger",
    "fct_points_balance_daily",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulate, ingest every day, then ``dbt build`` the membership models with their tests
    (the build fails, and so does this fixture, when any data or unit test fails)."""
    home = tmp_path_factory.mktemp("membership_home")
    landing = home / "landing"
    simulate(SimulationConfig(members=MEMBERS, days=DAYS, start=START, seed=5, out=landing))
    database = home / "warehouse" / "panorama.duckdb"
    database.parent.mkdir(parents=True)
    for offset in range(DAYS):
        ingest_landing_day(database, landing, (START + dt.timedelta(days=offset)).isoformat())
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PANORAMA_HOME", str(home))
        target = home / "dbt_target"
        dbt = Dbt(home, parse_manifest(target), target, monkeypatch)
        dbt("seed")
        dbt(
            "build",
            "--select",
            *(f"+{model}" for model in MEMBERSHIP_MODELS),
            "--exclude",
            "resource_type:seed",
            # only the tests whose every parent is built (not the ML label tests, say)
            "--indirect-selection",
            "cautious",
        )
    return database


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_most_members_are_regular_and_few_diamond(warehouse: Path):
    shares = dict(
        query(
            warehouse,
            "select tier_code, count(*) / sum(count(*)) over () from marts.fct_tier_history "
            "where is_current group by tier_code",
        )
    )
    assert shares["REGULAR"] > 0.7
    assert shares.get("GOLD", 0) > 0
    assert shares.get("DIAMOND", 0) < shares.get("GOLD", 0) < shares["REGULAR"]


def test_every_upgrade_passed_its_threshold(warehouse: Path):
    below = query(
        warehouse,
        "select h.member_id, h.tier_code, h.counted_consumption_cny "
        "from marts.fct_tier_history as h join reference.tiers as t using (tier_code) "
        "where h.reason = 'upgrade' and h.counted_consumption_cny < t.upgrade_threshold_cny",
    )
    assert below == []
    (gold_upgrades,) = query(
        warehouse,
        "select count(*) from marts.fct_tier_history "
        "where reason = 'upgrade' and tier_code = 'GOLD' and counted_consumption_cny >= 1000",
    )
    assert gold_upgrades[0] > 0


def test_first_quarter_end_is_judged_for_every_member_above_regular(warehouse: Path):
    judged, above_regular = query(
        warehouse,
        "select "
        "count(*) filter (where valid_from = date '2026-04-01' "
        "  and reason in ('retained', 'quarterly_downgrade')), "
        "count(distinct member_id) filter (where tier_rank > 0 and valid_from < date '2026-04-01') "
        "from marts.fct_tier_history",
    )[0]
    assert judged == above_regular > 0


def test_daily_tier_matches_the_current_period_and_vip_levels_never_drop(warehouse: Path):
    mismatched = query(
        warehouse,
        "select d.member_id from marts.fct_member_tier_daily as d "
        "join marts.fct_tier_history as h on d.member_id = h.member_id and h.is_current "
        "where d.as_of_date = (select max(as_of_date) from marts.fct_member_tier_daily) "
        "and d.tier_code != h.tier_code",
    )
    assert mismatched == []
    dropped = query(
        warehouse,
        "select member_id from (select member_id, growth_points, lag(growth_points) over "
        "(partition by member_id order by as_of_date) as previous "
        "from marts.fct_member_tier_daily) where growth_points < previous",
    )
    assert dropped == []


def test_ledger_balances_are_running_sums_and_overspends_are_flagged(warehouse: Path):
    (overspends, shortfall, negative, movements) = query(
        warehouse,
        "select count(*) filter (where is_overspend), "
        "sum(points_requested + points) filter (where is_overspend), "
        "count(*) filter (where balance_after < 0), count(*) from marts.fct_points_ledger",
    )[0]
    assert movements > 0 and negative == 0
    # the simulator lets a few members redeem more than they hold: flagged, not hidden
    assert overspends > 0 and shortfall > 0
    unbalanced = query(
        warehouse,
        "select b.member_id from marts.fct_points_balance_daily as b "
        "join (select member_id, sum(points) as total from marts.fct_points_ledger "
        "group by member_id) as l using (member_id) "
        "where b.valid_to is null and b.balance != l.total",
    )
    assert unbalanced == []
