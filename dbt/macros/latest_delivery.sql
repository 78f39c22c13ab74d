{#-
    Keeps one row per natural key: the latest delivery wins (latest landing day, then latest
    load, then the later line of the file). Rows arrive late and twice by design; raw keeps
    every delivery and staging shows the current one.

    `relation` is a CTE or relation carrying the key columns and the raw delivery columns
    `_landing_date`, `_loaded_at` and `_line`. The result keeps every column of `relation` plus
    `_delivery_rank` (always 1), which the calling model's final CTE leaves out.
    Written with a subquery rather than `qualify` so that it runs on every adapter.
-#}
{% macro latest_delivery(relation, key_columns) -%}
    select ranked.*
    from (
        select
            candidates.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    candidates._landing_date desc,
                    candidates._loaded_at desc,
                    candidates._line desc
            ) as _delivery_rank
        from {{ relation }} as candidates
    ) as ranked
    where ranked._delivery_rank = 1
{%- endmacro %}


{#-
    The deliveries an incremental staging table recomputes in one run: every delivery of each
    natural key it touches, so the latest delivery still wins when an older day is re-run after
    later ones. A run touches the keys (re)delivered in the partition window, and the keys whose
    current row came from a delivery of the window: a day delivered again without a key then
    falls back to that key's older delivery, or (strategy replace_window_deliveries below)
    drops the row. On a first build, a full refresh or the default all-history window, that is
    every delivery. With latest_delivery on top, the staging table ends as it would from
    scratch, and each run reads raw only for the keys it touches.
-#}
{% macro deliveries_of_window_keys(relation, key_columns) -%}
    select delivered.*
    from {{ relation }} as delivered
    {%- if is_incremental() %}
        where exists (
            select 1
            from (
                select {{ key_columns | join(', ') }}
                from {{ relation }} as in_window
                where {{ in_partition_window('in_window._landing_date') }}
                union
                select {{ key_columns | join(', ') }}
                from {{ this }} as current_rows
                where {{ in_partition_window('current_rows.landing_date') }}
            ) as touched
            where
                {%- for key in key_columns %}
                {{ 'and ' if not loop.first }}touched.{{ key }} = delivered.{{ key }}
                {%- endfor %}
        )
    {%- endif %}
{%- endmacro %}


{#-
    The incremental strategy of the staging tables: delete+insert on the natural key, after
    deleting every current row that came from a delivery of the window. Those keys were all
    recomputed (deliveries_of_window_keys), so each comes back unless no delivery of it is left:
    a day delivered again without a row drops that row, as a full refresh would.
-#}
{% macro get_incremental_replace_window_deliveries_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ in_partition_window('landing_date') }};
    {{ get_incremental_delete_insert_sql(arg_dict) }}
{%- endmacro %}
