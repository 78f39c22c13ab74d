{#-
    Fails for every combination of `columns` that occurs more than once: the uniqueness test
    of a composite natural key (dbt's built-in `unique` takes one column; dbt_utils is not
    available offline).
-#}
{% test unique_key_combination(model, columns) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
