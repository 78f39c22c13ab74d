-- Each member's periods of one contact type follow each other without overlap or gap, and
-- exactly the last one is current.
with

history as (

    select * from {{ ref('fct_member_contact_history') }}

),

sequenced as (

    select
        history.member_id,
        history.contact_type,
        history.valid_from,
        history.valid_to,
        history.is_current,
        lead(history.valid_from) over (
            partition by history.member_id, history.contact_type
            order by history.valid_from
        ) as next_valid_from
    from history

),

final as (

    select sequenced.*
    from sequenced
    where
        sequenced.valid_to <= sequenced.valid_from
        or coalesce(sequenced.valid_to, '2999-12-31')
        != coalesce(sequenced.next_valid_from, '2999-12-31')
        or sequenced.is_current != (sequenced.next_valid_from is null)

)

select * from final
