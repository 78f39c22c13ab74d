{#-
    Every stage event of fct_lifecycle_events matches a change of the daily stage in
    fct_lifecycle_daily (same member and day, same stages before and after, the event type the
    change implies), and every change of the daily stage has its event. Returns the mismatches.
    Dagster shows it as a check of fct_lifecycle_events (the meta names the asset it checks).
    It checks the days this run rewrote (from the partition window's first day less
    late_arrival_days, as the uniqueness tests' `__run_window_start__`), reading one day more for
    the stage each of them changes from; a full build (the default window) checks every day.
-#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_lifecycle_events'}}}) }}
{%- set check_from_date = partition_window_start(var('late_arrival_days')) %}
with

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}

),

stage_days as (

    select
        lifecycle_daily.member_id,
        lifecycle_daily.as_of_date,
        lifecycle_daily.stage,
        lag(lifecycle_daily.stage) over (
            partition by lifecycle_daily.member_id
            order by lifecycle_daily.as_of_date
        ) as previous_stage
    from lifecycle_daily
    where
        lifecycle_daily.as_of_date
        >= cast({{ dbt.dateadd('day', -1, check_from_date) }} as date)

),

stage_changes as (

    select
        stage_days.member_id,
        stage_days.as_of_date as event_date,
        case
            when stage_days.previous_stage = 'churned' then 'returned'
            when stage_days.stage = 'declining' then 'pre_churn'
            else stage_days.stage
        end as event_type,
        stage_days.previous_stage as from_value,
        stage_days.stage as to_value
    from stage_days
    where
        stage_days.as_of_date >= {{ check_from_date }}
        and (
            stage_days.previous_stage != stage_days.stage
            or (stage_days.previous_stage is null and stage_days.stage = 'new')
        )

),

stage_events as (

    select
        lifecycle_events.member_id,
        lifecycle_events.event_date,
        lifecycle_events.event_type,
        lifecycle_events.from_value,
        lifecycle_events.to_value
    from lifecycle_events
    where
        lifecycle_events.event_date >= {{ check_from_date }}
        and lifecycle_events.event_type in ('new', 'active', 'pre_churn', 'churned', 'returned')

),

final as (

    select
        coalesce(stage_events.member_id, stage_changes.member_id) as member_id,
        coalesce(stage_events.event_date, stage_changes.event_date) as event_date,
        stage_events.event_type,
        stage_changes.event_type as expected_event_type,
        stage_events.from_value,
        stage_changes.from_value as expected_from_value,
        stage_events.to_value,
        stage_changes.to_value as expected_to_value
    from stage_events
    full outer join stage_changes
        on
            stage_events.member_id = stage_changes.member_id
            and stage_events.event_date = stage_changes.event_date
    where
        stage_events.member_id is null
        or stage_changes.member_id is null
        or stage_events.event_type != stage_changes.event_type
        or coalesce(stage_events.from_value, '') != coalesce(stage_changes.from_value, '')
        or stage_events.to_value != stage_changes.to_value

)

select * from final
