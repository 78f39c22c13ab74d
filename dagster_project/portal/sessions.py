"""Logins that can end: the cookie secret, server-side sessions and failed-login throttling.

The signed cookie only carries a random session id and the form token. The session itself
lives in this process, so logout, expiry and removing a user end it for real (a copied cookie
is worthless afterwards); restarting the portal logs everyone out.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster_project.portal.state import ensure_private_dir

Clock = Callable[[], float]
_MAX_TRACKED_PAIRS = 10_000


def load_or_create_secret(path: Path) -> str:
    """The cookie-signing secret in ``path``, generated once (owner-only) on first use."""
    ensure_private_dir(path.parent)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(handle, "w", encoding="ascii") as out:
        secret = secrets.token_urlsafe(48)
        out.write(secret + "\n")
    return secret


@dataclass
class _Session:
    user: str
    started_at: float
    last_seen_at: float


class SessionRegistry:
    """Active sessions by id, with an absolute lifetime and an idle timeout (seconds)."""

    def __init__(self, lifetime: float, idle_timeout: float, clock: Clock):
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def start(self, user: str) -> str:
        """A new session id for ``user``."""
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._drop_expired(now)
            self._sessions[session_id] = _Session(user, now, now)
        return session_id

    def user_of(self, session_id: str | None) -> str | None:
        """The user of a live session (and mark it used), or None when unknown or expired."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session.last_seen_at = now
            return session.user

    def end(self, session_id: str | None) -> None:
        """End one session (logout)."""
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def _expired(self, session: _Session, now: float) -> bool:
        return (
            now - session.started_at > self.lifetime
            or now - session.last_seen_at > self.idle_timeout
        )

    def _drop_expired(self, now: float) -> None:
        for session_id in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[session_id]


class LoginThrottle:
    """At most ``max_failures`` failed logins per (user name, client) within ``window`` seconds;
    then that pair waits until the oldest failure leaves the window."""

    def __init__(self, max_failures: int, window: float, clock: Clock):
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, user: str, client: str) -> int | None:
        """Seconds to wait before this pair may try again, or None when it may try now."""
        now = self._clock()
        with self._lock:
            failures = self._recent(user, client, now)
            if len(failures) < self.max_failures:
                return None
            return max(1, int(failures[0] + self.window - now) + 1)

    def record_failure(self, user: str, client: str) -> None:
        """Count one failed login of this pair."""
        now = self._clock()
        with self._lock:
            self._recent(user, client, now).append(now)
            if len(self._failures) > _MAX_TRACKED_PAIRS:
                self._forget_stale(now)

    def reset(self, user: str, client: str) -> None:
        """Forget this pair's failures (after a successful login)."""
        with self._lock:
            self._failures.pop((user, client), None)

    def _forget_stale(self, now: float) -> None:
        # Made-up user names must not grow memory without end: drop pairs with no recent failure.
        for key in [
            k for k, times in self._failures.items() if not times or times[-1] <= now - self.window
        ]:
            del self._failures[key]

    def _recent(self, user: str, client: str, now: float) -> deque[float]:
        failures = self._failures.setdefault((user, client), deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
