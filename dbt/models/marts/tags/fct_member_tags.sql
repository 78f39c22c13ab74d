{#-
    Every member's tags as of the tags' as-of day (the run's last day), long form: one row per
    member and tag code. Family and source come from the tag dictionary, so a tag code missing
    from it shows up as a failing relationship test instead of disappearing.
-#}
with

identity_tags as (

    select * from {{ ref('int_member_identity_tags') }}

),

state_tags as (

    select * from {{ ref('int_member_state_tags') }}

),

personal_tags as (

    select * from {{ ref('int_member_personal_tags') }}

),

model_tags as (

    select * from {{ ref('int_member_ml_tags') }}

),

tag_dictionary as (

    select * from {{ ref('dim_tag_dictionary') }}

),

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

member_tags as (

    select * from identity_tags
    union all
    select * from state_tags
    union all
    select * from model_tags
    union all
    select * from personal_tags

),

final as (

    select
        member_tags.member_id,
        tag_dictionary.tag_family,
        member_tags.tag_code,
        member_tags.tag_value,
        as_of.as_of_date,
        tag_dictionary.source
    from member_tags
    cross join as_of
    left join tag_dictionary on member_tags.tag_code = tag_dictionary.tag_code

)

select * from final
