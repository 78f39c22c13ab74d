{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['participation_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'activity_participation') }}

),

renamed as (

    select
        {{ clean_string('participation_id') }} as participation_id,
        {{ clean_string('member_id') }} as member_id,
        {{ clean_code('activity_code') }} as activity_code,
        {{ to_local_ts('participated_at') }} as participated_at,
        {{ to_local_date('participated_at') }} as participated_date,
        {{ clean_code('result') }} as participation_result,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['participation_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['participation_id']) }}

),

final as (

    select
        participation_id,
        member_id,
        activity_code,
        participated_at,
        participated_date,
        participation_result,
        _landing_date as landing_date
    from deduped

)

select * from final
