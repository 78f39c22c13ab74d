"""THE rule of who may see which day and download which list.

Every page and every download asks these functions; the server decides, never the page. A role
that is not listed here gets nothing.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Role(StrEnum):
    """The portal roles, from the narrowest to the widest."""

    OB_AGENT = "ob_agent"
    CRM = "crm"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_DESCRIPTIONS = {
    Role.OB_AGENT: "call and SMS lists with full phone numbers, last 7 export days",
    Role.CRM: "masked lists only, last 7 export days",
    Role.ANALYST: "masked lists only, every day",
    Role.ADMIN: "every list of every day, and the audit log",
}

# Operational roles work on today's lists: older lists (and the full contacts in them) stay
# out of reach. Counted in export days back from the newest published day, so a portal that
# serves an older data set (the demo) still shows its lists.
RECENT_EXPORT_DAYS = 7
_RECENT_ONLY = {Role.OB_AGENT, Role.CRM}


def parse_role(text: str) -> Role:
    """The role named ``text``; ``ValueError`` naming the valid roles otherwise."""
    try:
        return Role(text)
    except ValueError:
        valid = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {text!r}: expected one of {valid}") from None


def day_refusal(role: Role, day: dt.date, newest_day: dt.date | None) -> str | None:
    """Why ``role`` may not open the lists of ``day`` (None when it may)."""
    if role not in _RECENT_ONLY or newest_day is None:
        return None
    oldest_allowed = newest_day - dt.timedelta(days=RECENT_EXPORT_DAYS - 1)
    if day < oldest_allowed:
        return (
            f"Your role ({role.value}) sees only the last {RECENT_EXPORT_DAYS} days of lists "
            f"({oldest_allowed.isoformat()} to {newest_day.isoformat()})."
        )
    return None


def file_refusal(role: Role, full_contact: bool) -> str | None:
    """Why ``role`` may not download a list that holds (or not) full contact details."""
    if role is Role.ADMIN:
        return None
    if role is Role.OB_AGENT and not full_contact:
        return "Your role (ob_agent) downloads only the call and SMS lists."
    if role in (Role.CRM, Role.ANALYST) and full_contact:
        return (
            f"This list holds full phone numbers or e-mails; your role ({role.value}) "
            "downloads only masked lists."
        )
    return None


def download_refusal(
    role: Role, day: dt.date, newest_day: dt.date | None, full_contact: bool
) -> str | None:
    """Why ``role`` may not download this list of ``day`` (None when it may)."""
    return day_refusal(role, day, newest_day) or file_refusal(role, full_contact)


def may_view_audit(role: Role) -> bool:
    """Only admins read the download audit."""
    return role is Role.ADMIN
