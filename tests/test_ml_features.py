"""The ML marts on the session's simulated warehouse: features are point-in-time (changing
events after a day leaves that day's features unchanged), labels follow their definitions.

(That a day-by-day build of feat_member_daily equals one full refresh is asserted, with every
other incremental model, by test_incremental.py.)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import Settings
from data_quality.contract import SOURCES
from tests.fixtures.warehouse import (
    SESSION_DAYS,
    SIMULATION_START,
    BuiltWarehouse,
    run_dbt_build,
    simulated_warehouse_fixture,  # noqa: F401 (the session fixture)
)

# Short label windows, so labels exist inside the session's 50 days.
SHORT_HORIZONS = {"ml_churn_horizon_days": 7, "ml_potential_vip_horizon_days": 10}
LEAKAGE_DAY = SIMULATION_START + dt.timedelta(days=29)
FEATURES = "marts.feat_member_daily"


def copy_warehouse(source: Settings, home: Path) -> Settings:
    """A private, writable copy of the warehouse of ``source`` under ``home``."""
    settings = Settings(home=home)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source.warehouse_path, settings.warehouse_path)
    return settings


def build_ml_marts(settings: Settings, select: list[str], dbt_vars: dict | None = None) -> None:
    """``dbt build`` of the selected models (and their tests) on a copied warehouse; fails on
    any failure. ``select`` may carry further dbt arguments after the selection."""
    results = run_dbt_build(settings, select=select, dbt_vars=dbt_vars)
    failed = [
        f"{r['unique_id']}: {r['status']} {r.get('message')}"
        for r in results["results"]
        if r["status"] not in ("success", "pass")
    ]
    assert not failed, failed


# The changed warehouse breaks upstream data tests on purpose (e.g. consumption of members whose
# profile was deleted): rebuild its models only.
MODELS_ONLY = ["--full-refresh", "--exclude", "resource_type:test", "resource_type:unit_test"]


@pytest.fixture(scope="session")
def short_label_warehouse(
    simulated_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The session warehouse with labels rebuilt at short horizons (and their tests run), built
    once for all test workers like the session warehouse (open it read-only)."""
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent
    settings = Settings(home=root / "ml_short_labels")
    done = settings.home / "built"
    with open(root / "ml_short_labels.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            copy_warehouse(simulated_warehouse.settings, settings.home)
            build_ml_marts(settings, ["fct_ml_labels_daily"], SHORT_HORIZONS)
            done.touch()
    return settings


def query(settings: Settings, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def change_events_after(settings: Settings, day: dt.date) -> dict[str, int]:
    """Change the raw events of every source after ``day`` (local time): consumption amounts
    multiplied by ten, everything else deleted. Returns the rows touched per source."""
    touched = {}
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for source in SOURCES.values():
            after = (
                f"cast(timezone('Asia/Shanghai', {source.event_time}) as date) > "
                f"cast('{day}' as date)"
            )
            if source.name == "consumption":
                statement = f"update raw.consumption set amount_cny = amount_cny * 10 where {after}"
            else:
                statement = f"delete from raw.{source.name} where {after}"
            touched[source.name] = con.execute(statement).fetchone()[0]
    return touched


def test_changing_events_after_a_day_leaves_that_days_features_unchanged(
    simulated_warehouse: BuiltWarehouse, tmp_path: Path
):
    changed = copy_warehouse(simulated_warehouse.settings, tmp_path / "changed")
    touched = change_events_after(changed, LEAKAGE_DAY)
    assert touched["logins"] > 0 and touched["consumption"] > 0
    build_ml_marts(changed, ["+feat_member_daily", *MODELS_ONLY])

    with duckdb.connect(str(changed.warehouse_path)) as con:
        con.execute(
            f"attach '{simulated_warehouse.settings.warehouse_path}' as original (read_only)"
        )
        up_to_day = f"where as_of_date <= cast('{LEAKAGE_DAY}' as date)"
        rows_on_day = con.execute(
            f"select count(*) from {FEATURES} where as_of_date = ?", [LEAKAGE_DAY]
        ).fetchone()[0]
        differences = [
            con.execute(
                f"select count(*) from (select * from {left}.{FEATURES} {up_to_day} "
                f"except all select * from {right}.{FEATURES} {up_to_day})"
            ).fetchone()[0]
            for left, right in (("original", "panorama"), ("panorama", "original"))
        ]
        after_day = f"where as_of_date > cast('{LEAKAGE_DAY}' as date)"
        later_differences = con.execute(
            f"select count(*) from (select * from panorama.{FEATURES} {after_day} "
            f"except all select * from original.{FEATURES} {after_day})"
        ).fetchone()[0]
    assert rows_on_day > 100
    assert differences == [0, 0]
    # The change did reach the data: without events after the day, later features differ.
    assert later_differences > 0


def test_features_cover_both_populations_every_day(short_label_warehouse: Settings):
    days, churn_days, potential_days = query(
        short_label_warehouse,
        f"select count(distinct as_of_date), "
        f"count(distinct as_of_date) filter (where is_churn_population), "
        f"count(distinct as_of_date) filter (where is_potential_vip_population) from {FEATURES}",
    )[0]
    assert days == SESSION_DAYS
    assert potential_days == SESSION_DAYS
    # VIPs exist from the first weeks on (some members start above gold).
    assert churn_days >= SESSION_DAYS - 31


def test_churn_label_means_no_login_in_the_window(short_label_warehouse: Settings):
    wrong = query(
        short_label_warehouse,
        """
        select count(*)
        from marts.fct_ml_labels_daily as labels
        where labels.churn_label is not null
          and labels.churn_label = exists (
              select 1 from intermediate.int_member_daily_activity as activity
              where activity.member_id = labels.member_id
                and activity.login_count > 0
                and activity.activity_date > labels.as_of_date
                and activity.activity_date <= labels.churn_label_window_end
          )
        """,
    )[0][0]
    assert wrong == 0


def test_potential_vip_label_means_reaching_gold_in_the_window(short_label_warehouse: Settings):
    counts = dict(
        query(
            short_label_warehouse,
            """
            select labels.pvip_label, count(*)
            from marts.fct_ml_labels_daily as labels
            join marts.fct_member_tier_daily as later
              on later.member_id = labels.member_id
             and later.as_of_date = labels.pvip_label_window_end
            where labels.pvip_label is not null
              and later.tier_rank >= 1
            group by labels.pvip_label
            """,
        )
    )
    # Members at gold or above at the window's end reached it inside the window (they were
    # below gold on as_of_date), unless they were downgraded again (not within 10 days here).
    assert counts.get(True, 0) > 0
    assert counts.get(False, 0) == 0


def test_labels_are_null_until_the_window_is_complete(short_label_warehouse: Settings):
    last_day = SIMULATION_START + dt.timedelta(days=SESSION_DAYS - 1)
    churn_known, pvip_known = query(
        short_label_warehouse,
        "select max(as_of_date) filter (where churn_label is not null), "
        "max(as_of_date) filter (where pvip_label is not null) from marts.fct_ml_labels_daily",
    )[0]
    assert churn_known == last_day - dt.timedelta(days=SHORT_HORIZONS["ml_churn_horizon_days"])
    assert pvip_known == last_day - dt.timedelta(
        days=SHORT_HORIZONS["ml_potential_vip_horizon_days"]
    )
