{#-
    The member panorama (会员全景): one row per member as of the last day with member data
    (var max_date at the latest), joining identity, membership, lifecycle, spending, tags,
    contact status and service. Personal data is masked: the real name to its family name, the
    birthday to month and day, phone and e-mail as the information library masks them.
-#}
with

profile_versions as (

    select * from {{ ref('stg_members__profile_versions') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

tier_daily as (

    select * from {{ ref('fct_member_tier_daily') }}

),

points_balances as (

    select * from {{ ref('fct_points_balance_daily') }}

),

lifecycle_daily as (

    select * from {{ ref('fct_lifecycle_daily') }}

),

member_tags as (

    select * from {{ ref('fct_member_tags') }}

),

contact_status as (

    select * from {{ ref('dim_member_contact_status') }}

),

tickets as (

    select * from {{ ref('fct_tickets') }}

),

surveys as (

    select * from {{ ref('fct_survey_responses') }}

),

tiers as (

    select * from {{ ref('tiers') }}

),

vip_levels as (

    select * from {{ ref('vip_levels') }}

),

as_of as (

    select
        least(
            cast('{{ var("max_date") }}' as date),
            max(daily_activity.activity_date)
        ) as as_of_date
    from daily_activity

),

-- the spending windows end with the as-of day and reach back this many days
spending_windows as (

    select
        as_of.as_of_date,
        cast(
            {{ dbt.dateadd('day', '-' ~ var('members_short_window_days'), 'as_of.as_of_date') }}
            as date
        ) as short_window_before_date,
        cast(
            {{ dbt.dateadd('day', '-' ~ var('members_long_window_days'), 'as_of.as_of_date') }}
            as date
        ) as long_window_before_date
    from as_of

),

latest_profiles as (

    select ranked.*
    from (
        select
            profile_versions.*,
            as_of.as_of_date,
            row_number() over (
                partition by profile_versions.member_id
                order by profile_versions.updated_at desc
            ) as version_recency
        from profile_versions
        inner join as_of on profile_versions.updated_date <= as_of.as_of_date
    ) as ranked
    where ranked.version_recency = 1

),

latest_tiers as (

    select ranked.*
    from (
        select
            tier_daily.member_id,
            tier_daily.tier_code,
            tier_daily.vip_level,
            tier_daily.growth_points,
            tier_daily.is_pre_downgrade,
            row_number() over (
                partition by tier_daily.member_id
                order by tier_daily.as_of_date desc
            ) as day_recency
        from tier_daily
        inner join as_of on tier_daily.as_of_date <= as_of.as_of_date
    ) as ranked
    where ranked.day_recency = 1

),

lowest_tier as (

    select tiers.tier_code
    from tiers
    where
        tiers.tier_rank
        = (select min(all_tiers.tier_rank) as lowest_rank from tiers as all_tiers)

),

lowest_vip_level as (

    select vip_levels.vip_level
    from vip_levels
    where
        vip_levels.level_rank
        = (select min(all_levels.level_rank) as lowest_rank from vip_levels as all_levels)

),

current_points as (

    select
        points_balances.member_id,
        points_balances.balance as points_balance,
        -- as of the panorama's day, not the balance's last movement: lots keep ageing
        {{ points_expiring_after(
            'points_balances.member_id',
            'points_balances.points_earned_to_date - points_balances.balance',
            'as_of.as_of_date'
        ) }} as points_expiring_next_30d
    from points_balances
    inner join as_of
        on
            points_balances.balance_date <= as_of.as_of_date
            and (points_balances.valid_to is null or points_balances.valid_to >= as_of.as_of_date)

),

latest_lifecycle as (

    select ranked.*
    from (
        select
            lifecycle_daily.member_id,
            lifecycle_daily.stage,
            lifecycle_daily.is_returned,
            lifecycle_daily.last_login_date,
            lifecycle_daily.days_since_last_login,
            row_number() over (
                partition by lifecycle_daily.member_id
                order by lifecycle_daily.as_of_date desc
            ) as day_recency
        from lifecycle_daily
        inner join as_of on lifecycle_daily.as_of_date <= as_of.as_of_date
    ) as ranked
    where ranked.day_recency = 1

),

spending as (

    select
        daily_activity.member_id,
        sum(
            case
                when daily_activity.activity_date > spending_windows.short_window_before_date
                    then daily_activity.consumption_cny
            end
        ) as consumption_30d_cny,
        sum(daily_activity.consumption_cny) as consumption_90d_cny,
        sum(
            case
                when daily_activity.activity_date > spending_windows.short_window_before_date
                    then daily_activity.recharge_cny
            end
        ) as recharge_30d_cny,
        sum(daily_activity.recharge_cny) as recharge_90d_cny
    from daily_activity
    inner join spending_windows
        on
            daily_activity.activity_date <= spending_windows.as_of_date
            and daily_activity.activity_date > spending_windows.long_window_before_date
    group by daily_activity.member_id

),

identity_tags as (

    select
        member_tags.member_id,
        max(
            case when member_tags.tag_code = 'guild_role' then member_tags.tag_value end
        ) as guild_role,
        max(case when member_tags.tag_code = 'red_list' then 1 else 0 end) = 1 as is_red_listed,
        max(case when member_tags.tag_code = 'white_list' then 1 else 0 end) = 1
            as is_white_listed
    from member_tags
    group by member_tags.member_id

),

open_tickets as (

    select
        tickets.member_id,
        count(*) as open_ticket_count
    from tickets
    where not tickets.is_resolved
    group by tickets.member_id

),

last_surveys as (

    select ranked.*
    from (
        select
            surveys.member_id,
            surveys.satisfaction_score as last_survey_score,
            surveys.answered_date as last_survey_date,
            row_number() over (
                partition by surveys.member_id
                order by surveys.answered_at desc, surveys.survey_id desc
            ) as survey_recency
        from surveys
    ) as ranked
    where ranked.survey_recency = 1

),

final as (

    select
        latest_profiles.member_id,
        {{ mask_name('latest_profiles.real_name') }} as real_name_masked,
        latest_profiles.gender,
        -- month and day only: the birth year stays out of the panorama
        {{ dbt.right('cast(latest_profiles.birth_date as ' ~ dbt.type_string() ~ ')', 5) }}
            as birth_month_day,
        latest_profiles.region_code,
        latest_profiles.occupation_code,
        latest_profiles.registered_date,
        {{ dbt.datediff('latest_profiles.registered_date', 'latest_profiles.as_of_date', 'day') }}
            as tenure_days,
        latest_profiles.register_channel,
        coalesce(latest_tiers.tier_code, lowest_tier.tier_code) as tier_code,
        coalesce(latest_tiers.vip_level, lowest_vip_level.vip_level) as vip_level,
        coalesce(latest_tiers.growth_points, 0) as growth_points,
        coalesce(latest_tiers.is_pre_downgrade, false) as is_pre_downgrade,
        coalesce(current_points.points_balance, 0) as points_balance,
        coalesce(current_points.points_expiring_next_30d, 0) as points_expiring_30d,
        latest_lifecycle.stage as lifecycle_stage,
        coalesce(latest_lifecycle.is_returned, false) as is_returned,
        latest_lifecycle.last_login_date,
        latest_lifecycle.days_since_last_login,
        cast(coalesce(spending.consumption_30d_cny, 0) as decimal(18, 2)) as consumption_30d_cny,
        cast(coalesce(spending.consumption_90d_cny, 0) as decimal(18, 2)) as consumption_90d_cny,
        cast(coalesce(spending.recharge_30d_cny, 0) as decimal(18, 2)) as recharge_30d_cny,
        cast(coalesce(spending.recharge_90d_cny, 0) as decimal(18, 2)) as recharge_90d_cny,
        identity_tags.guild_role,
        coalesce(identity_tags.is_red_listed, false) as is_red_listed,
        coalesce(identity_tags.is_white_listed, false) as is_white_listed,
        contact_status.phone_status,
        contact_status.phone_masked,
        contact_status.email_status,
        contact_status.email_masked,
        coalesce(open_tickets.open_ticket_count, 0) as open_ticket_count,
        last_surveys.last_survey_score,
        last_surveys.last_survey_date,
        latest_profiles.as_of_date
    from latest_profiles
    cross join lowest_tier
    cross join lowest_vip_level
    left join latest_tiers on latest_profiles.member_id = latest_tiers.member_id
    left join current_points on latest_profiles.member_id = current_points.member_id
    left join latest_lifecycle on latest_profiles.member_id = latest_lifecycle.member_id
    left join spending on latest_profiles.member_id = spending.member_id
    left join identity_tags on latest_profiles.member_id = identity_tags.member_id
    left join contact_status on latest_profiles.member_id = contact_status.member_id
    left join open_tickets on latest_profiles.member_id = open_tickets.member_id
    left join last_surveys on latest_profiles.member_id = last_surveys.member_id

)

select * from final
