{#-
    The effective information library for analysts: each member's contact status without the
    contact details themselves (masked values only). Full values stay in schema restricted.
-#}
with

member_contacts as (

    select * from {{ ref('dim_member_contacts') }}

),

final as (

    select
        member_contacts.member_id,
        member_contacts.as_of_date,
        member_contacts.best_phone_masked as phone_masked,
        member_contacts.phone_status,
        member_contacts.phone_status_reason,
        member_contacts.phone_source,
        member_contacts.phone_last_verified_date,
        {{ days_between('member_contacts.phone_last_verified_date', 'member_contacts.as_of_date') }}
            as days_since_phone_verified,
        member_contacts.phone_status_since,
        member_contacts.has_usable_phone,
        member_contacts.phone_status = 'verified' as is_phone_verified,
        member_contacts.best_email_masked as email_masked,
        member_contacts.email_status,
        member_contacts.email_status_reason,
        member_contacts.email_source,
        member_contacts.email_last_verified_date,
        {{ days_between('member_contacts.email_last_verified_date', 'member_contacts.as_of_date') }}
            as days_since_email_verified,
        member_contacts.email_status_since,
        member_contacts.has_usable_email,
        member_contacts.email_status = 'verified' as is_email_verified
    from member_contacts

)

select * from final
