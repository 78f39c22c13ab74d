{#-
    Text normalisation shared by every staging model: surrounding blanks removed and an empty
    string read as "no value", so downstream models only ever test for null.
-#}
{% macro clean_string(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}


{#- Codes and enum values compare upper-case, whatever case the source system typed. -#}
{% macro clean_code(column) -%}
    upper(nullif(trim({{ column }}), ''))
{%- endmacro %}
