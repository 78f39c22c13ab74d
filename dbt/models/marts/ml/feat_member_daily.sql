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
    to the end of as_of_date: rolling sums cover the member's days up to that day, and as-of
    lookups (tier, points balance, characters) take the state holding on that day.

    The windows are part of the feature names (login_days_30d ...), so they are fixed here and
    not vars: a var would let a name lie about its window.

    Incremental by day (delete+insert on as_of_date): a run rewrites
    [min_date - late_arrival_days, max_date]. It reads the member's days with a value back to
    the longest window - 1 days before that, not a dense member x day grid: a rolling sum is its
    opening value on the first rewritten day (an aggregate over those days) plus a running sum,
    over the rewritten days, of the values entering and leaving the window (macros
    window_sum_opening / window_sum_delta). A window covers the member's lifecycle days only
    (fct_lifecycle_daily has one row per day from int_lifecycle_members.lifecycle_start_date,
    without gaps). A run rewriting more days than sparse_max_days (a full refresh) computes the
    same sums as window functions over a dense member x day grid of the reach instead, which is
    cheaper there. Running values with no end (open tickets, last consumption and recharge days)
    add one aggregate per member for the days before the reach. Every row depends only on data
    up to its day, so a day-by-day build equals one full refresh.
-#}
{%- set short_window = 7 -%}
{%- set mid_window = 30 -%}
{%- set long_window = 90 -%}
{%- set lookback_days = var('late_arrival_days') | int -%}
{%- set login_day = 'case when {v}.login_count > 0 then 1 else 0 end' -%}
{%- set consumption_day = 'case when {v}.consumption_cny > 0 then 1 else 0 end' -%}
{#- Rolling sums (column prefix, expression over a day's values {v}, days, offset): column
    <prefix><days>d sums the days days ending offset days before as_of_date. -#}
{%- set rolling_sums = [] -%}
{%- for prefix, expression, days, offset in [
    ('login_days_', login_day, short_window, 0),
    ('login_days_', login_day, mid_window, 0),
    ('login_days_prev_', login_day, mid_window, mid_window),
    ('login_days_', login_day, long_window, 0),
    ('session_minutes_', '{v}.session_minutes', short_window, 0),
    ('session_minutes_', '{v}.session_minutes', mid_window, 0),
    ('consumption_cny_', '{v}.consumption_cny', short_window, 0),
    ('consumption_cny_', '{v}.consumption_cny', mid_window, 0),
    ('consumption_cny_prev_', '{v}.consumption_cny', mid_window, mid_window),
    ('consumption_cny_', '{v}.consumption_cny', long_window, 0),
    ('consumption_days_', consumption_day, mid_window, 0),
    ('recharge_cny_', '{v}.recharge_cny', mid_window, 0),
    ('refund_chargeback_cny_', '{v}.refund_chargeback_cny', long_window, 0),
    ('activity_joins_', '{v}.activity_join_count', mid_window, 0),
    ('points_spent_', '{v}.points_spent', long_window, 0),
    ('tickets_opened_', '{v}.tickets_opened', long_window, 0),
    ('survey_count_', '{v}.survey_count', long_window, 0),
    ('satisfaction_sum_', '{v}.satisfaction_sum', long_window, 0),
    ('contacts_reached_', '{v}.contacts_reached', long_window, 0),
    ('security_events_', '{v}.security_events', mid_window, 0),
] -%}
    {%- do rolling_sums.append((prefix ~ days ~ 'd', expression, days, offset)) -%}
{%- endfor -%}
{#- The day offsets at which values enter or leave a window, and the reach of a run. -#}
{%- set delta_offsets = [0] -%}
{%- for column, expression, days, offset in rolling_sums -%}
    {%- for delta_offset in [offset, offset + days] if delta_offset not in delta_offsets -%}
        {%- do delta_offsets.append(delta_offset) -%}
    {%- endfor -%}
{%- endfor -%}
{%- set history_lookback_days = lookback_days + delta_offsets | max - 1 -%}
{#- The sparse path pays per rewritten day (a look-up per delta offset), a dense member x day
    grid per day of reach: runs rewriting more than sparse_max_days days (a full refresh) use
    the grid and window functions instead. Both give the same values (tests/test_incremental.py
    compares a day-by-day build with a full refresh). -#}
{%- set sparse_max_days = 31 -%}
{#- Days as year * 372 + month * 31 + day: never fewer than the real count of days. Plain
    arithmetic, not modules.datetime: sqlfluff templates this file without dbt's context. -#}
{%- set day_numbers = [] -%}
{%- for date_var in ['min_date', 'max_date'] -%}
    {%- set date_parts = ((var(date_var) | string) ~ '-0-0').split('-') -%}
    {%- do day_numbers.append(
        date_parts[0] | int * 372 + date_parts[1] | int * 31 + date_parts[2] | int
    ) -%}
{%- endfor -%}
{%- set rewritten_days = day_numbers[1] - day_numbers[0] + 1 + lookback_days -%}
{%- set sparse = rewritten_days <= sparse_max_days -%}
{%- set population_stages = "'" ~ var('ml_churn_population_stages') | join("', '") ~ "'" -%}
{%- set role_order = var('tags_guild_role_order') -%}
{%- set security_types = "'" ~ var('tags_security_event_types') | join("', '") ~ "'" -%}
{#- A member's values of a day: from daily activity (column: expression, zero on a day without
    a row), then from service events. -#}
{%- set activity_values = {
    'login_count': 'coalesce(daily_activity.login_count, 0)',
    'session_minutes': 'coalesce(daily_activity.session_minutes, 0)',
    'consumption_cny': 'coalesce(daily_activity.consumption_cny, 0)',
    'recharge_cny': 'coalesce(daily_activity.recharge_cny, 0)',
    'refund_chargeback_cny':
        'coalesce(daily_activity.refund_cny, 0) + coalesce(daily_activity.chargeback_cny, 0)',
    'activity_join_count': 'coalesce(daily_activity.activity_join_count, 0)',
    'points_spent': 'coalesce(daily_activity.points_spent, 0)',
} -%}
{%- set service_value_columns = [
    'tickets_opened', 'tickets_resolved', 'survey_count', 'satisfaction_sum',
    'contacts_reached', 'security_events',
] -%}
{%- set value_columns = (activity_values | list) + service_value_columns -%}

with

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

lifecycle_members as (

    select * from {{ ref('int_lifecycle_members') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

member_tiers as (

    select * from {{ ref('fct_member_tier_daily') }}
    where {{ in_partition_window('as_of_date', lookback_days) }}

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

-- Service events per member and day, counted in the rolling sums like activity.
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
    {%- for column in service_value_columns %}
        sum(service_events.{{ column }}) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from service_events
    group by service_events.member_id, service_events.event_date

),

-- The rewritten days and how far back their rolling windows reach.
run_window as (

    select
        {{ partition_window_start(lookback_days) }} as window_start_date,
        {{ partition_window_end() }} as window_end_date,
        {{ partition_window_start(history_lookback_days) }} as history_start_date

),

-- What happened before the reach: the last consumption and recharge days and the tickets
-- still open, so running values start from the right place.
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
    cross join run_window
    where daily_activity.activity_date < run_window.history_start_date
    group by daily_activity.member_id

),

earlier_open_tickets as (

    select
        service_days.member_id,
        sum(service_days.tickets_opened - service_days.tickets_resolved) as open_tickets
    from service_days
    cross join run_window
    where service_days.event_date < run_window.history_start_date
    group by service_days.member_id

),

{%- if sparse %}

    -- The rewritten member days (fct_lifecycle_daily has a row for each day of a member's
    -- lifecycle).
    output_member_days as (

        select
            lifecycle_daily.member_id,
            lifecycle_daily.as_of_date,
            lifecycle_daily.stage as lifecycle_stage,
            lifecycle_daily.days_since_last_login,
            lifecycle_daily.days_since_registration
        from lifecycle_daily
        where {{ in_partition_window('lifecycle_daily.as_of_date', lookback_days) }}

    ),

    -- Each member's first lifecycle day inside the reach: fct_lifecycle_daily's rows run without
    -- gaps from the member's lifecycle_start_date, so a window covers the member's days from it on.
    member_starts as (

        select
            lifecycle_members.member_id,
            greatest(lifecycle_members.lifecycle_start_date, run_window.history_start_date)
                as first_counted_date
        from lifecycle_members
        cross join run_window

    ),

    -- The member's days with any activity or service value inside the reach.
    value_days as (

        select
            daily_activity.member_id,
            daily_activity.activity_date as value_date,
        {%- for column in value_columns %}
            {{ activity_values.get(column, '0') }} as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
        from daily_activity
        where {{ in_partition_window('daily_activity.activity_date', history_lookback_days) }}
        union all
        select
            service_days.member_id,
            service_days.event_date as value_date,
        {%- for column in value_columns %}
            {{ 'service_days.' ~ column if column in service_value_columns else '0' }}
                as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
        from service_days
        where {{ in_partition_window('service_days.event_date', history_lookback_days) }}

    ),

    counted_days as (

        select
            value_days.*,
            {{ dbt.datediff('value_days.value_date', 'run_window.window_start_date', 'day') }}
                as days_before_start
        from value_days
        inner join member_starts
            on
                value_days.member_id = member_starts.member_id
                and value_days.value_date >= member_starts.first_counted_date
        cross join run_window

    ),

    -- The running values on the first rewritten day, from the counted days up to it.
    opening_values as (

        select
            counted_days.member_id,
            run_window.window_start_date as as_of_date,
            {%- for column, expression, days, offset in rolling_sums %}
                {{ window_sum_opening(expression, days, offset, 'counted_days.days_before_start') }}
                    as {{ column }},
            {%- endfor %}
            sum(
                case
                    when counted_days.days_before_start >= 0
                        then counted_days.tickets_opened - counted_days.tickets_resolved
                    else 0
                end
            ) as open_tickets,
            max(
                case
                    when counted_days.days_before_start >= 0 and counted_days.consumption_cny > 0
                        then counted_days.value_date
                end
            ) as last_consumption_date,
            max(
                case
                    when counted_days.days_before_start >= 0 and counted_days.recharge_cny > 0
                        then counted_days.value_date
                end
            ) as last_recharge_date
        from counted_days
        cross join run_window
        group by counted_days.member_id, run_window.window_start_date

    ),

    -- The days whose values enter or leave a window on a rewritten day after the first.
    delta_offsets as (

        {%- for delta_offset in delta_offsets %}
            {%- if not loop.first %}
                union all
            {%- endif %}
            select {{ delta_offset }} as delta_offset
        {%- endfor %}

    ),

    delta_days as (

        select distinct
            cast(
                {{ dbt.dateadd(
                    'day', '-delta_offsets.delta_offset', 'output_member_days.as_of_date'
                ) }}
                as date
            ) as value_date
        from output_member_days
        cross join delta_offsets
        cross join run_window
        where output_member_days.as_of_date > run_window.window_start_date

    ),

    -- One row per member and counted day among them.
    daily_values as (

        select
            counted_days.member_id,
            counted_days.value_date,
        {%- for column in value_columns %}
            sum(counted_days.{{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
        from counted_days
        inner join delta_days on counted_days.value_date = delta_days.value_date
        group by counted_days.member_id, counted_days.value_date

    ),

    -- Each rewritten day's delta: the opening values on the first rewritten day, and on later days
    -- the values entering and leaving the windows (the days delta_offsets days before it).
    day_deltas as (

        select
            output_member_days.*,
            {%- for column, expression, days, offset in rolling_sums %}
                coalesce(opening_values.{{ column }}, 0)
                + {{ window_sum_delta(expression, days, offset) }} as {{ column }},
            {%- endfor %}
            coalesce(opening_values.open_tickets, 0)
            + coalesce(values_0.tickets_opened - values_0.tickets_resolved, 0) as open_tickets,
            coalesce(
                case when values_0.consumption_cny > 0 then values_0.value_date end,
                opening_values.last_consumption_date
            ) as last_consumption_date,
            coalesce(
                case when values_0.recharge_cny > 0 then values_0.value_date end,
                opening_values.last_recharge_date
            ) as last_recharge_date
        from output_member_days
        cross join run_window
        left join opening_values
            on
                output_member_days.member_id = opening_values.member_id
                and output_member_days.as_of_date = opening_values.as_of_date
        {%- for delta_offset in delta_offsets %}
            left join daily_values as values_{{ delta_offset }}
                on
                    output_member_days.member_id = values_{{ delta_offset }}.member_id
                    and output_member_days.as_of_date > run_window.window_start_date
                    and values_{{ delta_offset }}.value_date = cast(
                        {{ dbt.dateadd('day', -delta_offset, 'output_member_days.as_of_date') }}
                        as date
                    )
        {%- endfor %}

    ),

    rolling as (

        select
            day_deltas.member_id,
            day_deltas.as_of_date,
            {%- for column, expression, days, offset in rolling_sums %}
                sum(day_deltas.{{ column }}) over member_history as {{ column }},
            {%- endfor %}
            sum(day_deltas.open_tickets) over member_history as reach_open_tickets,
            max(day_deltas.last_consumption_date) over member_history
                as reach_last_consumption_date,
            max(day_deltas.last_recharge_date) over member_history as reach_last_recharge_date
        from day_deltas
        window member_history as (
            partition by day_deltas.member_id
            order by day_deltas.as_of_date
            rows between unbounded preceding and current row
        )

    ),

    -- Only the days this run rewrites.
    output_days as (

        select
            output_member_days.*,
            {%- for column, expression, days, offset in rolling_sums %}
                rolling.{{ column }},
            {%- endfor %}
            coalesce(rolling.reach_last_consumption_date, earlier_activity.last_consumption_date)
                as last_consumption_date,
            coalesce(rolling.reach_last_recharge_date, earlier_activity.last_recharge_date)
                as last_recharge_date,
            rolling.reach_open_tickets + coalesce(earlier_open_tickets.open_tickets, 0)
                as open_tickets
        from output_member_days
        inner join rolling
            on
                output_member_days.member_id = rolling.member_id
                and output_member_days.as_of_date = rolling.as_of_date
        left join earlier_activity on output_member_days.member_id = earlier_activity.member_id
        left join earlier_open_tickets
            on output_member_days.member_id = earlier_open_tickets.member_id

    ),
{%- else %}

    -- Every member and day of the reach (a dense grid).
    grid as (

        select
            lifecycle_daily.member_id,
            lifecycle_daily.as_of_date,
            lifecycle_daily.stage as lifecycle_stage,
            lifecycle_daily.days_since_last_login,
            lifecycle_daily.days_since_registration,
            {%- for column in value_columns %}
                {{ activity_values.get(column, 'coalesce(service_days.' ~ column ~ ', 0)') }}
                as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        from lifecycle_daily
        left join daily_activity
            on
                lifecycle_daily.member_id = daily_activity.member_id
                and lifecycle_daily.as_of_date = daily_activity.activity_date
        left join service_days
            on
                lifecycle_daily.member_id = service_days.member_id
                and lifecycle_daily.as_of_date = service_days.event_date
        where {{ in_partition_window('lifecycle_daily.as_of_date', history_lookback_days) }}

    ),

    rolling as (

        select
            grid.member_id,
            grid.as_of_date,
            grid.lifecycle_stage,
            grid.days_since_last_login,
            grid.days_since_registration,
            {%- for column, expression, days, offset in rolling_sums %}
                {{ member_window_sum(expression | replace('{v}', 'grid'), days, offset) }}
                    as {{ column }},
            {%- endfor %}
            sum(grid.tickets_opened - grid.tickets_resolved) over member_history
                as reach_open_tickets,
            max(case when grid.consumption_cny > 0 then grid.as_of_date end) over member_history
                as reach_last_consumption_date,
            max(case when grid.recharge_cny > 0 then grid.as_of_date end) over member_history
                as reach_last_recharge_date
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
            coalesce(rolling.reach_last_consumption_date, earlier_activity.last_consumption_date)
                as last_consumption_date,
            coalesce(rolling.reach_last_recharge_date, earlier_activity.last_recharge_date)
                as last_recharge_date,
            rolling.reach_open_tickets + coalesce(earlier_open_tickets.open_tickets, 0)
                as open_tickets
        from rolling
        left join earlier_activity on rolling.member_id = earlier_activity.member_id
        left join earlier_open_tickets on rolling.member_id = earlier_open_tickets.member_id
        where {{ in_partition_window('rolling.as_of_date', lookback_days) }}

    ),
{%- endif %}

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
