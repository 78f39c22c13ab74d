{#-
    Survivorship of the effective information library, evaluated on every day a member's best
    phone or e-mail can change: a day a candidate is observed, the day a confirmation grows older
    than the verified window, the day a self-report stops being recent. Between two such days
    nothing changes, so these rows are the whole history at a fraction of a member x day table.

    Rules (DOMAIN.md, windows in vars):
      1. confirmed by a reached contact within contact_verified_window_days  -> verified
      2. self-reported within contact_recent_self_report_days                  -> unverified
      3. an older self-report or an expired confirmation                       -> unverified
      4. only seen in a contact attempt (unanswered caller id ...)             -> unverified
    An invalidation (wrong number, manager removal) puts a value out of the race until a later
    confirmation. Within a rule the most recent evidence wins. A member whose candidates are all
    rejected or invalidated is `invalid`.
-#}
{%- set verified_days = var('contact_verified_window_days') | int -%}
{%- set recent_days = var('contact_recent_self_report_days') | int -%}

with

candidates as (

    select * from {{ ref('int_contact_candidates') }}

),

horizon as (

    -- As of the partition window's last day, never later than the data delivered so far.
    select
        least(
            cast('{{ var("max_date") }}' as date),
            max(candidates.observed_date)
        ) as as_of_date
    from candidates

),

known_candidates as (

    select candidates.*
    from candidates
    cross join horizon
    where candidates.observed_date <= horizon.as_of_date

),

usable_evidence as (

    select
        known_candidates.member_id,
        known_candidates.contact_type,
        known_candidates.cleaned_value as contact_value,
        known_candidates.candidate_source,
        known_candidates.evidence_type,
        known_candidates.observed_at,
        known_candidates.observed_date
    from known_candidates
    where known_candidates.is_usable

),

rejected_candidates as (

    select
        known_candidates.member_id,
        known_candidates.contact_type,
        known_candidates.rejection_reason,
        known_candidates.observed_at,
        known_candidates.observed_date
    from known_candidates
    where not known_candidates.is_usable

),

change_points as (

    select
        known_candidates.member_id,
        known_candidates.contact_type,
        known_candidates.observed_date as change_date
    from known_candidates

    union

    select
        usable_evidence.member_id,
        usable_evidence.contact_type,
        {{ add_days('usable_evidence.observed_date', verified_days) }} as change_date
    from usable_evidence
    where usable_evidence.evidence_type = 'confirmed'

    union

    select
        usable_evidence.member_id,
        usable_evidence.contact_type,
        {{ add_days('usable_evidence.observed_date', recent_days) }} as change_date
    from usable_evidence
    where usable_evidence.evidence_type = 'self_report'

),

known_change_points as (

    select
        change_points.member_id,
        change_points.contact_type,
        change_points.change_date,
        horizon.as_of_date
    from change_points
    cross join horizon
    where change_points.change_date <= horizon.as_of_date

),

-- Each value's latest evidence of each kind known at the end of each change day.
evidence_at_change as (

    select
        known_change_points.member_id,
        known_change_points.contact_type,
        known_change_points.change_date,
        usable_evidence.contact_value,
        usable_evidence.evidence_type,
        usable_evidence.candidate_source,
        usable_evidence.observed_at,
        usable_evidence.observed_date,
        row_number() over (
            partition by
                known_change_points.member_id,
                known_change_points.contact_type,
                known_change_points.change_date,
                usable_evidence.contact_value,
                usable_evidence.evidence_type
            order by usable_evidence.observed_at desc, usable_evidence.candidate_source asc
        ) as recency_rank
    from known_change_points
    inner join usable_evidence
        on
            known_change_points.member_id = usable_evidence.member_id
            and known_change_points.contact_type = usable_evidence.contact_type
            and known_change_points.change_date >= usable_evidence.observed_date

),

value_states as (

    select
        evidence_at_change.member_id,
        evidence_at_change.contact_type,
        evidence_at_change.change_date,
        evidence_at_change.contact_value,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'confirmed'
                    then evidence_at_change.observed_at
            end
        ) as last_confirmed_at,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'confirmed'
                    then evidence_at_change.observed_date
            end
        ) as last_confirmed_date,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'confirmed'
                    then evidence_at_change.candidate_source
            end
        ) as confirmed_source,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'self_report'
                    then evidence_at_change.observed_at
            end
        ) as last_self_reported_at,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'self_report'
                    then evidence_at_change.observed_date
            end
        ) as last_self_reported_date,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'self_report'
                    then evidence_at_change.candidate_source
            end
        ) as self_report_source,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'invalidated'
                    then evidence_at_change.observed_at
            end
        ) as last_invalidated_at,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'attempted'
                    then evidence_at_change.observed_at
            end
        ) as last_attempted_at,
        max(
            case
                when
                    evidence_at_change.evidence_type = 'attempted'
                    then evidence_at_change.candidate_source
            end
        ) as attempt_source
    from evidence_at_change
    where evidence_at_change.recency_rank = 1
    group by
        evidence_at_change.member_id,
        evidence_at_change.contact_type,
        evidence_at_change.change_date,
        evidence_at_change.contact_value

),

ruled_values as (

    select
        value_states.*,
        case
            -- Invalidated and not confirmed since: out of the race.
            when
                value_states.last_invalidated_at is not null
                and (
                    value_states.last_confirmed_at is null
                    or value_states.last_invalidated_at >= value_states.last_confirmed_at
                )
                then 'invalidated'
            when
                {{ days_between(
                    'value_states.last_confirmed_date',
                    'value_states.change_date',
                ) }}
                < {{ verified_days }}
                then 'reached_recently'
            when
                {{ days_between(
                    'value_states.last_self_reported_date',
                    'value_states.change_date',
                ) }}
                < {{ recent_days }}
                then 'recent_self_report'
            when value_states.last_self_reported_at >= value_states.last_confirmed_at
                then 'old_self_report'
            when value_states.last_confirmed_at is not null then 'expired_confirmation'
            when value_states.last_self_reported_at is not null then 'old_self_report'
            else 'attempted_only'
        end as status_reason
    from value_states

),

ranked_values as (

    select
        ruled_values.*,
        case ruled_values.status_reason
            when 'reached_recently' then 1
            when 'recent_self_report' then 2
            when 'old_self_report' then 3
            when 'expired_confirmation' then 3
            when 'attempted_only' then 4
        end as survivorship_rank,
        case
            when ruled_values.status_reason in ('reached_recently', 'expired_confirmation')
                then ruled_values.last_confirmed_at
            when ruled_values.status_reason in ('recent_self_report', 'old_self_report')
                then ruled_values.last_self_reported_at
            else ruled_values.last_attempted_at
        end as deciding_evidence_at,
        case
            when ruled_values.status_reason in ('reached_recently', 'expired_confirmation')
                then ruled_values.confirmed_source
            when ruled_values.status_reason in ('recent_self_report', 'old_self_report')
                then ruled_values.self_report_source
            else ruled_values.attempt_source
        end as deciding_source
    from ruled_values

),

best_values as (

    select
        ranked_values.*,
        row_number() over (
            partition by
                ranked_values.member_id, ranked_values.contact_type, ranked_values.change_date
            order by
                case when ranked_values.survivorship_rank is null then 1 else 0 end asc,
                ranked_values.survivorship_rank asc,
                ranked_values.deciding_evidence_at desc,
                ranked_values.contact_value asc
        ) as value_rank
    from ranked_values

),

latest_rejections as (

    select
        known_change_points.member_id,
        known_change_points.contact_type,
        known_change_points.change_date,
        rejected_candidates.rejection_reason,
        row_number() over (
            partition by
                known_change_points.member_id,
                known_change_points.contact_type,
                known_change_points.change_date
            order by rejected_candidates.observed_at desc, rejected_candidates.rejection_reason asc
        ) as rejection_rank
    from known_change_points
    inner join rejected_candidates
        on
            known_change_points.member_id = rejected_candidates.member_id
            and known_change_points.contact_type = rejected_candidates.contact_type
            and known_change_points.change_date >= rejected_candidates.observed_date

),

resolved as (

    select
        known_change_points.member_id,
        known_change_points.contact_type,
        known_change_points.change_date,
        known_change_points.as_of_date,
        best_values.survivorship_rank,
        case
            when best_values.survivorship_rank is not null then best_values.contact_value
        end as contact_value,
        case
            when best_values.survivorship_rank = 1 then 'verified'
            when best_values.survivorship_rank is not null then 'unverified'
            else 'invalid'
        end as contact_status,
        coalesce(
            best_values.status_reason,
            'rejected_' || latest_rejections.rejection_reason
        ) as status_reason,
        case
            when best_values.survivorship_rank is not null then best_values.deciding_source
        end as contact_source,
        case
            when best_values.survivorship_rank is not null then best_values.last_confirmed_date
        end as last_verified_date
    from known_change_points
    left join best_values
        on
            known_change_points.member_id = best_values.member_id
            and known_change_points.contact_type = best_values.contact_type
            and known_change_points.change_date = best_values.change_date
            and best_values.value_rank = 1
    left join latest_rejections
        on
            known_change_points.member_id = latest_rejections.member_id
            and known_change_points.contact_type = latest_rejections.contact_type
            and known_change_points.change_date = latest_rejections.change_date
            and latest_rejections.rejection_rank = 1

),

final as (

    select
        resolved.member_id,
        resolved.contact_type,
        resolved.change_date,
        resolved.contact_value,
        resolved.contact_status,
        resolved.status_reason,
        resolved.contact_source,
        resolved.last_verified_date,
        resolved.survivorship_rank,
        resolved.as_of_date
    from resolved

)

select * from final
