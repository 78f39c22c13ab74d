{#-
    Contacts up to the as-of day with the flags every service KPI counts by. Phone and e-mail
    are left out: contact details live only in the information library.
-#}
with

contacts as (

    select * from {{ ref('stg_contacts__contacts') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

final as (

    select
        contacts.contact_id,
        contacts.member_id,
        contacts.contacted_at,
        contacts.contacted_date,
        contacts.channel_code,
        contacts.contact_direction,
        contacts.agent_id,
        contacts.contact_purpose,
        contacts.contact_outcome,
        contacts.duration_seconds,
        contacts.contact_direction = 'OUT' as is_outbound,
        contacts.contact_outcome = 'REACHED' as is_reached,
        contacts.phone is not null as has_phone,
        contacts.email is not null as has_email
    from contacts
    inner join as_of on contacts.contacted_date <= as_of.as_of_date

)

select * from final
