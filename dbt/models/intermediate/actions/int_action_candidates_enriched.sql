{#-
    The action candidates with everything the contact policy decides on, as of their day: the
    list's attributes (seed segments), the member's value and the expected value of the action,
    the red list, whether the information library holds a usable contact for the channel, the
    contacts the operator started within the frequency-cap window, the recommended offers and
    the holdout draw. No policy is applied here (fct_daily_actions does that).
-#}
with

candidates as (

    select * from {{ ref('int_action_candidates') }}

),

segments as (

    select * from {{ ref('segments') }}

),

daily_activity as (

    select * from {{ ref('int_member_daily_activity') }}

),

manual_tag_entries as (

    select * from {{ ref('stg_manual_tags__entries') }}

),

contact_history as (

    select * from {{ ref('fct_member_contact_history') }}

),

contacts as (

    select * from {{ ref('fct_contacts') }}

),

recommendations as (

    select * from {{ source('ml', 'member_recommendations') }}

),

member_values as (

    select
        candidates.as_of_date,
        candidates.member_id,
        sum(daily_activity.consumption_cny) as member_value_cny
    from candidates
    inner join daily_activity
        on
            candidates.member_id = daily_activity.member_id
            and candidates.as_of_date >= daily_activity.activity_date
            and daily_activity.activity_date > {{ add_days(
                'candidates.as_of_date',
                '-1 * ' ~ contact_policy_value("'member_value_window_days'")
            ) }}
    group by candidates.as_of_date, candidates.member_id

),

-- the red list: the member's latest RED_LIST entry (an account manager's manual tag, the
-- red_list tag of the dictionary) known by the day is an ADD
red_list_entries as (

    select
        candidates.as_of_date,
        candidates.member_id,
        manual_tag_entries.tag_action,
        row_number() over (
            partition by candidates.as_of_date, candidates.member_id
            order by manual_tag_entries.entered_at desc, manual_tag_entries.tag_entry_id desc
        ) as recency_rank
    from candidates
    inner join manual_tag_entries
        on
            candidates.member_id = manual_tag_entries.member_id
            and candidates.as_of_date >= manual_tag_entries.entered_date
    where manual_tag_entries.tag_code = 'RED_LIST'

),

red_listed as (

    select distinct
        red_list_entries.as_of_date,
        red_list_entries.member_id
    from red_list_entries
    where
        red_list_entries.recency_rank = 1
        and red_list_entries.tag_action = 'ADD'

),

-- the information library as it stood at the end of the day (valid_to is exclusive)
usable_contacts as (

    select distinct
        candidates.as_of_date,
        candidates.member_id,
        contact_history.contact_type
    from candidates
    inner join contact_history
        on
            candidates.member_id = contact_history.member_id
            and {{ is_usable_contact_on('contact_history', 'candidates.as_of_date') }}

),

recent_contacts as (

    select
        candidates.as_of_date,
        candidates.member_id,
        count(distinct contacts.contact_id) as recent_contact_count
    from candidates
    inner join contacts
        on
            candidates.member_id = contacts.member_id
            and contacts.is_outbound
            and candidates.as_of_date >= contacts.contacted_date
            and contacts.contacted_date > {{ add_days(
                'candidates.as_of_date',
                '-1 * ' ~ contact_policy_value("'frequency_cap_window_days'")
            ) }}
    group by candidates.as_of_date, candidates.member_id

),

offers as (

    select
        recommendations.as_of_date,
        recommendations.member_id,
        {{ dbt.listagg(
            'recommendations.offer_name', "'; '", 'order by recommendations.rank'
        ) }} as recommended_offers,
        {{ dbt.listagg(
            'recommendations.offer_name_zh', "'; '", 'order by recommendations.rank'
        ) }} as recommended_offers_zh
    from recommendations
    where {{ in_partition_window('recommendations.as_of_date') }}
    group by recommendations.as_of_date, recommendations.member_id

),

final as (

    select
        candidates.as_of_date,
        candidates.member_id,
        candidates.segment_code,
        segments.channel_code,
        segments.contact_field,
        segments.is_marketing,
        segments.priority,
        -- `action` is the column name the issue gives the lists
        segments.action_en as action,  -- noqa: RF04
        segments.action_zh,
        candidates.tier_code,
        candidates.score,
        coalesce(member_values.member_value_cny, 0) as member_value_cny,
        round(
            coalesce(candidates.score, segments.base_response_rate, 0)
            * coalesce(member_values.member_value_cny, 0),
            2
        ) as expected_value,
        candidates.reasons,
        candidates.reasons_zh,
        offers.recommended_offers,
        offers.recommended_offers_zh,
        red_listed.member_id is not null as is_red_listed,
        segments.contact_field = 'none' or usable_contacts.member_id is not null
            as has_valid_contact,
        coalesce(recent_contacts.recent_contact_count, 0) as recent_contact_count,
        {{ stable_unit_interval(
            dbt.concat(['candidates.member_id', "'|'", 'candidates.segment_code'])
        ) }} as holdout_draw
    from candidates
    inner join segments on candidates.segment_code = segments.segment_code
    left join member_values
        on
            candidates.member_id = member_values.member_id
            and candidates.as_of_date = member_values.as_of_date
    left join red_listed
        on
            candidates.member_id = red_listed.member_id
            and candidates.as_of_date = red_listed.as_of_date
    left join usable_contacts
        on
            candidates.member_id = usable_contacts.member_id
            and candidates.as_of_date = usable_contacts.as_of_date
            and segments.contact_field = usable_contacts.contact_type
    left join recent_contacts
        on
            candidates.member_id = recent_contacts.member_id
            and candidates.as_of_date = recent_contacts.as_of_date
    left join offers
        on
            candidates.member_id = offers.member_id
            and candidates.as_of_date = offers.as_of_date

)

select * from final
