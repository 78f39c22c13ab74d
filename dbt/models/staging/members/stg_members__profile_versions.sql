{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['member_id', 'updated_at'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'members') }}

),

renamed as (

    select
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('updated_at') }} as updated_at,
        {{ to_local_date('updated_at') }} as updated_date,
        {{ to_local_ts('registered_at') }} as registered_at,
        {{ to_local_date('registered_at') }} as registered_date,
        {{ clean_string('real_name') }} as real_name,
        {{ clean_code('gender') }} as gender,
        cast(birth_date as date) as birth_date,
        {{ clean_code('region') }} as region_code,
        {{ clean_code('occupation') }} as occupation_code,
        {{ clean_string('phone') }} as phone,
        {{ clean_string('email') }} as email,
        {{ clean_code('register_channel') }} as register_channel,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['member_id', 'updated_at']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['member_id', 'updated_at']) }}

),

final as (

    select
        member_id,
        updated_at,
        updated_date,
        registered_at,
        registered_date,
        real_name,
        gender,
        birth_date,
        region_code,
        occupation_code,
        phone,
        email,
        register_channel,
        _landing_date as landing_date
    from deduped

)

select * from final
