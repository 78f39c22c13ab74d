-- Coverage shares are shares, and a verified contact is always a usable one.
with

coverage as (

    select * from {{ ref('fct_contact_coverage_daily') }}

),

final as (

    select coverage.*
    from coverage
    where
        coverage.phone_coverage_share not between 0 and 1
        or coverage.email_coverage_share not between 0 and 1
        or coverage.members_with_verified_phone > coverage.members_with_usable_phone
        or coverage.members_with_verified_email > coverage.members_with_usable_email
        or coverage.members_with_usable_phone + coverage.members_with_invalid_phone
        > coverage.member_count

)

select * from final
