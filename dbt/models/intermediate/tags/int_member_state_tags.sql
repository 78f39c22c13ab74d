{#-
    State tags as of the tags' as-of day, one row per member and tag (long form: member_id,
    tag_code, tag_value): lifecycle stage, security warning, credit warning, consumption drop and
    no recent contact. The members are those the lifecycle follows on the as-of day; each window
    ends on the as-of day and reaches back its var (tags_*_days).
-#}
{%- set consumption_window = var('tags_consumption_window_days') | int -%}
{%- set alarm_types = "'" ~ var('tags_security_event_types') | join("', '") ~ "'" -%}

with

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

security_events as (

    select * from {{ ref('stg_security_events__events') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

contacts as (

    select * from {{ ref('stg_contacts__contacts') }}

),

members_on_day as (

    select
        lifecycle_daily.member_id,
        lifecycle_daily.stage
    from lifecycle_daily
    inner join as_of on lifecycle_daily.as_of_date = as_of.as_of_date

),

known_security_events as (

    select
        security_events.security_event_id,
        security_events.member_id,
        security_events.security_event_type,
        security_events.occurred_at,
        security_events.occurred_date,
        as_of.as_of_date
    from security_events
    inner join as_of on security_events.occurred_date <= as_of.as_of_date

),

security_alarms as (

    select distinct
        known_security_events.member_id,
        known_security_events.security_event_type as warning_reason
    from known_security_events
    where
        known_security_events.security_event_type
        in ({{ alarm_types }})
        and known_security_events.occurred_date > {{ dbt.dateadd(
            'day',
            -1 * (var('tags_security_window_days') | int),
            'known_security_events.as_of_date'
        ) }}

),

latest_product_events as (

    select
        ranked.member_id,
        ranked.security_event_type
    from (
        select
            known_security_events.member_id,
            known_security_events.security_event_type,
            row_number() over (
                partition by known_security_events.member_id
                order by
                    known_security_events.occurred_at desc,
                    known_security_events.security_event_id desc
            ) as event_rank
        from known_security_events
        where
            known_security_events.security_event_type
            in ('SECURITY_PRODUCT_BOUND', 'SECURITY_PRODUCT_UNBOUND')
    ) as ranked
    where ranked.event_rank = 1

),

unprotected_members as (

    select
        members_on_day.member_id,
        'NO_SECURITY_PRODUCT' as warning_reason
    from members_on_day
    inner join latest_product_events
        on members_on_day.member_id = latest_product_events.member_id
    where
        {{ 'true' if var('tags_security_warn_unbound') else 'false' }}
        -- Only an observed unbind: a member with no product event may have bound one before
        -- the data begins, and warning them all would flag nearly everyone.
        and latest_product_events.security_event_type = 'SECURITY_PRODUCT_UNBOUND'

),

security_reasons as (

    select * from security_alarms
    union all
    select * from unprotected_members

),

security_warnings as (

    select
        security_reasons.member_id,
        {{ dbt.listagg(
            'security_reasons.warning_reason', "','", 'order by security_reasons.warning_reason'
        ) }} as warning_reasons
    from security_reasons
    group by security_reasons.member_id

),

recent_activity as (

    select
        daily_activity.member_id,
        daily_activity.activity_date,
        daily_activity.consumption_cny,
        daily_activity.refund_cny,
        daily_activity.chargeback_count,
        {{ dbt.datediff('daily_activity.activity_date', 'as_of.as_of_date', 'day') }} as days_ago
    from daily_activity
    inner join as_of
        on
            daily_activity.activity_date <= as_of.as_of_date
            and daily_activity.activity_date > {{ dbt.dateadd(
                'day',
                -1 * ([var('tags_credit_window_days') | int, 2 * consumption_window] | max),
                'as_of.as_of_date'
            ) }}

),

credit_reasons as (

    select
        recent_activity.member_id,
        max(case when recent_activity.refund_cny > 0 then 1 else 0 end) as had_refund,
        max(case when recent_activity.chargeback_count > 0 then 1 else 0 end) as had_chargeback
    from recent_activity
    where recent_activity.days_ago < {{ var('tags_credit_window_days') }}
    group by recent_activity.member_id

),

credit_warnings as (

    select
        credit_reasons.member_id,
        case
            when credit_reasons.had_refund = 1 and credit_reasons.had_chargeback = 1
                then 'CHARGEBACK,REFUND'
            when credit_reasons.had_chargeback = 1 then 'CHARGEBACK'
            else 'REFUND'
        end as warning_reasons
    from credit_reasons
    where credit_reasons.had_refund = 1 or credit_reasons.had_chargeback = 1

),

consumption_windows as (

    select
        recent_activity.member_id,
        sum(
            case
                when recent_activity.days_ago < {{ consumption_window }}
                    then recent_activity.consumption_cny
                else 0
            end
        ) as current_cny,
        sum(
            case
                when
                    recent_activity.days_ago >= {{ consumption_window }}
                    and recent_activity.days_ago < {{ 2 * consumption_window }}
                    then recent_activity.consumption_cny
                else 0
            end
        ) as prior_cny
    from recent_activity
    group by recent_activity.member_id

),

consumption_drops as (

    select
        consumption_windows.member_id,
        (consumption_windows.prior_cny - consumption_windows.current_cny)
        / consumption_windows.prior_cny as drop_share
    from consumption_windows
    where
        consumption_windows.prior_cny >= {{ var('tags_consumption_drop_min_prior_cny') }}
        and consumption_windows.current_cny
        <= consumption_windows.prior_cny * (1 - {{ var('tags_consumption_drop_share') }})

),

last_reached_contacts as (

    select
        contacts.member_id,
        max(contacts.contacted_date) as last_reached_date
    from contacts
    inner join as_of on contacts.contacted_date <= as_of.as_of_date
    where contacts.contact_outcome = 'REACHED'
    group by contacts.member_id

),

uncontacted_members as (

    select
        members_on_day.member_id,
        last_reached_contacts.last_reached_date
    from members_on_day
    cross join as_of
    left join last_reached_contacts
        on members_on_day.member_id = last_reached_contacts.member_id
    where
        last_reached_contacts.last_reached_date is null
        or last_reached_contacts.last_reached_date <= {{ dbt.dateadd(
            'day', -1 * (var('tags_no_contact_days') | int), 'as_of.as_of_date'
        ) }}

),

tags as (

    select
        members_on_day.member_id,
        'lifecycle_stage' as tag_code,
        members_on_day.stage as tag_value
    from members_on_day

    union all

    select
        security_warnings.member_id,
        'security_warning' as tag_code,
        security_warnings.warning_reasons as tag_value
    from security_warnings

    union all

    select
        credit_warnings.member_id,
        'credit_warning' as tag_code,
        credit_warnings.warning_reasons as tag_value
    from credit_warnings

    union all

    select
        consumption_drops.member_id,
        'consumption_drop' as tag_code,
        cast(round(consumption_drops.drop_share, 2) as varchar) as tag_value
    from consumption_drops

    union all

    select
        uncontacted_members.member_id,
        'no_recent_contact' as tag_code,
        coalesce(cast(uncontacted_members.last_reached_date as varchar), 'never') as tag_value
    from uncontacted_members

),

final as (

    select
        tags.member_id,
        tags.tag_code,
        tags.tag_value
    from tags

)

select * from final
