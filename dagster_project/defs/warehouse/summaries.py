"""Business summaries on the materialisations of a few marts, for the Dagster UI.

A data engineer looking at a run should see what the warehouse says, not only that it built: the
tier distribution, the lifecycle stages, the Pareto share and the contact coverage of the last
day, as Markdown tables on the materialisation of the mart they come from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb


@dataclass(frozen=True)
class Summary:
    """One Markdown table for a mart's materialisation: its label and the query behind it."""

    label: str
    sql: str


SUMMARIES: dict[dg.AssetKey, Summary] = {
    dg.AssetKey(["marts", "fct_member_tier_daily"]): Summary(
        "tier distribution (last day)",
        """
        select tier_code as tier, count(*) as members,
            count(*) filter (where is_pre_downgrade) as pre_downgrade
        from marts.fct_member_tier_daily
        where as_of_date = (select max(as_of_date) from marts.fct_member_tier_daily)
        group by tier_code, tier_rank
        order by tier_rank
        """,
    ),
    dg.AssetKey(["marts", "fct_lifecycle_daily"]): Summary(
        "lifecycle stages (last day)",
        """
        select stage, count(*) as members, count(*) filter (where is_returned) as returned
        from marts.fct_lifecycle_daily
        where as_of_date = (select max(as_of_date) from marts.fct_lifecycle_daily)
        group by stage
        order by members desc
        """,
    ),
    dg.AssetKey(["marts", "fct_pareto_monthly"]): Summary(
        "consumption share of the top payers, by month",
        """
        select cast(month_start_date as varchar) as month, paying_members, top_payers,
            round(100 * top_payers_consumption_share, 1) as top_share_pct, is_month_complete
        from marts.fct_pareto_monthly
        order by month_start_date desc
        limit 6
        """,
    ),
    dg.AssetKey(["marts", "fct_contact_coverage_daily"]): Summary(
        "contact coverage (last day)",
        """
        select cast(coverage_date as varchar) as day, member_count,
            round(100 * phone_coverage_share, 1) as phone_coverage_pct,
            round(100 * phone_verified_share, 1) as phone_verified_pct,
            round(100 * email_coverage_share, 1) as email_coverage_pct
        from marts.fct_contact_coverage_daily
        order by coverage_date desc
        limit 1
        """,
    ),
}


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    """A Markdown table the Dagster UI renders."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_metadata(con: duckdb.DuckDBPyConnection, summary: Summary) -> dict[str, object]:
    cursor = con.execute(summary.sql)
    columns = [column[0] for column in cursor.description]
    return {summary.label: dg.MetadataValue.md(markdown_table(columns, cursor.fetchall()))}


def with_summaries(
    events: Iterable, warehouse_path: Path, key_of: Callable[[object], dg.AssetKey | None]
) -> Iterator:
    """The dbt events, with each summarised mart's table attached to its materialisation.

    Call it on the events of a finished dbt invocation (dbt must have released the warehouse).
    ``key_of`` names the asset an event materialises, or None for other events.
    """
    received, failure = [], None
    try:
        received.extend(events)
    except Exception as error:
        # dbt failed (a model or a test): what it did build is still reported, then the error.
        failure = error
    keys = {key_of(event) for event in received}
    wanted = {key: summary for key, summary in SUMMARIES.items() if key in keys}
    extra = {}
    if wanted:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            extra = {key: summary_metadata(con, summary) for key, summary in wanted.items()}
    for event in received:
        key = key_of(event)
        yield event.with_metadata({**event.metadata, **extra[key]}) if key in extra else event
    if failure is not None:
        raise failure
