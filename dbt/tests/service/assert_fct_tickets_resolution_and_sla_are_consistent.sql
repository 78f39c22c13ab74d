{#-
    Fails for every ticket whose resolution fields disagree, whose resolution time is negative,
    or whose SLA breach flag does not follow the rule (resolved late, or open past the due
    time at the end of the as-of day).
-#}
with

tickets as (

    select * from {{ ref('fct_tickets') }}

),

final as (

    select
        tickets.ticket_id,
        tickets.resolved_at,
        tickets.resolution_hours,
        tickets.sla_due_at,
        tickets.is_sla_breached
    from tickets
    where
        (
            tickets.is_resolved
            and (tickets.resolved_at is null or tickets.resolution_hours is null)
        )
        or (not tickets.is_resolved and tickets.resolved_at is not null)
        or tickets.resolution_hours < 0
        or (
            tickets.is_resolved
            and tickets.is_sla_breached != (tickets.resolved_at > tickets.sla_due_at)
        )
        or (
            not tickets.is_resolved
            and tickets.is_sla_breached != (
                tickets.sla_due_at
                < cast({{ dbt.dateadd('day', 1, 'tickets.as_of_date') }} as timestamp)
            )
        )

)

select * from final
