"""Screenshots of the portal's main pages for the docs, taken in headless Chromium.

    python -m dagster_project.portal.screenshots --home .panorama --out docs/img

Serves the exports of ``--home`` on a free local port with a throw-away admin user (its users
file and audit log live in a temporary folder: the home's own users and audit are not touched),
signs in, downloads one list (so the audit page has a row) and saves ``portal_*.png``.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
from pathlib import Path

from dagster_project.portal.access import Role
from dagster_project.portal.app import PortalConfig, create_app
from dagster_project.portal.exports import ExportsFolder
from dagster_project.portal.server import serve_in_background
from dagster_project.portal.users import UserStore
from dagster_project.settings import Settings

log = logging.getLogger(__name__)

# Debian's chromium: Playwright cannot download its own browser on these machines.
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1200, "height": 760}


def take_screenshots(
    settings: Settings, out_dir: Path, chromium: str = CHROMIUM_PATH
) -> list[Path]:
    """Save the login, days, day, segment and audit pages as ``out_dir/portal_<page>.png``."""
    from playwright.sync_api import sync_playwright

    exports = ExportsFolder(settings.exports_dir)
    day = exports.newest_day()
    if day is None:
        raise SystemExit(f"no exports with a manifest under {settings.exports_dir}: run the demo")
    entry = _showcase_list(exports, day)
    out_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    saved = []
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as state:
        users = UserStore(Path(state) / "users.json")
        users.add("admin", Role.ADMIN, password)
        users.add("crm_demo", Role.CRM, password)
        app = create_app(settings, PortalConfig(state_dir=Path(state)))
        with (
            serve_in_background(app) as base_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)

            def shoot(name: str, path: str) -> None:
                page.goto(base_url + path)
                target = out_dir / f"portal_{name}.png"
                page.screenshot(path=str(target), full_page=True)
                saved.append(target)

            shoot("login", "/login")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/days")
            shoot("days", "/days")
            shoot("day", f"/days/{day.isoformat()}")
            shoot("segment", f"/days/{day.isoformat()}/{entry.segment}")
            with page.expect_download():
                page.click("a.button")
            _refused_attempt(browser, base_url, day, exports, password)
            shoot("audit", "/audit")
            browser.close()
    return saved


def _refused_attempt(browser, base_url: str, day, exports: ExportsFolder, password: str) -> None:
    """A crm user types the URL of a call list: the audit page then shows a refusal too."""
    call_lists = [entry for entry in exports.manifest(day).files if entry.full_contact]
    if not call_lists:
        return
    page = browser.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "crm_demo")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/days")
    page.goto(f"{base_url}/days/{day.isoformat()}/{call_lists[0].segment}/download")
    page.close()


def _showcase_list(exports: ExportsFolder, day):
    """The day's largest masked list (what most users see), else its largest list."""
    files = exports.manifest(day).files
    masked = [entry for entry in files if not entry.full_contact]
    return max(masked or files, key=lambda entry: entry.rows)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (``python -m dagster_project.portal.screenshots``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="data directory with exports")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--chromium", default=CHROMIUM_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings(home=args.home.resolve()) if args.home else Settings.from_env()
    for path in take_screenshots(settings, args.out, args.chromium):
        log.info("saved %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
