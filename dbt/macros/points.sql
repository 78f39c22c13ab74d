{#-
    The G-points of a balance that expire within points_expiry_warning_days after as_of_date
    unless spent first. Points are used first-in-first-out, so what is left of the lots expiring
    by then is their earnings minus everything removed so far (spent, converted, expired),
    never below zero. removed_points: the member's removals up to as_of_date (earned - balance).
-#}
{% macro points_expiring_after(member_id, removed_points, as_of_date) -%}
greatest(
    coalesce((
        select sum(earn_lots.points)
        from {{ ref('fct_points_ledger') }} as earn_lots
        where
            earn_lots.member_id = {{ member_id }}
            and earn_lots.movement_type = 'earn'
            and cast(
                {{ dbt.dateadd('month', var('points_validity_months'), 'earn_lots.movement_date') }}
                as date
            )
            <= cast({{ dbt.dateadd('day', var('points_expiry_warning_days'), as_of_date) }} as date)
    ), 0)
    - ({{ removed_points }}),
    0
)
{%- endmacro %}
