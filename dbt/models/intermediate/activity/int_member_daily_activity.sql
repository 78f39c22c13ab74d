{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='activity_date',
        on_schema_change='fail',
    )
}}

{#- Rows arrive up to late_arrival_days after their event day: each run rebuilds those days. -#}
{%- set lookback_days = var('late_arrival_days') -%}

with

logins as (

    select * from {{ ref('stg_logins__sessions') }}
    where {{ in_partition_window('login_date', lookback_days) }}

),

consumption as (

    select * from {{ ref('stg_consumption__transactions') }}
    where {{ in_partition_window('consumed_date', lookback_days) }}

),

recharges as (

    select * from {{ ref('stg_recharges__transactions') }}
    where {{ in_partition_window('recharged_date', lookback_days) }}

),

participations as (

    select * from {{ ref('stg_activity_participation__participations') }}
    where {{ in_partition_window('participated_date', lookback_days) }}

),

exchanges as (

    select * from {{ ref('stg_points_exchanges__exchanges') }}
    where {{ in_partition_window('exchanged_date', lookback_days) }}

),

login_days as (

    select
        member_id,
        login_date as activity_date,
        count(*) as login_count,
        sum(coalesce(duration_minutes, 0)) as session_minutes,
        sum(
            case
                when
                    extract(hour from login_at) >= {{ var('night_start_hour') }}
                    or extract(hour from login_at) < {{ var('night_end_hour') }}
                    then 1
                else 0
            end
        ) as night_session_count
    from logins
    group by member_id, login_date

),

consumption_days as (

    select
        member_id,
        consumed_date as activity_date,
        sum(amount_cny) as consumption_cny,
        count(*) as consumption_count
    from consumption
    group by member_id, consumed_date

),

recharge_days as (

    select
        member_id,
        recharged_date as activity_date,
        sum(case when recharge_type = 'PAYMENT' then amount_cny else 0 end) as recharge_cny,
        sum(case when recharge_type = 'PAYMENT' then 1 else 0 end) as recharge_count,
        sum(case when recharge_type = 'REFUND' then amount_cny else 0 end) as refund_cny,
        sum(case when recharge_type = 'CHARGEBACK' then amount_cny else 0 end) as chargeback_cny,
        sum(case when recharge_type = 'CHARGEBACK' then 1 else 0 end) as chargeback_count
    from recharges
    group by member_id, recharged_date

),

participation_days as (

    select
        member_id,
        participated_date as activity_date,
        count(*) as activity_join_count
    from participations
    group by member_id, participated_date

),

exchange_days as (

    select
        member_id,
        exchanged_date as activity_date,
        sum(points_spent) as points_spent,
        sum(
            case when exchange_type = 'CONVERT_GROWTH' then points_spent else 0 end
        ) as points_converted
    from exchanges
    group by member_id, exchanged_date

),

-- A game counts as played on a day when the member logged into it or spent money in it.
games_played as (

    select
        member_id,
        login_date as activity_date,
        game_code
    from logins
    union
    select
        member_id,
        consumed_date as activity_date,
        game_code
    from consumption

),

game_days as (

    select
        member_id,
        activity_date,
        count(distinct game_code) as distinct_games
    from games_played
    group by member_id, activity_date

),

member_days as (

    select
        member_id,
        activity_date
    from login_days
    union
    select
        member_id,
        activity_date
    from consumption_days
    union
    select
        member_id,
        activity_date
    from recharge_days
    union
    select
        member_id,
        activity_date
    from participation_days
    union
    select
        member_id,
        activity_date
    from exchange_days

),

final as (

    select
        member_days.member_id,
        member_days.activity_date,
        coalesce(login_days.login_count, 0) as login_count,
        coalesce(login_days.session_minutes, 0) as session_minutes,
        coalesce(login_days.night_session_count, 0) as night_session_count,
        coalesce(game_days.distinct_games, 0) as distinct_games,
        cast(coalesce(consumption_days.consumption_cny, 0) as decimal(18, 2)) as consumption_cny,
        coalesce(consumption_days.consumption_count, 0) as consumption_count,
        cast(coalesce(recharge_days.recharge_cny, 0) as decimal(18, 2)) as recharge_cny,
        coalesce(recharge_days.recharge_count, 0) as recharge_count,
        cast(coalesce(recharge_days.refund_cny, 0) as decimal(18, 2)) as refund_cny,
        cast(coalesce(recharge_days.chargeback_cny, 0) as decimal(18, 2)) as chargeback_cny,
        coalesce(recharge_days.chargeback_count, 0) as chargeback_count,
        coalesce(participation_days.activity_join_count, 0) as activity_join_count,
        coalesce(exchange_days.points_spent, 0) as points_spent,
        coalesce(exchange_days.points_converted, 0) as points_converted
    from member_days
    left join login_days
        on
            member_days.member_id = login_days.member_id
            and member_days.activity_date = login_days.activity_date
    left join game_days
        on
            member_days.member_id = game_days.member_id
            and member_days.activity_date = game_days.activity_date
    left join consumption_days
        on
            member_days.member_id = consumption_days.member_id
            and member_days.activity_date = consumption_days.activity_date
    left join recharge_days
        on
            member_days.member_id = recharge_days.member_id
            and member_days.activity_date = recharge_days.activity_date
    left join participation_days
        on
            member_days.member_id = participation_days.member_id
            and member_days.activity_date = participation_days.activity_date
    left join exchange_days
        on
            member_days.member_id = exchange_days.member_id
            and member_days.activity_date = exchange_days.activity_date

)

select * from final
