{#-
    G-point balance per member at the end of every day with a ledger movement. A balance holds
    until the next such day (valid_to), so "balance as of day D" is the row with
    balance_date <= D <= coalesce(valid_to, D). points_expiring_next_30d are the points
    of that balance which expire within points_expiry_warning_days after balance_date unless
    spent first (FIFO spends the oldest points first).
-#}
{%- set validity_months = var('points_validity_months') -%}
{%- set warning_days = var('points_expiry_warning_days') -%}

with

points_ledger as (

    select * from {{ ref('fct_points_ledger') }}

),

balance_days as (

    select
        member_id,
        movement_date as balance_date,
        sum(case when movement_type = 'earn' then points else 0 end) as points_earned,
        -sum(case when movement_type = 'spend' then points else 0 end) as points_spent,
        -sum(case when movement_type = 'convert' then points else 0 end) as points_converted,
        -sum(case when movement_type = 'expire' then points else 0 end) as points_expired,
        sum(case when is_overspend then 1 else 0 end) as overspend_count,
        max(movement_seq) as last_movement_seq
    from points_ledger
    group by member_id, movement_date

),

closing_balances as (

    select
        balance_days.*,
        points_ledger.balance_after as balance,
        sum(balance_days.points_earned) over (
            partition by balance_days.member_id
            order by balance_days.balance_date
            rows between unbounded preceding and current row
        ) as earned_through_day,
        lead(balance_days.balance_date) over (
            partition by balance_days.member_id order by balance_days.balance_date
        ) as next_balance_date
    from balance_days
    inner join points_ledger
        on
            balance_days.member_id = points_ledger.member_id
            and balance_days.last_movement_seq = points_ledger.movement_seq

),

-- Points earned on day e expire points_validity_months later; the lots expiring by the end of
-- the warning window are those earned up to the last such day, and what is left of them is
-- their cumulative earnings minus everything removed so far (earned - balance).
expiring as (

    select
        closing_balances.member_id,
        closing_balances.balance_date,
        max(earned_lots.earned_through_day) as earned_through_expiring_lots
    from closing_balances
    inner join closing_balances as earned_lots
        on
            closing_balances.member_id = earned_lots.member_id
            and earned_lots.points_earned > 0
            and cast(
                {{ dbt.dateadd('month', validity_months, 'earned_lots.balance_date') }}
                as date
            )
            <= cast(
                {{ dbt.dateadd('day', warning_days, 'closing_balances.balance_date') }}
                as date
            )
    group by closing_balances.member_id, closing_balances.balance_date

),

final as (

    select
        closing_balances.member_id,
        closing_balances.balance_date,
        cast(
            {{ dbt.dateadd('day', -1, 'closing_balances.next_balance_date') }} as date
        ) as valid_to,
        cast(closing_balances.balance as bigint) as balance,
        cast(closing_balances.points_earned as bigint) as points_earned,
        cast(closing_balances.points_spent as bigint) as points_spent,
        cast(closing_balances.points_converted as bigint) as points_converted,
        cast(closing_balances.points_expired as bigint) as points_expired,
        cast(closing_balances.overspend_count as bigint) as overspend_count,
        cast(
            greatest(
                coalesce(expiring.earned_through_expiring_lots, 0)
                - (closing_balances.earned_through_day - closing_balances.balance),
                0
            ) as bigint
        ) as points_expiring_next_30d
    from closing_balances
    left join expiring
        on
            closing_balances.member_id = expiring.member_id
            and closing_balances.balance_date = expiring.balance_date

)

select * from final
