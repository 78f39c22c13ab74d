{#-
    Per agent and day: contacts handled and reached, tickets resolved, and the satisfaction of
    the surveys answered that day about the agent's contacts. One row per agent and day with
    any of these; automated pushes (no agent) are left out.
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

agents as (

    select * from {{ ref('agents') }}

),

handled as (

    select
        contacts.agent_id,
        contacts.contacted_date as kpi_date,
        count(*) as contacts_handled,
        sum(case when contacts.is_reached then 1 else 0 end) as contacts_reached
    from contacts
    where contacts.agent_id is not null
    group by contacts.agent_id, contacts.contacted_date

),

resolved as (

    select
        tickets.agent_id,
        tickets.resolved_date as kpi_date,
        count(*) as tickets_resolved,
        sum(case when tickets.is_sla_breached then 1 else 0 end) as tickets_resolved_late
    from tickets
    where tickets.is_resolved and tickets.agent_id is not null
    group by tickets.agent_id, tickets.resolved_date

),

rated as (

    select
        surveys.agent_id,
        surveys.answered_date as kpi_date,
        count(*) as surveys_answered,
        avg(surveys.satisfaction_score) as satisfaction_avg
    from surveys
    where surveys.agent_id is not null
    group by surveys.agent_id, surveys.answered_date

),

agent_days as (

    select
        handled.agent_id,
        handled.kpi_date
    from handled
    union
    select
        resolved.agent_id,
        resolved.kpi_date
    from resolved
    union
    select
        rated.agent_id,
        rated.kpi_date
    from rated

),

final as (

    select
        agent_days.agent_id,
        agent_days.kpi_date,
        agents.team as agent_team,
        coalesce(handled.contacts_handled, 0) as contacts_handled,
        coalesce(handled.contacts_reached, 0) as contacts_reached,
        cast(handled.contacts_reached as double)
        / nullif(handled.contacts_handled, 0) as reach_rate,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        coalesce(resolved.tickets_resolved_late, 0) as tickets_resolved_late,
        coalesce(rated.surveys_answered, 0) as surveys_answered,
        rated.satisfaction_avg
    from agent_days
    left join agents on agent_days.agent_id = agents.agent_id
    left join handled
        on
            agent_days.agent_id = handled.agent_id
            and agent_days.kpi_date = handled.kpi_date
    left join resolved
        on
            agent_days.agent_id = resolved.agent_id
            and agent_days.kpi_date = resolved.kpi_date
    left join rated
        on
            agent_days.agent_id = rated.agent_id
            and agent_days.kpi_date = rated.kpi_date

)

select * from final
