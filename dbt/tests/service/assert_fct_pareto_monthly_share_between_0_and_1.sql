{#-
    Fails for every month whose top-payer share is not a share, or whose top payers are not
    a non-empty part of the paying members.
-#}
with

pareto as (

    select * from {{ ref('fct_pareto_monthly') }}

),

final as (

    select
        pareto.month_start_date,
        pareto.top_payers,
        pareto.paying_members,
        pareto.top_payers_consumption_share
    from pareto
    where
        pareto.top_payers_consumption_share not between 0 and 1
        or pareto.top_payers < 1
        or pareto.top_payers > pareto.paying_members
        or pareto.top_payers_consumption_cny > pareto.consumption_cny

)

select * from final
