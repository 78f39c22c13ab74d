{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['survey_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'surveys') }}

),

renamed as (

    select
        {{ clean_string('survey_id') }} as survey_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('answered_at') }} as answered_at,
        {{ to_local_date('answered_at') }} as answered_date,
        {{ clean_string('contact_id') }} as contact_id,
        cast(score as integer) as satisfaction_score,
        {{ clean_string('comment') }} as survey_comment,
        {{ clean_string('phone') }} as phone,
        {{ clean_string('email') }} as email,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['survey_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['survey_id']) }}

),

final as (

    select
        survey_id,
        member_id,
        answered_at,
        answered_date,
        contact_id,
        satisfaction_score,
        survey_comment,
        phone,
        email,
        _landing_date as landing_date
    from deduped

)

select * from final
