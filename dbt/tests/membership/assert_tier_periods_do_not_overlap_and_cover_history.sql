-- Tier periods of a member follow each other without gap or overlap, start on the member's
-- first day of activity, and only the last one is open (valid_to null).
-- Two models are read: the check belongs to fct_tier_history (dagster-dbt's meta ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_tier_history'}}}) }}
with

periods as (

    select * from {{ ref('fct_tier_history') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

first_days as (

    select
        member_id,
        min(activity_date) as first_activity_date
    from daily_activity
    group by member_id

),

ordered as (

    select
        periods.*,
        lead(periods.valid_from) over (
            partition by periods.member_id order by periods.valid_from
        ) as next_valid_from,
        row_number() over (
            partition by periods.member_id order by periods.valid_from
        ) as period_number
    from periods

),

problems as (

    select
        ordered.member_id,
        ordered.valid_from,
        'gap or overlap' as problem
    from ordered
    where
        ordered.next_valid_from is not null
        and (
            ordered.valid_to is null
            or ordered.next_valid_from
            != cast({{ dbt.dateadd('day', 1, 'ordered.valid_to') }} as date)
        )

    union all

    select
        ordered.member_id,
        ordered.valid_from,
        'open period that is not the last' as problem
    from ordered
    where ordered.next_valid_from is null and ordered.valid_to is not null

    union all

    select
        ordered.member_id,
        ordered.valid_from,
        'empty or reversed period' as problem
    from ordered
    where ordered.valid_to < ordered.valid_from

    union all

    select
        first_days.member_id,
        ordered.valid_from,
        'history does not start on the first day of activity' as problem
    from first_days
    left join ordered
        on
            first_days.member_id = ordered.member_id
            and ordered.period_number = 1
    where ordered.valid_from is null or ordered.valid_from != first_days.first_activity_date

)

select * from problems
