{#-
    The Pareto view of each month: how much of the month's consumption comes from its top
    payers (the var pareto_top_payer_share of paying members, rounded up, ranked by the
    month's consumption). Months run up to the as-of day; the current one is marked incomplete.
-#}
with

consumption as (

    select * from {{ ref('stg_consumption__transactions') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

member_months as (

    select
        consumption.member_id,
        cast(
            {{ dbt.date_trunc('month', 'consumption.consumed_date') }} as date
        ) as month_start_date,
        sum(consumption.amount_cny) as consumption_cny
    from consumption
    inner join as_of on consumption.consumed_date <= as_of.as_of_date
    group by
        consumption.member_id,
        cast({{ dbt.date_trunc('month', 'consumption.consumed_date') }} as date)

),

ranked as (

    select
        member_months.*,
        row_number() over (
            partition by member_months.month_start_date
            order by member_months.consumption_cny desc, member_months.member_id asc
        ) as payer_rank,
        count(*) over (partition by member_months.month_start_date) as paying_members
    from member_months
    where member_months.consumption_cny > 0

),

flagged as (

    select
        ranked.*,
        ceil(ranked.paying_members * {{ var('pareto_top_payer_share') }}) as top_payers
    from ranked

),

months as (

    select
        flagged.month_start_date,
        max(flagged.paying_members) as paying_members,
        max(flagged.top_payers) as top_payers,
        sum(flagged.consumption_cny) as consumption_cny,
        sum(
            case when flagged.payer_rank <= flagged.top_payers then flagged.consumption_cny end
        ) as top_payers_consumption_cny
    from flagged
    group by flagged.month_start_date

),

final as (

    select
        months.month_start_date,
        cast(months.paying_members as integer) as paying_members,
        cast(months.top_payers as integer) as top_payers,
        cast(months.consumption_cny as decimal(18, 2)) as consumption_cny,
        cast(months.top_payers_consumption_cny as decimal(18, 2)) as top_payers_consumption_cny,
        cast(months.top_payers_consumption_cny as double)
        / nullif(cast(months.consumption_cny as double), 0) as top_payers_consumption_share,
        cast({{ dbt.dateadd('month', 1, 'months.month_start_date') }} as date)
        <= cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as date) as is_month_complete,
        as_of.as_of_date
    from months
    cross join as_of

)

select * from final
