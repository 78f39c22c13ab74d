"""The daily partitions every daily asset shares: Asia/Shanghai calendar days."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.settings import TIMEZONE, get_settings

# end_offset=1 makes today's (still filling) day selectable, so a sensor can run it
# as soon as its landing files are complete.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=get_settings().partition_start,
    timezone=TIMEZONE,
    end_offset=1,
)


def window_bounds(window: dg.TimeWindow) -> tuple[dt.date, dt.date]:
    """The first and last local day of a partition window (half-open, ``[start, end)``)."""
    local = ZoneInfo(TIMEZONE)
    first = window.start.astimezone(local).date()
    # The end is exclusive: the last day is the one holding the instant just before it.
    last = (window.end.astimezone(local) - dt.timedelta(microseconds=1)).date()
    return first, last


def window_days(window: dg.TimeWindow) -> list[dt.date]:
    """Every local day of a partition window, oldest first."""
    first, last = window_bounds(window)
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
