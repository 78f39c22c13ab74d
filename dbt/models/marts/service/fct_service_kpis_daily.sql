{#-
    The service department's KPIs per day. Ticket counts follow the day a ticket was opened or
    resolved; the resolution rate is the share of the day's new tickets resolved by the as-of
    day. Value-added revenue of a day: what the members reached by an outbound contact that day
    consumed in the following days (var service_value_added_window_days); a member reached on
    two days counts on both, so the column is not summed across days.
-#}
with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

tickets as (

    select * from {{ ref('fct_tickets') }}

),

surveys as (

    select * from {{ ref('fct_survey_responses') }}

),

reach_days as (

    select * from {{ ref('int_outbound_reach_days_valued') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

service_days as (

    select contacts.contacted_date as kpi_date from contacts
    union
    select tickets.opened_date as kpi_date from tickets
    union
    select tickets.resolved_date as kpi_date
    from tickets
    where tickets.is_resolved
    union
    select surveys.answered_date as kpi_date from surveys

),

opened as (

    select
        tickets.opened_date as kpi_date,
        count(*) as tickets_opened,
        sum(case when tickets.is_resolved then 1 else 0 end) as tickets_opened_resolved,
        sum(case when tickets.is_sla_breached then 1 else 0 end) as tickets_opened_sla_breached
    from tickets
    group by tickets.opened_date

),

resolved as (

    select
        tickets.resolved_date as kpi_date,
        count(*) as tickets_resolved
    from tickets
    where tickets.is_resolved
    group by tickets.resolved_date

),

outbound as (

    select
        contacts.contacted_date as kpi_date,
        count(*) as outbound_contacts,
        sum(case when contacts.is_reached then 1 else 0 end) as outbound_reached
    from contacts
    where contacts.is_outbound
    group by contacts.contacted_date

),

satisfaction as (

    select
        surveys.answered_date as kpi_date,
        count(*) as surveys_answered,
        avg(surveys.satisfaction_score) as satisfaction_avg,
        avg(case when surveys.is_satisfied then 1.0 else 0.0 end) as satisfied_share
    from surveys
    group by surveys.answered_date

),

value_added as (

    select
        reach_days.contacted_date as kpi_date,
        count(*) as contacted_members,
        sum(reach_days.value_added_cny) as value_added_revenue_cny
    from reach_days
    group by reach_days.contacted_date

),

final as (

    select
        service_days.kpi_date,
        coalesce(opened.tickets_opened, 0) as tickets_opened,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        coalesce(opened.tickets_opened_resolved, 0) as tickets_opened_resolved,
        cast(opened.tickets_opened_resolved as double)
        / nullif(opened.tickets_opened, 0) as resolution_rate,
        coalesce(opened.tickets_opened_sla_breached, 0) as tickets_opened_sla_breached,
        coalesce(outbound.outbound_contacts, 0) as outbound_contacts,
        coalesce(outbound.outbound_reached, 0) as outbound_reached,
        cast(outbound.outbound_reached as double)
        / nullif(outbound.outbound_contacts, 0) as reach_rate,
        coalesce(satisfaction.surveys_answered, 0) as surveys_answered,
        satisfaction.satisfaction_avg,
        satisfaction.satisfied_share,
        coalesce(value_added.contacted_members, 0) as contacted_members,
        cast(coalesce(value_added.value_added_revenue_cny, 0) as decimal(18, 2))
            as value_added_revenue_cny,
        cast({{ dbt.dateadd('day', var('service_value_added_window_days'),
            'service_days.kpi_date') }} as date)
        <= as_of.as_of_date as is_value_added_complete,
        as_of.as_of_date
    from service_days
    cross join as_of
    left join opened on service_days.kpi_date = opened.kpi_date
    left join resolved on service_days.kpi_date = resolved.kpi_date
    left join outbound on service_days.kpi_date = outbound.kpi_date
    left join satisfaction on service_days.kpi_date = satisfaction.kpi_date
    left join value_added on service_days.kpi_date = value_added.kpi_date

)

select * from final
