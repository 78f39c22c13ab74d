{#- Fails for every day whose rates or shares fall outside 0..1 or whose counts disagree. -#}
with

kpis as (

    select * from {{ ref('fct_service_kpis_daily') }}

),

final as (

    select
        kpis.kpi_date,
        kpis.resolution_rate,
        kpis.reach_rate,
        kpis.satisfied_share
    from kpis
    where
        kpis.resolution_rate not between 0 and 1
        or kpis.reach_rate not between 0 and 1
        or kpis.satisfied_share not between 0 and 1
        or kpis.satisfaction_avg not between 1 and 5
        or kpis.tickets_opened_resolved > kpis.tickets_opened
        or kpis.outbound_reached > kpis.outbound_contacts
        or kpis.value_added_revenue_cny < 0

)

select * from final
