{#-
    Each member's latest profile version written up to the tags' as-of day: what the personal
    tags (birthday, gender, region, occupation, game age) read.
-#}
with

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

ranked as (

    select
        profile_versions.member_id,
        profile_versions.registered_date,
        profile_versions.gender,
        profile_versions.birth_date,
        profile_versions.region_code,
        profile_versions.occupation_code,
        as_of.as_of_date,
        row_number() over (
            partition by profile_versions.member_id
            order by profile_versions.updated_at desc
        ) as version_rank
    from profile_versions
    inner join as_of on profile_versions.updated_date <= as_of.as_of_date

),

final as (

    select
        member_id,
        as_of_date,
        registered_date,
        gender,
        birth_date,
        region_code,
        occupation_code
    from ranked
    where version_rank = 1

)

select * from final
