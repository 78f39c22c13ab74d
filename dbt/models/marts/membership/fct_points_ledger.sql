{#-
    The G-point ledger: every earn, spend, convert and expire movement of each member, with the
    balance after it. Earned points are valid points_validity_months and expire first in,
    first out; a spend larger than the balance is kept and flagged (is_overspend) but only
    takes the balance to zero.

    FIFO bookkeeping needs one number per member: the points removed so far (spent, converted
    or expired). Lots are used up in earning order, so the points of every lot earned on or
    before a day are gone once the removed total reaches the cumulative earnings of that day;
    an expiry removes what is left of them. Because a flagged overspend removes less than it
    asks for, the removed total is a running state, carried along each member's removals
    (spend, convert, expire) by a recursive CTE; an earning leaves it as it is, so an earning
    row takes the total after the last removal before it (none: 0). The recursion then runs as
    many steps as a member has removals, not movements, with the same result.
-#}

with recursive

consumption as (

    select * from {{ ref('stg_consumption__transactions') }}

),

exchanges as (

    select * from {{ ref('stg_points_exchanges__exchanges') }}

),

campaigns as (

    select * from {{ ref('points_campaigns') }}

),

-- Overlapping campaigns: the highest multiplier applies.
campaign_days as (

    select
        consumption.consumption_id,
        campaigns.campaign_code,
        campaigns.multiplier,
        row_number() over (
            partition by consumption.consumption_id
            order by campaigns.multiplier desc, campaigns.campaign_code asc
        ) as campaign_rank
    from consumption
    inner join campaigns
        on consumption.consumed_date between campaigns.start_date and campaigns.end_date

),

earnings as (

    select
        consumption.member_id,
        consumption.consumption_id as source_id,
        consumption.consumed_at as movement_at,
        consumption.consumed_date as movement_date,
        'earn' as movement_type,
        campaign_days.campaign_code,
        cast(
            floor(
                consumption.amount_cny
                * {{ var('points_per_cny') }}
                * coalesce(campaign_days.multiplier, 1)
            ) as bigint
        ) as points_requested
    from consumption
    left join campaign_days
        on
            consumption.consumption_id = campaign_days.consumption_id
            and campaign_days.campaign_rank = 1

),

redemptions as (

    select
        member_id,
        exchange_id as source_id,
        exchanged_at as movement_at,
        exchanged_date as movement_date,
        case when exchange_type = 'CONVERT_GROWTH' then 'convert' else 'spend' end
            as movement_type,
        cast(null as varchar) as campaign_code,
        cast(points_spent as bigint) as points_requested
    from exchanges

),

horizon as (

    select max(movement_date) as last_movement_date
    from (
        select movement_date from earnings
        union all
        select movement_date from redemptions
    ) as movement_days

),

-- Points earned on a day expire together at 00:00 of the same date points_validity_months
-- later. What expires then is whatever the removed total has not reached of the cumulative
-- earnings up to that day; expiries are recorded only once their day has data.
earning_days as (

    select
        member_id,
        movement_date as earned_date,
        sum(sum(points_requested)) over (
            partition by member_id
            order by movement_date
            rows between unbounded preceding and current row
        ) as earned_through_day
    from earnings
    group by member_id, movement_date

),

expiries as (

    select
        earning_days.member_id,
        cast(earning_days.earned_date as varchar) as source_id,
        cast(
            {{ dbt.dateadd('month', var('points_validity_months'), 'earning_days.earned_date') }}
            as timestamp
        ) as movement_at,
        cast(
            {{ dbt.dateadd('month', var('points_validity_months'), 'earning_days.earned_date') }}
            as date
        ) as movement_date,
        'expire' as movement_type,
        cast(null as varchar) as campaign_code,
        earning_days.earned_through_day as points_requested
    from earning_days
    cross join horizon
    where
        cast(
            {{ dbt.dateadd('month', var('points_validity_months'), 'earning_days.earned_date') }}
            as date
        ) <= horizon.last_movement_date

),

movements as (

    select * from earnings
    union all
    select * from redemptions
    union all
    select * from expiries

),

-- Each member's movements in order: expiries at 00:00 first, then earnings before spending at
-- the same instant. earned_so_far is what the member has earned up to and including the row,
-- removal_seq how many removals (movements other than earnings) it is or follows.
ordered_movements as (

    select
        movements.*,
        row_number() over member_movements as movement_seq,
        sum(case when movements.movement_type = 'earn' then movements.points_requested else 0 end)
            over (member_movements rows between unbounded preceding and current row)
            as earned_so_far,
        cast(
            sum(case when movements.movement_type = 'earn' then 0 else 1 end)
                over (member_movements rows between unbounded preceding and current row)
            as bigint
        ) as removal_seq
    from movements
    window member_movements as (
        partition by movements.member_id
        order by
            movements.movement_at,
            case movements.movement_type when 'expire' then 0 when 'earn' then 1 else 2 end,
            movements.source_id
    )

),

removals as (

    select * from ordered_movements
    where movement_type != 'earn'

),

-- removed_after: points spent, converted or expired up to and including the removal
-- (removal_seq 0: none yet). dropped_expiries counts the expiries so far that move nothing
-- (what they would expire is used already): the ledger leaves them out.
running_removed as (

    select
        member_id,
        cast(0 as bigint) as removal_seq,
        cast(0 as bigint) as removed_before,
        cast(0 as bigint) as removed_after,
        cast(0 as bigint) as dropped_expiries
    from ordered_movements
    where movement_seq = 1

    union all

    select
        removals.member_id,
        removals.removal_seq,
        previous.removed_after as removed_before,
        case
            when removals.movement_type = 'expire'
                then greatest(previous.removed_after, removals.points_requested)
            when removals.movement_type in ('spend', 'convert')
                then previous.removed_after + least(
                    removals.points_requested,
                    removals.earned_so_far - previous.removed_after
                )
            else previous.removed_after
        end as removed_after,
        previous.dropped_expiries + case
            when
                removals.movement_type = 'expire'
                and removals.points_requested <= previous.removed_after
                then 1
            else 0
        end as dropped_expiries
    from running_removed as previous
    inner join removals
        on
            previous.member_id = removals.member_id
            and previous.removal_seq + 1 = removals.removal_seq

),

ledger as (

    select
        ordered_movements.member_id,
        -- the place among the movements the ledger keeps
        ordered_movements.movement_seq - running_removed.dropped_expiries as movement_seq,
        ordered_movements.source_id,
        ordered_movements.movement_at,
        ordered_movements.movement_date,
        ordered_movements.movement_type,
        ordered_movements.campaign_code,
        case
            when ordered_movements.movement_type = 'earn' then ordered_movements.points_requested
            else running_removed.removed_before - running_removed.removed_after
        end as points,
        case
            when ordered_movements.movement_type = 'expire' then null
            else ordered_movements.points_requested
        end as points_requested,
        ordered_movements.earned_so_far - running_removed.removed_after as balance_after,
        ordered_movements.movement_type in ('spend', 'convert')
        and ordered_movements.points_requested
        > ordered_movements.earned_so_far - running_removed.removed_before as is_overspend
    from ordered_movements
    -- an earning takes the state of the last removal before it, where it stays
    inner join running_removed
        on
            ordered_movements.member_id = running_removed.member_id
            and ordered_movements.removal_seq = running_removed.removal_seq

),

final as (

    select
        {{ dbt.concat(["member_id", "'-'", "movement_type", "'-'", "source_id"]) }}
            as movement_id,
        member_id,
        movement_at,
        movement_date,
        movement_type,
        cast(points as bigint) as points,
        cast(points_requested as bigint) as points_requested,
        campaign_code,
        cast(balance_after as bigint) as balance_after,
        is_overspend,
        source_id,
        cast(movement_seq as bigint) as movement_seq
    from ledger
    -- an expiry date whose points were all used already moves nothing
    where not (movement_type = 'expire' and points = 0)

)

select * from final
