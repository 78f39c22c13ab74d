"""The raw data contract: the one definition of every landing source.

The simulator writes to it, ingestion validates and types rows by it, the great-expectations
suites are built from it, and `docs/data_contract.md` is rendered from it (a test keeps the
document in step). Change a source here and everything follows.

Landing layout: ``landing/<source>/dt=YYYY-MM-DD/part-*.{parquet,csv,jsonl}``. Every value may
arrive as text; ingestion parses it by the column's type. Timestamps are ISO 8601 with a UTC
offset (``2026-03-01T13:45:12+08:00``); a timestamp without an offset is Asia/Shanghai time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
LANDING_FORMATS = ("parquet", "csv", "jsonl")
SOURCE_TIMEZONE = "Asia/Shanghai"

# A loose shape check for phone numbers where present: malformed numbers are kept in raw
# (the effective information library rejects them with a reason), so this is a quality share,
# not a row rule.
PHONE_SHAPE_REGEX = r"^\+?[0-9][0-9 \-]{6,18}$"


@dataclass(frozen=True)
class Column:
    """One column of a landing source."""

    name: str
    dtype: str  # string | int | float | timestamp | date
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    allowed_seed: tuple[str, str] | None = None  # (seed file stem, column)
    min_value: float | None = None
    max_value: float | None = None
    pii: bool = False
    phone: bool = False

    def allowed_values(self) -> tuple[str, ...] | None:
        """The allowed values, read from the seed where the column refers to reference data."""
        if self.allowed is not None:
            return self.allowed
        if self.allowed_seed is not None:
            return seed_values(*self.allowed_seed)
        return None


@dataclass(frozen=True)
class Source:
    """A landing source: its columns, natural key and the timestamp that dates its events."""

    name: str
    description: str
    key: tuple[str, ...]
    event_time: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


@cache
def seed_values(seed: str, column: str) -> tuple[str, ...]:
    """Distinct values of one column of a seed CSV under ``seeds/``."""
    path = SEEDS_DIR / f"{seed}.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple(sorted({row[column] for row in csv.DictReader(handle)}))


def _member() -> Column:
    return Column("member_id", "string", "Member (account) id, e.g. M0000042.", required=True)


def _game() -> Column:
    return Column(
        "game_code",
        "string",
        "Game, from seed games.",
        required=True,
        allowed_seed=("games", "game_code"),
    )


def _server() -> Column:
    return Column("server_id", "string", "Game server, e.g. G01-S03.", required=True)


def _at(name: str, description: str, required: bool = True) -> Column:
    return Column(name, "timestamp", description, required=required)


CHANNELS = ("OB", "IB", "IM", "SMS", "EMAIL", "APP", "WEB")
CONTACT_OUTCOMES = ("REACHED", "NO_ANSWER", "WRONG_NUMBER", "REFUSED")
CONTACT_PURPOSES = (
    "WELCOME",
    "RETENTION",
    "WINBACK",
    "SERVICE",
    "MARKETING",
    "SECURITY",
    "BIRTHDAY",
    "SURVEY",
    "VERIFY",
)
RECHARGE_TYPES = ("PAYMENT", "REFUND", "CHARGEBACK")
GUILD_ROLES = ("LEADER", "OFFICER", "MEMBER", "NONE")
SECURITY_EVENT_TYPES = (
    "ABNORMAL_LOGIN_REGION",
    "ABNORMAL_DEVICE",
    "PASSWORD_RESET",
    "SECURITY_PRODUCT_BOUND",
    "SECURITY_PRODUCT_UNBOUND",
)
MANUAL_TAG_CODES = (
    "RED_LIST",
    "WHITE_LIST",
    "PERSONALITY_NOTE",
    "PREFERENCE_NOTE",
    "CONTACT_PHONE",
    "CONTACT_EMAIL",
)
TICKET_CATEGORIES = ("PAYMENT", "ACCOUNT", "BUG", "COMPLAINT", "CONSULT", "SECURITY")
TICKET_STATUSES = ("OPEN", "RESOLVED", "CLOSED")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "members",
            "Member profile changes: one row per profile version (the first delivery is a full "
            "snapshot of existing members, later days carry registrations and changes).",
            key=("member_id", "updated_at"),
            event_time="updated_at",
            columns=(
                _member(),
                _at("updated_at", "When this profile version was written."),
                _at("registered_at", "Registration time of the account."),
                Column("real_name", "string", "Real name as registered.", pii=True),
                Column("gender", "string", "M, F or U (unknown).", allowed=("M", "F", "U")),
                Column("birth_date", "date", "Birthday, YYYY-MM-DD, self-reported."),
                Column(
                    "region",
                    "string",
                    "Province or region, from seed regions.",
                    allowed_seed=("regions", "region_code"),
                ),
                Column(
                    "occupation",
                    "string",
                    "Occupation, from seed occupations.",
                    allowed_seed=("occupations", "occupation_code"),
                ),
                Column(
                    "phone",
                    "string",
                    "Self-reported phone, as typed (may be malformed).",
                    pii=True,
                    phone=True,
                ),
                Column("email", "string", "Self-reported e-mail, as typed.", pii=True),
                Column(
                    "register_channel",
                    "string",
                    "Where the account was opened.",
                    allowed=("APP", "WEB", "PARTNER"),
                ),
            ),
        ),
        Source(
            "logins",
            "Game sessions: one row per login.",
            key=("login_id",),
            event_time="login_at",
            columns=(
                Column("login_id", "string", "Session id.", required=True),
                _member(),
                _game(),
                _server(),
                _at("login_at", "Session start."),
                Column(
                    "duration_min", "int", "Session length in minutes.", min_value=0, max_value=1440
                ),
                Column(
                    "region",
                    "string",
                    "Region the session came from.",
                    allowed_seed=("regions", "region_code"),
                ),
                Column("device_type", "string", "Device family.", allowed=("IOS", "ANDROID", "PC")),
            ),
        ),
        Source(
            "recharges",
            "Money paid in (recharge), refunds and chargebacks.",
            key=("recharge_id",),
            event_time="recharged_at",
            columns=(
                Column("recharge_id", "string", "Payment transaction id.", required=True),
                _member(),
                _game(),
                _at("recharged_at", "When the payment, refund or chargeback was booked."),
                Column(
                    "txn_type",
                    "string",
                    "PAYMENT, REFUND or CHARGEBACK.",
                    required=True,
                    allowed=RECHARGE_TYPES,
                ),
                Column(
                    "amount_cny",
                    "float",
                    "Amount in CNY, always positive; the type gives the sign.",
                    required=True,
                    min_value=0.01,
                    max_value=100_000,
                ),
                Column(
                    "pay_method",
                    "string",
                    "Payment method.",
                    allowed=("ALIPAY", "WECHAT", "CARD", "APPLE", "GOOGLE"),
                ),
            ),
        ),
        Source(
            "consumption",
            "In-game currency spent (consumption), valued in CNY: the only source of tier growth.",
            key=("consumption_id",),
            event_time="consumed_at",
            columns=(
                Column("consumption_id", "string", "Consumption transaction id.", required=True),
                _member(),
                _game(),
                _server(),
                _at("consumed_at", "When the currency was spent."),
                Column(
                    "amount_cny",
                    "float",
                    "Value spent in CNY.",
                    required=True,
                    min_value=0.01,
                    max_value=50_000,
                ),
                Column(
                    "item_category",
                    "string",
                    "What was bought.",
                    allowed=("PROP", "SKIN", "GACHA", "VIP_PASS", "BATTLE_PASS", "OTHER"),
                ),
            ),
        ),
        Source(
            "characters",
            "Character snapshots: one row each time a character is created, levels up or "
            "changes guild.",
            key=("character_id", "updated_at"),
            event_time="updated_at",
            columns=(
                Column("character_id", "string", "Character id.", required=True),
                _member(),
                _game(),
                _server(),
                _at("updated_at", "When this snapshot was taken."),
                Column(
                    "level", "int", "Character level.", required=True, min_value=1, max_value=200
                ),
                Column("guild_id", "string", "Guild id; empty when guildless."),
                Column("guild_name", "string", "Guild name."),
                Column(
                    "guild_role",
                    "string",
                    "Role in the guild (NONE when guildless).",
                    required=True,
                    allowed=GUILD_ROLES,
                ),
            ),
        ),
        Source(
            "activity_participation",
            "Participation in in-game activities and events.",
            key=("participation_id",),
            event_time="participated_at",
            columns=(
                Column("participation_id", "string", "Participation id.", required=True),
                _member(),
                Column(
                    "activity_code",
                    "string",
                    "Activity, from seed activities.",
                    required=True,
                    allowed_seed=("activities", "activity_code"),
                ),
                _at("participated_at", "When the member took part."),
                Column(
                    "result",
                    "string",
                    "How far the member got.",
                    allowed=("JOINED", "COMPLETED", "WON"),
                ),
            ),
        ),
        Source(
            "points_exchanges",
            "G-point mall: redemptions of G-points for items and conversions to growth points.",
            key=("exchange_id",),
            event_time="exchanged_at",
            columns=(
                Column("exchange_id", "string", "Exchange id.", required=True),
                _member(),
                _at("exchanged_at", "When the points were spent."),
                Column(
                    "exchange_type",
                    "string",
                    "MALL_REDEEM or CONVERT_GROWTH.",
                    required=True,
                    allowed=("MALL_REDEEM", "CONVERT_GROWTH"),
                ),
                Column(
                    "item_code",
                    "string",
                    "Mall item (seed mall_items); empty for conversions.",
                    allowed_seed=("mall_items", "item_code"),
                ),
                Column(
                    "points",
                    "int",
                    "G-points spent.",
                    required=True,
                    min_value=1,
                    max_value=1_000_000,
                ),
            ),
        ),
        Source(
            "contacts",
            "Contact-centre records: every call, message and chat with a member.",
            key=("contact_id",),
            event_time="contacted_at",
            columns=(
                Column("contact_id", "string", "Contact id.", required=True),
                _member(),
                _at("contacted_at", "When the contact happened."),
                Column(
                    "channel",
                    "string",
                    "OB, IB, IM, SMS, EMAIL, APP or WEB.",
                    required=True,
                    allowed=CHANNELS,
                ),
                Column(
                    "direction",
                    "string",
                    "IN (member-initiated) or OUT.",
                    required=True,
                    allowed=("IN", "OUT"),
                ),
                Column(
                    "agent_id",
                    "string",
                    "Agent who handled it, from seed agents.",
                    allowed_seed=("agents", "agent_id"),
                ),
                Column("purpose", "string", "Why the contact was made.", allowed=CONTACT_PURPOSES),
                Column(
                    "outcome",
                    "string",
                    "REACHED, NO_ANSWER, WRONG_NUMBER or REFUSED.",
                    required=True,
                    allowed=CONTACT_OUTCOMES,
                ),
                Column(
                    "phone",
                    "string",
                    "Number dialled or calling (phone channels).",
                    pii=True,
                    phone=True,
                ),
                Column("email", "string", "Address written to (EMAIL channel).", pii=True),
                Column(
                    "duration_sec",
                    "int",
                    "Talk or session time in seconds.",
                    min_value=0,
                    max_value=14_400,
                ),
            ),
        ),
        Source(
            "tickets",
            "Service tickets: one row per ticket version (opened, then resolved or closed).",
            key=("ticket_id", "updated_at"),
            event_time="updated_at",
            columns=(
                Column("ticket_id", "string", "Ticket id.", required=True),
                _member(),
                _at("opened_at", "When the ticket was opened."),
                _at("updated_at", "When this version was written."),
                Column(
                    "category",
                    "string",
                    "Ticket category.",
                    required=True,
                    allowed=TICKET_CATEGORIES,
                ),
                Column("priority", "string", "P1 (urgent) to P3.", allowed=("P1", "P2", "P3")),
                Column(
                    "status",
                    "string",
                    "OPEN, RESOLVED or CLOSED.",
                    required=True,
                    allowed=TICKET_STATUSES,
                ),
                _at("resolved_at", "When it was resolved; empty while open.", required=False),
                Column(
                    "agent_id",
                    "string",
                    "Agent in charge, from seed agents.",
                    allowed_seed=("agents", "agent_id"),
                ),
            ),
        ),
        Source(
            "surveys",
            "Satisfaction surveys (voice of the customer) with free-text comments.",
            key=("survey_id",),
            event_time="answered_at",
            columns=(
                Column("survey_id", "string", "Survey answer id.", required=True),
                _member(),
                _at("answered_at", "When the member answered."),
                Column("contact_id", "string", "Contact the survey followed, if any."),
                Column(
                    "score",
                    "int",
                    "Satisfaction 1 (worst) to 5 (best).",
                    required=True,
                    min_value=1,
                    max_value=5,
                ),
                Column("comment", "string", "Free-text comment (Chinese)."),
                Column(
                    "phone", "string", "Phone the member left for a callback.", pii=True, phone=True
                ),
                Column("email", "string", "E-mail the member left.", pii=True),
            ),
        ),
        Source(
            "security_events",
            "Account security events.",
            key=("event_id",),
            event_time="occurred_at",
            columns=(
                Column("event_id", "string", "Security event id.", required=True),
                _member(),
                _at("occurred_at", "When it happened."),
                Column(
                    "event_type",
                    "string",
                    "What happened.",
                    required=True,
                    allowed=SECURITY_EVENT_TYPES,
                ),
                Column("detail", "string", "Free text, e.g. the unusual region."),
            ),
        ),
        Source(
            "manual_tags",
            "Entries by account managers: red and white lists, notes and contact details "
            "they learned.",
            key=("tag_entry_id",),
            event_time="entered_at",
            columns=(
                Column("tag_entry_id", "string", "Entry id.", required=True),
                _member(),
                _at("entered_at", "When the entry was made."),
                Column(
                    "entered_by",
                    "string",
                    "Account manager, from seed agents.",
                    allowed_seed=("agents", "agent_id"),
                ),
                Column(
                    "tag_code",
                    "string",
                    "What the entry is.",
                    required=True,
                    allowed=MANUAL_TAG_CODES,
                ),
                Column(
                    "tag_value",
                    "string",
                    "The note, phone or e-mail; empty for list flags.",
                    pii=True,
                ),
                Column(
                    "action", "string", "ADD or REMOVE.", required=True, allowed=("ADD", "REMOVE")
                ),
            ),
        ),
    )
}
