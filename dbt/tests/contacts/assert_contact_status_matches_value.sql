-- A usable status has a cleaned value (an 11-digit mobile for phones), an invalid one has none,
-- and a verified value was confirmed within the verified window of the period's first day.
with

history as (

    select * from {{ ref('fct_member_contact_history') }}

),

final as (

    select history.*
    from history
    where
        (history.contact_status = 'invalid') != (history.contact_value is null)
        or (
            history.contact_type = 'phone'
            and not {{ regex_matches('history.contact_value', '^1[3-9][0-9]{9}$') }}
        )
        or (
            history.contact_status = 'verified'
            and (
                history.last_verified_date is null
                or {{ days_between('history.last_verified_date', 'history.valid_from') }}
                >= {{ var('contact_verified_window_days') }}
            )
        )

)

select * from final
