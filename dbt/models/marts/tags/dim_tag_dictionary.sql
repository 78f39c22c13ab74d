{#- The tag dictionary (标签字典): every tag code fct_member_tags may carry (seed tag_dictionary). -#}
with

tag_dictionary as (

    select * from {{ ref('tag_dictionary') }}

),

final as (

    select
        tag_dictionary.tag_code,
        tag_dictionary.tag_family,
        tag_dictionary.name_en,
        tag_dictionary.name_zh,
        tag_dictionary.definition,
        tag_dictionary.source
    from tag_dictionary

)

select * from final
