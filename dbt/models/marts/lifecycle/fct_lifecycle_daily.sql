{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='fail',
    )
}}

{#-
    Each member's lifecycle stage on each day, from the member's lifecycle start to the last day
    with data. Stage rules (vars lifecycle_*), checked in this order:
      new       within lifecycle_new_days days of registration or of first reaching
                lifecycle_new_tier_code;
      churned   lifecycle_churned_after_days or more days without a login;
      declining lifecycle_declining_after_days or more days without a login, or logins of the
                last lifecycle_activity_window_days days down by lifecycle_activity_drop_share or
                more against the window before;
      active    otherwise (logged in recently, activity not down by that share).
    Days without a login count from the last login, or from the lifecycle start for a member
    whose login the data has not seen (a member known before the data starts gets the benefit of
    the doubt for the first days).

    Incremental by day: a run rewrites [rebuild_from_date, last_data_date] (int_lifecycle_window).
    Rolling login counts come from int_member_daily_activity as running sums of +/- deltas (a
    login adds to the window on its day and leaves it a window later): a run reads two activity
    windows before the days it computes (a first or full build also one aggregate for the last
    login before them), not the whole member x day history. Every row depends only on data up
    to its day, so a day-by-day build equals one full refresh.
    is_returned needs the stage of the day before each computed day and the returns of the last
    lifecycle_returned_days days. An incremental run takes them, with the last login and the
    window counts, from the model's own row of the day before the rewritten ones ({{ this }},
    written by an earlier run from the same data: days before the window are never rewritten)
    and computes only the rewritten days, from the login deltas dated inside them. A first or
    full build (and the unit tests) computes from lifecycle_returned_days days before the
    rewritten ones instead.
-#}
{%- set activity_window = var('lifecycle_activity_window_days') | int -%}
{%- set returned_days = var('lifecycle_returned_days') | int -%}

with

lifecycle_window as (

    select * from {{ ref('int_lifecycle_window') }}

),

lifecycle_members as (

    select * from {{ ref('int_lifecycle_members') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

-- Day offsets 0 .. 99999 from ten digits, in plain SQL on every adapter.
digits as (

    select 0 as digit
    {%- for digit in range(1, 10) %}
        union all
        select {{ digit }} as digit
    {%- endfor %}

),

day_numbers as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

-- The days whose stage this run computes: the rebuilt days, plus the returned look-back unless
-- the model's own row of the day before carries it (incremental runs).
run_window as (

    select
        lifecycle_window.rebuild_from_date,
        lifecycle_window.last_data_date,
        {% if is_incremental() -%}
            lifecycle_window.rebuild_from_date as compute_from_date
        {%- else -%}
            greatest(
                lifecycle_window.first_data_date,
                cast(
                    {{ dbt.dateadd('day', -returned_days, 'lifecycle_window.rebuild_from_date') }}
                    as date
                )
            ) as compute_from_date
        {%- endif %}
    from lifecycle_window

),

-- Incremental runs: each member's row of the day before the computed days. Its
-- last_returned_date is set only for a return inside the look-back as of that day.
carried_days as (

    {% if is_incremental() -%}
        select
            previous_days.member_id,
            previous_days.stage,
            previous_days.last_returned_date,
            previous_days.last_login_date,
            previous_days.login_count_30d,
            previous_days.login_count_prev_30d
        from {{ this }} as previous_days
        cross join run_window
        where
            previous_days.as_of_date
            = cast({{ dbt.dateadd('day', -1, 'run_window.compute_from_date') }} as date)
    {%- else -%}
        select
            cast(null as varchar) as member_id,
            cast(null as varchar) as stage,  -- noqa: RF04
            cast(null as date) as last_returned_date,
            cast(null as date) as last_login_date,
            cast(null as bigint) as login_count_30d,
            cast(null as bigint) as login_count_prev_30d
        where false
    {%- endif %}

),

calendar as (

    select
        cast(
            {{ dbt.dateadd('day', 'day_numbers.day_offset', 'run_window.compute_from_date') }}
            as date
        ) as as_of_date
    from day_numbers
    cross join run_window
    where
        day_numbers.day_offset
        <= {{ dbt.datediff('run_window.compute_from_date', 'run_window.last_data_date', 'day') }}

),

member_days as (

    select
        lifecycle_members.member_id,
        calendar.as_of_date
    from lifecycle_members
    inner join calendar on lifecycle_members.lifecycle_start_date <= calendar.as_of_date

),

login_days as (

    select
        daily_activity.member_id,
        daily_activity.activity_date,
        daily_activity.login_count
    from daily_activity
    where daily_activity.login_count > 0

),

-- Last login before the computed days: the running maximum below starts from it.
earlier_last_logins as (

    {% if is_incremental() -%}
        select
            carried_days.member_id,
            carried_days.last_login_date
        from carried_days
        where carried_days.last_login_date is not null
    {%- else -%}
        select
            login_days.member_id,
            max(login_days.activity_date) as last_login_date
        from login_days
        cross join run_window
        where login_days.activity_date < run_window.compute_from_date
        group by login_days.member_id
    {%- endif %}

),

-- A login day adds its logins to the current window on its day, moves them to the prior
-- window one window later and out of it a window after that: three deltas per login day.
delta_offsets as (

    select 0 as delta_offset
    union all
    select 1 as delta_offset
    union all
    select 2 as delta_offset

),

shifted_logins as (

    select
        login_days.member_id,
        login_days.activity_date as login_date,
        delta_offsets.delta_offset,
        cast(
            {{ dbt.dateadd(
                'day',
                'delta_offsets.delta_offset * ' ~ activity_window,
                'login_days.activity_date'
            ) }} as date
        ) as delta_date,
        case delta_offsets.delta_offset
            when 0 then login_days.login_count
            when 1 then -login_days.login_count
            else 0
        end as current_delta,
        case delta_offsets.delta_offset
            when 1 then login_days.login_count
            when 2 then -login_days.login_count
            else 0
        end as prior_delta
    from login_days
    cross join delta_offsets
    cross join run_window
    -- From two windows before the first computed day: a login of that day leaves the prior
    -- window on it. (Earlier logins are out of both windows by then.)
    where
        login_days.activity_date >= cast(
            {{ dbt.dateadd('day', -2 * activity_window, 'run_window.compute_from_date') }} as date
        )

),

-- Deltas dated before the first computed day are carried into that day: their sum is the
-- windows' opening value (incremental runs: the counts of the carried row).
login_deltas as (

    select
        shifted_logins.member_id,
        greatest(shifted_logins.delta_date, run_window.compute_from_date) as as_of_date,
        shifted_logins.current_delta,
        shifted_logins.prior_delta,
        case
            when
                shifted_logins.delta_offset = 0
                and shifted_logins.delta_date >= run_window.compute_from_date
                then shifted_logins.login_date
        end as login_date
    from shifted_logins
    cross join run_window
    where
        shifted_logins.delta_date <= run_window.last_data_date
        {%- if is_incremental() %}
            -- The carried row's counts hold the deltas before the computed days.
            and shifted_logins.delta_date >= run_window.compute_from_date
        {%- endif %}

    union all

    -- Incremental runs: the carried row's counts open the windows on the first computed day.
    select
        carried_days.member_id,
        run_window.compute_from_date as as_of_date,
        carried_days.login_count_30d as current_delta,
        carried_days.login_count_prev_30d as prior_delta,
        cast(null as date) as login_date
    from carried_days
    cross join run_window

),

day_rows as (

    select
        member_days.member_id,
        member_days.as_of_date,
        1 as is_member_day,
        0 as current_delta,
        0 as prior_delta,
        cast(null as date) as login_date
    from member_days

    union all

    select
        login_deltas.member_id,
        login_deltas.as_of_date,
        0 as is_member_day,
        login_deltas.current_delta,
        login_deltas.prior_delta,
        login_deltas.login_date
    from login_deltas

),

day_totals as (

    select
        day_rows.member_id,
        day_rows.as_of_date,
        max(day_rows.is_member_day) as is_member_day,
        sum(day_rows.current_delta) as current_delta,
        sum(day_rows.prior_delta) as prior_delta,
        max(day_rows.login_date) as login_date
    from day_rows
    group by day_rows.member_id, day_rows.as_of_date

),

running as (

    select
        day_totals.member_id,
        day_totals.as_of_date,
        day_totals.is_member_day,
        cast(sum(day_totals.current_delta) over member_history as bigint) as login_count_30d,
        cast(sum(day_totals.prior_delta) over member_history as bigint) as login_count_prev_30d,
        max(day_totals.login_date) over member_history as window_last_login_date
    from day_totals
    window member_history as (
        partition by day_totals.member_id
        order by day_totals.as_of_date
        rows between unbounded preceding and current row
    )

),

measured as (

    select
        running.member_id,
        running.as_of_date,
        running.login_count_30d,
        running.login_count_prev_30d,
        coalesce(running.window_last_login_date, earlier_last_logins.last_login_date)
            as last_login_date,
        lifecycle_members.lifecycle_start_date,
        lifecycle_members.registered_date,
        lifecycle_members.known_registered_date,
        lifecycle_members.first_gold_date
    from running
    inner join lifecycle_members on running.member_id = lifecycle_members.member_id
    left join earlier_last_logins on running.member_id = earlier_last_logins.member_id
    where running.is_member_day = 1

),

day_counts as (

    select
        measured.*,
        {{ dbt.datediff('measured.last_login_date', 'measured.as_of_date', 'day') }}
            as days_since_last_login,
        {{ dbt.datediff(
            'coalesce(measured.last_login_date, measured.lifecycle_start_date)',
            'measured.as_of_date',
            'day'
        ) }} as days_without_login,
        -- Only once a profile version has shown the registration (see int_lifecycle_members).
        case
            when measured.as_of_date >= measured.known_registered_date
                then {{ dbt.datediff('measured.registered_date', 'measured.as_of_date', 'day') }}
        end as days_since_registration,
        {{ dbt.datediff('measured.first_gold_date', 'measured.as_of_date', 'day') }}
            as days_since_first_gold
    from measured

),

staged as (

    select
        day_counts.*,
        case
            when
                (
                    day_counts.days_since_registration >= 0
                    and day_counts.days_since_registration < {{ var('lifecycle_new_days') }}
                )
                or (
                    day_counts.days_since_first_gold >= 0
                    and day_counts.days_since_first_gold < {{ var('lifecycle_new_days') }}
                )
                then 'new'
            when day_counts.days_without_login >= {{ var('lifecycle_churned_after_days') }}
                then 'churned'
            when
                day_counts.days_without_login >= {{ var('lifecycle_declining_after_days') }}
                or (
                    day_counts.login_count_prev_30d > 0
                    and day_counts.login_count_30d
                    <= day_counts.login_count_prev_30d
                    * (1 - {{ var('lifecycle_activity_drop_share') }})
                )
                then 'declining'
            else 'active'
        -- `stage` is the promised column name, though a keyword to the linter.
        end as stage  -- noqa: RF04
    from day_counts

),

-- The stage of the day before: the previous computed day, or the carried row on the first.
return_days as (

    select
        staged.*,
        carried_days.last_returned_date as carried_returned_date,
        case
            when
                coalesce(lag(staged.stage) over member_days_ordered, carried_days.stage)
                = 'churned'
                and staged.stage != 'churned'
                then staged.as_of_date
        end as returned_date
    from staged
    left join carried_days on staged.member_id = carried_days.member_id
    window member_days_ordered as (
        partition by staged.member_id
        order by staged.as_of_date
    )

),

with_last_return as (

    select
        return_days.*,
        -- A return on a computed day is later than any carried one.
        coalesce(
            max(return_days.returned_date) over (
                partition by return_days.member_id
                order by return_days.as_of_date
                rows between unbounded preceding and current row
            ),
            return_days.carried_returned_date
        ) as last_returned_date
    from return_days

),

recent_returns as (

    select
        with_last_return.*,
        {{ dbt.datediff(
            'with_last_return.last_returned_date', 'with_last_return.as_of_date', 'day'
        ) }} < {{ returned_days }} as is_recent_return
    from with_last_return

),

final as (

    select
        recent_returns.member_id,
        recent_returns.as_of_date,
        recent_returns.stage,
        coalesce(recent_returns.is_recent_return, false) as is_returned,
        -- Only returns inside the look-back: older ones are outside what a run computes, and a
        -- day-by-day build must equal a full refresh.
        case
            when recent_returns.is_recent_return then recent_returns.last_returned_date
        end as last_returned_date,
        recent_returns.last_login_date,
        recent_returns.days_since_last_login,
        recent_returns.login_count_30d,
        recent_returns.login_count_prev_30d,
        recent_returns.days_since_registration
    from recent_returns
    cross join run_window
    where recent_returns.as_of_date >= run_window.rebuild_from_date

)

select * from final
