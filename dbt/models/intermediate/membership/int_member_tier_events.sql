{#-
    The tier engine: every change of a member's tier, as events (initial / upgrade /
    quarterly_downgrade / retained), from daily consumption and the rules in seed tiers.

    The rule is sequential only at quarter ends (a downgrade restarts the consumption count),
    so the recursion runs over quarters, not days: per member and quarter it carries the tier
    held at the start and the day consumption is counted from. Inside a quarter the tier is a
    running maximum (it can only go up), computed with window functions.
-#}

with recursive

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

tier_seed as (

    select * from {{ ref('tiers') }}

),

tiers as (

    select
        tier_code,
        tier_rank,
        upgrade_threshold_cny,
        upgrade_threshold_cny * retention_share as retention_cny
    from tier_seed

),

lowest_tier as (

    select min(tier_rank) as tier_rank from tiers

),

member_starts as (

    select
        member_id,
        min(activity_date) as first_activity_date
    from daily_activity
    group by member_id

),

consumption_days as (

    select
        member_id,
        activity_date,
        consumption_cny,
        cast({{ dbt.date_trunc('quarter', 'activity_date') }} as date) as quarter_start,
        sum(consumption_cny) over (
            partition by member_id
            order by activity_date
            rows between unbounded preceding and current row
        ) as cumulative_cny,
        sum(consumption_cny) over (
            partition by member_id
            order by activity_date
            range between
            interval '{{ (var("tier_rolling_consumption_days") | int) - 1 }}' day preceding
            and current row
        ) as rolling_cny
    from daily_activity
    where consumption_cny > 0

),

-- Quarters come from the data: every quarter holding a day of activity (all of them, in practice).
calendar_quarters as (

    select distinct cast({{ dbt.date_trunc('quarter', 'activity_date') }} as date) as quarter_start
    from daily_activity

),

quarter_consumption as (

    select
        member_id,
        quarter_start,
        sum(consumption_cny) as consumption_cny
    from consumption_days
    group by member_id, quarter_start

),

member_quarters as (

    select
        member_starts.member_id,
        calendar_quarters.quarter_start,
        coalesce(quarter_consumption.consumption_cny, 0) as quarter_consumption_cny,
        coalesce(
            sum(quarter_consumption.consumption_cny) over (
                partition by member_starts.member_id
                order by calendar_quarters.quarter_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as consumed_before_quarter_cny,
        row_number() over (
            partition by member_starts.member_id
            order by calendar_quarters.quarter_start
        ) as quarter_number
    from member_starts
    inner join calendar_quarters
        on
            calendar_quarters.quarter_start
            >= cast({{ dbt.date_trunc('quarter', 'member_starts.first_activity_date') }} as date)
    left join quarter_consumption
        on
            member_starts.member_id = quarter_consumption.member_id
            and calendar_quarters.quarter_start = quarter_consumption.quarter_start

),

-- The highest tier consumption alone reaches in each quarter, for every quarter start the count
-- may run from (a downgrade restarts it at the start of the next quarter). Consumption is never
-- negative, so "the last 365 days, but not before counted_from" is the smaller of the two sums.
quarter_peaks as (

    select
        consumption_days.member_id,
        consumption_days.quarter_start,
        count_start.quarter_start as counted_from,
        max(tiers.tier_rank) as peak_tier_rank
    from consumption_days
    inner join member_quarters as count_start
        on
            consumption_days.member_id = count_start.member_id
            and consumption_days.quarter_start >= count_start.quarter_start
    inner join tiers
        on
            tiers.upgrade_threshold_cny <= least(
                consumption_days.rolling_cny,
                consumption_days.cumulative_cny - count_start.consumed_before_quarter_cny
            )
    group by consumption_days.member_id, consumption_days.quarter_start, count_start.quarter_start

),

-- One row per member and quarter: the tier held on its first day and where the count starts.
-- A quarter is followed by the next one only once it is over (the next holds data), so the
-- current quarter is never judged early.
tier_quarters as (

    select
        member_quarters.member_id,
        member_quarters.quarter_number,
        member_quarters.quarter_start,
        member_quarters.quarter_consumption_cny,
        lowest_tier.tier_rank as tier_rank_at_start,
        member_quarters.quarter_start as counted_from,
        cast(0 as decimal(18, 2)) as consumed_before_count_cny
    from member_quarters
    cross join lowest_tier
    where member_quarters.quarter_number = 1

    union all

    select
        member_id,
        quarter_number,
        quarter_start,
        quarter_consumption_cny,
        case when is_downgraded then held_tier_rank - 1 else held_tier_rank end
            as tier_rank_at_start,
        case when is_downgraded then quarter_start else counted_from end as counted_from,
        case
            when is_downgraded then consumed_before_quarter_cny else consumed_before_count_cny
        end as consumed_before_count_cny
    from (
        select
            next_quarter.member_id,
            next_quarter.quarter_number,
            next_quarter.quarter_start,
            next_quarter.quarter_consumption_cny,
            next_quarter.consumed_before_quarter_cny,
            previous.counted_from,
            previous.consumed_before_count_cny,
            held.tier_rank as held_tier_rank,
            previous.quarter_consumption_cny < held.retention_cny as is_downgraded
        from tier_quarters as previous
        inner join member_quarters as next_quarter
            on
                previous.member_id = next_quarter.member_id
                and previous.quarter_number + 1 = next_quarter.quarter_number
        left join quarter_peaks
            on
                previous.member_id = quarter_peaks.member_id
                and previous.quarter_start = quarter_peaks.quarter_start
                and previous.counted_from = quarter_peaks.counted_from
        inner join tiers as held
            on
                held.tier_rank
                = greatest(previous.tier_rank_at_start, coalesce(quarter_peaks.peak_tier_rank, 0))
    ) as judged

),

-- Each consumption day, with the consumption counted towards the tier and the tier it reaches.
counted_days as (

    select
        consumption_days.member_id,
        consumption_days.activity_date,
        consumption_days.quarter_start,
        tier_quarters.tier_rank_at_start,
        tier_quarters.counted_from,
        least(
            consumption_days.rolling_cny,
            consumption_days.cumulative_cny - tier_quarters.consumed_before_count_cny
        ) as counted_consumption_cny
    from consumption_days
    inner join tier_quarters
        on
            consumption_days.member_id = tier_quarters.member_id
            and consumption_days.quarter_start = tier_quarters.quarter_start

),

reached_days as (

    select
        counted_days.member_id,
        counted_days.activity_date,
        counted_days.quarter_start,
        counted_days.tier_rank_at_start,
        counted_days.counted_from,
        counted_days.counted_consumption_cny,
        max(tiers.tier_rank) as reached_tier_rank
    from counted_days
    inner join tiers
        on counted_days.counted_consumption_cny >= tiers.upgrade_threshold_cny
    group by
        counted_days.member_id,
        counted_days.activity_date,
        counted_days.quarter_start,
        counted_days.tier_rank_at_start,
        counted_days.counted_from,
        counted_days.counted_consumption_cny

),

-- Inside a quarter the tier only goes up: a running maximum from the tier held at its start.
tier_days as (

    select
        member_id,
        activity_date,
        quarter_start,
        tier_rank_at_start,
        counted_from,
        counted_consumption_cny,
        greatest(
            tier_rank_at_start,
            max(reached_tier_rank) over (
                partition by member_id, quarter_start
                order by activity_date
                rows between unbounded preceding and current row
            )
        ) as tier_rank
    from reached_days

),

upgrades as (

    select
        ranked_days.member_id,
        ranked_days.activity_date as event_date,
        ranked_days.tier_rank,
        ranked_days.counted_from,
        ranked_days.counted_consumption_cny
    from (
        select
            tier_days.*,
            lag(tier_days.tier_rank, 1, tier_days.tier_rank_at_start) over (
                partition by tier_days.member_id, tier_days.quarter_start
                order by tier_days.activity_date
            ) as previous_tier_rank
        from tier_days
    ) as ranked_days
    where ranked_days.tier_rank > ranked_days.previous_tier_rank

),

-- The judgement at each quarter end that is over: the tier held at its end against the tier
-- the next quarter starts with (one lower after a downgrade).
quarter_ends as (

    select
        tier_quarters.member_id,
        next_quarter.quarter_start as event_date,
        held.tier_rank as held_tier_rank,
        next_quarter.tier_rank_at_start as tier_rank,
        next_quarter.counted_from,
        tier_quarters.quarter_consumption_cny,
        held.retention_cny
    from tier_quarters
    inner join tier_quarters as next_quarter
        on
            tier_quarters.member_id = next_quarter.member_id
            and tier_quarters.quarter_number + 1 = next_quarter.quarter_number
    left join quarter_peaks
        on
            tier_quarters.member_id = quarter_peaks.member_id
            and tier_quarters.quarter_start = quarter_peaks.quarter_start
            and tier_quarters.counted_from = quarter_peaks.counted_from
    inner join tiers as held
        on
            held.tier_rank
            = greatest(tier_quarters.tier_rank_at_start, coalesce(quarter_peaks.peak_tier_rank, 0))
    cross join lowest_tier
    where held.tier_rank > lowest_tier.tier_rank

),

events as (

    select
        member_starts.member_id,
        member_starts.first_activity_date as event_date,
        lowest_tier.tier_rank,
        'initial' as reason,
        0 as event_order,
        cast({{ dbt.date_trunc('quarter', 'member_starts.first_activity_date') }} as date)
            as counted_from,
        cast(null as decimal(18, 2)) as counted_consumption_cny,
        cast(null as decimal(18, 2)) as quarter_consumption_cny,
        cast(null as decimal(18, 2)) as retention_cny
    from member_starts
    cross join lowest_tier

    union all

    -- Quarter-end judgements take effect at 00:00 of the next quarter, before that day's upgrades.
    select
        member_id,
        event_date,
        tier_rank,
        case when tier_rank < held_tier_rank then 'quarterly_downgrade' else 'retained' end
            as reason,
        1 as event_order,
        counted_from,
        cast(null as decimal(18, 2)) as counted_consumption_cny,
        quarter_consumption_cny,
        retention_cny
    from quarter_ends

    union all

    select
        member_id,
        event_date,
        tier_rank,
        'upgrade' as reason,
        2 as event_order,
        counted_from,
        counted_consumption_cny,
        cast(null as decimal(18, 2)) as quarter_consumption_cny,
        cast(null as decimal(18, 2)) as retention_cny
    from upgrades

),

final as (

    select
        events.member_id,
        events.event_date,
        events.event_order,
        tiers.tier_code,
        events.tier_rank,
        events.reason,
        events.counted_from as consumption_counted_from,
        cast(events.counted_consumption_cny as decimal(18, 2)) as counted_consumption_cny,
        cast(events.quarter_consumption_cny as decimal(18, 2)) as quarter_consumption_cny,
        cast(events.retention_cny as decimal(18, 2)) as retention_cny
    from events
    inner join tiers
        on events.tier_rank = tiers.tier_rank

)

select * from final
