"""The daily partitions every daily asset shares: Asia/Shanghai calendar days."""

import dagster as dg

from dagster_project.settings import TIMEZONE, get_settings

# end_offset=1 makes today's (still filling) day selectable, so a sensor can run it
# as soon as its landing files are complete.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=get_settings().partition_start,
    timezone=TIMEZONE,
    end_offset=1,
)
