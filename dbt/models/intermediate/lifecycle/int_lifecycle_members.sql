{#-
    Every member the lifecycle follows, one row each: members with a profile or with any
    activity. lifecycle_start_date is the first day of the member's lifecycle rows: registration
    as known from a delivered profile version (or the first activity, if earlier or without a
    profile), never before the data starts.
    first_gold_date is the first day the tier engine put the member at var lifecycle_new_tier_code
    or above: from then on the member is "new" again for var lifecycle_new_days days.
-#}
with

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

tier_history as (

    select * from {{ ref('fct_tier_history') }}

),

tiers as (

    select * from {{ ref('tiers') }}

),

lifecycle_window as (

    select * from {{ ref('int_lifecycle_window') }}

),

registrations as (

    select
        profile_versions.member_id,
        min(profile_versions.registered_date) as registered_date,
        -- The first day a delivered profile version showed the member as registered: a member
        -- whose registration row was rejected becomes known only with a later version, and the
        -- days before that must look the same in a day-by-day build as in a full refresh.
        min(
            greatest(profile_versions.updated_date, profile_versions.registered_date)
        ) as known_registered_date
    from profile_versions
    group by profile_versions.member_id

),

first_activities as (

    select
        daily_activity.member_id,
        min(daily_activity.activity_date) as first_activity_date
    from daily_activity
    group by daily_activity.member_id

),

new_tier as (

    select tiers.tier_rank
    from tiers
    where tiers.tier_code = '{{ var("lifecycle_new_tier_code") }}'

),

first_gold as (

    select
        tier_history.member_id,
        min(tier_history.valid_from) as first_gold_date
    from tier_history
    inner join tiers on tier_history.tier_code = tiers.tier_code
    inner join new_tier on tiers.tier_rank >= new_tier.tier_rank
    group by tier_history.member_id

),

member_ids as (

    select registrations.member_id from registrations
    union
    select first_activities.member_id from first_activities

),

final as (

    select
        member_ids.member_id,
        registrations.registered_date,
        registrations.known_registered_date,
        first_activities.first_activity_date,
        first_gold.first_gold_date,
        greatest(
            lifecycle_window.first_data_date,
            coalesce(
                least(registrations.known_registered_date, first_activities.first_activity_date),
                registrations.known_registered_date,
                first_activities.first_activity_date
            )
        ) as lifecycle_start_date
    from member_ids
    cross join lifecycle_window
    left join registrations on member_ids.member_id = registrations.member_id
    left join first_activities on member_ids.member_id = first_activities.member_id
    left join first_gold on member_ids.member_id = first_gold.member_id

)

select * from final
