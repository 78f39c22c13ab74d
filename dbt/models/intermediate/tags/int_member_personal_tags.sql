{#-
    Personal-attribute tags as of the tags' as-of day, one row per member and tag (long form:
    member_id, tag_code, tag_value); a tag without a value is left out. Preferences look back
    var `tags_preference_window_days` days, ending on the as-of day; night sessions are those of
    int_member_daily_activity (vars night_start_hour, night_end_hour).
-#}
{%- set note_codes = "'" ~ var('tags_manual_note_codes') | join("', '") ~ "'" -%}
with

profiles as (

    select * from {{ ref('int_member_profile_as_of') }}

),

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

sessions as (

    select * from {{ ref('stg_logins__sessions') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

participations as (

    select * from {{ ref('stg_activity_participation__participations') }}

),

activities as (

    select * from {{ ref('activities') }}

),

manual_tags as (

    select * from {{ ref('int_manual_tags_resolved') }}

),

recent_sessions as (

    select
        sessions.member_id,
        sessions.game_code,
        sessions.duration_minutes
    from sessions
    inner join as_of
        on
            sessions.login_date <= as_of.as_of_date
            and sessions.login_date > {{ dbt.dateadd(
                'day', -1 * (var('tags_preference_window_days') | int), 'as_of.as_of_date'
            ) }}

),

minutes_by_game as (

    select
        recent_sessions.member_id,
        recent_sessions.game_code,
        sum(coalesce(recent_sessions.duration_minutes, 0)) as minutes_played,
        count(*) as session_count
    from recent_sessions
    group by recent_sessions.member_id, recent_sessions.game_code

),

favourite_games as (

    select
        ranked.member_id,
        ranked.game_code
    from (
        select
            minutes_by_game.member_id,
            minutes_by_game.game_code,
            row_number() over (
                partition by minutes_by_game.member_id
                order by
                    minutes_by_game.minutes_played desc,
                    minutes_by_game.session_count desc,
                    minutes_by_game.game_code asc
            ) as game_rank
        from minutes_by_game
    ) as ranked
    where ranked.game_rank = 1

),

night_shares as (

    select
        daily_activity.member_id,
        sum(daily_activity.login_count) as session_count,
        sum(daily_activity.night_session_count) * 1.0
        / nullif(sum(daily_activity.login_count), 0) as night_share
    from daily_activity
    inner join as_of
        on
            daily_activity.activity_date <= as_of.as_of_date
            and daily_activity.activity_date > {{ dbt.dateadd(
                'day', -1 * (var('tags_preference_window_days') | int), 'as_of.as_of_date'
            ) }}
    group by daily_activity.member_id

),

night_players as (

    select
        night_shares.member_id,
        night_shares.night_share
    from night_shares
    where
        night_shares.session_count >= {{ var('tags_night_player_min_sessions') }}
        and night_shares.night_share > {{ var('tags_night_player_min_share') }}

),

joins_by_type as (

    select
        participations.member_id,
        activities.activity_type,
        count(*) as participation_count,
        max(participations.participated_at) as last_participated_at
    from participations
    inner join activities on participations.activity_code = activities.activity_code
    inner join as_of
        on
            participations.participated_date <= as_of.as_of_date
            and participations.participated_date > {{ dbt.dateadd(
                'day', -1 * (var('tags_preference_window_days') | int), 'as_of.as_of_date'
            ) }}
    group by participations.member_id, activities.activity_type

),

favourite_activity_types as (

    select
        ranked.member_id,
        ranked.activity_type
    from (
        select
            joins_by_type.member_id,
            joins_by_type.activity_type,
            row_number() over (
                partition by joins_by_type.member_id
                order by
                    joins_by_type.participation_count desc,
                    joins_by_type.last_participated_at desc,
                    joins_by_type.activity_type asc
            ) as type_rank
        from joins_by_type
    ) as ranked
    where ranked.type_rank = 1

),

tags as (

    select
        profiles.member_id,
        'birthday' as tag_code,
        lpad(cast(extract(month from profiles.birth_date) as varchar), 2, '0')
        || '-'
        || lpad(cast(extract(day from profiles.birth_date) as varchar), 2, '0') as tag_value
    from profiles
    where profiles.birth_date is not null

    union all

    select
        profiles.member_id,
        'game_age_days' as tag_code,
        cast(
            {{ dbt.datediff('profiles.registered_date', 'profiles.as_of_date', 'day') }}
            as varchar
        ) as tag_value
    from profiles
    where profiles.registered_date <= profiles.as_of_date

    union all

    select
        profiles.member_id,
        'gender' as tag_code,
        profiles.gender as tag_value
    from profiles
    where profiles.gender is not null

    union all

    select
        profiles.member_id,
        'region' as tag_code,
        profiles.region_code as tag_value
    from profiles
    where profiles.region_code is not null

    union all

    select
        profiles.member_id,
        'occupation' as tag_code,
        profiles.occupation_code as tag_value
    from profiles
    where profiles.occupation_code is not null

    union all

    select
        favourite_games.member_id,
        'favourite_game' as tag_code,
        favourite_games.game_code as tag_value
    from favourite_games

    union all

    select
        favourite_activity_types.member_id,
        'favourite_activity_type' as tag_code,
        favourite_activity_types.activity_type as tag_value
    from favourite_activity_types

    union all

    select
        night_players.member_id,
        'night_player' as tag_code,
        cast(round(night_players.night_share, 2) as varchar) as tag_value
    from night_players

    union all

    select
        manual_tags.member_id,
        lower(manual_tags.tag_code) as tag_code,
        manual_tags.tag_value
    from manual_tags
    where manual_tags.tag_code in ({{ note_codes }})

),

final as (

    select
        tags.member_id,
        tags.tag_code,
        tags.tag_value
    from tags

)

select * from final
