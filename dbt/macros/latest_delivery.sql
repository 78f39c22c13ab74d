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
