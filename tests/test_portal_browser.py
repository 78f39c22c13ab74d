"""The portal end to end in a real headless Chromium against the real uvicorn server: each role
signs in, downloads a list through the page, gets the contents and masking its role allows, is
refused a forbidden list by URL, and finds its download in the audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest

from dagster_project.portal.app import create_app
from dagster_project.portal.audit import audit_path
from dagster_project.portal.server import serve_in_background
from dagster_project.portal.users import UserStore, users_path
from dagster_project.settings import Settings
from tests.fixtures.browser import launch_browser
from tests.fixtures.exports import MASKED_EMAIL, MASKED_PHONE, write_days

LAST_DAY = dt.date(2026, 2, 28)
PASSWORD = "correct-horse-battery"
FULL_MOBILE = re.compile(r"(?<![0-9*])1[3-9][0-9]{9}(?![0-9])")
# role -> (a list it downloads through the page, a list it must be refused by URL)
CASES = {
    "ob_agent": ("churn_risk", "potential_vip"),
    "crm": ("potential_vip", "churn_risk"),
    "analyst": ("birthday_care", "points_expiring"),
    "admin": ("points_expiring", None),
}


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """The real server (uvicorn, real socket) on three days of lists and a user per role."""
    settings = Settings(home=tmp_path_factory.mktemp("portal_home"))
    write_days(settings.exports_dir, LAST_DAY, 3)
    store = UserStore(users_path(settings))
    for role in CASES:
        store.add(role, role, PASSWORD)
    with serve_in_background(create_app(settings)) as base_url:
        yield base_url, settings


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    yield context.new_page()
    context.close()


def _sign_in(page, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/days/{LAST_DAY}")
    assert page.url.startswith(f"{base_url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # Back on the page first asked for, now signed in.
    page.wait_for_url(f"{base_url}/days/{LAST_DAY}")


@pytest.mark.parametrize("role", list(CASES))
def test_each_role_downloads_its_list_and_is_refused_the_others(page, portal, role, tmp_path):
    base_url, settings = portal
    allowed, forbidden = CASES[role]
    _sign_in(page, base_url, role)

    with page.expect_download() as download_info:
        page.click(f"a[href='/days/{LAST_DAY}/{allowed}/download']")
    saved = tmp_path / "list.csv"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == f"{LAST_DAY}_{allowed}.csv"
    data = saved.read_bytes()
    on_disk = (settings.exports_dir / LAST_DAY.isoformat() / f"{allowed}.csv").read_bytes()
    assert data == on_disk and data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.startswith("as_of_date,member_id,")
    if allowed in ("churn_risk", "points_expiring"):
        assert FULL_MOBILE.search(text)  # call and SMS lists carry the full number
    else:
        assert not FULL_MOBILE.search(text)
        assert MASKED_PHONE in text or MASKED_EMAIL in text

    if forbidden is not None:
        assert page.locator(f"a[href='/days/{LAST_DAY}/{forbidden}/download']").count() == 0
        response = page.goto(f"{base_url}/days/{LAST_DAY}/{forbidden}/download")
        assert response.status == 403
        assert page.locator("h1").inner_text() == "Not allowed"

    records = [json.loads(line) for line in audit_path(settings).read_text().splitlines()]
    mine = {(r["segment"], r["outcome"]): r for r in records if r["user"] == role}
    assert mine[(allowed, "downloaded")]["sha256"] == hashlib.sha256(on_disk).hexdigest()
    assert mine[(allowed, "downloaded")]["role"] == role
    if forbidden is not None:
        assert (forbidden, "forbidden") in mine
        assert (forbidden, "downloaded") not in mine


def test_admin_reads_the_audit_and_signing_out_ends_the_session(page, portal):
    base_url, _ = portal
    _sign_in(page, base_url, "admin")
    with page.expect_download():
        page.click(f"a[href='/days/{LAST_DAY}/birthday_care/download']")
    page.goto(f"{base_url}/audit")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 1
    assert f"{LAST_DAY}/birthday_care.csv" in rows.first.inner_text()
    assert "downloaded" in rows.first.inner_text()

    page.click("text=Sign out")
    page.wait_for_url(f"{base_url}/login?signed_out=1")
    assert "You are signed out." in page.content()
    page.goto(f"{base_url}/audit")
    assert page.url.startswith(f"{base_url}/login")


def test_a_crm_user_sees_no_audit_link_and_gets_403_by_url(page, portal):
    base_url, _ = portal
    _sign_in(page, base_url, "crm")
    assert page.locator("nav a[href='/audit']").count() == 0
    response = page.goto(f"{base_url}/audit")
    assert response.status == 403
    assert "Only admins" in page.content()
