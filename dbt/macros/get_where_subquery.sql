{#-
    dbt's test filter (the `where` config), with one placeholder: __run_window_start__ is the
    first day an incremental run rewrites (the window's first day minus late_arrival_days). A
    test of a big incremental fact then checks the days the run wrote, not all of history again;
    a full build (the default window) still checks every day.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace(
            '__run_window_start__', partition_window_start(var('late_arrival_days'))
        ) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
