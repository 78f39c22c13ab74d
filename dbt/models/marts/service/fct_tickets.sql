{#-
    One row per ticket in its latest version known on the as-of day. A ticket breaches its SLA
    when it was resolved after its due time, or is still open at the end of the as-of day
    although its due time has passed.
-#}
with

ticket_versions as (

    select * from {{ ref('stg_tickets__ticket_versions') }}

),

ticket_sla as (

    select * from {{ ref('ticket_sla') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

known_versions as (

    select
        ticket_versions.*,
        as_of.as_of_date,
        row_number() over (
            partition by ticket_versions.ticket_id
            order by ticket_versions.updated_at desc
        ) as version_recency,
        count(*) over (partition by ticket_versions.ticket_id) as version_count
    from ticket_versions
    inner join as_of on ticket_versions.updated_date <= as_of.as_of_date

),

latest_versions as (

    select
        known_versions.*,
        -- a reopened ticket (latest version OPEN) is unresolved whatever an earlier version said
        case
            when known_versions.ticket_status != 'OPEN' then known_versions.resolved_at
        end as effective_resolved_at
    from known_versions
    where known_versions.version_recency = 1

),

with_sla as (

    select
        latest_versions.*,
        ticket_sla.sla_hours,
        {{ dbt.dateadd('hour', 'ticket_sla.sla_hours', 'latest_versions.opened_at') }}
            as sla_due_at,
        -- "as of a day" means up to the end of that day
        cast({{ dbt.dateadd('day', 1, 'latest_versions.as_of_date') }} as timestamp)
            as as_of_end_at
    from latest_versions
    left join ticket_sla
        on
            latest_versions.ticket_priority = ticket_sla.ticket_priority
            and latest_versions.ticket_category = ticket_sla.ticket_category

),

final as (

    select
        with_sla.ticket_id,
        with_sla.member_id,
        with_sla.agent_id,
        with_sla.ticket_category,
        with_sla.ticket_priority,
        with_sla.ticket_status,
        with_sla.opened_at,
        with_sla.opened_date,
        with_sla.effective_resolved_at as resolved_at,
        cast(with_sla.effective_resolved_at as date) as resolved_date,
        with_sla.effective_resolved_at is not null as is_resolved,
        round(
            cast(
                {{ dbt.datediff('with_sla.opened_at', 'with_sla.effective_resolved_at', 'second') }}
                as double
            ) / 3600,
            2
        ) as resolution_hours,
        with_sla.sla_hours,
        with_sla.sla_due_at,
        case
            when with_sla.effective_resolved_at is not null
                then with_sla.effective_resolved_at > with_sla.sla_due_at
            else with_sla.sla_due_at < with_sla.as_of_end_at
        end as is_sla_breached,
        with_sla.version_count,
        with_sla.as_of_date
    from with_sla

)

select * from final
