{#-
    Rolling sum of `expression` over a member's dense day rows (one row per member and day,
    alias `grid`): the `days` days ending `offset` days before the row's day (offset 0 = the
    window ends on the row's day itself). Used by marts/ml/feat_member_daily.
-#}
{% macro member_window_sum(expression, days, offset=0) -%}
    sum({{ expression }}) over (
        partition by grid.member_id
        order by grid.as_of_date
        rows between {{ days + offset - 1 }} preceding and
        {{- ' ' ~ offset ~ ' preceding' if offset else ' current row' }}
    )
{%- endmacro %}
