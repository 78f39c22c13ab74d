-- Every balance_after equals the running sum of the member's movements, and no balance is
-- ever negative.
with

points_ledger as (

    select * from {{ ref('fct_points_ledger') }}

),

running as (

    select
        member_id,
        movement_id,
        balance_after,
        sum(points) over (
            partition by member_id
            order by movement_seq
            rows between unbounded preceding and current row
        ) as running_sum
    from points_ledger

)

select *
from running
where balance_after != running_sum or balance_after < 0
