{#-
    The days the lifecycle models cover in this run, one row. first_data_date and
    last_data_date bound the member x day grid: the first day with any member activity, and the
    partition window's last day (var max_date) capped at the last day with activity, so a plain
    `dbt build` (max_date far in the future) stops at the latest delivered day. rebuild_from_date
    is the first day this run rewrites: var min_date less var late_arrival_days (rows arrive that
    late), never before the data starts.
-#}
with

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

bounds as (

    select
        min(daily_activity.activity_date) as first_data_date,
        max(daily_activity.activity_date) as last_activity_date
    from daily_activity

),

final as (

    select
        bounds.first_data_date,
        least({{ partition_window_end() }}, bounds.last_activity_date) as last_data_date,
        greatest(
            {{ partition_window_start(var('late_arrival_days')) }}, bounds.first_data_date
        ) as rebuild_from_date
    from bounds

)

select * from final
