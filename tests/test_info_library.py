"""The effective information library on a small simulated warehouse: candidates, survivorship,
history, the restricted dimension, its masked mart, coverage and the snapshot, built by real dbt
runs on a real DuckDB file. Two planted contacts pin down the survivorship rules end to end."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from dataclasses import dataclass

import duckdb
import pytest

from dagster_project.settings import DBT_PROJECT_DIR, Settings
from dagster_project.simulator import SimulationConfig, simulate
from tests.fixtures.warehouse import dbt_command, load_landing_days, simulated_days

MEMBERS = 1000
DAYS = 35
START = dt.date(2026, 1, 1)
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
# The first build describes the library as of this day; the second, as of the last day.
EARLY_AS_OF = START + dt.timedelta(days=24)
SELECTION = [
    "+dim_member_contact_status",
    "+fct_contact_coverage_daily",
    "+snap_member_contacts",
]
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Schemas that mirror the delivered files (raw, and staging views over it) hold the numbers as
# typed; of the warehouse's own models only schema restricted may hold them.
SOURCE_SCHEMAS = ("raw", "staging")
PLANTED_WRONG_NUMBER = "PLANTED-WRONG-NUMBER"
PLANTED_SELF_REPORT = "PLANTED-SELF-REPORT"
PLANTED_OTHER_PHONE = "13512340000"


@dataclass(frozen=True)
class Warehouse:
    settings: Settings
    run_results: list[dict]
    wrong_number_member: str
    wrong_number_phone: str
    self_report_member: str
    self_report_verified_phone: str

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        (row,) = self.query(sql, params)
        return row[0]


def load_raw(settings: Settings) -> None:
    """Simulate the landing files and load every day with the ingestion code itself."""
    simulate(SimulationConfig(members=MEMBERS, days=DAYS, start=START, out=settings.landing_dir))
    load_landing_days(settings.warehouse_path, settings.landing_dir, simulated_days(START, DAYS))


def plant_contacts(settings: Settings) -> tuple[str, str, str, str]:
    """Two delivered contacts of the last day, copied from reached outbound calls of the
    simulation: a WRONG_NUMBER on a number a reached call had confirmed, and a survey callback
    leaving another number after a reached call. Returns the members and numbers concerned."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        reached = con.execute(
            "select contact_id, member_id, phone from raw.contacts "
            "where channel = 'OB' and outcome = 'REACHED' and phone similar to '1[3-9][0-9]{9}' "
            "qualify row_number() over (partition by member_id order by contact_id) = 1 "
            "order by contact_id limit 2"
        ).fetchall()
        assert len(reached) == 2, "the simulation made too few reached calls"
        (wrong_id, wrong_member, wrong_phone), (_, survey_member, survey_phone) = reached
        last_day_evening = f"{LAST_DAY.isoformat()}T20:00:00+08:00"
        con.execute(
            "insert into raw.contacts select * replace ("
            "  ? as contact_id, ?::timestamptz as contacted_at, 'WRONG_NUMBER' as outcome,"
            "  ?::date as _landing_date)"
            "from raw.contacts where contact_id = ?",
            [PLANTED_WRONG_NUMBER, last_day_evening, LAST_DAY, wrong_id],
        )
        con.execute(
            "insert into raw.surveys select * replace ("
            "  ? as survey_id, ? as member_id, ?::timestamptz as answered_at, ? as phone,"
            "  null as contact_id, ?::date as _landing_date)"
            "from raw.surveys limit 1",
            [PLANTED_SELF_REPORT, survey_member, last_day_evening, PLANTED_OTHER_PHONE, LAST_DAY],
        )
    return wrong_member, wrong_phone, survey_member, survey_phone


def run_dbt(settings: Settings, *args: str, dbt_vars: dict | None = None) -> dict:
    """A dbt command on the warehouse of ``settings``; returns run_results.json."""
    target = settings.home / "dbt" / f"target-{len(list(settings.home.glob('dbt/target-*')))}"
    command = dbt_command(target, *args)
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    env = {**os.environ, "PANORAMA_HOME": str(settings.home)}
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    results_path = target / "run_results.json"
    assert results_path.exists(), completed.stdout[-4000:] + completed.stderr[-2000:]
    return json.loads(results_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """1,000 members over 35 days; the library built as of day 25, then as of the last day
    (so the snapshot sees two runs)."""
    settings = Settings(home=tmp_path_factory.mktemp("info_library_home"))
    load_raw(settings)
    planted = plant_contacts(settings)
    # The early run loads the seeds and gives the snapshot its first state (no tests); the
    # final run builds and tests the contact models (staging has its own tests elsewhere).
    early = run_dbt(
        settings,
        "build",
        "--select",
        *SELECTION,
        "resource_type:seed",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--resource-type",
        "snapshot",
        dbt_vars={"max_date": EARLY_AS_OF.isoformat()},
    )
    final = run_dbt(settings, "build", "--select", *SELECTION, "--exclude", "path:models/staging")
    return Warehouse(settings, [early, final], *planted)


def test_every_model_unit_test_and_data_test_passes(warehouse: Warehouse):
    for run_results in warehouse.run_results:
        failures = [
            f"{r['unique_id']}: {r['status']} {r.get('message')}"
            for r in run_results["results"]
            if r["status"] not in ("success", "pass")
        ]
        assert not failures
    nodes = {r["unique_id"] for r in warehouse.run_results[-1]["results"]}
    assert any(node.startswith("unit_test.") and "survivorship" in node for node in nodes)
    assert "snapshot.vip_panorama.snap_member_contacts" in nodes


def test_no_full_phone_number_outside_schema_restricted(warehouse: Warehouse):
    """Scan every VARCHAR column of every table and view of the warehouse's own schemas."""
    columns = warehouse.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('restricted', ?, ?)",
        list(SOURCE_SCHEMAS),
    )
    assert {schema for schema, _, _ in columns} >= {"marts", "reference"}
    leaks = [
        f"{schema}.{table}.{column}"
        for schema, table, column in columns
        if warehouse.scalar(
            f'select count(*) from "{schema}"."{table}" '
            f"where regexp_matches(\"{column}\", '^1[3-9][0-9]{{9}}$') "
            # Listed placeholders look like mobiles but belong to nobody.
            f'and "{column}" not in (select phone_number from reference.phone_placeholders)'
        )
    ]
    assert leaks == []
    # The scan can find numbers: the restricted dimension is full of them.
    assert (
        warehouse.scalar(
            "select count(*) from restricted.dim_member_contacts "
            "where regexp_matches(best_phone, '^1[3-9][0-9]{9}$')"
        )
        > MEMBERS // 2
    )


def test_masked_mart_shows_no_full_email_either(warehouse: Warehouse):
    masked = warehouse.query(
        "select phone_masked, email_masked from marts.dim_member_contact_status "
        "where phone_masked is not null and email_masked is not null limit 50"
    )
    assert masked
    for phone, email in masked:
        assert re.fullmatch(r"1[3-9][0-9]\*{4}[0-9]{4}", phone)
        assert re.fullmatch(r"[^@]\*\*\*@[^@]+", email)


def test_a_wrong_number_is_not_kept_as_verified(warehouse: Warehouse):
    member, phone = warehouse.wrong_number_member, warehouse.wrong_number_phone
    best_phone, status = warehouse.query(
        "select best_phone, phone_status from restricted.dim_member_contacts where member_id = ?",
        [member],
    )[0]
    assert best_phone != phone
    assert status != "verified"
    # Nowhere in the library does a number stay verified after its latest wrong-number outcome.
    assert not warehouse.query(
        "with invalidated as ("
        "  select member_id, cleaned_value, max(observed_at) as invalidated_at"
        "  from restricted.int_contact_candidates"
        "  where evidence_type = 'invalidated' and is_usable group by all),"
        "confirmed as ("
        "  select member_id, cleaned_value, max(observed_at) as confirmed_at"
        "  from restricted.int_contact_candidates"
        "  where evidence_type = 'confirmed' and is_usable group by all)"
        "select d.member_id from restricted.dim_member_contacts as d"
        " join invalidated as i on d.member_id = i.member_id and d.best_phone = i.cleaned_value"
        " left join confirmed as c on i.member_id = c.member_id"
        "  and i.cleaned_value = c.cleaned_value"
        " where c.confirmed_at is null or c.confirmed_at <= i.invalidated_at"
    )


def test_a_reached_call_beats_a_newer_self_report(warehouse: Warehouse):
    best_phone, status, source = warehouse.query(
        "select best_phone, phone_status, phone_source from restricted.dim_member_contacts "
        "where member_id = ?",
        [warehouse.self_report_member],
    )[0]
    assert (best_phone, status, source) == (
        warehouse.self_report_verified_phone,
        "verified",
        "contact",
    )
    (reason,) = warehouse.query(
        "select rejection_reason from restricted.int_contact_candidates "
        "where source_record_id = ? and contact_type = 'phone'",
        [PLANTED_SELF_REPORT],
    )[0]
    assert reason is None  # the losing number was usable: survivorship, not cleaning, decided


def test_rejected_candidates_are_kept_with_their_reason(warehouse: Warehouse):
    reasons = dict(
        warehouse.query(
            "select rejection_reason, count(*) from restricted.int_contact_candidates "
            "where contact_type = 'phone' group by 1"
        )
    )
    assert {"landline", "malformed", "placeholder"} <= set(reasons)
    assert reasons[None] > 10 * sum(n for reason, n in reasons.items() if reason)


def test_one_row_per_member_and_statuses_make_sense(warehouse: Warehouse):
    members, rows, as_of = warehouse.query(
        "select count(distinct member_id), count(*), max(as_of_date) "
        "from restricted.dim_member_contacts"
    )[0]
    assert members == rows > MEMBERS * 0.9
    assert as_of == LAST_DAY
    shares = dict(
        warehouse.query(
            "select phone_status, count(*) / sum(count(*)) over () "
            "from restricted.dim_member_contacts group by 1"
        )
    )
    assert shares["unverified"] > 0.5  # most members only ever self-reported a number
    assert 0.01 < shares["verified"] < 0.5
    assert shares["invalid"] < 0.15
    assert not warehouse.query(
        "select member_id from restricted.dim_member_contacts "
        "where (phone_status in ('verified', 'unverified')) != (best_phone is not null)"
    )


def test_history_is_complete_and_ends_in_the_dimension(warehouse: Warehouse):
    first_day = warehouse.scalar(
        "select min(valid_from) from restricted.fct_member_contact_history"
    )
    assert first_day == START
    mismatches = warehouse.query(
        "select d.member_id from restricted.dim_member_contacts as d "
        "left join restricted.fct_member_contact_history as h "
        "  on d.member_id = h.member_id and h.contact_type = 'phone' and h.is_current "
        "where d.phone_status != 'missing' "
        "  and (h.member_id is null or h.contact_value is distinct from d.best_phone "
        "       or h.contact_status != d.phone_status)"
    )
    assert mismatches == []


def test_coverage_of_the_last_day_matches_the_dimension(warehouse: Warehouse):
    coverage = warehouse.query(
        "select member_count, members_with_usable_phone, members_with_verified_phone, "
        "members_with_usable_email from marts.fct_contact_coverage_daily where coverage_date = ?",
        [LAST_DAY],
    )
    dimension = warehouse.query(
        "select count(*), count(*) filter (has_usable_phone), "
        "count(*) filter (phone_status = 'verified'), count(*) filter (has_usable_email) "
        "from restricted.dim_member_contacts"
    )
    assert coverage == dimension
    days = warehouse.scalar("select count(*) from marts.fct_contact_coverage_daily")
    assert days == DAYS
    share = warehouse.scalar(
        "select phone_coverage_share from marts.fct_contact_coverage_daily where coverage_date = ?",
        [LAST_DAY],
    )
    assert 0.8 < share < 1.0


def test_the_snapshot_keeps_every_run_to_run_change(warehouse: Warehouse):
    current, closed = warehouse.query(
        "select count(*) filter (dbt_valid_to is null), count(*) filter (dbt_valid_to is not null) "
        "from restricted.snap_member_contacts"
    )[0]
    members = warehouse.scalar("select count(*) from restricted.dim_member_contacts")
    assert current == members
    assert closed > 0  # members whose contact status changed between day 25 and day 35
    # The planted wrong number closed that member's verified row.
    assert warehouse.query(
        "select phone_status from restricted.snap_member_contacts "
        "where member_id = ? and dbt_valid_to is not null",
        [warehouse.wrong_number_member],
    )
