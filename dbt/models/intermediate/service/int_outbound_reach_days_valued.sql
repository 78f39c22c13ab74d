{#-
    Members reached by an outbound contact, one row per member and day, with the value-added
    revenue of that reach: what the member consumed after the first reach of the day, up to the
    end of the var `service_value_added_window_days`-th following day (and never past the as-of
    day, so a window still running is marked incomplete rather than guessed).
-#}
with

contacts as (

    select * from {{ ref('int_contacts_flagged') }}

),

consumption as (

    select * from {{ ref('stg_consumption__transactions') }}

),

as_of as (

    select * from {{ ref('int_service_as_of_date') }}

),

reach_days as (

    select
        contacts.member_id,
        contacts.contacted_date,
        min(contacts.contacted_at) as first_reached_at,
        count(*) as reached_contacts
    from contacts
    where contacts.is_outbound and contacts.is_reached
    group by contacts.member_id, contacts.contacted_date

),

windows as (

    select
        reach_days.member_id,
        reach_days.contacted_date,
        reach_days.first_reached_at,
        reach_days.reached_contacts,
        cast(
            {{ dbt.dateadd('day', var('service_value_added_window_days'),
                'reach_days.contacted_date') }}
            as date
        ) as window_end_date,
        as_of.as_of_date
    from reach_days
    cross join as_of

),

valued as (

    select
        windows.member_id,
        windows.contacted_date,
        coalesce(sum(consumption.amount_cny), 0) as value_added_cny
    from windows
    left join consumption
        on
            windows.member_id = consumption.member_id
            and windows.first_reached_at < consumption.consumed_at
            and windows.window_end_date >= consumption.consumed_date
            and windows.as_of_date >= consumption.consumed_date
    group by windows.member_id, windows.contacted_date

),

final as (

    select
        windows.member_id,
        windows.contacted_date,
        windows.first_reached_at,
        windows.reached_contacts,
        windows.window_end_date,
        cast(valued.value_added_cny as decimal(18, 2)) as value_added_cny,
        windows.window_end_date <= windows.as_of_date as is_window_complete
    from windows
    inner join valued
        on
            windows.member_id = valued.member_id
            and windows.contacted_date = valued.contacted_date

)

select * from final
