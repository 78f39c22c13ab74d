{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['character_id', 'updated_at'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'characters') }}

),

renamed as (

    select
        {{ clean_string('character_id') }} as character_id,
        {{ clean_string('member_id') }} as member_id,
        {{ clean_code('game_code') }} as game_code,
        {{ clean_code('server_id') }} as server_id,
        {{ to_local_ts('updated_at') }} as updated_at,
        {{ to_local_date('updated_at') }} as updated_date,
        cast(level as integer) as character_level,
        {{ clean_string('guild_id') }} as guild_id,
        {{ clean_string('guild_name') }} as guild_name,
        {{ clean_code('guild_role') }} as guild_role,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['character_id', 'updated_at']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['character_id', 'updated_at']) }}

),

final as (

    select
        character_id,
        member_id,
        game_code,
        server_id,
        updated_at,
        updated_date,
        character_level,
        guild_id,
        guild_name,
        guild_role,
        _landing_date as landing_date
    from deduped

)

select * from final
