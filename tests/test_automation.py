"""The daily job, its schedule and the landing sensor."""

import datetime as dt

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.automation import (
    DAILY_JOB_NAME,
    complete_landing_days,
    landing_complete_sensor,
)
from dagster_project.settings import get_settings
from data_quality.contract import SOURCES


def mark(landing_dir, day, sources):
    for name in sources:
        folder = landing_dir / name / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "_SUCCESS").touch()


def test_a_day_is_complete_only_when_every_source_marked_it(tmp_path):
    today = dt.date(2026, 3, 10)
    mark(tmp_path, "2026-03-08", SOURCES)
    mark(tmp_path, "2026-03-09", list(SOURCES)[:-1])  # manual_tags not delivered yet
    mark(tmp_path, "2026-02-01", SOURCES)  # outside the lookback window

    assert complete_landing_days(tmp_path, today) == ["2026-03-08"]


def test_sensor_requests_one_run_per_complete_day_with_a_stable_key():
    today = dt.datetime.now(dt.UTC).date()
    day = (today - dt.timedelta(days=1)).isoformat()
    mark(get_settings().landing_dir, day, SOURCES)

    requests = list(landing_complete_sensor(dg.build_sensor_context()))

    assert [(r.partition_key, r.run_key) for r in requests] == [(day, f"landing-{day}")]


def test_daily_job_schedule_and_sensor_are_defined():
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def(f"{DAILY_JOB_NAME}_schedule")
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.cron_schedule == "30 5 * * *"
    assert defs.resolve_sensor_def("landing_complete_sensor").job_name == DAILY_JOB_NAME
