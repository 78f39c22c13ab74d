{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['consumption_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'consumption') }}

),

renamed as (

    select
        {{ clean_string('consumption_id') }} as consumption_id,
        {{ clean_string('member_id') }} as member_id,
        {{ clean_code('game_code') }} as game_code,
        {{ clean_code('server_id') }} as server_id,
        {{ to_local_ts('consumed_at') }} as consumed_at,
        {{ to_local_date('consumed_at') }} as consumed_date,
        cast(amount_cny as decimal(18, 2)) as amount_cny,
        {{ clean_code('item_category') }} as item_category,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['consumption_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['consumption_id']) }}

),

final as (

    select
        consumption_id,
        member_id,
        game_code,
        server_id,
        consumed_at,
        consumed_date,
        amount_cny,
        item_category,
        _landing_date as landing_date
    from deduped

)

select * from final
