{#-
    Survey answers (voice of the customer) up to the as-of day, with the agent and channel of
    the contact they rate (none for follow-up surveys of tickets). Callback phone and e-mail
    are left out: contact details live only in the information library.
-#}
with

surveys as (

    select * from {{ ref('stg_surveys__responses') }}

),

contacts as (

    select * from {{ ref('int_contacts_flagged') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

final as (

    select
        surveys.survey_id,
        surveys.member_id,
        surveys.answered_at,
        surveys.answered_date,
        surveys.contact_id,
        contacts.agent_id,
        contacts.channel_code,
        surveys.satisfaction_score,
        surveys.survey_comment,
        surveys.satisfaction_score >= {{ var('service_satisfied_min_score') }} as is_satisfied
    from surveys
    inner join as_of on surveys.answered_date <= as_of.as_of_date
    left join contacts on surveys.contact_id = contacts.contact_id

)

select * from final
