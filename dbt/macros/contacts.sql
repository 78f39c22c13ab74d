{#-
    Date helpers of the effective information library, on dbt's cross-database macros so the
    contact models run on every adapter (and lint through a DuckDB rendering in .sqlfluff).
-#}

{#- `date_expression` moved by `days` days, as a date. -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{#- Whole days from `start_date` to `end_date` (negative when the end comes first). -#}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}


{#- A query of one row per day, `spine_date`, from `lookback_days` before `first_day` to
    `last_day` (inclusive dates written YYYY-MM-DD, known when the model compiles: the partition
    window's bounds). -#}
{% macro day_spine(first_day, last_day, lookback_days=0) -%}
    {%- set first = modules.datetime.date.fromisoformat(first_day | string)
        - modules.datetime.timedelta(days=lookback_days | int) -%}
    {%- set last = modules.datetime.date.fromisoformat(last_day | string) -%}
    {%- set day_count = [(last - first).days + 1, 1] | max -%}
    select {{ add_days("cast('" ~ first ~ "' as date)", 'series.generated_number - 1') }} as spine_date
    from ({{ dbt.generate_series(day_count) }}) as series
{%- endmacro %}


{#-
    A contact history row (fct_member_contact_history, alias `history`) that is usable on `day`:
    its period covers the day and its status is verified or unverified (an invalid value, such as
    a wrong number, is never used). One rule for every list that needs a contact channel.
-#}
{% macro is_usable_contact_on(history, day) -%}
    {{ day }} >= {{ history }}.valid_from
    and ({{ history }}.valid_to is null or {{ day }} < {{ history }}.valid_to)
    and {{ history }}.contact_status in ('verified', 'unverified')
{%- endmacro %}
