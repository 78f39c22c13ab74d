{{
    config(
        materialized='incremental',
        incremental_strategy='replace_window_deliveries',
        unique_key=['ticket_id', 'updated_at'],
        on_schema_change='fail',
    )
}}

with

source as (

    select * from {{ source('raw', 'tickets') }}

),

renamed as (

    select
        {{ clean_string('ticket_id') }} as ticket_id,
        {{ clean_string('member_id') }} as member_id,
        {{ to_local_ts('opened_at') }} as opened_at,
        {{ to_local_date('opened_at') }} as opened_date,
        {{ to_local_ts('updated_at') }} as updated_at,
        {{ to_local_date('updated_at') }} as updated_date,
        {{ clean_code('category') }} as ticket_category,
        {{ clean_code('priority') }} as ticket_priority,
        {{ clean_code('status') }} as ticket_status,
        {{ to_local_ts('resolved_at') }} as resolved_at,
        {{ to_local_date('resolved_at') }} as resolved_date,
        {{ clean_code('agent_id') }} as agent_id,
        _landing_date,
        _loaded_at,
        _line
    from source

),

deliveries as (

    {{ deliveries_of_window_keys('renamed', ['ticket_id', 'updated_at']) }}

),

deduped as (

    {{ latest_delivery('deliveries', ['ticket_id', 'updated_at']) }}

),

final as (

    select
        ticket_id,
        member_id,
        opened_at,
        opened_date,
        updated_at,
        updated_date,
        ticket_category,
        ticket_priority,
        ticket_status,
        resolved_at,
        resolved_date,
        agent_id,
        _landing_date as landing_date
    from deduped

)

select * from final
