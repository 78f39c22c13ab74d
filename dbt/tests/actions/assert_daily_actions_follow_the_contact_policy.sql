{#- The contact policy holds on every exported row of fct_daily_actions: no red-listed member on
    a marketing list, no member without a usable contact, no holdout member, at most one action
    per member, channel and day, and no channel over its daily capacity. One row per breach. -#}
{#- dagster-dbt shows a test that reads two models as a check of the one named here. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_daily_actions'}}}) }}
with

daily_actions as (

    select * from {{ ref('fct_daily_actions') }}

),

contact_policy as (

    select * from {{ ref('contact_policy') }}

),

exported as (

    select daily_actions.*
    from daily_actions
    where not daily_actions.is_suppressed

),

row_breaches as (

    select
        exported.as_of_date,
        exported.channel,
        exported.member_id,
        case
            when exported.is_marketing and exported.is_red_listed then 'red_list'
            when not exported.has_valid_contact then 'no_valid_contact'
            when exported.is_holdout then 'holdout'
        end as breach
    from exported

),

channel_breaches as (

    select
        exported.as_of_date,
        exported.channel,
        exported.member_id,
        'more_than_one_action_per_channel' as breach
    from exported
    group by exported.as_of_date, exported.channel, exported.member_id
    having count(*) > 1

),

capacity_breaches as (

    select
        exported.as_of_date,
        exported.channel,
        cast(null as varchar) as member_id,
        'over_capacity' as breach
    from exported
    inner join contact_policy
        on contact_policy.policy_key = {{ dbt.concat(["'daily_capacity:'", 'exported.channel']) }}
    group by exported.as_of_date, exported.channel, contact_policy.policy_value
    having count(*) > contact_policy.policy_value

),

final as (

    select row_breaches.*
    from row_breaches
    where row_breaches.breach is not null
    union all
    select * from channel_breaches
    union all
    select * from capacity_breaches

)

select * from final
