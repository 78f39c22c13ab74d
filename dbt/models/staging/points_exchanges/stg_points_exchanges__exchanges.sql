{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['exchange_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'points_exchanges') }}

),

renamed as (

    select
        {{ clean_string('exchange_id') }} as exchange_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('exchanged_at') }} as exchanged_at,
        {{ to_local_date('exchanged_at') }} as exchanged_date,
        {{ clean_code('exchange_type') }} as exchange_type,
        {{ clean_code('item_code') }} as item_code,
        cast(points as integer) as points_spent,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['exchange_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['exchange_id']) }}

),

final as (

    select
        exchange_id,
        member_id,
        exchanged_at,
        exchanged_date,
        exchange_type,
        item_code,
        points_spent,
        _landing_date as landing_date
    from deduped

)

select * from final
