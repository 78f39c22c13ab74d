{#-
    Who is eligible for which action list (seed segments) on each day of the run's window
    (vars min_date .. max_date, capped at the days with data), one row per day, member and list,
    before any contact policy. Each list's rule is one CTE below; its parameters (window_days,
    min_amount, score_model) come from the seed, thresholds from dbt vars. A VIP holds tier
    var lifecycle_new_tier_code (gold) or higher.
-#}
{%- set security_types = "'" ~ var('tags_security_event_types') | join("', '") ~ "'" -%}
with

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}

),

tier_daily as (

    select * from {{ ref('fct_member_tier_daily') }}

),

tiers as (

    select * from {{ ref('tiers') }}

),

points_balances as (

    select * from {{ ref('fct_points_balance_daily') }}

),

tickets as (

    select * from {{ ref('fct_tickets') }}

),

security_events as (

    select * from {{ ref('stg_security_events__events') }}

),

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

member_scores as (

    select * from {{ source('ml', 'member_scores') }}

),

segments as (

    select * from {{ ref('segments') }}

),

run_days as (

    select distinct lifecycle_daily.as_of_date
    from lifecycle_daily
    where {{ in_partition_window('lifecycle_daily.as_of_date') }}

),

vip_tier as (

    select tiers.tier_rank as vip_tier_rank
    from tiers
    where tiers.tier_code = '{{ var("lifecycle_new_tier_code") }}'

),

lowest_tier as (

    select tiers.tier_code as lowest_tier_code
    from tiers
    where
        tiers.tier_rank = (
            select min(all_tiers.tier_rank) as min_tier_rank from tiers as all_tiers
        )

),

segment_windows as (

    select
        segments.segment_code,
        segments.window_days,
        segments.min_amount,
        segments.score_model
    from segments

),

tiers_in_window as (

    select
        tier_daily.member_id,
        tier_daily.as_of_date,
        tier_daily.tier_code,
        tier_daily.tier_rank >= vip_tier.vip_tier_rank as is_vip,
        tier_daily.is_pre_downgrade,
        tier_daily.quarter_to_date_consumption_cny,
        tier_daily.retention_cny,
        tier_daily.days_left_in_quarter
    from tier_daily
    cross join vip_tier
    where {{ in_partition_window('tier_daily.as_of_date') }}

),

-- service_follow_up: tickets opened by the day, past their SLA by its end, not resolved by then
open_tickets_past_sla as (

    select
        run_days.as_of_date,
        tickets.member_id,
        tickets.ticket_category,
        tickets.ticket_priority,
        tickets.opened_date,
        count(*) over (
            partition by run_days.as_of_date, tickets.member_id
        ) as ticket_count,
        row_number() over (
            partition by run_days.as_of_date, tickets.member_id
            order by tickets.opened_at, tickets.ticket_id
        ) as age_rank
    from run_days
    inner join tickets
        on
            run_days.as_of_date >= tickets.opened_date
            and tickets.sla_due_at
            < cast({{ dbt.dateadd('day', 1, 'run_days.as_of_date') }} as timestamp)
            and (
                tickets.resolved_at is null
                or tickets.resolved_at
                >= cast({{ dbt.dateadd('day', 1, 'run_days.as_of_date') }} as timestamp)
            )

),

service_follow_up as (

    select
        open_tickets_past_sla.as_of_date,
        open_tickets_past_sla.member_id,
        'service_follow_up' as segment_code,
        cast(null as double) as score,
        cast(open_tickets_past_sla.ticket_count as varchar)
        || ' ticket(s) open past SLA; oldest: '
        || open_tickets_past_sla.ticket_category || ' ' || open_tickets_past_sla.ticket_priority
        || ' opened ' || cast(open_tickets_past_sla.opened_date as varchar) as reasons,
        cast(open_tickets_past_sla.ticket_count as varchar)
        || '张工单超过SLA未解决; 最早: '
        || open_tickets_past_sla.ticket_category || ' ' || open_tickets_past_sla.ticket_priority
        || ' 开单于 ' || cast(open_tickets_past_sla.opened_date as varchar) as reasons_zh
    from open_tickets_past_sla
    where open_tickets_past_sla.age_rank = 1

),

-- security_reminder: a warning event within the last window_days days
recent_security_events as (

    select
        run_days.as_of_date,
        security_events.member_id,
        security_events.security_event_type,
        security_events.occurred_date,
        row_number() over (
            partition by run_days.as_of_date, security_events.member_id
            order by security_events.occurred_at desc, security_events.security_event_id desc
        ) as recency_rank
    from run_days
    cross join segment_windows
    inner join security_events
        on
            run_days.as_of_date >= security_events.occurred_date
            and security_events.occurred_date > {{ add_days(
                'run_days.as_of_date', '-1 * segment_windows.window_days'
            ) }}
    where
        segment_windows.segment_code = 'security_reminder'
        and security_events.security_event_type in ({{ security_types }})

),

security_reminder as (

    select
        recent_security_events.as_of_date,
        recent_security_events.member_id,
        'security_reminder' as segment_code,
        cast(null as double) as score,
        'Security warning: ' || recent_security_events.security_event_type
        || ' on ' || cast(recent_security_events.occurred_date as varchar) as reasons,
        '安全预警: ' || recent_security_events.security_event_type
        || ' (' || cast(recent_security_events.occurred_date as varchar) || ')' as reasons_zh
    from recent_security_events
    where recent_security_events.recency_rank = 1

),

-- churn_risk and potential_vip: the model's high band on the day, VIPs and non-VIPs
high_band_scores as (

    select
        member_scores.as_of_date,
        member_scores.member_id,
        segment_windows.segment_code,
        member_scores.score,
        concat_ws(
            '; ', member_scores.reason_1, member_scores.reason_2, member_scores.reason_3
        ) as reasons,
        concat_ws(
            '; ', member_scores.reason_1_zh, member_scores.reason_2_zh, member_scores.reason_3_zh
        ) as reasons_zh
    from member_scores
    inner join segment_windows on member_scores.model = segment_windows.score_model
    where
        member_scores.band = 'high'
        and {{ in_partition_window('member_scores.as_of_date') }}

),

scored_lists as (

    select high_band_scores.*
    from high_band_scores
    left join tiers_in_window
        on
            high_band_scores.member_id = tiers_in_window.member_id
            and high_band_scores.as_of_date = tiers_in_window.as_of_date
    where
        (high_band_scores.segment_code = 'churn_risk' and coalesce(tiers_in_window.is_vip, false))
        or (
            high_band_scores.segment_code = 'potential_vip'
            and not coalesce(tiers_in_window.is_vip, false)
        )

),

pre_downgrade as (

    select
        tiers_in_window.as_of_date,
        tiers_in_window.member_id,
        'pre_downgrade' as segment_code,
        cast(null as double) as score,
        'Consumed ' || cast(tiers_in_window.quarter_to_date_consumption_cny as varchar)
        || ' of ' || cast(tiers_in_window.retention_cny as varchar) || ' CNY that keep '
        || tiers_in_window.tier_code || '; '
        || cast(tiers_in_window.days_left_in_quarter as varchar)
        || ' days left in the quarter' as reasons,
        '本季度已消耗 ' || cast(tiers_in_window.quarter_to_date_consumption_cny as varchar)
        || ' / ' || cast(tiers_in_window.retention_cny as varchar) || ' 元保级额度 ('
        || tiers_in_window.tier_code || '); 距季度末 '
        || cast(tiers_in_window.days_left_in_quarter as varchar) || ' 天' as reasons_zh
    from tiers_in_window
    where tiers_in_window.is_pre_downgrade

),

-- new_vip_welcome: an upgrade from the lowest tier within the last window_days days
recent_first_upgrades as (

    select
        run_days.as_of_date,
        lifecycle_events.member_id,
        lifecycle_events.to_value,
        lifecycle_events.event_date,
        row_number() over (
            partition by run_days.as_of_date, lifecycle_events.member_id
            order by lifecycle_events.event_date desc
        ) as recency_rank
    from run_days
    cross join segment_windows
    cross join lowest_tier
    inner join lifecycle_events
        on
            run_days.as_of_date >= lifecycle_events.event_date
            and lifecycle_events.event_date > {{ add_days(
                'run_days.as_of_date', '-1 * segment_windows.window_days'
            ) }}
    where
        segment_windows.segment_code = 'new_vip_welcome'
        and lifecycle_events.event_type = 'upgraded'
        and lifecycle_events.from_value = lowest_tier.lowest_tier_code

),

new_vip_welcome as (

    select
        recent_first_upgrades.as_of_date,
        recent_first_upgrades.member_id,
        'new_vip_welcome' as segment_code,
        cast(null as double) as score,
        'Reached ' || recent_first_upgrades.to_value || ' on '
        || cast(recent_first_upgrades.event_date as varchar) as reasons,
        cast(recent_first_upgrades.event_date as varchar) || ' 升级为 '
        || recent_first_upgrades.to_value as reasons_zh
    from recent_first_upgrades
    where recent_first_upgrades.recency_rank = 1

),

-- win_back: churned VIPs
win_back as (

    select
        lifecycle_daily.as_of_date,
        lifecycle_daily.member_id,
        'win_back' as segment_code,
        cast(null as double) as score,
        'Churned ' || tiers_in_window.tier_code || ': no login for '
        || coalesce(cast(lifecycle_daily.days_since_last_login as varchar), 'any')
        || ' days' as reasons,
        '已流失的' || tiers_in_window.tier_code || '会员: '
        || coalesce(cast(lifecycle_daily.days_since_last_login as varchar), '多')
        || ' 天未登录' as reasons_zh
    from lifecycle_daily
    inner join tiers_in_window
        on
            lifecycle_daily.member_id = tiers_in_window.member_id
            and lifecycle_daily.as_of_date = tiers_in_window.as_of_date
    where
        lifecycle_daily.stage = 'churned'
        and tiers_in_window.is_vip
        and {{ in_partition_window('lifecycle_daily.as_of_date') }}

),

-- birthday_care: VIPs whose next birthday is 1 .. window_days days after the day
profile_periods as (

    select
        profile_versions.member_id,
        profile_versions.birth_date,
        profile_versions.updated_date,
        lead(profile_versions.updated_date) over (
            partition by profile_versions.member_id
            order by profile_versions.updated_at
        ) as next_updated_date
    from profile_versions

),

birthdays as (

    select
        run_days.as_of_date,
        profile_periods.member_id,
        profile_periods.birth_date,
        -- the birthday in the day's year (29 February falls on 28 February in other years)
        cast({{ dbt.dateadd(
            'year',
            'extract(year from run_days.as_of_date) - extract(year from profile_periods.birth_date)',
            'profile_periods.birth_date'
        ) }} as date) as birthday_this_year,
        cast({{ dbt.dateadd(
            'year',
            'extract(year from run_days.as_of_date) - extract(year from profile_periods.birth_date) + 1',
            'profile_periods.birth_date'
        ) }} as date) as birthday_next_year
    from run_days
    inner join profile_periods
        on
            run_days.as_of_date >= profile_periods.updated_date
            and (
                profile_periods.next_updated_date is null
                or run_days.as_of_date < profile_periods.next_updated_date
            )
    where profile_periods.birth_date is not null

),

upcoming_birthdays as (

    select
        birthdays.as_of_date,
        birthdays.member_id,
        case
            when birthdays.birthday_this_year > birthdays.as_of_date
                then birthdays.birthday_this_year
            else birthdays.birthday_next_year
        end as next_birthday
    from birthdays

),

birthday_care as (

    select
        upcoming_birthdays.as_of_date,
        upcoming_birthdays.member_id,
        'birthday_care' as segment_code,
        cast(null as double) as score,
        'Birthday on ' || cast(upcoming_birthdays.next_birthday as varchar) as reasons,
        cast(upcoming_birthdays.next_birthday as varchar) || ' 生日' as reasons_zh
    from upcoming_birthdays
    cross join segment_windows
    inner join tiers_in_window
        on
            upcoming_birthdays.member_id = tiers_in_window.member_id
            and upcoming_birthdays.as_of_date = tiers_in_window.as_of_date
    where
        segment_windows.segment_code = 'birthday_care'
        and tiers_in_window.is_vip
        and upcoming_birthdays.next_birthday
        <= {{ add_days('upcoming_birthdays.as_of_date', 'segment_windows.window_days') }}

),

-- points_expiring: at least min_amount points of the day's balance expire soon
balances_on_day as (

    select
        run_days.as_of_date,
        points_balances.member_id,
        points_balances.balance,
        {{ points_expiring_after(
            'points_balances.member_id',
            'points_balances.points_earned_to_date - points_balances.balance',
            'run_days.as_of_date'
        ) }} as points_expiring
    from run_days
    inner join points_balances
        on
            run_days.as_of_date >= points_balances.balance_date
            and (
                points_balances.valid_to is null
                or run_days.as_of_date <= points_balances.valid_to
            )
    where points_balances.balance > 0

),

points_expiring as (

    select
        balances_on_day.as_of_date,
        balances_on_day.member_id,
        'points_expiring' as segment_code,
        cast(null as double) as score,
        cast(balances_on_day.points_expiring as varchar) || ' of '
        || cast(balances_on_day.balance as varchar)
        || ' G-points expire within {{ var("points_expiry_warning_days") }} days' as reasons,
        cast(balances_on_day.balance as varchar) || ' G分中有 '
        || cast(balances_on_day.points_expiring as varchar)
        || ' 将在{{ var("points_expiry_warning_days") }}天内过期' as reasons_zh
    from balances_on_day
    cross join segment_windows
    where
        segment_windows.segment_code = 'points_expiring'
        and balances_on_day.points_expiring >= segment_windows.min_amount

),

candidates as (

    select * from service_follow_up
    union all
    select * from security_reminder
    union all
    select * from scored_lists
    union all
    select * from pre_downgrade
    union all
    select * from new_vip_welcome
    union all
    select * from win_back
    union all
    select * from birthday_care
    union all
    select * from points_expiring

),

final as (

    select
        candidates.as_of_date,
        candidates.member_id,
        candidates.segment_code,
        tiers_in_window.tier_code,
        candidates.score,
        candidates.reasons,
        candidates.reasons_zh
    from candidates
    inner join run_days on candidates.as_of_date = run_days.as_of_date
    left join tiers_in_window
        on
            candidates.member_id = tiers_in_window.member_id
            and candidates.as_of_date = tiers_in_window.as_of_date

)

select * from final
