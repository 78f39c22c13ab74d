"""Lifecycle and tags on a small simulated warehouse: daily stages and lifecycle events, the
tag dictionary and the long member tag table, built by a real dbt run on real DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import DBT_PROJECT_DIR, Settings
from dagster_project.simulator import SimulationConfig, simulate
from tests.fixtures.warehouse import (
    create_model_output_tables,
    dbt_command,
    load_landing_days,
    simulated_days,
)

START = dt.date(2026, 1, 1)
DAYS = 70
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
MEMBERS = 600
MARTS = ["fct_lifecycle_daily", "fct_lifecycle_events", "dim_tag_dictionary", "fct_member_tags"]
STAGES = {"new", "active", "declining", "churned"}
DOMAIN_PATHS = [
    "path:models/intermediate/lifecycle",
    "path:models/marts/lifecycle",
    "path:models/intermediate/tags",
    "path:models/marts/tags",
    "path:tests/lifecycle",
]


@dataclass(frozen=True)
class Warehouse:
    """A built warehouse and the dbt run results of the build."""

    path: Path
    run_results: dict

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        (row,) = self.query(sql)
        return row[0]


def simulate_and_load_raw(settings: Settings) -> None:
    """Simulated landing files loaded by the ingestion code itself (read, validate, replace the
    landing day) without a Dagster run per source, which would cost minutes."""
    simulate(
        SimulationConfig(members=MEMBERS, days=DAYS, start=START, seed=7, out=settings.landing_dir)
    )
    load_landing_days(settings.warehouse_path, settings.landing_dir, simulated_days(START, DAYS))
    with duckdb.connect(str(settings.warehouse_path)) as con:
        create_model_output_tables(con)


def run_dbt(settings: Settings, *args: str) -> dict:
    """One dbt command on the warehouse of ``settings``; returns its run_results.json."""
    target = settings.home / "dbt" / "target"
    command = dbt_command(target, *args)
    env = {
        **os.environ,
        "PANORAMA_HOME": str(settings.home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    results_path = target / "run_results.json"
    results_path.unlink(missing_ok=True)
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert results_path.exists(), completed.stdout[-4000:] + completed.stderr[-2000:]
    return json.loads(results_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """600 simulated members over 70 days, with the lifecycle and tag marts and their parents
    built, then every data and unit test of the lifecycle and tag models run."""
    settings = Settings(home=tmp_path_factory.mktemp("lifecycle_tags_home"))
    simulate_and_load_raw(settings)
    # Seeds and models first, then the tests of this domain only: the parents' own tests belong
    # to their builders' suites and would double the time.
    built = run_dbt(
        settings,
        "build",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--select",
        "resource_type:seed",
        *(f"+{name}" for name in MARTS),
    )
    # only tests whose every parent is built (not the ML label tests on a lifecycle model)
    tested = run_dbt(
        settings, "test", "--select", *DOMAIN_PATHS, "--indirect-selection", "cautious"
    )
    return Warehouse(settings.warehouse_path, {"results": built["results"] + tested["results"]})


def test_every_model_unit_test_and_data_test_passes(warehouse: Warehouse):
    failed = [
        f"{r['unique_id']}: {r['status']} {r.get('message')}"
        for r in warehouse.run_results["results"]
        if r["status"] not in ("success", "pass")
    ]
    assert failed == []
    ran = {r["unique_id"] for r in warehouse.run_results["results"]}
    for name in MARTS:
        assert f"model.vip_panorama.{name}" in ran
    lifecycle_unit_tests = {uid for uid in ran if uid.startswith("unit_test.vip_panorama.fct_")}
    assert len(lifecycle_unit_tests) >= 4
    assert any("assert_lifecycle_events_match_daily_stage" in uid for uid in ran)
    # the incremental path's unit test runs here, after the model is built (see its yml)
    assert any(
        "lifecycle_incremental_run_carries_stage_from_its_own_last_day" in uid for uid in ran
    )


def test_one_stage_per_member_day_up_to_the_last_day(warehouse: Warehouse):
    first, last, rows, keys = warehouse.query(
        "select min(as_of_date), max(as_of_date), count(*), "
        "count(distinct (member_id, as_of_date)) from marts.fct_lifecycle_daily"
    )[0]
    assert (first, last) == (START, LAST_DAY)
    assert rows == keys
    # every member has a row on every day from its lifecycle start to the last day
    gaps = warehouse.scalar(
        "select count(*) from ("
        "select d.member_id, count(*) as n, min(m.lifecycle_start_date) as start_date "
        "from marts.fct_lifecycle_daily d "
        "join intermediate.int_lifecycle_members m using (member_id) group by d.member_id) "
        f"where n != date_diff('day', start_date, date '{LAST_DAY}') + 1"
    )
    assert gaps == 0


def test_stage_counts_on_the_last_day_are_plausible(warehouse: Warehouse):
    counts = dict(
        warehouse.query(
            "select stage, count(*) from marts.fct_lifecycle_daily "
            f"where as_of_date = date '{LAST_DAY}' group by stage"
        )
    )
    assert set(counts) == STAGES
    total = sum(counts.values())
    assert total == warehouse.scalar("select count(*) from intermediate.int_lifecycle_members")
    # most members are in play; churn builds up over the weeks but stays a minority
    assert counts["active"] > counts["declining"]
    assert 0.05 < counts["churned"] / total < 0.5
    assert 0.02 < counts["new"] / total < 0.4
    # the stage follows the login gap: churned means a month without login, active a week
    churned_recently_seen, active_long_gone = warehouse.query(
        "select count(*) filter (where stage = 'churned' and days_since_last_login < 30), "
        "count(*) filter (where stage = 'active' and days_since_last_login >= 7) "
        f"from marts.fct_lifecycle_daily where as_of_date = date '{LAST_DAY}'"
    )[0]
    assert churned_recently_seen == 0
    assert active_long_gone == 0


def test_events_tell_the_lifecycle_story(warehouse: Warehouse):
    events = dict(
        warehouse.query("select event_type, count(*) from marts.fct_lifecycle_events group by 1")
    )
    for event_type in ("new", "active", "pre_churn", "churned", "returned", "upgraded"):
        assert events.get(event_type, 0) > 0, event_type
    # a returned member was churned the day before and logged in on the day of return
    unmatched_returns = warehouse.scalar(
        "select count(*) from marts.fct_lifecycle_events e "
        "join marts.fct_lifecycle_daily d on d.member_id = e.member_id "
        "and d.as_of_date = e.event_date "
        "where e.event_type = 'returned' and (d.days_since_last_login != 0 or not d.is_returned)"
    )
    assert unmatched_returns == 0
    # upgrades follow the tier history, one event per upgrade period
    upgrades = warehouse.scalar(
        "select count(*) from marts.fct_tier_history where reason = 'upgrade'"
    )
    assert events["upgraded"] == upgrades


def test_red_list_tag_equals_latest_manual_add_minus_remove(warehouse: Warehouse):
    entries = warehouse.query(
        "select member_id, entered_at, tag_entry_id, tag_action "
        "from staging.stg_manual_tags__entries "
        f"where tag_code = 'RED_LIST' and entered_date <= date '{LAST_DAY}'"
    )
    latest: dict[str, tuple] = {}
    for member_id, entered_at, entry_id, action in entries:
        if member_id not in latest or (entered_at, entry_id) > latest[member_id][:2]:
            latest[member_id] = (entered_at, entry_id, action)
    expected = {member for member, (_, _, action) in latest.items() if action == "ADD"}
    tagged = {
        member
        for (member,) in warehouse.query(
            "select member_id from marts.fct_member_tags where tag_code = 'red_list'"
        )
    }
    assert expected, "the simulation red-listed nobody: the test would prove little"
    assert tagged == expected


def test_tags_all_in_the_dictionary_in_three_families(warehouse: Warehouse):
    unknown = warehouse.scalar(
        "select count(*) from marts.fct_member_tags t "
        "left join marts.dim_tag_dictionary d using (tag_code) where d.tag_code is null"
    )
    assert unknown == 0
    families = dict(
        warehouse.query("select tag_family, count(*) from marts.fct_member_tags group by 1")
    )
    assert set(families) == {"identity", "state", "personal"}
    assert warehouse.scalar("select count(distinct as_of_date) from marts.fct_member_tags") == 1
    assert warehouse.scalar("select max(as_of_date) from marts.fct_member_tags") == LAST_DAY
    codes = {
        code for (code,) in warehouse.query("select distinct tag_code from marts.fct_member_tags")
    }
    for code in ("tier", "vip_level", "guild_role", "lifecycle_stage", "birthday", "region"):
        assert code in codes, code
    assert any(code.startswith("expert_") for code in codes)
    ml_codes = {
        code
        for (code,) in warehouse.query(
            "select tag_code from marts.dim_tag_dictionary where source = 'ml'"
        )
    }
    assert ml_codes == {"churn_warning", "potential_vip"}


def test_lifecycle_stage_tag_is_the_stage_of_the_as_of_day(warehouse: Warehouse):
    mismatches = warehouse.scalar(
        "select count(*) from marts.fct_lifecycle_daily d "
        "full join (select * from marts.fct_member_tags where tag_code = 'lifecycle_stage') t "
        "on t.member_id = d.member_id and t.as_of_date = d.as_of_date "
        f"where (d.as_of_date = date '{LAST_DAY}' or t.member_id is not null) "
        "and (t.member_id is null or d.member_id is null or t.tag_value != d.stage)"
    )
    assert mismatches == 0
