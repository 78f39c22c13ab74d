{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['recharge_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'recharges') }}

),

renamed as (

    select
        {{ clean_string('recharge_id') }} as recharge_id,
        {{ clean_string('member_id') }} as member_id,
        {{ clean_code('game_code') }} as game_code,
        {{ to_local_ts('recharged_at') }} as recharged_at,
        {{ to_local_date('recharged_at') }} as recharged_date,
        {{ clean_code('txn_type') }} as recharge_type,
        cast(amount_cny as decimal(18, 2)) as amount_cny,
        {{ clean_code('pay_method') }} as pay_method,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['recharge_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['recharge_id']) }}

),

final as (

    select
        recharge_id,
        member_id,
        game_code,
        recharged_at,
        recharged_date,
        recharge_type,
        amount_cny,
        pay_method,
        _landing_date as landing_date
    from deduped

)

select * from final
