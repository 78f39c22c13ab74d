"""Coded rows to the contract's text: ids, codes, timestamps, amounts, all as strings.

One spec per source names, for each contract column in contract order, how its text is made
from the coded columns the simulation collected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from dagster_project.simulator import behaviour, characters, population, service
from dagster_project.simulator.accounts import TAG_ACTIONS
from dagster_project.simulator.reference import Reference
from dagster_project.simulator.tables import Columns
from data_quality import contract

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S+08:00"


@dataclass(frozen=True)
class Lookups:
    """Every label list a coded column can point into."""

    ref: Reference
    guild_ids: tuple[str, ...]
    guild_names: tuple[str, ...]

    def labels(self, name: str) -> tuple[str, ...]:
        fixed = {
            "genders": population.GENDERS,
            "register_channels": population.REGISTER_CHANNELS,
            "devices": population.DEVICES,
            "pay_methods": population.PAY_METHODS,
            "txn_types": behaviour.TXN_TYPES,
            "item_categories": behaviour.ITEM_CATEGORIES,
            "results": behaviour.RESULTS,
            "exchange_types": behaviour.EXCHANGE_TYPES,
            "guild_roles": characters.GUILD_ROLES,
            "channels": contract.CHANNELS,
            "directions": service.DIRECTIONS,
            "purposes": contract.CONTACT_PURPOSES,
            "outcomes": contract.CONTACT_OUTCOMES,
            "ticket_categories": contract.TICKET_CATEGORIES,
            "priorities": service.PRIORITIES,
            "ticket_statuses": service.TICKET_STATUSES,
            "security_event_types": contract.SECURITY_EVENT_TYPES,
            "tag_codes": contract.MANUAL_TAG_CODES,
            "tag_actions": TAG_ACTIONS,
            "games": self.ref.games,
            "servers": self.ref.servers,
            "regions": self.ref.regions,
            "occupations": self.ref.occupations,
            "activities": self.ref.activities,
            "mall_items": self.ref.mall_items,
            "agents": self.ref.agents,
            "guild_ids": self.guild_ids,
            "guild_names": self.guild_names,
        }
        return fixed[name]


# Column specs: ("id", prefix, width, column) | ("seq", prefix, width) | ("member",)
# | ("label", column, labels) | ("ts", column) | ("date", column) | ("int", column)
# | ("cents", column) | ("text", column). Negative codes, ids <= 0 and None render as null.
MEMBER = ("member",)
SPECS: dict[str, dict[str, tuple]] = {
    "members": {
        "member_id": MEMBER,
        "updated_at": ("ts", "_at"),
        "registered_at": ("ts", "registered"),
        "real_name": ("text", "name"),
        "gender": ("label", "gender", "genders"),
        "birth_date": ("date", "birth"),
        "region": ("label", "region", "regions"),
        "occupation": ("label", "occupation", "occupations"),
        "phone": ("text", "phone"),
        "email": ("text", "email"),
        "register_channel": ("label", "channel", "register_channels"),
    },
    "logins": {
        "login_id": ("seq", "LG", 10),
        "member_id": MEMBER,
        "game_code": ("label", "game", "games"),
        "server_id": ("label", "server", "servers"),
        "login_at": ("ts", "_at"),
        "duration_min": ("int", "minutes"),
        "region": ("label", "region", "regions"),
        "device_type": ("label", "device", "devices"),
    },
    "recharges": {
        "recharge_id": ("seq", "RC", 10),
        "member_id": MEMBER,
        "game_code": ("label", "game", "games"),
        "recharged_at": ("ts", "_at"),
        "txn_type": ("label", "txn_type", "txn_types"),
        "amount_cny": ("cents", "cents"),
        "pay_method": ("label", "pay_method", "pay_methods"),
    },
    "consumption": {
        "consumption_id": ("seq", "CS", 10),
        "member_id": MEMBER,
        "game_code": ("label", "game", "games"),
        "server_id": ("label", "server", "servers"),
        "consumed_at": ("ts", "_at"),
        "amount_cny": ("cents", "cents"),
        "item_category": ("label", "category", "item_categories"),
    },
    "characters": {
        "character_id": ("id", "CH", 9, "character"),
        "member_id": MEMBER,
        "game_code": ("label", "game", "games"),
        "server_id": ("label", "server", "servers"),
        "updated_at": ("ts", "_at"),
        "level": ("int", "level"),
        "guild_id": ("label", "guild", "guild_ids"),
        "guild_name": ("label", "guild", "guild_names"),
        "guild_role": ("label", "role", "guild_roles"),
    },
    "activity_participation": {
        "participation_id": ("seq", "AP", 10),
        "member_id": MEMBER,
        "activity_code": ("label", "activity", "activities"),
        "participated_at": ("ts", "_at"),
        "result": ("label", "result", "results"),
    },
    "points_exchanges": {
        "exchange_id": ("seq", "PX", 10),
        "member_id": MEMBER,
        "exchanged_at": ("ts", "_at"),
        "exchange_type": ("label", "exchange_type", "exchange_types"),
        "item_code": ("label", "item", "mall_items"),
        "points": ("int", "points"),
    },
    "contacts": {
        "contact_id": ("id", "CT", 10, "contact"),
        "member_id": MEMBER,
        "contacted_at": ("ts", "_at"),
        "channel": ("label", "channel", "channels"),
        "direction": ("label", "direction", "directions"),
        "agent_id": ("label", "agent", "agents"),
        "purpose": ("label", "purpose", "purposes"),
        "outcome": ("label", "outcome", "outcomes"),
        "phone": ("text", "phone"),
        "email": ("text", "email"),
        "duration_sec": ("int", "seconds"),
    },
    "tickets": {
        "ticket_id": ("id", "TK", 8, "ticket"),
        "member_id": MEMBER,
        "opened_at": ("ts", "opened"),
        "updated_at": ("ts", "_at"),
        "category": ("label", "category", "ticket_categories"),
        "priority": ("label", "priority", "priorities"),
        "status": ("label", "status", "ticket_statuses"),
        "resolved_at": ("ts", "resolved"),
        "agent_id": ("label", "agent", "agents"),
    },
    "surveys": {
        "survey_id": ("seq", "SV", 10),
        "member_id": MEMBER,
        "answered_at": ("ts", "_at"),
        "contact_id": ("id", "CT", 10, "contact"),
        "score": ("int", "score"),
        "comment": ("text", "comment"),
        "phone": ("text", "phone"),
        "email": ("text", "email"),
    },
    "security_events": {
        "event_id": ("seq", "SE", 10),
        "member_id": MEMBER,
        "occurred_at": ("ts", "_at"),
        "event_type": ("label", "event", "security_event_types"),
        "detail": ("text", "detail"),
    },
    "manual_tags": {
        "tag_entry_id": ("seq", "MT", 8),
        "member_id": MEMBER,
        "entered_at": ("ts", "_at"),
        "entered_by": ("label", "manager", "agents"),
        "tag_code": ("label", "tag", "tag_codes"),
        "tag_value": ("text", "value"),
        "action": ("label", "action", "tag_actions"),
    },
}


def format_ids(prefix: str, width: int, ids: np.ndarray) -> pl.Series:
    """ "LG0000000042": prefix and zero-padded number; ids <= 0 give null."""
    digits = pl.Series(ids.astype(np.int64) + 10**width).cast(pl.String).str.slice(1)
    text = pl.select(pl.concat_str([pl.lit(prefix), digits])).to_series()
    return _null_where(text, ids <= 0)


def format_timestamps(seconds: np.ndarray) -> pl.Series:
    """Local seconds to ``YYYY-MM-DDTHH:MM:SS+08:00``; negative gives null."""
    text = pl.from_epoch(pl.Series(seconds.astype(np.int64)), time_unit="s").dt.strftime(
        TIMESTAMP_FORMAT
    )
    return _null_where(text, seconds < 0)


def format_cents(cents: np.ndarray) -> pl.Series:
    """Cents to a two-decimal amount ("648.00")."""
    whole = pl.Series(cents // 100).cast(pl.String)
    fraction = pl.Series(cents % 100).cast(pl.String).str.zfill(2)
    return pl.select(pl.concat_str([whole, pl.lit("."), fraction])).to_series()


def _null_where(text: pl.Series, missing: np.ndarray) -> pl.Series:
    if not missing.any():
        return text
    return pl.select(pl.when(pl.Series(missing)).then(None).otherwise(text)).to_series()


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    codes = codes.astype(np.int64)
    lookup = pl.Series([*labels, None], dtype=pl.String)
    return lookup.gather(np.where(codes < 0, len(labels), codes))


def _render_column(spec: tuple, table: Columns, lookups: Lookups) -> pl.Series:
    kind = spec[0]
    if kind == "member":
        return format_ids("M", 7, table["member"].astype(np.int64) + 1)
    if kind == "seq":
        return format_ids(spec[1], spec[2], table["_seq"] + 1)
    if kind == "id":
        return format_ids(spec[1], spec[2], table[spec[3]])
    values = table[spec[1]]
    if kind == "label":
        return _labels(lookups.labels(spec[2]), values)
    if kind == "ts":
        return format_timestamps(values)
    if kind == "date":
        return pl.from_epoch(pl.Series(values.astype(np.int64)), time_unit="d").dt.strftime(
            "%Y-%m-%d"
        )
    if kind == "int":
        return _null_where(pl.Series(values.astype(np.int64)).cast(pl.String), values < 0)
    if kind == "cents":
        return format_cents(values.astype(np.int64))
    if kind == "text":
        return pl.Series(values.tolist(), dtype=pl.String)
    raise ValueError(f"unknown column spec {spec!r}")


def render(source: str, table: Columns, lookups: Lookups) -> pl.DataFrame:
    """The contract columns of a source, in contract order, all as strings."""
    spec = SPECS[source]
    return pl.DataFrame(
        {name: _render_column(spec[name], table, lookups).alias(name) for name in spec},
        schema={name: pl.String for name in spec},
    )
