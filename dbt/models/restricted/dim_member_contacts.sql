{#-
    The effective information library: one row per member with the best phone and e-mail as of
    the run's last day, their status (verified / unverified / invalid / missing), source and last
    verification. Full values: the only place exports take contact details from.
-#}
with

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

history as (

    select * from {{ ref('fct_member_contact_history') }}

),

resolved as (

    select * from {{ ref('int_member_contacts_resolved') }}

),

horizon as (

    select max(resolved.as_of_date) as as_of_date
    from resolved

),

latest_profiles as (

    select
        profile_versions.member_id,
        profile_versions.real_name,
        row_number() over (
            partition by profile_versions.member_id
            order by profile_versions.updated_at desc
        ) as version_rank
    from profile_versions
    cross join horizon
    where profile_versions.updated_date <= horizon.as_of_date

),

current_phones as (

    select * from history
    where contact_type = 'phone' and is_current

),

current_emails as (

    select * from history
    where contact_type = 'email' and is_current

),

final as (

    select
        latest_profiles.member_id,
        horizon.as_of_date,
        latest_profiles.real_name,
        {{ mask_name('latest_profiles.real_name') }} as real_name_masked,
        current_phones.contact_value as best_phone,
        {{ mask_phone('current_phones.contact_value') }} as best_phone_masked,
        coalesce(current_phones.contact_status, 'missing') as phone_status,
        coalesce(current_phones.status_reason, 'no_candidate') as phone_status_reason,
        current_phones.contact_source as phone_source,
        current_phones.last_verified_date as phone_last_verified_date,
        current_phones.valid_from as phone_status_since,
        current_phones.contact_value is not null as has_usable_phone,
        current_emails.contact_value as best_email,
        {{ mask_email('current_emails.contact_value') }} as best_email_masked,
        coalesce(current_emails.contact_status, 'missing') as email_status,
        coalesce(current_emails.status_reason, 'no_candidate') as email_status_reason,
        current_emails.contact_source as email_source,
        current_emails.last_verified_date as email_last_verified_date,
        current_emails.valid_from as email_status_since,
        current_emails.contact_value is not null as has_usable_email
    from latest_profiles
    cross join horizon
    left join current_phones on latest_profiles.member_id = current_phones.member_id
    left join current_emails on latest_profiles.member_id = current_emails.member_id
    where latest_profiles.version_rank = 1

)

select * from final
