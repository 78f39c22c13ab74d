{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['contact_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'contacts') }}

),

renamed as (

    select
        {{ clean_string('contact_id') }} as contact_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('contacted_at') }} as contacted_at,
        {{ to_local_date('contacted_at') }} as contacted_date,
        {{ clean_code('channel') }} as channel_code,
        {{ clean_code('direction') }} as contact_direction,
        {{ clean_code('agent_id') }} as agent_id,
        {{ clean_code('purpose') }} as contact_purpose,
        {{ clean_code('outcome') }} as contact_outcome,
        {{ clean_string('phone') }} as phone,
        {{ clean_string('email') }} as email,
        cast(duration_sec as integer) as duration_seconds,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['contact_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['contact_id']) }}

),

final as (

    select
        contact_id,
        member_id,
        contacted_at,
        contacted_date,
        channel_code,
        contact_direction,
        agent_id,
        contact_purpose,
        contact_outcome,
        phone,
        email,
        duration_seconds,
        _landing_date as landing_date
    from deduped

)

select * from final
