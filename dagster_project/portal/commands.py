"""``panorama portal`` and ``panorama users``: serve the portal and manage its users."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import sys
from pathlib import Path

from dagster_project.portal.access import ROLE_DESCRIPTIONS, Role

log = logging.getLogger("panorama")


def register_portal_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``portal`` and ``users add|list|remove`` to the ``panorama`` command line."""
    portal = commands.add_parser("portal", help="serve the CRM download portal")
    portal.add_argument("--host", default="127.0.0.1", help="address to listen on")
    portal.add_argument("--port", type=int, default=8080)
    portal.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure (when users reach the portal over HTTPS)",
    )
    portal.set_defaults(func=cmd_portal)

    users = commands.add_parser("users", help="manage the portal's users")
    actions = users.add_subparsers(dest="users_command", required=True)
    roles = "; ".join(f"{role.value}: {text}" for role, text in ROLE_DESCRIPTIONS.items())
    add = actions.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role], help=roles)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=cmd_users_add)
    listing = actions.add_parser("list", help="list users and roles")
    listing.set_defaults(func=cmd_users_list)
    remove = actions.add_parser("remove", help="remove a user (ends their sessions)")
    remove.add_argument("name")
    remove.set_defaults(func=cmd_users_remove)
    for sub in (portal, users, add, listing, remove):
        sub.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="data directory")


def cmd_portal(args: argparse.Namespace) -> int:
    from dagster_project.cli import _use_home
    from dagster_project.portal.app import PortalConfig, create_app
    from dagster_project.portal.server import serve
    from dagster_project.portal.users import UserStore, users_path

    settings = _use_home(args.home)
    if not UserStore(users_path(settings)).load():
        log.warning("the portal has no users yet: add one with `panorama users add NAME --role`")
    if not _is_loopback(args.host) and not args.secure_cookies:
        log.warning(
            "serving on %s without --secure-cookies: put the portal behind an HTTPS proxy",
            args.host,
        )
    app = create_app(settings, PortalConfig(secure_cookies=args.secure_cookies))
    log.info("exports: %s; portal on http://%s:%s", settings.exports_dir, args.host, args.port)
    serve(app, args.host, args.port)
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from dagster_project.cli import _use_home
    from dagster_project.portal.users import UserError, UserStore, users_path

    store = UserStore(users_path(_use_home(args.home)))
    try:
        password = _read_password(args.password_stdin)
        store.add(args.name, args.role, password)
    except UserError as exc:
        print(f"panorama users add: {exc}", file=sys.stderr)
        return 1
    print(f"added {args.name} ({args.role})")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from dagster_project.cli import _use_home
    from dagster_project.portal.users import UserStore, users_path

    users = UserStore(users_path(_use_home(args.home))).load()
    if not users:
        print("no users")
        return 0
    print(f"{'name':<24}{'role':<10}created")
    for user in sorted(users.values(), key=lambda user: user.name):
        print(f"{user.name:<24}{user.role.value:<10}{user.created_at}")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from dagster_project.cli import _use_home
    from dagster_project.portal.users import UserError, UserStore, users_path

    try:
        UserStore(users_path(_use_home(args.home))).remove(args.name)
    except UserError as exc:
        print(f"panorama users remove: {exc}", file=sys.stderr)
        return 1
    print(f"removed {args.name}")
    return 0


def _read_password(from_stdin: bool) -> str:
    from dagster_project.portal.users import UserError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise UserError("the two passwords differ")
    return password


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
