{#-
    The model-driven state tags as of the tags' as-of day, long form: churn_warning and
    potential_vip, valued with the band (high / medium / low) of the promoted model's score for
    that day. Reads the scores the ML assets wrote, so it runs after them (tag post_ml).
-#}
{{ config(tags=['post_ml']) }}

with

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

member_scores as (

    select * from {{ source('ml', 'member_scores') }}

),

tag_codes as (

    select
        'churn' as scored_model,
        'churn_warning' as tag_code
    union all
    select
        'potential_vip' as scored_model,
        'potential_vip' as tag_code

),

final as (

    select
        member_scores.member_id,
        tag_codes.tag_code,
        member_scores.band as tag_value
    from member_scores
    inner join as_of on member_scores.as_of_date = as_of.as_of_date
    inner join tag_codes on member_scores.model = tag_codes.scored_model

)

select * from final
