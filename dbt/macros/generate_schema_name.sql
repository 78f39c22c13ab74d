{#-
    Schemas are named plainly after the layer (`staging`, `intermediate`, `marts`, `reference`,
    `snapshots`) instead of dbt's default `<target schema>_<custom schema>`, so analysts and
    Dagster asset keys see the same names in every environment.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
