{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='fail',
    )
}}

{#-
    Point-in-time features of the churn and potential-VIP models, one row per member and day
    for the members in at least one model's population that day. Every value uses only data up
    to the end of as_of_date: rolling sums run over the member's daily rows up to that day, and
    as-of lookups (tier, points balance, characters) take the state holding on that day.

    The windows are part of the feature names (login_days_30d ...), so they are fixed here and
    not vars: a var would let a name lie about its window.

    Incremental by day (delete+insert on as_of_date): a run rewrites
    [min_date - late_arrival_days, max_date] and reads its inputs back to long_window - 1 days
    before that, plus one aggregate per member for the last event before those days, so a
    day-by-day build equals one full refresh.
-#}
{%- set short_window = 7 -%}
{%- set mid_window = 30 -%}
{%- set long_window = 90 -%}
{%- set lookback_days = var('late_arrival_days') | int -%}
{%- set grid_lookback_days = lookback_days + long_window - 1 -%}
{%- set population_stages = "'" ~ var('ml_churn_population_stages') | join("', '") ~ "'" -%}
{%- set role_order = var('tags_guild_role_order') -%}
{%- set security_types = "'" ~ var('tags_security_event_types') | join("', '") ~ "'" -%}


with

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

member_tiers as (

    select * from {{ ref('fct_member_tier_daily') }}

),

points_balances as (

    select * from {{ ref('fct_points_balance_daily') }}

),

character_snapshots as (

    select * from {{ ref('stg_characters__snapshots') }}

),

ticket_versions as (

    select * from {{ ref('stg_tickets__ticket_versions') }}

),

surveys as (

    select * from {{ ref('stg_surveys__responses') }}

),

contacts as (

    select * from {{ ref('stg_contacts__contacts') }}

),

security_events as (

    select * from {{ ref('stg_security_events__events') }}

),

tiers as (

    select * from {{ ref('tiers') }}

),

vip_tier as (

    select tiers.tier_rank
    from tiers
    where tiers.tier_code = '{{ var("ml_vip_tier_code") }}'

),

-- Service events per member and day, summed into the member x day grid like activity.
tickets as (

    select
        ticket_versions.member_id,
        ticket_versions.ticket_id,
        min(ticket_versions.opened_date) as opened_date,
        min(ticket_versions.resolved_date) as resolved_date
    from ticket_versions
    group by ticket_versions.member_id, ticket_versions.ticket_id

),

ticket_movements as (

    select
        tickets.member_id,
        tickets.opened_date as event_date,
        1 as tickets_opened,
        0 as tickets_resolved
    from tickets
    union all
    select
        tickets.member_id,
        tickets.resolved_date as event_date,
        0 as tickets_opened,
        1 as tickets_resolved
    from tickets
    where tickets.resolved_date is not null

),

service_events as (

    select
        ticket_movements.member_id,
        ticket_movements.event_date,
        ticket_movements.tickets_opened,
        ticket_movements.tickets_resolved,
        0 as survey_count,
        0 as satisfaction_sum,
        0 as contacts_reached,
        0 as security_events
    from ticket_movements
    union all
    select
        surveys.member_id,
        surveys.answered_date as event_date,
        0 as tickets_opened,
        0 as tickets_resolved,
        1 as survey_count,
        surveys.satisfaction_score as satisfaction_sum,
        0 as contacts_reached,
        0 as security_events
    from surveys
    where surveys.satisfaction_score is not null
    union all
    select
        contacts.member_id,
        contacts.contacted_date as event_date,
        0 as tickets_opened,
        0 as tickets_resolved,
        0 as survey_count,
        0 as satisfaction_sum,
        1 as contacts_reached,
        0 as security_events
    from contacts
    where contacts.contact_outcome = 'REACHED'
    union all
    select
        security_events.member_id,
        security_events.occurred_date as event_date,
        0 as tickets_opened,
        0 as tickets_resolved,
        0 as survey_count,
        0 as satisfaction_sum,
        0 as contacts_reached,
        1 as security_events
    from security_events
    where security_events.security_event_type in ({{ security_types }})

),

service_days as (

    select
        service_events.member_id,
        service_events.event_date,
        sum(service_events.tickets_opened) as tickets_opened,
        sum(service_events.tickets_resolved) as tickets_resolved,
        sum(service_events.survey_count) as survey_count,
        sum(service_events.satisfaction_sum) as satisfaction_sum,
        sum(service_events.contacts_reached) as contacts_reached,
        sum(service_events.security_events) as security_events
    from service_events
    group by service_events.member_id, service_events.event_date

),

-- What happened before the grid starts: the last consumption and recharge days and the
-- tickets still open, so running values inside the grid start from the right place.
grid_start as (

    select {{ partition_window_start(grid_lookback_days) }} as grid_start_date

),

earlier_activity as (

    select
        daily_activity.member_id,
        max(
            case when daily_activity.consumption_cny > 0 then daily_activity.activity_date end
        ) as last_consumption_date,
        max(
            case when daily_activity.recharge_cny > 0 then daily_activity.activity_date end
        ) as last_recharge_date
    from daily_activity
    cross join grid_start
    where daily_activity.activity_date < grid_start.grid_start_date
    group by daily_activity.member_id

),

earlier_open_tickets as (

    select
        service_days.member_id,
        sum(service_days.tickets_opened - service_days.tickets_resolved) as open_tickets
    from service_days
    cross join grid_start
    where service_days.event_date < grid_start.grid_start_date
    group by service_days.member_id

),

-- Every member and day of the grid (fct_lifecycle_daily has a row for each day of a member's
-- lifecycle, so a window of n rows is a window of n days).
grid as (

    select
        lifecycle_daily.member_id,
        lifecycle_daily.as_of_date,
        lifecycle_daily.stage as lifecycle_stage,
        lifecycle_daily.days_since_last_login,
        lifecycle_daily.days_since_registration,
        coalesce(daily_activity.login_count, 0) as login_count,
        coalesce(daily_activity.session_minutes, 0) as session_minutes,
        coalesce(daily_activity.consumption_cny, 0) as consumption_cny,
        coalesce(daily_activity.recharge_cny, 0) as recharge_cny,
        coalesce(daily_activity.refund_cny, 0)
        + coalesce(daily_activity.chargeback_cny, 0) as refund_chargeback_cny,
        coalesce(daily_activity.activity_join_count, 0) as activity_join_count,
        coalesce(daily_activity.points_spent, 0) as points_spent,
        coalesce(service_days.tickets_opened, 0) as tickets_opened,
        coalesce(service_days.tickets_resolved, 0) as tickets_resolved,
        coalesce(service_days.survey_count, 0) as survey_count,
        coalesce(service_days.satisfaction_sum, 0) as satisfaction_sum,
        coalesce(service_days.contacts_reached, 0) as contacts_reached,
        coalesce(service_days.security_events, 0) as security_events
    from lifecycle_daily
    left join daily_activity
        on
            lifecycle_daily.member_id = daily_activity.member_id
            and lifecycle_daily.as_of_date = daily_activity.activity_date
    left join service_days
        on
            lifecycle_daily.member_id = service_days.member_id
            and lifecycle_daily.as_of_date = service_days.event_date
    where {{ in_partition_window('lifecycle_daily.as_of_date', grid_lookback_days) }}

),

rolling as (

    select
        grid.member_id,
        grid.as_of_date,
        grid.lifecycle_stage,
        grid.days_since_last_login,
        grid.days_since_registration,
        {{ member_window_sum('case when grid.login_count > 0 then 1 else 0 end', short_window) }}
            as login_days_{{ short_window }}d,
        {{ member_window_sum('case when grid.login_count > 0 then 1 else 0 end', mid_window) }}
            as login_days_{{ mid_window }}d,
        {{ member_window_sum(
            'case when grid.login_count > 0 then 1 else 0 end', mid_window, mid_window
        ) }} as login_days_prev_{{ mid_window }}d,
        {{ member_window_sum('case when grid.login_count > 0 then 1 else 0 end', long_window) }}
            as login_days_{{ long_window }}d,
        {{ member_window_sum('grid.session_minutes', short_window) }}
            as session_minutes_{{ short_window }}d,
        {{ member_window_sum('grid.session_minutes', mid_window) }}
            as session_minutes_{{ mid_window }}d,
        {{ member_window_sum('grid.consumption_cny', short_window) }}
            as consumption_cny_{{ short_window }}d,
        {{ member_window_sum('grid.consumption_cny', mid_window) }}
            as consumption_cny_{{ mid_window }}d,
        {{ member_window_sum('grid.consumption_cny', mid_window, mid_window) }}
            as consumption_cny_prev_{{ mid_window }}d,
        {{ member_window_sum('grid.consumption_cny', long_window) }}
            as consumption_cny_{{ long_window }}d,
        {{ member_window_sum('case when grid.consumption_cny > 0 then 1 else 0 end', mid_window) }}
            as consumption_days_{{ mid_window }}d,
        {{ member_window_sum('grid.recharge_cny', mid_window) }} as recharge_cny_{{ mid_window }}d,
        {{ member_window_sum('grid.refund_chargeback_cny', long_window) }}
            as refund_chargeback_cny_{{ long_window }}d,
        {{ member_window_sum('grid.activity_join_count', mid_window) }}
            as activity_joins_{{ mid_window }}d,
        {{ member_window_sum('grid.points_spent', long_window) }}
            as points_spent_{{ long_window }}d,
        {{ member_window_sum('grid.tickets_opened', long_window) }}
            as tickets_opened_{{ long_window }}d,
        {{ member_window_sum('grid.survey_count', long_window) }}
            as survey_count_{{ long_window }}d,
        {{ member_window_sum('grid.satisfaction_sum', long_window) }}
            as satisfaction_sum_{{ long_window }}d,
        {{ member_window_sum('grid.contacts_reached', long_window) }}
            as contacts_reached_{{ long_window }}d,
        {{ member_window_sum('grid.security_events', mid_window) }}
            as security_events_{{ mid_window }}d,
        sum(grid.tickets_opened - grid.tickets_resolved) over member_history
            as grid_open_tickets,
        max(case when grid.consumption_cny > 0 then grid.as_of_date end) over member_history
            as grid_last_consumption_date,
        max(case when grid.recharge_cny > 0 then grid.as_of_date end) over member_history
            as grid_last_recharge_date
    from grid
    window member_history as (
        partition by grid.member_id
        order by grid.as_of_date
        rows between unbounded preceding and current row
    )

),

-- Only the days this run rewrites.
output_days as (

    select
        rolling.*,
        coalesce(rolling.grid_last_consumption_date, earlier_activity.last_consumption_date)
            as last_consumption_date,
        coalesce(rolling.grid_last_recharge_date, earlier_activity.last_recharge_date)
            as last_recharge_date,
        rolling.grid_open_tickets + coalesce(earlier_open_tickets.open_tickets, 0)
            as open_tickets
    from rolling
    left join earlier_activity on rolling.member_id = earlier_activity.member_id
    left join earlier_open_tickets on rolling.member_id = earlier_open_tickets.member_id
    where {{ in_partition_window('rolling.as_of_date', lookback_days) }}

),

-- Each character's snapshot holds from its day to the day before the next one.
character_days as (

    select
        character_snapshots.member_id,
        character_snapshots.character_id,
        character_snapshots.updated_date,
        max(character_snapshots.character_level) as character_level,
        min(
            case character_snapshots.guild_role
                {%- for role in role_order %}
                    when '{{ role }}' then {{ loop.index }}
                {%- endfor %}
                else {{ role_order | length + 1 }}
            end
        ) as guild_role_order
    from character_snapshots
    group by
        character_snapshots.member_id,
        character_snapshots.character_id,
        character_snapshots.updated_date

),

character_periods as (

    select
        character_days.*,
        lead(character_days.updated_date) over (
            partition by character_days.character_id
            order by character_days.updated_date
        ) as next_updated_date
    from character_days

),

member_characters as (

    select
        output_days.member_id,
        output_days.as_of_date,
        max(character_periods.character_level) as max_character_level,
        min(character_periods.guild_role_order) as guild_role_order
    from output_days
    inner join character_periods
        on
            output_days.member_id = character_periods.member_id
            and output_days.as_of_date >= character_periods.updated_date
            and (
                character_periods.next_updated_date is null
                or output_days.as_of_date < character_periods.next_updated_date
            )
    group by output_days.member_id, output_days.as_of_date

),

features as (

    select
        output_days.member_id,
        output_days.as_of_date,
        coalesce(
            coalesce(member_tiers.tier_rank, 0) >= vip_tier.tier_rank
            and output_days.lifecycle_stage in ({{ population_stages }}),
            false
        ) as is_churn_population,
        coalesce(
            coalesce(member_tiers.tier_rank, 0) < vip_tier.tier_rank
            and output_days.days_since_last_login
            < {{ var('ml_potential_vip_recent_login_days') }},
            false
        ) as is_potential_vip_population,
        output_days.days_since_last_login,
        output_days.login_days_{{ short_window }}d,
        output_days.login_days_{{ mid_window }}d,
        output_days.login_days_{{ long_window }}d,
        cast(
            (
                output_days.login_days_{{ mid_window }}d
                - output_days.login_days_prev_{{ mid_window }}d
            )
            / nullif(output_days.login_days_prev_{{ mid_window }}d, 0)
            as double
        ) as login_change_{{ mid_window }}d,
        cast(
            output_days.session_minutes_{{ mid_window }}d
            / nullif(output_days.login_days_{{ mid_window }}d, 0)
            as double
        ) as avg_session_minutes_{{ mid_window }}d,
        cast(
            output_days.session_minutes_{{ short_window }}d
            / nullif(output_days.login_days_{{ short_window }}d, 0)
            as double
        ) as avg_session_minutes_{{ short_window }}d,
        cast(output_days.consumption_cny_{{ short_window }}d as double)
            as consumption_cny_{{ short_window }}d,
        cast(output_days.consumption_cny_{{ mid_window }}d as double)
            as consumption_cny_{{ mid_window }}d,
        cast(output_days.consumption_cny_{{ long_window }}d as double)
            as consumption_cny_{{ long_window }}d,
        cast(
            (
                output_days.consumption_cny_{{ mid_window }}d
                - output_days.consumption_cny_prev_{{ mid_window }}d
            )
            / nullif(output_days.consumption_cny_prev_{{ mid_window }}d, 0)
            as double
        ) as consumption_change_{{ mid_window }}d,
        output_days.consumption_days_{{ mid_window }}d,
        {{ dbt.datediff('output_days.last_consumption_date', 'output_days.as_of_date', 'day') }}
            as days_since_last_consumption,
        cast(output_days.recharge_cny_{{ mid_window }}d as double)
            as recharge_cny_{{ mid_window }}d,
        {{ dbt.datediff('output_days.last_recharge_date', 'output_days.as_of_date', 'day') }}
            as days_since_last_recharge,
        cast(output_days.refund_chargeback_cny_{{ long_window }}d as double)
            as refund_chargeback_cny_{{ long_window }}d,
        output_days.activity_joins_{{ mid_window }}d,
        output_days.points_spent_{{ long_window }}d,
        output_days.lifecycle_stage,
        output_days.days_since_registration as tenure_days,
        coalesce(member_tiers.tier_rank, 0) as tier_rank,
        cast(coalesce(member_tiers.counted_consumption_cny, 0) as double)
            as tier_consumption_cny,
        cast(member_tiers.distance_to_next_tier_cny as double) as distance_to_next_tier_cny,
        cast(coalesce(member_tiers.quarter_to_date_consumption_cny, 0) as double)
            as quarter_to_date_consumption_cny,
        cast(
            greatest(
                coalesce(member_tiers.retention_cny, 0)
                - coalesce(member_tiers.quarter_to_date_consumption_cny, 0),
                0
            ) as double
        ) as retention_gap_cny,
        member_tiers.days_left_in_quarter,
        coalesce(points_balances.balance, 0) as points_balance,
        case member_characters.guild_role_order
            {%- for role in role_order %}
                when {{ loop.index }} then '{{ role }}'
            {%- endfor %}
            else 'NONE'
        end as guild_role,
        member_characters.max_character_level,
        output_days.open_tickets,
        output_days.tickets_opened_{{ long_window }}d,
        cast(
            output_days.satisfaction_sum_{{ long_window }}d
            / nullif(output_days.survey_count_{{ long_window }}d, 0)
            as double
        ) as satisfaction_avg_{{ long_window }}d,
        output_days.contacts_reached_{{ long_window }}d,
        output_days.security_events_{{ mid_window }}d
    from output_days
    cross join vip_tier
    left join member_tiers
        on
            output_days.member_id = member_tiers.member_id
            and output_days.as_of_date = member_tiers.as_of_date
    left join points_balances
        on
            output_days.member_id = points_balances.member_id
            and output_days.as_of_date >= points_balances.balance_date
            and (
                points_balances.valid_to is null
                or output_days.as_of_date <= points_balances.valid_to
            )
    left join member_characters
        on
            output_days.member_id = member_characters.member_id
            and output_days.as_of_date = member_characters.as_of_date

),

final as (

    select * from features
    where is_churn_population or is_potential_vip_population

)

select * from final
