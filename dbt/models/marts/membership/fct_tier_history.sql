with

tier_events as (

    select * from {{ ref('int_member_tier_events') }}

),

-- Several events on one day (a quarter-end judgement at 00:00, then an upgrade that day, or
-- the first day of activity with an upgrade): the day's last event is the tier the day ends with.
day_events as (

    select
        tier_events.*,
        row_number() over (
            partition by tier_events.member_id, tier_events.event_date
            order by tier_events.event_order desc
        ) as day_event_rank
    from tier_events

),

periods as (

    select
        member_id,
        tier_code,
        tier_rank,
        event_date as valid_from,
        lead(event_date) over (partition by member_id order by event_date) as next_valid_from,
        reason,
        consumption_counted_from,
        counted_consumption_cny,
        quarter_consumption_cny,
        retention_cny
    from day_events
    where day_event_rank = 1

),

final as (

    select
        member_id,
        tier_code,
        tier_rank,
        valid_from,
        cast({{ dbt.dateadd('day', -1, 'next_valid_from') }} as date) as valid_to,
        next_valid_from is null as is_current,
        reason,
        consumption_counted_from,
        counted_consumption_cny,
        quarter_consumption_cny,
        retention_cny
    from periods

)

select * from final
