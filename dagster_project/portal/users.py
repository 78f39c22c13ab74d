"""Portal users: ``<home>/portal/users.json``, one role each, argon2id password hashes.

The file is rewritten whole, atomically, on every change; the web app re-reads it when it
changes, so a removed user or a changed role takes effect on the next request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import json
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dagster_project.portal.access import Role, parse_role
from dagster_project.portal.state import ensure_private_dir, portal_dir, write_atomically
from dagster_project.settings import Settings

log = logging.getLogger(__name__)

USER_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
MIN_PASSWORD_LENGTH = 10
FIRST_ADMIN_NAME = "admin"
_FILE_VERSION = 1
_HASHER = PasswordHasher()


class UserError(ValueError):
    """A user could not be added or removed; the message says why."""


@dataclass(frozen=True)
class User:
    """A portal user as stored (the hash never leaves this module's callers' control)."""

    name: str
    role: Role
    password_hash: str
    created_at: str


def users_path(settings: Settings) -> Path:
    """``<home>/portal/users.json``."""
    return portal_dir(settings) / "users.json"


def validate_user_name(name: str) -> str:
    """``name`` if it is a valid user name (lower case letters, digits, ``_.-``; 1-32 long)."""
    if not USER_NAME_PATTERN.fullmatch(name):
        raise UserError(
            f"invalid user name {name!r}: use 1-32 lower-case letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


class UserStore:
    """The users file: read, add, remove, verify a password."""

    def __init__(self, path: Path):
        self.path = path
        self._cache_key: tuple[int, int] | None = None
        self._cache: dict[str, User] = {}

    def load(self) -> dict[str, User]:
        """Every user by name (empty when the file does not exist yet)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_mtime_ns, stat.st_size)
        if key != self._cache_key:
            self._cache = _parse_users(json.loads(self.path.read_text(encoding="utf-8")))
            self._cache_key = key
        return dict(self._cache)

    def get(self, name: str) -> User | None:
        """The user called ``name``, if any."""
        return self.load().get(name)

    def add(self, name: str, role: Role | str, password: str) -> User:
        """Add a new user; refuses an existing name, a bad role or a short password."""
        validate_user_name(name)
        role = _role(role)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        user = User(name, role, _HASHER.hash(password), created_at)
        with self._locked():
            users = self.load()
            if name in users:
                raise UserError(f"user {name!r} exists already: remove it first to replace it")
            users[name] = user
            self._save(users)
        log.info("added portal user %s (%s)", name, role.value)
        return user

    def remove(self, name: str) -> None:
        """Remove the user ``name``; refuses an unknown name."""
        with self._locked():
            users = self.load()
            if name not in users:
                raise UserError(f"no user {name!r}")
            del users[name]
            self._save(users)
        log.info("removed portal user %s", name)

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs; None for a wrong password or unknown name."""
        user = self.get(name)
        if user is None:
            # Spend the same time as a real check: response time does not reveal user names.
            _verify_hash(_dummy_hash(), password)
            return None
        return user if _verify_hash(user.password_hash, password) else None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Two `panorama users` commands at once must not lose one another's change.
        ensure_private_dir(self.path.parent)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, users: dict[str, User]) -> None:
        document = {
            "version": _FILE_VERSION,
            "users": {
                user.name: {
                    "role": user.role.value,
                    "password_hash": user.password_hash,
                    "created_at": user.created_at,
                }
                for user in sorted(users.values(), key=lambda user: user.name)
            },
        }
        write_atomically(self.path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
        self._cache_key = None


def ensure_first_admin(settings: Settings) -> tuple[str, str] | None:
    """Create the user ``admin`` with a random password when the portal has no user yet.

    Returns (name, password) to show once (``make demo`` prints it), or None when users exist.
    """
    store = UserStore(users_path(settings))
    if store.load():
        return None
    password = secrets.token_urlsafe(12)
    store.add(FIRST_ADMIN_NAME, Role.ADMIN, password)
    return FIRST_ADMIN_NAME, password


def _role(role: Role | str) -> Role:
    try:
        return parse_role(str(role))
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _parse_users(document: dict) -> dict[str, User]:
    users = {}
    for name, entry in document.get("users", {}).items():
        try:
            role = parse_role(entry["role"])
        except (KeyError, ValueError):
            # A hand-edited file with a bad role must not give that user any access.
            log.warning("users file: user %r has no valid role and is ignored", name)
            continue
        users[name] = User(name, role, entry["password_hash"], entry.get("created_at", ""))
    return users


def _verify_hash(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    # Verified against for unknown names; made on first use, not at import (hashing is slow).
    return _HASHER.hash(secrets.token_urlsafe(16))
