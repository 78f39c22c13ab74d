{#-
    An instant (timestamp with time zone) as a local wall-clock `timestamp` in the warehouse
    time zone (var `timezone`, Asia/Shanghai). Dispatched so the same staging SQL runs on other
    adapters: the default is the SQL standard `at time zone`, DuckDB has its own spelling, and an
    adapter whose dialect differs again gets its own `<adapter>__to_local_ts`.
-#}
{% macro to_local_ts(column) -%}
    {{ return(adapter.dispatch('to_local_ts', 'vip_panorama')(column)) }}
{%- endmacro %}

{% macro default__to_local_ts(column) -%}
    cast(({{ column }}) at time zone '{{ var("timezone") }}' as timestamp)
{%- endmacro %}

{% macro duckdb__to_local_ts(column) -%}
    timezone('{{ var("timezone") }}', {{ column }})
{%- endmacro %}


{#- The local calendar day (Asia/Shanghai) of an instant: the business day of an event. -#}
{% macro to_local_date(column) -%}
    cast({{ to_local_ts(column) }} as date)
{%- endmacro %}
