{#-
    Masking of personal data. Only models in schema `restricted` hold full phone numbers,
    e-mail addresses and real names; every other model shows them through these macros.
    Written with dbt's cross-database macros so they run on every adapter.
-#}

{#- 13812345678 -> 138****1234: operator prefix and last four digits, enough to recognise a
    number on a call without being able to dial it. Shorter values are hidden entirely. -#}
{% macro mask_phone(column) -%}
    case
        when {{ column }} is null then null
        when {{ dbt.length(column) }} >= 7
            then {{ dbt.concat(['substring(' ~ column ~ ', 1, 3)', "'****'", dbt.right(column, 4)]) }}
        else '****'
    end
{%- endmacro %}


{#- zhangwei@163.com -> z***@163.com: the first letter and the domain. Values without an @ are
    hidden entirely. -#}
{% macro mask_email(column) -%}
    case
        when {{ column }} is null then null
        when {{ dbt.position("'@'", column) }} > 1
            then {{ dbt.concat([
                'substring(' ~ column ~ ', 1, 1)',
                "'***@'",
                dbt.split_part(column, "'@'", 2),
            ]) }}
        else '***'
    end
{%- endmacro %}


{#- 张三丰 -> 张*: the family name only (one character, as most Chinese surnames are). -#}
{% macro mask_name(column) -%}
    case
        when {{ column }} is null then null
        else {{ dbt.concat(['substring(' ~ column ~ ', 1, 1)', "'*'"]) }}
    end
{%- endmacro %}
