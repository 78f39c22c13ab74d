{#-
    The export lists of each day: the actions of fct_daily_actions that survived the contact
    policy, with the contact the channel needs from the effective information library as it
    stood at the end of the day. contact_value holds the full phone (or e-mail) only for lists
    whose seed row says needs_full_contact (outbound calls, SMS); every list carries the masked
    phone. Schema restricted: the exports read it, analysts do not. Incremental by day like
    fct_daily_actions.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='fail',
        pre_hook="{{ delete_window_rows('as_of_date') }}",
    )
}}
with

daily_actions as (

    select * from {{ ref('fct_daily_actions') }}

),

segments as (

    select * from {{ ref('segments') }}

),

contact_history as (

    select * from {{ ref('fct_member_contact_history') }}

),

member_contacts as (

    select * from {{ ref('dim_member_contacts') }}

),

listed as (

    select daily_actions.*
    from daily_actions
    where
        not daily_actions.is_suppressed
        and {{ in_partition_window('daily_actions.as_of_date') }}

),

contacts_on_day as (

    select distinct
        listed.as_of_date,
        listed.member_id,
        contact_history.contact_type,
        contact_history.contact_value,
        contact_history.contact_value_masked
    from listed
    inner join contact_history
        on
            listed.member_id = contact_history.member_id
            and {{ is_usable_contact_on('contact_history', 'listed.as_of_date') }}

),

final as (

    select
        listed.as_of_date,
        listed.segment,
        listed.list_rank,
        listed.member_id,
        member_contacts.real_name_masked as name_masked,
        segments.contact_field,
        segments.needs_full_contact,
        case
            when segments.needs_full_contact then needed_contact.contact_value
        end as contact_value,
        phones.contact_value_masked as phone_masked,
        listed.tier_code,
        listed.channel,
        listed.action,
        listed.action_zh,
        listed.priority,
        listed.expected_value,
        listed.score,
        listed.reasons,
        listed.reasons_zh,
        listed.recommended_offers,
        listed.recommended_offers_zh
    from listed
    inner join segments on listed.segment = segments.segment_code
    left join member_contacts on listed.member_id = member_contacts.member_id
    left join contacts_on_day as needed_contact
        on
            listed.member_id = needed_contact.member_id
            and listed.as_of_date = needed_contact.as_of_date
            and segments.contact_field = needed_contact.contact_type
    left join contacts_on_day as phones
        on
            listed.member_id = phones.member_id
            and listed.as_of_date = phones.as_of_date
            and phones.contact_type = 'phone'

)

select * from final
