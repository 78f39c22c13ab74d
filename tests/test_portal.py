"""The CRM download portal through its HTTP interface (Starlette's TestClient): roles, refused
downloads by URL, path tricks, broken exports, logins, sessions and the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import stat

import pytest
from starlette.testclient import TestClient

from dagster_project.cli import main
from dagster_project.portal.app import PortalConfig, create_app
from dagster_project.portal.audit import AuditLog, audit_path
from dagster_project.portal.users import UserError, UserStore, ensure_first_admin, users_path
from dagster_project.settings import Settings
from tests.fixtures.exports import (
    FULL_PHONE,
    SEGMENTS,
    read_manifest,
    write_day,
    write_days,
    write_manifest,
)

LAST_DAY = dt.date(2026, 2, 28)
PASSWORD = "correct-horse-battery"
ROLES = ("ob_agent", "crm", "analyst", "admin")
FULL_CONTACT_LISTS = {s.code for s in SEGMENTS if s.full_contact}
MASKED_LISTS = {s.code for s in SEGMENTS if not s.full_contact}
ALLOWED = {
    "ob_agent": FULL_CONTACT_LISTS,
    "crm": MASKED_LISTS,
    "analyst": MASKED_LISTS,
    "admin": FULL_CONTACT_LISTS | MASKED_LISTS,
}


class FakeClock:
    """Time that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    """One users file with a user per role (argon2 is slow on purpose: hash once per module)."""
    path = tmp_path_factory.mktemp("users") / "users.json"
    store = UserStore(path)
    for role in ROLES:
        store.add(role, role, PASSWORD)
    return path


@pytest.fixture
def settings(isolated_home, users_file):
    """A home with 10 days of hand-made lists ending LAST_DAY and a user per role."""
    settings = Settings(home=isolated_home)
    write_days(settings.exports_dir, LAST_DAY, 10)
    users_path(settings).parent.mkdir(parents=True)
    shutil.copy(users_file, users_path(settings))
    return settings


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(settings, clock):
    return create_app(settings, PortalConfig(clock=clock, idle_timeout=600, session_lifetime=3600))


def _client(app, host: str = "testclient") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(host, 50000))


def _token(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = ""):
    form = {"username": name, "password": password, "csrf_token": _token(client)}
    return client.post("/login", data={**form, "next": next_path})


def _logged_in(app, role: str) -> TestClient:
    client = _client(app)
    assert _login(client, role).status_code == 303
    return client


def _download_url(segment: str, day: dt.date = LAST_DAY) -> str:
    return f"/days/{day.isoformat()}/{segment}/download"


def _audit(settings) -> list[dict]:
    lines = audit_path(settings).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_downloads_exactly_its_lists_whatever_url_it_types(app, settings, role):
    client = _logged_in(app, role)
    day_page = client.get(f"/days/{LAST_DAY}")
    assert day_page.status_code == 200
    for segment in sorted(FULL_CONTACT_LISTS | MASKED_LISTS):
        response = client.get(_download_url(segment))
        on_disk = (settings.exports_dir / LAST_DAY.isoformat() / f"{segment}.csv").read_bytes()
        if segment in ALLOWED[role]:
            assert response.status_code == 200, segment
            assert response.content == on_disk
            assert response.headers["content-type"] == "text/csv; charset=utf-8"
            assert f'filename="{LAST_DAY}_{segment}.csv"' in response.headers["content-disposition"]
            assert _download_url(segment) in day_page.text
        else:
            assert response.status_code == 403, segment
            assert "Not allowed" in response.text
            assert on_disk not in response.content
            assert _download_url(segment) not in day_page.text
    # A masked list never holds a full number; the call lists do (they are for ob_agent).
    for segment in MASKED_LISTS & ALLOWED[role]:
        assert FULL_PHONE[:3] + "0000" not in client.get(_download_url(segment)).text


def test_call_and_crm_roles_see_recent_days_only_analysts_all(app):
    old_day = LAST_DAY - dt.timedelta(days=7)
    for role in ("ob_agent", "crm"):
        client = _logged_in(app, role)
        listing = client.get("/days").text
        assert f"/days/{LAST_DAY - dt.timedelta(days=6)}" in listing
        assert f"/days/{old_day}" not in listing
        assert client.get(f"/days/{old_day}").status_code == 403
        segment = sorted(ALLOWED[role])[0]
        refused = client.get(_download_url(segment, old_day))
        assert refused.status_code == 403
        assert "last 7 days" in refused.text
    analyst = _logged_in(app, "analyst")
    assert f"/days/{LAST_DAY - dt.timedelta(days=9)}" in analyst.get("/days").text
    assert analyst.get(_download_url("potential_vip", old_day)).status_code == 200


def test_every_download_and_refusal_is_audited_and_only_admins_read_the_audit(app, settings):
    crm = _logged_in(app, "crm")
    assert crm.get(_download_url("potential_vip")).status_code == 200
    assert crm.get(_download_url("churn_risk")).status_code == 403
    assert crm.get("/audit").status_code == 403

    downloaded, refused = _audit(settings)
    manifest = read_manifest(settings.exports_dir / LAST_DAY.isoformat())
    entry = next(f for f in manifest["files"] if f["segment"] == "potential_vip")
    assert downloaded["user"] == "crm" and downloaded["role"] == "crm"
    assert downloaded["outcome"] == "downloaded"
    assert downloaded["file"] == f"{LAST_DAY}/potential_vip.csv"
    assert downloaded["rows"] == entry["rows"] and downloaded["sha256"] == entry["sha256"]
    assert dt.datetime.fromisoformat(downloaded["at"]).tzinfo is not None
    assert refused["outcome"] == "forbidden" and refused["segment"] == "churn_risk"
    assert stat.S_IMODE(os.stat(audit_path(settings)).st_mode) == 0o600

    page = _logged_in(app, "admin").get("/audit")
    assert page.status_code == 200
    assert f"{LAST_DAY}/potential_vip.csv" in page.text and "forbidden" in page.text
    # The log survives a restart: a new app reads the same file.
    assert len(AuditLog(audit_path(settings)).read()) == 2


def test_pages_and_downloads_need_a_login(app, settings):
    anonymous = _client(app)
    for path in ("/days", f"/days/{LAST_DAY}", _download_url("potential_vip"), "/audit"):
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert not audit_path(settings).exists()


@pytest.mark.parametrize(
    "path",
    [
        f"/days/{LAST_DAY}/..%2F..%2F..%2Fsecret/download",
        f"/days/{LAST_DAY}/%2e%2e/download",
        f"/days/{LAST_DAY}/churn_risk.csv/download",
        f"/days/{LAST_DAY}/..%252F..%252Fsecret/download",
        "/days/..%2F..%2Fsecret",
        "/days/2026-02-30",
        "/days/%2e%2e%2f%2e%2e%2fsecret.csv",
        "/static/..%2F..%2Fportal%2Fusers.json",
        "/static/../portal/users.json",
    ],
)
def test_path_tricks_get_a_clear_404_and_nothing_outside_the_exports(app, settings, path):
    (settings.home / "secret.csv").write_text("TOP SECRET")
    client = _logged_in(app, "admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "TOP SECRET" not in response.text and "password_hash" not in response.text
    assert "Traceback" not in response.text
    assert "<h1>" in response.text


def test_a_manifest_pointing_outside_its_folder_is_refused(app, settings):
    (settings.home / "secret.csv").write_text("TOP SECRET")
    folder = settings.exports_dir / LAST_DAY.isoformat()
    manifest = read_manifest(folder)
    manifest["files"][0]["file"] = "../../secret.csv"
    write_manifest(folder, manifest)

    response = _logged_in(app, "admin").get(_download_url(manifest["files"][0]["segment"]))
    assert response.status_code == 500
    assert "Manifest unreadable" in response.text and "TOP SECRET" not in response.text


def test_a_symlink_out_of_the_exports_folder_is_refused_and_audited(app, settings):
    secret = settings.home / "secret.csv"
    secret.write_text("TOP SECRET")
    folder = settings.exports_dir / LAST_DAY.isoformat()
    (folder / "linked.csv").symlink_to(secret)
    manifest = read_manifest(folder)
    manifest["files"][2]["file"] = "linked.csv"
    manifest["files"][2]["sha256"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    write_manifest(folder, manifest)

    response = _logged_in(app, "admin").get(_download_url(manifest["files"][2]["segment"]))
    assert response.status_code == 403
    assert "TOP SECRET" not in response.text
    assert _audit(settings)[-1]["outcome"] == "integrity_failed"


def test_missing_or_broken_manifests_get_clear_pages(app, settings):
    client = _logged_in(app, "admin")
    unpublished = settings.exports_dir / "2026-03-01"
    unpublished.mkdir()
    response = client.get("/days/2026-03-01")
    assert response.status_code == 404 and "not published yet" in response.text

    assert client.get("/days/2026-03-05").status_code == 404
    assert client.get(f"/days/{LAST_DAY}/no_such_list").status_code == 404

    broken = settings.exports_dir / LAST_DAY.isoformat() / "manifest.json"
    broken.write_text('{"as_of_date": "2026-02-28", "files": [')
    for path in (f"/days/{LAST_DAY}", _download_url("potential_vip")):
        response = client.get(path)
        assert response.status_code == 500
        assert "Manifest unreadable" in response.text and "Traceback" not in response.text
    assert "manifest unreadable" in client.get("/days").text


def test_a_file_changed_after_its_manifest_is_not_served(app, settings):
    path = settings.exports_dir / LAST_DAY.isoformat() / "potential_vip.csv"
    path.write_bytes(path.read_bytes() + b"M9999999,138****0000,0.1,extra\r\n")

    response = _logged_in(app, "crm").get(_download_url("potential_vip"))
    assert response.status_code == 409
    assert "checksum mismatch" in response.text and "M9999999" not in response.text
    assert [r["outcome"] for r in _audit(settings)] == ["integrity_failed"]


def test_a_masked_list_holding_a_full_phone_number_is_not_served(app, settings):
    folder = settings.exports_dir / LAST_DAY.isoformat()
    path = folder / "potential_vip.csv"
    data = path.read_bytes().replace(b"138****5678", b"13812345678", 1)
    path.write_bytes(data)
    manifest = read_manifest(folder)
    entry = next(f for f in manifest["files"] if f["segment"] == "potential_vip")
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    write_manifest(folder, manifest)

    response = _logged_in(app, "analyst").get(_download_url("potential_vip"))
    assert response.status_code == 409
    assert "should be masked" in response.text and "13812345678" not in response.text


def test_failed_logins_are_rate_limited_per_user_and_client(app, clock):
    client = _client(app)
    for _ in range(5):
        assert _login(client, "crm", "wrong-password").status_code == 401
    limited = _login(client, "crm")  # the right password no longer helps
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed logins" in limited.text
    # Another user on this client, and the same user from another client, may still log in.
    assert _login(_client(app), "analyst").status_code == 303
    assert _login(_client(app, host="10.0.0.7"), "crm").status_code == 303
    clock.now += 15 * 60 + 1
    assert _login(client, "crm").status_code == 303


def test_wrong_and_unknown_users_get_the_same_answer(app):
    client = _client(app)
    wrong = _login(client, "crm", "wrong-password")
    unknown = _login(client, "nobody", "wrong-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.text and "Wrong user name" in unknown.text


def test_logout_ends_the_session_even_for_a_copied_cookie(app):
    client = _logged_in(app, "crm")
    cookie = client.cookies.get("panorama_portal")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/days").text).group(1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/days").status_code == 303

    replay = _client(app)
    replay.cookies.set("panorama_portal", cookie)
    assert replay.get("/days").status_code == 303


def test_sessions_expire_when_idle_and_after_their_lifetime(app, clock):
    client = _logged_in(app, "analyst")
    clock.now += 599
    assert client.get("/days").status_code == 200
    clock.now += 601  # idle for longer than the idle timeout
    assert client.get("/days").status_code == 303

    client = _logged_in(app, "analyst")
    for _ in range(6):  # active all the time, but past the absolute lifetime at the end
        clock.now += 550
        assert client.get("/days").status_code == 200
    clock.now += 550
    assert client.get("/days").status_code == 303


def test_forms_need_this_sessions_token_and_this_origin(app):
    client = _client(app)
    token = _token(client)
    form = {"username": "crm", "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 403
    assert client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403
    cross_site = client.post(
        "/login", data={**form, "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert client.post("/login", data={**form, "csrf_token": token}).status_code == 303


def test_login_returns_only_to_pages_of_this_site(app):
    client = _client(app)
    assert _login(client, "crm", next_path=f"/days/{LAST_DAY}").headers["location"] == (
        f"/days/{LAST_DAY}"
    )
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert _login(_client(app), "crm", next_path=evil).headers["location"] == "/days"


def test_a_removed_user_loses_access_at_once(app, settings):
    client = _logged_in(app, "crm")
    assert client.get("/days").status_code == 200
    UserStore(users_path(settings)).remove("crm")
    assert client.get("/days").status_code == 303


def test_pages_carry_security_headers_and_a_strict_session_cookie(app):
    client = _client(app)
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_day_and_segment_pages_show_the_manifest_and_a_30_day_chart(app, settings):
    client = _logged_in(app, "analyst")
    day_page = client.get(f"/days/{LAST_DAY}").text
    for text in ("v3", "run-2026-02-28", "流失风险", "Potential VIP", "2026-03-01 13:31"):
        assert text in day_page
    assert re.search(r"Model recommendation</dt><dd><span class=\"muted\">none", day_page)
    page = client.get(f"/days/{LAST_DAY}/potential_vip")
    assert page.status_code == 200
    assert "Members for the potential vip action." in page.text and "APP" in page.text
    assert page.text.count("<rect") == 10  # ten days of lists in the 30-day window
    assert page.text.count('class="missing"') == 20


def test_users_file_holds_salted_hashes_and_refuses_bad_input(settings):
    store = UserStore(users_path(settings))
    text = users_path(settings).read_text()
    assert PASSWORD not in text and text.count("$argon2id$") == len(ROLES)
    assert stat.S_IMODE(os.stat(users_path(settings)).st_mode) == 0o600
    assert store.verify("crm", PASSWORD).role == "crm"
    assert store.verify("crm", "wrong") is None
    for name, role, password, message in [
        ("crm", "crm", PASSWORD, "exists already"),
        ("Bad Name", "crm", PASSWORD, "invalid user name"),
        ("newbie", "boss", PASSWORD, "unknown role"),
        ("newbie", "crm", "short", "at least 10 characters"),
    ]:
        with pytest.raises(UserError, match=message):
            store.add(name, role, password)
    with pytest.raises(UserError, match="no user"):
        store.remove("nobody")


def test_the_first_admin_is_created_once(isolated_home):
    settings = Settings(home=isolated_home)
    name, password = ensure_first_admin(settings)
    assert name == "admin" and len(password) >= 16
    assert UserStore(users_path(settings)).verify(name, password).role == "admin"
    assert ensure_first_admin(settings) is None


def test_users_command_adds_lists_and_removes(isolated_home, monkeypatch, capsys):
    home = str(isolated_home)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(["users", "add", "carol", "--role", "analyst", "--password-stdin", "--home", home])
        == 0
    )
    assert main(["users", "list", "--home", home]) == 0
    assert re.search(r"carol\s+analyst", capsys.readouterr().out)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "carol", "--role", "crm", "--password-stdin", "--home", home]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["users", "remove", "carol", "--home", home]) == 0
    assert UserStore(users_path(Settings(home=isolated_home))).load() == {}


def test_an_empty_exports_folder_says_so(isolated_home, users_file, clock):
    settings = Settings(home=isolated_home)
    users_path(settings).parent.mkdir(parents=True)
    shutil.copy(users_file, users_path(settings))
    client = _logged_in(create_app(settings, PortalConfig(clock=clock)), "crm")
    assert "No lists have been published yet." in client.get("/days").text


def test_a_day_with_other_segments_still_draws_the_chart(app, settings):
    write_day(settings.exports_dir, LAST_DAY + dt.timedelta(days=1), SEGMENTS[:1])
    client = _logged_in(app, "admin")
    page = client.get(f"/days/{LAST_DAY + dt.timedelta(days=1)}/churn_risk")
    assert page.status_code == 200 and page.text.count("<rect") == 11
    assert client.get(f"/days/{LAST_DAY + dt.timedelta(days=1)}/potential_vip").status_code == 404


def test_no_download_leaves_without_its_audit_record(settings, clock):
    # The audit file cannot be written (a folder is in its way): the download must fail, with
    # a plain error page and no stack trace, rather than go out unrecorded.
    audit_path(settings).mkdir(parents=True)
    app = create_app(settings, PortalConfig(clock=clock))
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    assert _login(client, "crm").status_code == 303
    response = client.get(_download_url("potential_vip"))
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "Traceback" not in response.text and "M0000001" not in response.text
