{#-
    Every phone and e-mail that a member's records carry, one row per (record, contact type): the
    profile versions, the number or address a contact used (with its outcome), survey callbacks
    and account managers' CONTACT_PHONE / CONTACT_EMAIL entries. What a value proves is its
    evidence_type: a self-report, a confirmation (reached on a verifying channel), an invalidation
    (wrong number, or a manager removing it) or a mere attempt. A value that cannot be used keeps
    its row with rejection_reason: nothing is dropped silently.
-#}
{%- set quoted = "', '" -%}
{%- set verifying_channels = "'" ~ (var('contact_verifying_channels') | join(quoted)) ~ "'" -%}
{%- set invalidating_outcomes = var('contact_invalidating_outcomes') | join(quoted) -%}
{%- set invalidating_outcomes = "'" ~ invalidating_outcomes ~ "'" -%}

with

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

contacts as (

    select * from {{ ref('stg_contacts__contacts') }}

),

surveys as (

    select * from {{ ref('stg_surveys__responses') }}

),

manual_entries as (

    select * from {{ ref('stg_manual_tags__entries') }}

),

profile_records as (

    select
        profile_versions.member_id,
        'profile' as candidate_source,
        profile_versions.member_id
        || '@'
        || cast(profile_versions.updated_at as varchar) as source_record_id,
        cast(null as varchar) as channel_code,
        cast(null as varchar) as contact_outcome,
        'self_report' as evidence_type,
        profile_versions.updated_at as observed_at,
        profile_versions.updated_date as observed_date,
        profile_versions.phone,
        profile_versions.email,
        profile_versions.landing_date
    from profile_versions

),

contact_records as (

    select
        contacts.member_id,
        'contact' as candidate_source,
        contacts.contact_id as source_record_id,
        contacts.channel_code,
        contacts.contact_outcome,
        case
            when
                contacts.contact_outcome in ({{ invalidating_outcomes }})
                then 'invalidated'
            when
                contacts.contact_outcome = 'REACHED'
                and contacts.channel_code in ({{ verifying_channels }})
                then 'confirmed'
            else 'attempted'
        end as evidence_type,
        contacts.contacted_at as observed_at,
        contacts.contacted_date as observed_date,
        contacts.phone,
        contacts.email,
        contacts.landing_date
    from contacts

),

survey_records as (

    select
        surveys.member_id,
        'survey' as candidate_source,
        surveys.survey_id as source_record_id,
        cast(null as varchar) as channel_code,
        cast(null as varchar) as contact_outcome,
        'self_report' as evidence_type,
        surveys.answered_at as observed_at,
        surveys.answered_date as observed_date,
        surveys.phone,
        surveys.email,
        surveys.landing_date
    from surveys

),

manual_records as (

    select
        manual_entries.member_id,
        'manual' as candidate_source,
        manual_entries.tag_entry_id as source_record_id,
        cast(null as varchar) as channel_code,
        cast(null as varchar) as contact_outcome,
        -- A manager removing a number or address has learned that it is wrong.
        case
            when manual_entries.tag_action = 'REMOVE' then 'invalidated'
            else 'self_report'
        end as evidence_type,
        manual_entries.entered_at as observed_at,
        manual_entries.entered_date as observed_date,
        case
            when manual_entries.tag_code = 'CONTACT_PHONE' then manual_entries.tag_value
        end as phone,
        case
            when manual_entries.tag_code = 'CONTACT_EMAIL' then manual_entries.tag_value
        end as email,
        manual_entries.landing_date
    from manual_entries
    where manual_entries.tag_code in ('CONTACT_PHONE', 'CONTACT_EMAIL')

),

records as (

    select * from profile_records
    union all
    select * from contact_records
    union all
    select * from survey_records
    union all
    select * from manual_records

),

phone_candidates as (

    select
        records.member_id,
        'phone' as contact_type,
        records.candidate_source,
        records.source_record_id,
        records.channel_code,
        records.contact_outcome,
        records.evidence_type,
        records.observed_at,
        records.observed_date,
        records.phone as raw_value,
        {{ clean_phone('records.phone') }} as cleaned_value,
        {{ phone_rejection_reason('records.phone') }} as rejection_reason,
        records.landing_date
    from records
    where records.phone is not null

),

email_candidates as (

    select
        records.member_id,
        'email' as contact_type,
        records.candidate_source,
        records.source_record_id,
        records.channel_code,
        records.contact_outcome,
        records.evidence_type,
        records.observed_at,
        records.observed_date,
        records.email as raw_value,
        {{ clean_email('records.email') }} as cleaned_value,
        {{ email_rejection_reason('records.email') }} as rejection_reason,
        records.landing_date
    from records
    where records.email is not null

),

candidates as (

    select * from phone_candidates
    union all
    select * from email_candidates

),

final as (

    select
        candidates.member_id,
        candidates.contact_type,
        candidates.candidate_source,
        candidates.source_record_id,
        candidates.channel_code,
        candidates.contact_outcome,
        candidates.evidence_type,
        candidates.observed_at,
        candidates.observed_date,
        candidates.raw_value,
        candidates.cleaned_value,
        candidates.rejection_reason,
        candidates.rejection_reason is null as is_usable,
        candidates.landing_date
    from candidates

)

select * from final
