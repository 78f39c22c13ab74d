{#- A list's contact field is what its channel needs (seed channels: member_id means none), and
    only phone or e-mail lists may carry the full contact. -#}
{#- dagster-dbt shows a test that reads two models as a check of the one named here. -#}
{{ config(meta={'dagster': {'ref': {'name': 'segments'}}}) }}
with

segments as (

    select * from {{ ref('segments') }}

),

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        segments.segment_code,
        segments.channel_code,
        segments.contact_field,
        channels.contact_field as channel_contact_field,
        segments.needs_full_contact
    from segments
    inner join channels on segments.channel_code = channels.channel_code
    where
        segments.contact_field != case
            when channels.contact_field = 'member_id' then 'none' else channels.contact_field
        end
        or (segments.needs_full_contact and segments.contact_field = 'none')

)

select * from final
