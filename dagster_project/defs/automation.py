"""Jobs, the daily schedule and the landing sensor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.defs.ml.models import TRAINING_ASSET_KEYS
from dagster_project.partitions import daily_partitions
from dagster_project.settings import TIMEZONE, get_settings
from data_quality.contract import SOURCES

DAILY_JOB_NAME = "panorama_daily"

# In-process: Dagster's default executor starts a process per step (seconds of imports each),
# and the warehouse admits a single writer anyway.
panorama_daily = dg.define_asset_job(
    DAILY_JOB_NAME,
    # Training has its own weekly job; the daily run scores with the promoted models.
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*TRAINING_ASSET_KEYS),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="Everything for one day (or a range of days in one run): ingest, warehouse, "
    "scores with the promoted models, tags, action lists, exports and the published warehouse.",
)

panorama_daily_schedule = dg.build_schedule_from_partitioned_job(
    panorama_daily,
    hour_of_day=5,
    minute_of_hour=30,
    description="Runs yesterday's partition at 05:30 Asia/Shanghai, after the nightly drops.",
)


# How far back the sensor looks for days whose delivery completed late.
SENSOR_LOOKBACK_DAYS = 7


def landing_day_complete(landing_dir: Path, day: str) -> bool:
    """True when every source has marked its folder for ``day`` complete with ``_SUCCESS``."""
    return all((landing_dir / name / f"dt={day}" / "_SUCCESS").exists() for name in SOURCES)


def complete_landing_days(landing_dir: Path, today: dt.date) -> list[str]:
    """The days of the lookback window, oldest first, whose landing files are complete."""
    days = (today - dt.timedelta(days=offset) for offset in range(SENSOR_LOOKBACK_DAYS, -1, -1))
    return [day.isoformat() for day in days if landing_day_complete(landing_dir, day.isoformat())]


@dg.sensor(
    job=panorama_daily,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs a day as soon as all 12 sources have delivered it (their _SUCCESS markers).",
)
def landing_complete_sensor(context: dg.SensorEvaluationContext):
    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    for day in complete_landing_days(get_settings().landing_dir, today):
        # run_key makes each complete day run once, however often the sensor ticks.
        yield dg.RunRequest(run_key=f"landing-{day}", partition_key=day)
