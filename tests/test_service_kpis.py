"""Service marts on a small simulated warehouse: tickets with SLA, daily and agent KPIs,
value-added revenue and the Pareto mart, built by a real dbt run on real DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.warehouse import (
    SESSION_DAYS,
    SIMULATION_START,
    BuiltWarehouse,
    simulated_warehouse_fixture,  # noqa: F401 - provides the fixture simulated_warehouse
)

START = SIMULATION_START
DAYS = SESSION_DAYS
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
SERVICE_MARTS = [
    "fct_contacts",
    "fct_tickets",
    "fct_survey_responses",
    "fct_service_kpis_daily",
    "fct_agent_kpis_daily",
    "fct_pareto_monthly",
]
# The service models, their seed and tests: a failure of another domain is that domain's test's.
SERVICE_NODES = [
    *SERVICE_MARTS,
    "int_service_as_of_date",
    "int_contacts_flagged",
    "int_outbound_reach_days_valued",
    "ticket_sla",
    "assert_service_kpi_rates",
]


pytestmark = pytest.mark.slow


@pytest.fixture
def warehouse(simulated_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    """The session's simulated warehouse (the whole dbt project built once)."""
    return simulated_warehouse


def test_every_service_model_unit_test_and_data_test_passes(warehouse: BuiltWarehouse) -> None:
    assert warehouse.failed_nodes(SERVICE_NODES) == []
    models = warehouse.ran("model.vip_panorama.")
    for name in SERVICE_MARTS:
        assert f"model.vip_panorama.{name}" in models
    unit_tests = warehouse.ran("unit_test.vip_panorama.")
    assert sum(any(name in uid for name in SERVICE_NODES) for uid in unit_tests) >= 3
    assert warehouse.ran("test.vip_panorama.assert_fct_tickets_resolution_and_sla")


def test_the_marts_describe_the_last_delivered_day(warehouse: BuiltWarehouse) -> None:
    assert (
        warehouse.scalar("select as_of_date from intermediate.int_service_as_of_date") == LAST_DAY
    )
    days = warehouse.query("select kpi_date from marts.fct_service_kpis_daily order by 1")
    # the simulator has service events every day: one KPI row per day, none after the as-of day
    assert [d for (d,) in days] == [START + dt.timedelta(days=i) for i in range(DAYS)]


def test_one_ticket_row_per_ticket_with_its_latest_status(warehouse: BuiltWarehouse) -> None:
    staged, built = warehouse.query(
        "select (select count(distinct ticket_id) from staging.stg_tickets__ticket_versions), "
        "(select count(*) from marts.fct_tickets)"
    )[0]
    assert built == staged > 50
    # a ticket with a RESOLVED or CLOSED version in staging is resolved in the mart
    unresolved_despite_resolution = warehouse.scalar(
        "select count(*) from marts.fct_tickets t where not t.is_resolved and exists ("
        "select 1 from staging.stg_tickets__ticket_versions v "
        "where v.ticket_id = t.ticket_id and v.ticket_status != 'OPEN')"
    )
    assert unresolved_despite_resolution == 0


def test_sla_breaches_follow_the_seed_and_urgent_tickets_get_less_time(
    warehouse: BuiltWarehouse,
) -> None:
    rows = warehouse.query(
        "select t.ticket_priority, t.is_resolved, t.resolution_hours, t.sla_hours, "
        "t.is_sla_breached, s.sla_hours from marts.fct_tickets t "
        "join reference.ticket_sla s using (ticket_priority, ticket_category)"
    )
    for priority, resolved, hours, sla_hours, breached, seed_hours in rows:
        assert sla_hours == seed_hours
        if resolved:
            assert hours >= 0
            assert breached == (hours > sla_hours), (priority, hours, sla_hours, breached)
    average_sla = dict(
        warehouse.query("select ticket_priority, avg(sla_hours) from marts.fct_tickets group by 1")
    )
    assert average_sla["P1"] < average_sla["P2"] < average_sla["P3"]
    breach_share = warehouse.scalar("select avg(is_sla_breached::int) from marts.fct_tickets")
    assert 0.05 < breach_share < 0.8


def test_reach_rate_is_lower_for_calls_than_for_pushes(warehouse: BuiltWarehouse) -> None:
    rates = dict(
        warehouse.query(
            "select channel_code, avg(is_reached::int) from marts.fct_contacts "
            "where is_outbound group by 1"
        )
    )
    assert rates["OB"] < rates["APP"]
    assert 0.3 < rates["OB"] < 0.8
    daily = warehouse.query("select reach_rate from marts.fct_service_kpis_daily")
    assert all(0 <= rate <= 1 for (rate,) in daily if rate is not None)


def test_value_added_revenue_matches_a_direct_computation(warehouse: BuiltWarehouse) -> None:
    """Recomputed straight from staging for the days whose 30-day window is complete."""
    direct = dict(
        warehouse.query(
            """
            with reaches as (
                select member_id, contacted_date, min(contacted_at) as first_reached_at
                from staging.stg_contacts__contacts
                where contact_direction = 'OUT' and contact_outcome = 'REACHED'
                group by all
            )
            select r.contacted_date, coalesce(sum(c.amount_cny), 0)
            from reaches r
            left join staging.stg_consumption__transactions c
                on c.member_id = r.member_id
                and c.consumed_at > r.first_reached_at
                and c.consumed_date <= r.contacted_date + 30
            group by 1
            """
        )
    )
    built = warehouse.query(
        "select kpi_date, value_added_revenue_cny, is_value_added_complete "
        "from marts.fct_service_kpis_daily"
    )
    complete = [(day, value) for day, value, is_complete in built if is_complete]
    assert len(complete) == DAYS - 30
    for day, value in complete:
        assert value == direct.get(day, 0), day
    assert sum(value for _, value in complete) > 0


def test_agent_kpis_add_up_to_the_contacts_and_tickets(warehouse: BuiltWarehouse) -> None:
    agent_contacts, agent_resolved = warehouse.query(
        "select sum(contacts_handled), sum(tickets_resolved) from marts.fct_agent_kpis_daily"
    )[0]
    contacts_with_agent = warehouse.scalar(
        "select count(*) from marts.fct_contacts where agent_id is not null"
    )
    resolved_with_agent = warehouse.scalar(
        "select count(*) from marts.fct_tickets where is_resolved and agent_id is not null"
    )
    assert agent_contacts == contacts_with_agent > 0
    assert agent_resolved == resolved_with_agent > 0


def test_pareto_share_of_the_top_tenth_of_payers_is_about_ninety_percent(
    warehouse: BuiltWarehouse,
) -> None:
    months = warehouse.query(
        "select month_start_date, paying_members, top_payers, top_payers_consumption_share "
        "from marts.fct_pareto_monthly order by 1"
    )
    assert [m for m, *_ in months] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    for _, payers, top, _ in months:
        assert top == -(-payers // 10)
    in_band = [share for *_, share in months if 0.85 <= share <= 0.95]
    assert len(in_band) > len(months) / 2, months


def test_service_marts_carry_no_contact_details(warehouse: BuiltWarehouse) -> None:
    columns = warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name in ("
        + ", ".join(f"'{name}'" for name in SERVICE_MARTS)
        + ")"
    )
    assert {table for table, _ in columns} == set(SERVICE_MARTS)
    assert not [c for c in columns if c[1] in ("phone", "email", "real_name")]
