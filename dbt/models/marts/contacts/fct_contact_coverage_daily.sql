{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='coverage_date',
        on_schema_change='fail',
    )
}}

{#-
    Coverage of the effective information library per day: the share of registered members with
    a usable (verified or unverified) phone and e-mail, the share verified, and staleness (median
    days since the last verification of the usable values that were ever verified). A day is
    rebuilt with the late_arrival_days before the window, since late contacts change the history
    of the days they happened on.

    Like the library itself, a day counts what is known by its end: a member counts from the day
    a profile version shows them registered (its update day, or the registration day if later),
    not from a registration day first learnt of later. A member whose registration version was
    rejected and who only appears with a version weeks later would otherwise join days that a
    day-by-day build closed long before (no lookback can reach them).
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

    -- From the first day the library knows anything to the day it is built as of.
    select
        min(resolved.change_date) as first_known_date,
        max(resolved.as_of_date) as as_of_date
    from resolved

),

members as (

    -- The first day some profile version, known by the end of that day, shows the member
    -- registered: versions arrive at most late_arrival_days late, so within the lookback.
    select
        profile_versions.member_id,
        min(
            greatest(profile_versions.updated_date, profile_versions.registered_date)
        ) as known_registered_date
    from profile_versions
    group by profile_versions.member_id

),

spine as (

    {{ day_spine(var('min_date'), var('max_date'), var('late_arrival_days')) }}

),

coverage_days as (

    select spine.spine_date as coverage_date
    from spine
    cross join horizon
    where spine.spine_date between horizon.first_known_date and horizon.as_of_date

),

member_days as (

    select
        coverage_days.coverage_date,
        members.member_id
    from coverage_days
    inner join members on coverage_days.coverage_date >= members.known_registered_date

),

member_day_contacts as (

    select
        member_days.coverage_date,
        member_days.member_id,
        phone.contact_status as phone_status,
        phone.last_verified_date as phone_last_verified_date,
        email.contact_status as email_status,
        email.last_verified_date as email_last_verified_date
    from member_days
    left join history as phone
        on
            member_days.member_id = phone.member_id
            and phone.contact_type = 'phone'
            and member_days.coverage_date >= phone.valid_from
            and (phone.valid_to is null or member_days.coverage_date < phone.valid_to)
    left join history as email
        on
            member_days.member_id = email.member_id
            and email.contact_type = 'email'
            and member_days.coverage_date >= email.valid_from
            and (email.valid_to is null or member_days.coverage_date < email.valid_to)

),

daily as (

    select
        member_day_contacts.coverage_date,
        count(*) as member_count,
        cast(sum(
            case
                when member_day_contacts.phone_status in ('verified', 'unverified') then 1 else 0
            end
        ) as bigint) as members_with_usable_phone,
        cast(sum(
            case when member_day_contacts.phone_status = 'verified' then 1 else 0 end
        ) as bigint) as members_with_verified_phone,
        cast(sum(
            case when member_day_contacts.phone_status = 'invalid' then 1 else 0 end
        ) as bigint) as members_with_invalid_phone,
        percentile_cont(0.5) within group (
            order by case
                when member_day_contacts.phone_status in ('verified', 'unverified')
                    then {{ days_between(
                        'member_day_contacts.phone_last_verified_date',
                        'member_day_contacts.coverage_date',
                    ) }}
            end
        ) as median_days_since_phone_verified,
        cast(sum(
            case
                when member_day_contacts.email_status in ('verified', 'unverified') then 1 else 0
            end
        ) as bigint) as members_with_usable_email,
        cast(sum(
            case when member_day_contacts.email_status = 'verified' then 1 else 0 end
        ) as bigint) as members_with_verified_email,
        cast(sum(
            case when member_day_contacts.email_status = 'invalid' then 1 else 0 end
        ) as bigint) as members_with_invalid_email,
        percentile_cont(0.5) within group (
            order by case
                when member_day_contacts.email_status in ('verified', 'unverified')
                    then {{ days_between(
                        'member_day_contacts.email_last_verified_date',
                        'member_day_contacts.coverage_date',
                    ) }}
            end
        ) as median_days_since_email_verified
    from member_day_contacts
    group by member_day_contacts.coverage_date

),

final as (

    select
        daily.coverage_date,
        daily.member_count,
        daily.members_with_usable_phone,
        daily.members_with_verified_phone,
        daily.members_with_invalid_phone,
        cast(daily.members_with_usable_phone as double) / daily.member_count
            as phone_coverage_share,
        cast(daily.members_with_verified_phone as double) / daily.member_count
            as phone_verified_share,
        daily.median_days_since_phone_verified,
        daily.members_with_usable_email,
        daily.members_with_verified_email,
        daily.members_with_invalid_email,
        cast(daily.members_with_usable_email as double) / daily.member_count
            as email_coverage_share,
        cast(daily.members_with_verified_email as double) / daily.member_count
            as email_verified_share,
        daily.median_days_since_email_verified
    from daily

)

select * from final
