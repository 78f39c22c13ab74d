{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['security_event_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'security_events') }}

),

renamed as (

    select
        {{ clean_string('event_id') }} as security_event_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('occurred_at') }} as occurred_at,
        {{ to_local_date('occurred_at') }} as occurred_date,
        {{ clean_code('event_type') }} as security_event_type,
        {{ clean_string('detail') }} as event_detail,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['security_event_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['security_event_id']) }}

),

final as (

    select
        security_event_id,
        member_id,
        occurred_at,
        occurred_date,
        security_event_type,
        event_detail,
        _landing_date as landing_date
    from deduped

)

select * from final
