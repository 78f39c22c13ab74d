{#-
    Account managers' list flags and notes as they stand on the tags' as-of day, one row per
    member and manual tag code. A list flag (RED_LIST, WHITE_LIST) is set while the member's
    latest entry of that code is an ADD. A note (PERSONALITY_NOTE, PREFERENCE_NOTE) stays until
    a later REMOVE of the same text, or a REMOVE without text, which clears every earlier note of
    that code. Contact details (CONTACT_PHONE, CONTACT_EMAIL) are the information library's.
-#}
{%- set list_codes = "'" ~ var('tags_manual_list_codes') | join("', '") ~ "'" -%}
{%- set note_codes = "'" ~ var('tags_manual_note_codes') | join("', '") ~ "'" -%}
{%- set manual_codes = list_codes ~ ', ' ~ note_codes -%}
with

entries as (

    select * from {{ ref('stg_manual_tags__entries') }}

),

as_of as (

    select * from {{ ref('int_tags_as_of_date') }}

),

known_entries as (

    select
        entries.tag_entry_id,
        entries.member_id,
        entries.tag_code,
        entries.tag_value,
        entries.tag_action,
        entries.entered_at
    from entries
    inner join as_of on entries.entered_date <= as_of.as_of_date
    where
        entries.tag_code in ({{ manual_codes }})

),

latest_list_entries as (

    select
        known_entries.member_id,
        known_entries.tag_code,
        known_entries.tag_action,
        known_entries.entered_at,
        row_number() over (
            partition by known_entries.member_id, known_entries.tag_code
            order by known_entries.entered_at desc, known_entries.tag_entry_id desc
        ) as entry_rank
    from known_entries
    where
        known_entries.tag_code in ({{ list_codes }})

),

list_flags as (

    select
        latest_list_entries.member_id,
        latest_list_entries.tag_code,
        cast(null as varchar) as tag_value,
        latest_list_entries.entered_at as last_entered_at
    from latest_list_entries
    where
        latest_list_entries.entry_rank = 1
        and latest_list_entries.tag_action = 'ADD'

),

note_removals as (

    select
        known_entries.member_id,
        known_entries.tag_code,
        known_entries.tag_value,
        known_entries.entered_at
    from known_entries
    where
        known_entries.tag_action = 'REMOVE'
        and known_entries.tag_code in ({{ note_codes }})

),

live_notes as (

    select
        known_entries.member_id,
        known_entries.tag_code,
        known_entries.tag_value,
        known_entries.entered_at
    from known_entries
    where
        known_entries.tag_action = 'ADD'
        and known_entries.tag_value is not null
        and known_entries.tag_code in ({{ note_codes }})
        and not exists (
            select 1 as is_removed
            from note_removals
            where
                note_removals.member_id = known_entries.member_id
                and note_removals.tag_code = known_entries.tag_code
                and note_removals.entered_at >= known_entries.entered_at
                and (
                    note_removals.tag_value is null
                    or note_removals.tag_value = known_entries.tag_value
                )
        )

),

distinct_notes as (

    select
        live_notes.member_id,
        live_notes.tag_code,
        live_notes.tag_value,
        max(live_notes.entered_at) as last_entered_at
    from live_notes
    group by live_notes.member_id, live_notes.tag_code, live_notes.tag_value

),

notes as (

    select
        distinct_notes.member_id,
        distinct_notes.tag_code,
        {{ dbt.listagg(
            'distinct_notes.tag_value',
            "'" ~ var('tags_note_separator') ~ "'",
            'order by distinct_notes.last_entered_at desc, distinct_notes.tag_value'
        ) }} as tag_value,
        max(distinct_notes.last_entered_at) as last_entered_at
    from distinct_notes
    group by distinct_notes.member_id, distinct_notes.tag_code

),

final as (

    select * from list_flags
    union all
    select * from notes

)

select * from final
