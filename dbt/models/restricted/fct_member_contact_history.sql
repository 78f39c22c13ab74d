{#-
    The effective information library as a slowly changing history: one row per period in which
    a member's best phone (or e-mail), its status, reason, source and last verification stayed
    the same. Derived from the dated candidates, so a backfill rebuilds the full history.
    valid_to is exclusive (the next period's valid_from); the current period has none.
-#}
with

resolved as (

    select * from {{ ref('int_member_contacts_resolved') }}

),

keyed as (

    select
        resolved.*,
        coalesce(resolved.contact_value, '')
        || '|' || resolved.contact_status
        || '|' || resolved.status_reason
        || '|' || coalesce(resolved.contact_source, '')
        || '|' || coalesce(cast(resolved.last_verified_date as varchar), '') as state_key
    from resolved

),

state_changes as (

    select
        keyed.*,
        case
            when
                lag(keyed.state_key) over (
                    partition by keyed.member_id, keyed.contact_type
                    order by keyed.change_date
                ) = keyed.state_key
                then 0
            else 1
        end as starts_period
    from keyed

),

numbered as (

    select
        state_changes.*,
        sum(state_changes.starts_period) over (
            partition by state_changes.member_id, state_changes.contact_type
            order by state_changes.change_date
            rows between unbounded preceding and current row
        ) as period_number
    from state_changes

),

periods as (

    select
        numbered.member_id,
        numbered.contact_type,
        numbered.period_number,
        min(numbered.change_date) as valid_from,
        max(numbered.contact_value) as contact_value,
        max(numbered.contact_status) as contact_status,
        max(numbered.status_reason) as status_reason,
        max(numbered.contact_source) as contact_source,
        max(numbered.last_verified_date) as last_verified_date
    from numbered
    group by numbered.member_id, numbered.contact_type, numbered.period_number

),

final as (

    select
        periods.member_id,
        periods.contact_type,
        periods.contact_value,
        case
            when periods.contact_type = 'phone' then {{ mask_phone('periods.contact_value') }}
            else {{ mask_email('periods.contact_value') }}
        end as contact_value_masked,
        periods.contact_status,
        periods.status_reason,
        periods.contact_source,
        periods.last_verified_date,
        periods.valid_from,
        lead(periods.valid_from) over (
            partition by periods.member_id, periods.contact_type
            order by periods.valid_from
        ) as valid_to,
        lead(periods.valid_from) over (
            partition by periods.member_id, periods.contact_type
            order by periods.valid_from
        ) is null as is_current
    from periods

)

select * from final
