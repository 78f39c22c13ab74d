{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['login_id'],
        on_schema_change='fail',
    )
}}

{#-
    The biggest raw table: a run looks the window's keys up on the cleaned key alone and cleans
    the other columns only for the deliveries it keeps (the same functions on the same rows, so
    the rows equal those of cleaning first).
-#}
with

source as (

    select * from {{ source('raw', 'logins') }}

),

keyed as (

    select
        {{ clean_string('login_id') }} as login_id,
        member_id,
        game_code,
        server_id,
        login_at,
        duration_min,
        region,
        device_type,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('keyed', ['login_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['login_id']) }}

),

renamed as (

    select
        login_id,
        {{ clean_string('member_id') }} as member_id,
        {{ clean_code('game_code') }} as game_code,
        {{ clean_code('server_id') }} as server_id,
        {{ to_local_ts('login_at') }} as login_at,
        {{ to_local_date('login_at') }} as login_date,
        cast(duration_min as integer) as duration_minutes,
        {{ clean_code('region') }} as region_code,
        {{ clean_code('device_type') }} as device_type,
        _landing_date as landing_date
    from deduped

),

final as (

    select
        login_id,
        member_id,
        game_code,
        server_id,
        login_at,
        login_date,
        duration_minutes,
        region_code,
        device_type,
        landing_date
    from renamed

)

select * from final
