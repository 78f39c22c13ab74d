{#-
    The daily action lists after the contact policy (seed contact_policy), one row per day,
    member and list the member is eligible for. A row is suppressed, with the first reason that
    applies, when:
      red_list                     a marketing list and the member is red-listed;
      no_valid_contact             the information library has no usable contact for the channel;
      frequency_cap                a marketing list and the operator already started
                                   weekly_contact_cap contacts within frequency_cap_window_days;
      lower_priority_same_channel  another list of the same channel has a higher priority
                                   (lower number) for the member that day: one action per
                                   channel and day;
      holdout                      the member falls in the list's holdout (marketing lists:
                                   holdout_share, a stable draw per member and list);
      over_capacity                the channel's daily_capacity:<channel> is used up by actions of
                                   higher expected value (score x member value).
    is_holdout is recorded on every marketing row, suppressed or not, so the holdout can be
    compared with the contacted members later. Incremental by day (delete+insert on
    as_of_date): a run rewrites exactly the days of its window.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='fail',
        pre_hook="{{ delete_window_rows('as_of_date') }}",
    )
}}
with

candidates as (

    select * from {{ ref('int_action_candidates_enriched') }}

),

contact_policy as (

    select * from {{ ref('contact_policy') }}

),

channel_capacity as (

    select
        substring(contact_policy.policy_key, {{ 'daily_capacity:' | length + 1 }})
            as channel_code,
        contact_policy.policy_value as daily_capacity
    from contact_policy
    where contact_policy.policy_key like 'daily_capacity:%'

),

gated as (

    select
        candidates.*,
        case
            when candidates.is_marketing and candidates.is_red_listed then 'red_list'
            when not candidates.has_valid_contact then 'no_valid_contact'
            when
                candidates.is_marketing
                and candidates.recent_contact_count
                >= {{ contact_policy_value("'weekly_contact_cap'") }}
                then 'frequency_cap'
        end as gate_reason,
        candidates.is_marketing
        and candidates.holdout_draw < {{ contact_policy_value("'holdout_share'") }}
            as is_holdout
    from candidates

),

channel_ranked as (

    select
        gated.as_of_date,
        gated.member_id,
        gated.segment_code,
        gated.is_holdout,
        row_number() over (
            partition by gated.as_of_date, gated.member_id, gated.channel_code
            order by gated.priority asc, gated.expected_value desc, gated.segment_code asc
        ) as channel_rank,
        gated.channel_code,
        gated.expected_value
    from gated
    where gated.gate_reason is null

),

capacity_ranked as (

    select
        channel_ranked.as_of_date,
        channel_ranked.member_id,
        channel_ranked.segment_code,
        row_number() over (
            partition by channel_ranked.as_of_date, channel_ranked.channel_code
            order by channel_ranked.expected_value desc, channel_ranked.member_id asc
        ) as channel_load_rank
    from channel_ranked
    where
        channel_ranked.channel_rank = 1
        and not channel_ranked.is_holdout

),

decided as (

    select
        gated.*,
        coalesce(
            gated.gate_reason,
            case
                when channel_ranked.channel_rank > 1 then 'lower_priority_same_channel'
                when gated.is_holdout then 'holdout'
                when capacity_ranked.channel_load_rank > channel_capacity.daily_capacity
                    then 'over_capacity'
            end
        ) as suppression_reason
    from gated
    left join channel_ranked
        on
            gated.as_of_date = channel_ranked.as_of_date
            and gated.member_id = channel_ranked.member_id
            and gated.segment_code = channel_ranked.segment_code
    left join capacity_ranked
        on
            gated.as_of_date = capacity_ranked.as_of_date
            and gated.member_id = capacity_ranked.member_id
            and gated.segment_code = capacity_ranked.segment_code
    left join channel_capacity on gated.channel_code = channel_capacity.channel_code

),

final as (

    select
        decided.as_of_date,
        decided.member_id,
        decided.segment_code as segment,
        decided.channel_code as channel,
        decided.action,
        decided.action_zh,
        decided.priority,
        decided.is_marketing,
        decided.tier_code,
        decided.score,
        cast(decided.member_value_cny as decimal(18, 2)) as member_value_cny,
        cast(decided.expected_value as decimal(18, 2)) as expected_value,
        decided.reasons,
        decided.reasons_zh,
        decided.recommended_offers,
        decided.recommended_offers_zh,
        decided.is_red_listed,
        decided.has_valid_contact,
        decided.recent_contact_count,
        decided.is_holdout,
        decided.suppression_reason is not null as is_suppressed,
        decided.suppression_reason,
        case
            when decided.suppression_reason is null
                then row_number() over (
                    partition by
                        decided.as_of_date,
                        decided.segment_code,
                        decided.suppression_reason is null
                    order by decided.expected_value desc, decided.member_id asc
                )
        end as list_rank
    from decided

)

select * from final
