{#-
    The days an incremental model rebuilds in one run: the partition window Dagster hands over
    (vars `min_date` .. `max_date`, inclusive local dates), widened back by `lookback_days` so
    that rows delivered late, or rolling windows reaching into earlier days, are recomputed.
    Every incremental model filters its input with the same pair of bounds (also on its first
    build), which is what makes a day-by-day build equal to one full refresh.
-#}
{% macro partition_window_start(lookback_days=0) -%}
    cast({{ dbt.dateadd('day', -1 * (lookback_days | int), "cast('" ~ var('min_date') ~ "' as date)") }} as date)
{%- endmacro %}


{% macro partition_window_end() -%}
    cast('{{ var("max_date") }}' as date)
{%- endmacro %}


{#- `column` between the window's first day (lookback included) and its last day. -#}
{% macro in_partition_window(column, lookback_days=0) -%}
    {{ column }} between {{ partition_window_start(lookback_days) }} and {{ partition_window_end() }}
{%- endmacro %}


{#-
    Pre-hook of a table rebuilt by day: an incremental run first deletes the rows of its window
    days, so a day that now yields no rows does not keep its old ones (delete+insert alone only
    replaces the days present in the new rows).
-#}
{% macro delete_window_rows(date_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_partition_window(date_column) }}
    {%- endif -%}
{%- endmacro %}
