{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='fail',
    )
}}

{#-
    Tier and VIP level of every member as of the end of each day since their first activity:
    quarter-to-date consumption, the pre-downgrade warning and the distance to the next tier.
    Incremental by day over [min_date - late_arrival_days, max_date]. Sums over long windows
    (365 days, the quarter, all history) are differences of cumulative totals, looked up as of
    a day by carrying each member's running total forward over the days asked for. Only the days
    that change a total (consumption or a conversion) enter the running totals, and the counted
    consumption (the smaller of the rolling and since-count sums) takes one look-up: both are
    exact rewrites of the same sums, so the rows are those of the plain computation.
-#}
{%- set lookback_days = var('late_arrival_days') -%}
{%- set rolling_days = var('tier_rolling_consumption_days') | int -%}
{%- set quarter_start_sql = dbt.date_trunc('quarter', 'window_days.as_of_date') -%}

with

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

tier_history as (

    select * from {{ ref('fct_tier_history') }}

),

points_ledger as (

    select * from {{ ref('fct_points_ledger') }}

),

tier_seed as (

    select * from {{ ref('tiers') }}

),

vip_levels as (

    select * from {{ ref('vip_levels') }}

),

tiers as (

    select
        tier_code,
        tier_rank,
        upgrade_threshold_cny,
        upgrade_threshold_cny * retention_share as retention_cny
    from tier_seed

),

lowest_tier as (

    select min(tier_rank) as tier_rank from tiers

),

-- The days to build: days of the window that hold data.
window_days as (

    select distinct activity_date as as_of_date
    from daily_activity
    where {{ in_partition_window('activity_date', lookback_days) }}

),

member_starts as (

    select
        member_id,
        min(activity_date) as first_activity_date
    from daily_activity
    group by member_id

),

member_days as (

    select
        member_starts.member_id,
        window_days.as_of_date,
        cast({{ dbt.date_trunc('quarter', 'window_days.as_of_date') }} as date) as quarter_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, quarter_start_sql)) }}
            as date
        ) as quarter_end
    from member_starts
    inner join window_days
        on member_starts.first_activity_date <= window_days.as_of_date

),

converted_days as (

    select
        member_id,
        movement_date as activity_date,
        -sum(points) as converted_points
    from points_ledger
    where movement_type = 'convert'
    group by member_id, movement_date

),

-- Running totals on the days something counted (consumption or a conversion). A day without
-- either would repeat the previous total (0 before the first), which the running maximum below
-- already carries: leaving those days out (three in four activity rows) changes no total.
running_totals as (

    select
        daily_activity.member_id,
        daily_activity.activity_date,
        sum(daily_activity.consumption_cny) over (
            partition by daily_activity.member_id
            order by daily_activity.activity_date
            rows between unbounded preceding and current row
        ) as cumulative_cny,
        sum(
            daily_activity.consumption_cny * {{ var('growth_points_per_cny') }}
            + coalesce(converted_days.converted_points, 0)
        ) over (
            partition by daily_activity.member_id
            order by daily_activity.activity_date
            rows between unbounded preceding and current row
        ) as cumulative_growth_points
    from daily_activity
    left join converted_days
        on
            daily_activity.member_id = converted_days.member_id
            and daily_activity.activity_date = converted_days.activity_date
    where
        daily_activity.activity_date <= {{ partition_window_end() }}
        and (daily_activity.consumption_cny != 0 or converted_days.converted_points != 0)

),

-- The days each member-day needs a running total as of: itself, the day before its quarter
-- and the day before its counted consumption starts. That consumption runs over the rolling
-- window but not from before the tier's count start: the total as of the later of the two days
-- before them is the larger of the two totals (totals as of a day never decrease), so one
-- lookup gives the smaller of the two sums.
lookups as (

    select
        member_days.member_id,
        member_days.as_of_date,
        'today' as lookup_name,
        member_days.as_of_date as lookup_date
    from member_days

    union all

    select
        member_days.member_id,
        member_days.as_of_date,
        'before_quarter' as lookup_name,
        cast({{ dbt.dateadd('day', -1, 'member_days.quarter_start') }} as date) as lookup_date
    from member_days

    union all

    select
        member_days.member_id,
        member_days.as_of_date,
        'before_counted' as lookup_name,
        cast(
            greatest(
                {{ dbt.dateadd('day', -1 * rolling_days, 'member_days.as_of_date') }},
                {{ dbt.dateadd('day', -1, 'tier_history.consumption_counted_from') }}
            ) as date
        ) as lookup_date
    from member_days
    inner join tier_history
        on
            member_days.member_id = tier_history.member_id
            and member_days.as_of_date >= tier_history.valid_from
            and (tier_history.valid_to is null or member_days.as_of_date <= tier_history.valid_to)

),

-- Running totals never decrease, so the total as of a day is the running maximum over the
-- activity days and lookup days in date order (activity first on the same day).
carried_forward as (

    select
        member_id,
        as_of_date,
        lookup_name,
        coalesce(max(cumulative_cny) over (
            partition by member_id
            order by lookup_date, is_lookup
            rows between unbounded preceding and current row
        ), 0) as cumulative_cny,
        coalesce(max(cumulative_growth_points) over (
            partition by member_id
            order by lookup_date, is_lookup
            rows between unbounded preceding and current row
        ), 0) as cumulative_growth_points,
        is_lookup
    from (
        select
            member_id,
            cast(null as date) as as_of_date,
            cast(null as varchar) as lookup_name,
            activity_date as lookup_date,
            0 as is_lookup,
            cumulative_cny,
            cumulative_growth_points
        from running_totals
        union all
        select
            member_id,
            as_of_date,
            lookup_name,
            lookup_date,
            1 as is_lookup,
            cast(null as decimal(18, 2)) as cumulative_cny,
            cast(null as decimal(18, 2)) as cumulative_growth_points
        from lookups
    ) as timeline

),

as_of_totals as (

    select
        member_id,
        as_of_date,
        max(case when lookup_name = 'today' then cumulative_cny end) as cumulative_cny,
        max(case when lookup_name = 'today' then cumulative_growth_points end)
            as cumulative_growth_points,
        max(case when lookup_name = 'before_quarter' then cumulative_cny end)
            as before_quarter_cny,
        max(case when lookup_name = 'before_counted' then cumulative_cny end)
            as before_counted_cny
    from carried_forward
    where is_lookup = 1
    group by member_id, as_of_date

),

member_day_tiers as (

    select
        member_days.member_id,
        member_days.as_of_date,
        {{ dbt.datediff('member_days.as_of_date', 'member_days.quarter_end', 'day') }}
            as days_left_in_quarter,
        tier_history.tier_code,
        tier_history.tier_rank,
        as_of_totals.cumulative_cny - as_of_totals.before_quarter_cny
            as quarter_to_date_consumption_cny,
        as_of_totals.cumulative_cny - as_of_totals.before_counted_cny
            as counted_consumption_cny,
        as_of_totals.cumulative_growth_points
    from member_days
    inner join as_of_totals
        on
            member_days.member_id = as_of_totals.member_id
            and member_days.as_of_date = as_of_totals.as_of_date
    inner join tier_history
        on
            member_days.member_id = tier_history.member_id
            and member_days.as_of_date >= tier_history.valid_from
            and (tier_history.valid_to is null or member_days.as_of_date <= tier_history.valid_to)

),

vip_days as (

    select
        member_day_tiers.member_id,
        member_day_tiers.as_of_date,
        max(vip_levels.level_rank) as vip_level_rank
    from member_day_tiers
    inner join vip_levels
        on member_day_tiers.cumulative_growth_points >= vip_levels.min_growth_points
    group by member_day_tiers.member_id, member_day_tiers.as_of_date

),

final as (

    select
        member_day_tiers.member_id,
        member_day_tiers.as_of_date,
        member_day_tiers.tier_code,
        member_day_tiers.tier_rank,
        cast(member_day_tiers.quarter_to_date_consumption_cny as decimal(18, 2))
            as quarter_to_date_consumption_cny,
        cast(held.retention_cny as decimal(18, 2)) as retention_cny,
        member_day_tiers.days_left_in_quarter,
        coalesce(
            member_day_tiers.tier_rank > lowest.tier_rank
            and member_day_tiers.days_left_in_quarter <= {{ var('pre_downgrade_days_left') }}
            and member_day_tiers.quarter_to_date_consumption_cny < held.retention_cny,
            false
        ) as is_pre_downgrade,
        cast(member_day_tiers.counted_consumption_cny as decimal(18, 2))
            as counted_consumption_cny,
        next_tier.tier_code as next_tier_code,
        cast(
            next_tier.upgrade_threshold_cny - member_day_tiers.counted_consumption_cny
            as decimal(18, 2)
        ) as distance_to_next_tier_cny,
        cast(member_day_tiers.cumulative_growth_points as decimal(18, 2)) as growth_points,
        vip_levels.vip_level
    from member_day_tiers
    inner join tiers as held
        on member_day_tiers.tier_rank = held.tier_rank
    left join tiers as next_tier
        on member_day_tiers.tier_rank + 1 = next_tier.tier_rank
    cross join lowest_tier as lowest
    inner join vip_days
        on
            member_day_tiers.member_id = vip_days.member_id
            and member_day_tiers.as_of_date = vip_days.as_of_date
    inner join vip_levels
        on vip_days.vip_level_rank = vip_levels.level_rank

)

select * from final
