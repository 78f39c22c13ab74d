-- Daily balances and the points about to expire are never negative, and the points about to
-- expire are part of the balance.
with

balances as (

    select * from {{ ref('fct_points_balance_daily') }}

)

select *
from balances
where balance < 0 or points_expiring_next_30d < 0 or points_expiring_next_30d > balance
