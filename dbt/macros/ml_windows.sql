{#-
    Rolling sums as running sums of deltas (marts/ml/feat_member_daily). The window of `days`
    days ending `offset` days before as_of_date holds the values of the days
    as_of_date - offset - days + 1 .. as_of_date - offset. `expression` reads a day's values
    through the alias placeholder {v}.

    window_sum_opening: the window's sum on the first day a run computes, as an aggregate over
    the member's days with a value (alias counted_days); `days_back_column` holds how many days
    before that first day each value's day lies.

    window_sum_delta: on each later day, what the window gains and loses: the value of the day
    `offset` days before (it enters the window) less the value of the day offset + days days
    before (it leaves it), read through the aliases values_<offset>. The opening sum plus the
    running sum of these deltas up to a day is the window's sum on that day.
-#}
{% macro window_sum_opening(expression, days, offset, days_back_column) -%}
    sum(
        case
            when {{ days_back_column }} between {{ offset }} and {{ offset + days - 1 }}
                then {{ expression | replace('{v}', 'counted_days') }}
            else 0
        end
    )
{%- endmacro %}


{% macro window_sum_delta(expression, days, offset=0) -%}
    coalesce({{ expression | replace('{v}', 'values_' ~ offset) }}, 0)
    - coalesce({{ expression | replace('{v}', 'values_' ~ (offset + days)) }}, 0)
{%- endmacro %}


{#- The dense path (a run rewriting many days): a rolling sum over the member's dense day rows
    (one row per member and day, alias `grid`), ending `offset` days before the row's day. -#}
{% macro member_window_sum(expression, days, offset=0) -%}
    sum({{ expression }}) over (
        partition by grid.member_id
        order by grid.as_of_date
        rows between {{ days + offset - 1 }} preceding and
        {{- ' ' ~ offset ~ ' preceding' if offset else ' current row' }}
    )
{%- endmacro %}
