{#-
    Helpers of the daily action lists (actions domain): the contact-policy values of seed
    contact_policy, and a stable pseudo-random number for holdouts.
-#}

{#- The value of one rule of seed contact_policy, as a scalar subquery (null when absent). -#}
{% macro contact_policy_value(policy_key) -%}
    (
        select contact_policy.policy_value
        from {{ ref('contact_policy') }} as contact_policy
        where contact_policy.policy_key = {{ policy_key }}
    )
{%- endmacro %}


{#- A number in [0, 1) fixed by the text of `expression`: the first six hex digits of its md5
    (dbt.hash) read as a fraction. The same member and list always draw the same number, on
    every run and every engine (built from cross-database macros only, no dispatch). -#}
{% macro stable_unit_interval(expression, digits=6) -%}
    {%- set hashed = dbt.hash(expression) -%}
    (
    {%- for position in range(digits) %}
        {{ '+ ' if not loop.first }}({{ dbt.position(
            'substring(' ~ hashed ~ ', ' ~ (position + 1) ~ ', 1)', "'0123456789abcdef'"
        ) }} - 1) * {{ 16 ** (digits - 1 - position) }}
    {%- endfor %}
    ) / {{ 16 ** digits }}.0
{%- endmacro %}
