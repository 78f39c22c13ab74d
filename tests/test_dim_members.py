"""The member panorama ``dim_members`` on a small simulated warehouse: one row per member,
values that agree with the marts it joins, and no personal data in clear."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.fixtures.warehouse import (
    SESSION_DAYS,
    SIMULATION_START,
    BuiltWarehouse,
    simulated_warehouse_fixture,  # noqa: F401 - provides the fixture simulated_warehouse
)

DAYS = SESSION_DAYS
LAST_DAY = SIMULATION_START + dt.timedelta(days=DAYS - 1)
MASKED_PHONE = re.compile(r"^1\d\d\*{4}\d{4}$")
MASKED_EMAIL = re.compile(r"^.\*{3}@[^@]+$")


pytestmark = pytest.mark.slow


@pytest.fixture
def warehouse(simulated_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    """The session's simulated warehouse (the whole dbt project built once)."""
    return simulated_warehouse


def test_dim_members_its_unit_test_and_data_tests_pass(warehouse: BuiltWarehouse) -> None:
    assert warehouse.failed_nodes(["dim_members"]) == []
    assert warehouse.ran("model.vip_panorama.dim_members")
    assert warehouse.ran("unit_test.vip_panorama.dim_members.")
    assert len(warehouse.ran("test.vip_panorama.unique_dim_members_member_id")) == 1


def test_one_row_per_member_of_the_profile_source(warehouse: BuiltWarehouse) -> None:
    members, distinct, staged = warehouse.query(
        "select count(*), count(distinct member_id), "
        "(select count(distinct member_id) from staging.stg_members__profile_versions) "
        "from marts.dim_members"
    )[0]
    assert members == distinct == staged > 500
    assert warehouse.scalar("select min(as_of_date) from marts.dim_members") == LAST_DAY


def test_no_phone_email_or_real_name_in_clear(warehouse: BuiltWarehouse) -> None:
    columns = [
        name
        for (name,) in warehouse.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_members' "
            "and data_type = 'VARCHAR'"
        )
    ]
    clear_values = {
        value
        for (value,) in warehouse.query(
            "select real_name from staging.stg_members__profile_versions "
            "union select phone from staging.stg_members__profile_versions "
            "union select email from staging.stg_members__profile_versions "
            "union select phone from staging.stg_contacts__contacts "
            "union select email from staging.stg_surveys__responses"
        )
        if value
    }
    assert len(clear_values) > 1000
    text_values = {
        value
        for column in columns
        for (value,) in warehouse.query(f"select distinct {column} from marts.dim_members")
        if value
    }
    assert not text_values & clear_values
    phones = [p for (p,) in warehouse.query("select phone_masked from marts.dim_members") if p]
    emails = [e for (e,) in warehouse.query("select email_masked from marts.dim_members") if e]
    names = [n for (n,) in warehouse.query("select real_name_masked from marts.dim_members") if n]
    assert phones and all(MASKED_PHONE.match(p) for p in phones), phones[:5]
    assert emails and all(MASKED_EMAIL.match(e) for e in emails), emails[:5]
    assert names and all(len(n) == 2 and n.endswith("*") for n in names), names[:5]


def test_spending_windows_match_the_consumption_source(warehouse: BuiltWarehouse) -> None:
    mismatches = warehouse.query(
        f"""
        with direct as (
            select
                member_id,
                sum(case when consumed_date > date '{LAST_DAY}' - 30 then amount_cny end)
                    as consumption_30d,
                sum(amount_cny) as consumption_90d
            from staging.stg_consumption__transactions
            where consumed_date <= date '{LAST_DAY}'
            group by member_id
        )
        select m.member_id, m.consumption_30d_cny, d.consumption_30d
        from marts.dim_members m
        left join direct d using (member_id)
        where m.consumption_30d_cny != coalesce(d.consumption_30d, 0)
            or m.consumption_90d_cny != coalesce(d.consumption_90d, 0)
        """
    )
    assert mismatches == []
    assert warehouse.scalar("select count(*) from marts.dim_members where consumption_30d_cny > 0")


def test_tier_lifecycle_and_tickets_agree_with_their_marts(warehouse: BuiltWarehouse) -> None:
    tier_mismatches = warehouse.scalar(
        "select count(*) from marts.dim_members m join marts.fct_member_tier_daily t "
        "on t.member_id = m.member_id and t.as_of_date = m.as_of_date "
        "where t.tier_code != m.tier_code or t.vip_level != m.vip_level"
    )
    assert tier_mismatches == 0
    assert warehouse.scalar("select count(distinct tier_code) from marts.dim_members") >= 2
    stages = dict(
        warehouse.query("select lifecycle_stage, count(*) from marts.dim_members group by 1")
    )
    assert {"new", "active", "churned"} <= set(stages)
    open_in_panorama, open_tickets = warehouse.query(
        "select (select sum(open_ticket_count) from marts.dim_members), "
        "(select count(*) from marts.fct_tickets where not is_resolved)"
    )[0]
    assert open_in_panorama == open_tickets > 0
