{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail',
    )
}}

{#-
    Lifecycle events, one row per member, day and event type: every change of the daily stage
    (new, active, pre_churn when entering declining, churned, returned when leaving churned),
    a member's first lifecycle day when it starts "new" (a registration or first gold inside
    the data; members already known when the data starts get no event for their first stage),
    and the tier engine's upgrades, quarterly downgrades and entries into pre-downgrade.
    Incremental by day over the days fct_lifecycle_daily rewrites (int_lifecycle_window), reading
    one day more to see the stage each rewritten day changes from.
-#}

with

lifecycle_window as (

    select * from {{ ref('int_lifecycle_window') }}

),

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

tier_history as (

    select * from {{ ref('fct_tier_history') }}

),

member_tier_daily as (

    select * from {{ ref('fct_member_tier_daily') }}

),

tiers as (

    select * from {{ ref('tiers') }}

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
    cross join lifecycle_window
    where
        lifecycle_daily.as_of_date
        >= cast({{ dbt.dateadd('day', -1, 'lifecycle_window.rebuild_from_date') }} as date)
        and lifecycle_daily.as_of_date <= lifecycle_window.last_data_date

),

stage_events as (

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
    cross join lifecycle_window
    where
        stage_days.as_of_date >= lifecycle_window.rebuild_from_date
        and (
            stage_days.previous_stage != stage_days.stage
            or (stage_days.previous_stage is null and stage_days.stage = 'new')
        )

),

lowest_tier as (

    select tiers.tier_code
    from tiers
    where tiers.tier_rank = (select min(all_tiers.tier_rank) as lowest_rank from tiers as all_tiers)

),

tier_periods as (

    select
        tier_history.member_id,
        tier_history.valid_from,
        tier_history.reason,
        tier_history.tier_code,
        lag(tier_history.tier_code) over (
            partition by tier_history.member_id
            order by tier_history.valid_from
        ) as previous_tier_code
    from tier_history

),

tier_events as (

    select
        tier_periods.member_id,
        tier_periods.valid_from as event_date,
        case tier_periods.reason
            when 'upgrade' then 'upgraded'
            else 'downgraded'
        end as event_type,
        -- A member's first period can be an upgrade (on the first day of activity): from the
        -- lowest tier, where every member starts.
        coalesce(tier_periods.previous_tier_code, lowest_tier.tier_code) as from_value,
        tier_periods.tier_code as to_value
    from tier_periods
    cross join lifecycle_window
    cross join lowest_tier
    where
        tier_periods.reason in ('upgrade', 'quarterly_downgrade')
        and tier_periods.valid_from >= lifecycle_window.rebuild_from_date
        and tier_periods.valid_from <= lifecycle_window.last_data_date

),

warning_days as (

    select
        member_tier_daily.member_id,
        member_tier_daily.as_of_date,
        member_tier_daily.tier_code,
        member_tier_daily.tier_rank,
        member_tier_daily.is_pre_downgrade,
        lag(member_tier_daily.is_pre_downgrade) over (
            partition by member_tier_daily.member_id
            order by member_tier_daily.as_of_date
        ) as was_pre_downgrade
    from member_tier_daily
    cross join lifecycle_window
    where
        member_tier_daily.as_of_date
        >= cast({{ dbt.dateadd('day', -1, 'lifecycle_window.rebuild_from_date') }} as date)
        and member_tier_daily.as_of_date <= lifecycle_window.last_data_date

),

pre_downgrade_events as (

    select
        warning_days.member_id,
        warning_days.as_of_date as event_date,
        'pre_downgrade' as event_type,
        warning_days.tier_code as from_value,
        lower_tiers.tier_code as to_value
    from warning_days
    cross join lifecycle_window
    inner join tiers as lower_tiers on warning_days.tier_rank - 1 = lower_tiers.tier_rank
    where
        warning_days.as_of_date >= lifecycle_window.rebuild_from_date
        and warning_days.is_pre_downgrade
        and not coalesce(warning_days.was_pre_downgrade, false)

),

final as (

    select * from stage_events
    union all
    select * from tier_events
    union all
    select * from pre_downgrade_events

)

select * from final
