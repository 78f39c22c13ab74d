{#-
    G-point balance per member at the end of every day with a ledger movement. A balance holds
    until the next such day (valid_to), so "balance as of day D" is the row with
    balance_date <= D <= coalesce(valid_to, D). points_expiring_next_30d are the points
    of that balance which expire within points_expiry_warning_days after balance_date unless
    spent first (macro points_expiring_after); for a later day of the same balance, call the
    macro with that day.
-#}

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
        cast(closing_balances.earned_through_day as bigint) as points_earned_to_date,
        cast({{ points_expiring_after(
            'closing_balances.member_id',
            'closing_balances.earned_through_day - closing_balances.balance',
            'closing_balances.balance_date'
        ) }} as bigint) as points_expiring_next_30d
    from closing_balances

)

select * from final
