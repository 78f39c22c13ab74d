{#-
    Identity tags as of the tags' as-of day, one row per member and tag (long form: member_id,
    tag_code, tag_value): tier and VIP level from the membership engine, the best guild role over
    the member's characters (var tags_guild_role_order), red and white list from account
    managers' entries, and one expert tag per activity type (expert_<type>) with at least var
    tags_expert_min_joins participations of that type in var tags_expert_window_days days.
-#}
{%- set role_order = var('tags_guild_role_order') -%}
{%- set list_codes = "'" ~ var('tags_manual_list_codes') | join("', '") ~ "'" -%}
{%- set role_list = "'" ~ role_order | join("', '") ~ "'" -%}

with

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

member_tiers as (

    select * from {{ ref('fct_member_tier_daily') }}

),

character_snapshots as (

    select * from {{ ref('stg_characters__snapshots') }}

),

manual_tags as (

    select * from {{ ref('int_manual_tags_resolved') }}

),

participations as (

    select * from {{ ref('stg_activity_participation__participations') }}

),

activities as (

    select * from {{ ref('activities') }}

),

tiers_on_day as (

    select
        member_tiers.member_id,
        member_tiers.tier_code,
        member_tiers.vip_level
    from member_tiers
    inner join as_of on member_tiers.as_of_date = as_of.as_of_date

),

latest_character_snapshots as (

    select
        ranked.member_id,
        ranked.guild_role
    from (
        select
            character_snapshots.member_id,
            character_snapshots.guild_role,
            row_number() over (
                partition by character_snapshots.character_id
                order by character_snapshots.updated_at desc
            ) as snapshot_rank
        from character_snapshots
        inner join as_of on character_snapshots.updated_date <= as_of.as_of_date
    ) as ranked
    where ranked.snapshot_rank = 1

),

best_guild_roles as (

    select
        ranked.member_id,
        ranked.guild_role
    from (
        select
            latest_character_snapshots.member_id,
            latest_character_snapshots.guild_role,
            row_number() over (
                partition by latest_character_snapshots.member_id
                order by
                    case latest_character_snapshots.guild_role
                        {%- for role in role_order %}
                            when '{{ role }}' then {{ loop.index }}
                        {%- endfor %}
                    end
            ) as role_rank
        from latest_character_snapshots
        where latest_character_snapshots.guild_role in ({{ role_list }})
    ) as ranked
    where ranked.role_rank = 1

),

joins_by_type as (

    select
        participations.member_id,
        activities.activity_type,
        count(*) as participation_count
    from participations
    inner join activities on participations.activity_code = activities.activity_code
    inner join as_of
        on
            participations.participated_date <= as_of.as_of_date
            and participations.participated_date > {{ dbt.dateadd(
                'day', -1 * (var('tags_expert_window_days') | int), 'as_of.as_of_date'
            ) }}
    group by participations.member_id, activities.activity_type

),

tags as (

    select
        tiers_on_day.member_id,
        'tier' as tag_code,
        tiers_on_day.tier_code as tag_value
    from tiers_on_day

    union all

    select
        tiers_on_day.member_id,
        'vip_level' as tag_code,
        tiers_on_day.vip_level as tag_value
    from tiers_on_day

    union all

    select
        best_guild_roles.member_id,
        'guild_role' as tag_code,
        best_guild_roles.guild_role as tag_value
    from best_guild_roles

    union all

    select
        manual_tags.member_id,
        lower(manual_tags.tag_code) as tag_code,
        'true' as tag_value
    from manual_tags
    where manual_tags.tag_code in ({{ list_codes }})

    union all

    select
        joins_by_type.member_id,
        'expert_' || lower(joins_by_type.activity_type) as tag_code,
        cast(joins_by_type.participation_count as varchar) as tag_value
    from joins_by_type
    where joins_by_type.participation_count >= {{ var('tags_expert_min_joins') }}

),

final as (

    select
        tags.member_id,
        tags.tag_code,
        tags.tag_value
    from tags
    where tags.tag_value is not null

)

select * from final
