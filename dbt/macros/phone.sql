{#-
    Phone and e-mail cleaning for the effective information library (and anyone else who needs
    a usable contact). Placeholder numbers come from the seed `phone_placeholders` plus one
    pattern rule (var `phone_placeholder_repeat_length`: a number ending in that many copies of
    one digit, 13900000000, 15888888888 ...), so an operator extends the list without touching SQL.
-#}

{#- Regular-expression helpers, dispatched: the SQL standard has no regex, every engine its own. -#}
{% macro regex_matches(column, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'vip_panorama')(column, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(column, pattern) -%}
    ({{ column }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(column, pattern) -%}
    regexp_matches({{ column }}, '{{ pattern }}')
{%- endmacro %}


{#- Every match of `pattern` replaced (not only the first one). -#}
{% macro regex_replace_all(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'vip_panorama')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro duckdb__regex_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}


{#-
    A phone as typed reduced to its digits, without the mainland country code: separators
    (blanks, dashes, dots, brackets) removed, then a leading +86, 0086 or a bare 86 in front of
    11 digits dropped. Null for an empty value. Not yet a valid mobile: see `clean_phone`.
-#}
{% macro phone_digits(column) -%}
    {%- set stripped = regex_replace_all(column, '[[:space:]().-]', '') -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when {{ stripped }} like '+86%' then substring({{ stripped }}, 4)
        when {{ stripped }} like '0086%' then substring({{ stripped }}, 5)
        when {{ stripped }} like '86%' and {{ dbt.length(stripped) }} = 13 then substring({{ stripped }}, 3)
        else {{ stripped }}
    end
{%- endmacro %}


{#- An 11-digit mainland mobile: 1, then 3-9, then nine digits. -#}
{% macro is_mainland_mobile(digits) -%}
    coalesce({{ regex_matches(digits, '^1[3-9][0-9]{9}$') }}, false)
{%- endmacro %}


{#- A mainland landline: 0, a 2-3 digit area code, a 7-8 digit local number. -#}
{% macro is_landline(digits) -%}
    coalesce({{ regex_matches(digits, '^0[1-9][0-9]{8,10}$') }}, false)
{%- endmacro %}


{#- A number nobody owns: listed in the seed `phone_placeholders`, or ending in a long run of
    one repeated digit. -#}
{% macro is_placeholder_phone(digits) -%}
    {%- set run_length = var('phone_placeholder_repeat_length') | int -%}
    (
        {{ digits }} in (select placeholder.phone_number from {{ ref('phone_placeholders') }} as placeholder)
        or {{ dbt.right(digits, run_length) }} in (
            {%- for digit in range(10) %}'{{ (digit | string) * run_length }}'{{ ',' if not loop.last }}{% endfor -%}
        )
    )
{%- endmacro %}


{#- The phone as an 11-digit mainland mobile, or null when it is not one (malformed, landline,
    placeholder). -#}
{% macro clean_phone(column) -%}
    {%- set digits = phone_digits(column) -%}
    case
        when {{ is_mainland_mobile(digits) }} and not {{ is_placeholder_phone(digits) }}
            then {{ digits }}
    end
{%- endmacro %}


{#- Why a phone as typed is not usable, or null when `clean_phone` accepts it. -#}
{% macro phone_rejection_reason(column) -%}
    {%- set digits = phone_digits(column) -%}
    case
        when {{ digits }} is null then 'missing'
        when {{ is_landline(digits) }} then 'landline'
        when not {{ is_mainland_mobile(digits) }} then 'malformed'
        when {{ is_placeholder_phone(digits) }} then 'placeholder'
    end
{%- endmacro %}


{#- An e-mail lower-cased and trimmed, or null unless it looks like local@domain.tld. -#}
{% macro clean_email(column) -%}
    {%- set normalised = 'lower(trim(' ~ column ~ '))' -%}
    case
        when {{ regex_matches(normalised, '^[a-z0-9._%+-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}$') }}
            then {{ normalised }}
    end
{%- endmacro %}


{#- Why an e-mail as typed is not usable, or null when `clean_email` accepts it. -#}
{% macro email_rejection_reason(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then 'missing'
        when ({{ clean_email(column) }}) is null then 'malformed'
    end
{%- endmacro %}
