"""The portal web application (Starlette, server-rendered Jinja2 pages, no JavaScript).

Pages: login, the days with lists, one day (its lists and download buttons), one list (its
definition and size over 30 days), the audit log (admins). Every request re-checks the session,
the user's current role (from the users file) and the access rule; every download is checked
against the manifest and written to the audit log before its bytes leave.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dagster_project.portal import access
from dagster_project.portal.access import ROLE_DESCRIPTIONS, Role
from dagster_project.portal.audit import (
    DOWNLOADED,
    FORBIDDEN,
    INTEGRITY_FAILED,
    AuditLog,
    AuditRecord,
    now_utc,
)
from dagster_project.portal.chart import size_chart
from dagster_project.portal.exports import (
    ExportError,
    ExportFile,
    ExportsFolder,
    IntegrityFailed,
    OutsideExports,
    check_segment_name,
    parse_day,
)
from dagster_project.portal.sessions import (
    Clock,
    LoginThrottle,
    SessionRegistry,
    load_or_create_secret,
)
from dagster_project.portal.state import portal_dir
from dagster_project.portal.users import User, UserStore
from dagster_project.settings import TIMEZONE, Settings

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "panorama_portal"
CHART_DAYS = 30
AUDIT_PAGE_ROWS = 1000
# No scripts at all, no framing, forms post only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class PortalConfig:
    """Tunables of the portal (seconds for durations)."""

    session_lifetime: float = 8 * 3600
    idle_timeout: float = 30 * 60
    max_failed_logins: int = 5
    failed_login_window: float = 15 * 60
    # Mark cookies Secure: set when the portal is served over HTTPS (behind a TLS proxy).
    secure_cookies: bool = False
    # Users, secret and audit; default <home>/portal.
    state_dir: Path | None = None
    clock: Clock = field(default=time.time)


class LoginRequired(Exception):
    """The request needs a live session; the handler sends the browser to the login page."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class Refused(Exception):
    """The user may not see this page or file: a 403 page with the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SecurityHeadersMiddleware:
    """Add ``SECURITY_HEADERS`` to every response that does not set them itself."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Portal:
    """The request handlers and the state they share."""

    def __init__(self, settings: Settings, config: PortalConfig):
        state_dir = config.state_dir or portal_dir(settings)
        self.config = config
        self.users = UserStore(state_dir / "users.json")
        self.audit = AuditLog(state_dir / "audit.jsonl")
        self.exports = ExportsFolder(settings.exports_dir)
        self.sessions = SessionRegistry(config.session_lifetime, config.idle_timeout, config.clock)
        self.throttle = LoginThrottle(
            config.max_failed_logins, config.failed_login_window, config.clock
        )
        self.secret = load_or_create_secret(state_dir / "secret")
        self.templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
        self.templates.env.filters["local_time"] = _local_time
        self.templates.env.filters["utc_time"] = _utc_time
        self.templates.env.filters["thousands"] = lambda n: "" if n is None else f"{n:,}"

    # --- login and logout -------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        if self._current_user(request) is not None:
            return RedirectResponse("/days", status_code=303)
        message = "You are signed out." if request.query_params.get("signed_out") else ""
        return self._login_page(request, message=message)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        self._check_form(request, form)
        name = str(form.get("username", "")).strip().lower()[:64]
        password = str(form.get("password", ""))[:1024]
        client = _client(request)
        wait = self.throttle.retry_after(name, client)
        if wait is not None:
            log.warning("login of %r from %s refused: too many failures", name, client)
            minutes = max(1, round(wait / 60))
            return self._login_page(
                request,
                error=f"Too many failed logins. Try again in about {minutes} minute(s).",
                status_code=429,
                headers={"Retry-After": str(wait)},
                name=name,
            )
        # argon2 takes tens of milliseconds of CPU: keep the event loop free meanwhile.
        user = await run_in_threadpool(self.users.verify, name, password)
        if user is None:
            self.throttle.record_failure(name, client)
            log.info("failed login of %r from %s", name, client)
            return self._login_page(
                request, error="Wrong user name or password.", status_code=401, name=name
            )
        self.throttle.reset(name, client)
        # A fresh session id and form token at login: a planted cookie is worth nothing.
        request.session.clear()
        request.session["sid"] = self.sessions.start(user.name)
        request.session["csrf"] = secrets.token_urlsafe(32)
        log.info("user %s (%s) logged in from %s", user.name, user.role.value, client)
        return RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        self._check_form(request, form)
        self.sessions.end(request.session.get("sid"))
        request.session.clear()
        return RedirectResponse("/login?signed_out=1", status_code=303)

    # --- pages ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        self._require_user(request)
        return RedirectResponse("/days", status_code=303)

    async def days(self, request: Request) -> Response:
        user = self._require_user(request)
        all_days = self.exports.days()
        newest = all_days[0] if all_days else None
        rows = []
        for day in all_days:
            if access.day_refusal(user.role, day, newest) is not None:
                continue
            manifest = self.exports.manifest_or_none(day)
            allowed = (
                sum(
                    access.file_refusal(user.role, entry.full_contact) is None
                    for entry in manifest.files
                )
                if manifest
                else 0
            )
            rows.append({"day": day, "manifest": manifest, "allowed": allowed})
        return self._page(request, user, "days.html", {"rows": rows, "title": "Daily lists"})

    async def day(self, request: Request) -> Response:
        user = self._require_user(request)
        day = parse_day(request.path_params["day"])
        manifest = self.exports.manifest(day)
        self._check_day(user, day)
        files = [
            {"entry": entry, "refusal": access.file_refusal(user.role, entry.full_contact)}
            for entry in manifest.files
        ]
        context = {"day": day, "manifest": manifest, "files": files, "title": f"Lists of {day}"}
        return self._page(request, user, "day.html", context)

    async def segment(self, request: Request) -> Response:
        user = self._require_user(request)
        day = parse_day(request.path_params["day"])
        segment = check_segment_name(request.path_params["segment"])
        manifest = self.exports.manifest(day)
        entry = manifest.file_for(segment)
        self._check_day(user, day)
        history = self.exports.size_history(segment, day, CHART_DAYS)
        context = {
            "day": day,
            "manifest": manifest,
            "entry": entry,
            "refusal": access.file_refusal(user.role, entry.full_contact),
            "chart": size_chart(history),
            "chart_days": CHART_DAYS,
            "title": f"{entry.name_en} on {day}",
        }
        return self._page(request, user, "segment.html", context)

    async def download(self, request: Request) -> Response:
        user = self._require_user(request)
        day = parse_day(request.path_params["day"])
        segment = check_segment_name(request.path_params["segment"])
        entry = self.exports.manifest(day).file_for(segment)
        refusal = access.download_refusal(
            user.role, day, self.exports.newest_day(), entry.full_contact
        )
        if refusal is not None:
            self._audit(request, user, day, entry, FORBIDDEN, detail=refusal)
            log.warning("refused %s (%s) the list %s of %s", user.name, user.role, segment, day)
            raise Refused(refusal)
        try:
            # Hashing a large list takes a while: off the event loop.
            data = await run_in_threadpool(self.exports.read_verified, day, entry)
        except (IntegrityFailed, OutsideExports) as exc:
            self._audit(request, user, day, entry, INTEGRITY_FAILED, detail=exc.message)
            raise
        # Written (and synced) before the first byte leaves: no download without its record.
        self._audit(request, user, day, entry, DOWNLOADED)
        file_name = f"{day.isoformat()}_{entry.file}"
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{file_name}"; '
                f"filename*=UTF-8''{quote(file_name)}",
                "X-Content-SHA256": entry.sha256,
            },
        )

    async def audit_page(self, request: Request) -> Response:
        user = self._require_user(request)
        if not access.may_view_audit(user.role):
            raise Refused("Only admins read the download audit.")
        records = self.audit.read(limit=AUDIT_PAGE_ROWS)
        context = {"records": records, "limit": AUDIT_PAGE_ROWS, "title": "Download audit"}
        return self._page(request, user, "audit.html", context)

    # --- errors -----------------------------------------------------------------------

    async def on_login_required(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    async def on_refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return self._error_page(request, 403, "Not allowed", exc.message)

    async def on_export_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ExportError)
        return self._error_page(request, exc.status, exc.title, exc.message)

    async def on_http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        titles = {404: "Not found", 403: "Not allowed", 405: "Not allowed"}
        message = {404: "There is no such page."}.get(exc.status_code, str(exc.detail))
        return self._error_page(
            request, exc.status_code, titles.get(exc.status_code, "Error"), message
        )

    async def on_server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("portal error on %s", request.url.path, exc_info=exc)
        return self.templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": "Something went wrong",
                "message": "The portal hit an unexpected error; it has been logged.",
                "status": 500,
                "user": None,
            },
            status_code=500,
        )

    # --- helpers ----------------------------------------------------------------------

    def _current_user(self, request: Request) -> User | None:
        session_id = request.session.get("sid")
        name = self.sessions.user_of(session_id)
        user = self.users.get(name) if name else None
        if user is None and session_id:
            # Expired, logged out elsewhere, or the user was removed: end it for good.
            self.sessions.end(session_id)
            request.session.pop("sid", None)
        return user

    def _require_user(self, request: Request) -> User:
        user = self._current_user(request)
        if user is None:
            raise LoginRequired(request.url.path)
        return user

    def _check_day(self, user: User, day: dt.date) -> None:
        refusal = access.day_refusal(user.role, day, self.exports.newest_day())
        if refusal is not None:
            raise Refused(refusal)

    def _check_form(self, request: Request, form) -> None:
        """Refuse a form that was not served by this portal to this browser session."""
        expected = request.session.get("csrf")
        sent = str(form.get("csrf_token", ""))
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            raise HTTPException(403, "This form was sent from another site and is refused.")
        if not expected or not secrets.compare_digest(sent, expected):
            raise HTTPException(403, "This form has expired. Reload the page and try again.")

    def _csrf_token(self, request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    def _audit(
        self,
        request: Request,
        user: User,
        day: dt.date,
        entry: ExportFile,
        outcome: str,
        detail: str = "",
    ) -> None:
        self.audit.append(
            AuditRecord(
                at=now_utc(),
                user=user.name,
                role=user.role.value,
                outcome=outcome,
                day=day.isoformat(),
                segment=entry.segment,
                file=f"{day.isoformat()}/{entry.file}",
                rows=entry.rows,
                sha256=entry.sha256,
                client=_client(request),
                detail=detail,
            )
        )

    def _page(self, request: Request, user: User, template: str, context: dict) -> Response:
        context = {
            **context,
            "user": user,
            "role_description": ROLE_DESCRIPTIONS[user.role],
            "is_admin": user.role is Role.ADMIN,
            "csrf_token": self._csrf_token(request),
        }
        return self.templates.TemplateResponse(request, template, context)

    def _login_page(
        self,
        request: Request,
        *,
        error: str = "",
        message: str = "",
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        name: str = "",
    ) -> Response:
        context = {
            "title": "Sign in",
            "user": None,
            "error": error,
            "message": message,
            "name": name,
            "next": _safe_next(request.query_params.get("next", "")),
            "csrf_token": self._csrf_token(request),
        }
        return self.templates.TemplateResponse(
            request, "login.html", context, status_code=status_code, headers=headers
        )

    def _error_page(self, request: Request, status: int, title: str, message: str) -> Response:
        user = self._current_user(request)
        context = {
            "title": title,
            "message": message,
            "status": status,
            "user": user,
            "is_admin": user is not None and user.role is Role.ADMIN,
            "csrf_token": self._csrf_token(request),
        }
        return self.templates.TemplateResponse(request, "error.html", context, status_code=status)


def create_app(settings: Settings, config: PortalConfig | None = None) -> Starlette:
    """The portal for the exports of ``settings`` (users, secret and audit under
    ``<home>/portal`` unless ``config.state_dir`` says otherwise)."""
    config = config or PortalConfig()
    portal = Portal(settings, config)
    routes = [
        Route("/", portal.home),
        Route("/login", portal.login_form, methods=["GET"]),
        Route("/login", portal.login, methods=["POST"]),
        Route("/logout", portal.logout, methods=["POST"]),
        Route("/days", portal.days),
        Route("/days/{day}", portal.day),
        Route("/days/{day}/{segment}", portal.segment),
        Route("/days/{day}/{segment}/download", portal.download),
        Route("/audit", portal.audit_page),
        Mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=portal.secret,
            session_cookie=SESSION_COOKIE,
            max_age=int(config.session_lifetime),
            same_site="strict",
            https_only=config.secure_cookies,
        ),
    ]
    handlers = {
        LoginRequired: portal.on_login_required,
        Refused: portal.on_refused,
        ExportError: portal.on_export_error,
        HTTPException: portal.on_http_error,
        Exception: portal.on_server_error,
    }
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.portal = portal
    return app


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(path: str) -> str:
    """Where to go after login: a path of this site only (no ``//host`` or ``http://``)."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/days"


def _local_time(value: str) -> str:
    """An ISO instant shown in the operator's time zone."""
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return str(value)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    local = instant.astimezone(zoneinfo.ZoneInfo(TIMEZONE))
    return local.strftime("%Y-%m-%d %H:%M") + f" ({TIMEZONE})"


def _utc_time(value: str) -> str:
    """An ISO instant of the audit shown as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    try:
        instant = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError):
        return str(value)
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
