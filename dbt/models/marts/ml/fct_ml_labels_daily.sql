{#-
    What happened after each row of feat_member_daily: the training labels of the churn and
    potential-VIP models. A label looks forward, so it is known only once its whole window lies
    inside the data (label window end <= the last day with activity); until then it is null.

      churn          a member of the churn population on as_of_date (tier var ml_vip_tier_code
                     or above, lifecycle stage in var ml_churn_population_stages) with no login
                     in the next var ml_churn_horizon_days days;
      potential VIP  a member of the potential-VIP population (below var ml_vip_tier_code, a
                     login within var ml_potential_vip_recent_login_days days) who reaches that
                     tier or above within the next var ml_potential_vip_horizon_days days.

    A table, rebuilt on every run: labels of old days change as later data arrives.
-#}
{%- set churn_horizon = var('ml_churn_horizon_days') | int -%}
{%- set potential_vip_horizon = var('ml_potential_vip_horizon_days') | int -%}

with

features as (

    select * from {{ ref('feat_member_daily') }}

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

vip_tier as (

    select tiers.tier_rank
    from tiers
    where tiers.tier_code = '{{ var("ml_vip_tier_code") }}'

),

data_end as (

    select max(daily_activity.activity_date) as last_data_date
    from daily_activity

),

windows as (

    select
        features.member_id,
        features.as_of_date,
        features.is_churn_population as churn_eligible,
        features.is_potential_vip_population as pvip_eligible,
        cast({{ dbt.dateadd('day', churn_horizon, 'features.as_of_date') }} as date)
            as churn_label_window_end,
        cast({{ dbt.dateadd('day', potential_vip_horizon, 'features.as_of_date') }} as date)
            as pvip_label_window_end
    from features

),

logins_after as (

    select
        windows.member_id,
        windows.as_of_date,
        count(*) as login_days
    from windows
    inner join daily_activity
        on
            windows.member_id = daily_activity.member_id
            and windows.as_of_date < daily_activity.activity_date
            and windows.churn_label_window_end >= daily_activity.activity_date
            and daily_activity.login_count > 0
    where windows.churn_eligible
    group by windows.member_id, windows.as_of_date

),

vip_reached as (

    select
        windows.member_id,
        windows.as_of_date,
        min(tier_history.valid_from) as vip_reached_date
    from windows
    cross join vip_tier
    inner join tier_history
        on
            windows.member_id = tier_history.member_id
            and windows.as_of_date < tier_history.valid_from
            and windows.pvip_label_window_end >= tier_history.valid_from
    where windows.pvip_eligible and tier_history.tier_rank >= vip_tier.tier_rank
    group by windows.member_id, windows.as_of_date

),

final as (

    select
        windows.member_id,
        windows.as_of_date,
        windows.churn_eligible,
        case
            when
                windows.churn_eligible
                and windows.churn_label_window_end <= data_end.last_data_date
                then logins_after.login_days is null
        end as churn_label,
        windows.churn_label_window_end,
        windows.pvip_eligible,
        case
            when
                windows.pvip_eligible
                and windows.pvip_label_window_end <= data_end.last_data_date
                then vip_reached.vip_reached_date is not null
        end as pvip_label,
        windows.pvip_label_window_end
    from windows
    cross join data_end
    left join logins_after
        on
            windows.member_id = logins_after.member_id
            and windows.as_of_date = logins_after.as_of_date
    left join vip_reached
        on
            windows.member_id = vip_reached.member_id
            and windows.as_of_date = vip_reached.as_of_date

)

select * from final
