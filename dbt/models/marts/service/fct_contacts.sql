with

contacts as (

    select * from {{ ref('int_contacts_flagged') }}

),

agents as (

    select * from {{ ref('agents') }}

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
        agents.team as agent_team,
        contacts.contact_purpose,
        contacts.contact_outcome,
        contacts.is_outbound,
        contacts.is_reached,
        contacts.duration_seconds,
        contacts.has_phone,
        contacts.has_email
    from contacts
    left join agents on contacts.agent_id = agents.agent_id

)

select * from final
