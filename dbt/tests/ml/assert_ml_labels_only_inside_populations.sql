-- A label exists only for a member of its model's population, and only once its window is
-- complete: rows returned here break that rule.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ml_labels_daily'}}}) }}

with

labels as (

    select * from {{ ref('fct_ml_labels_daily') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

data_end as (

    select max(daily_activity.activity_date) as last_data_date
    from daily_activity

),

final as (

    select labels.*
    from labels
    cross join data_end
    where
        (labels.churn_label is not null and not labels.churn_eligible)
        or (labels.pvip_label is not null and not labels.pvip_eligible)
        or (
            labels.churn_label is not null
            and labels.churn_label_window_end > data_end.last_data_date
        )
        or (
            labels.pvip_label is not null
            and labels.pvip_label_window_end > data_end.last_data_date
        )
        or (labels.churn_eligible and labels.pvip_eligible)

)

select * from final
