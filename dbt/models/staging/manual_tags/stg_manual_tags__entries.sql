{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['tag_entry_id'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'manual_tags') }}

),

renamed as (

    select
        {{ clean_string('tag_entry_id') }} as tag_entry_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('entered_at') }} as entered_at,
        {{ to_local_date('entered_at') }} as entered_date,
        {{ clean_code('entered_by') }} as entered_by_agent_id,
        {{ clean_code('tag_code') }} as tag_code,
        {{ clean_string('tag_value') }} as tag_value,
        {{ clean_code('action') }} as tag_action,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['tag_entry_id']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['tag_entry_id']) }}

),

final as (

    select
        tag_entry_id,
        member_id,
        entered_at,
        entered_date,
        entered_by_agent_id,
        tag_code,
        tag_value,
        tag_action,
        _landing_date as landing_date
    from deduped

)

select * from final
