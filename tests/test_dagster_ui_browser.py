"""The Dagster UI in a real browser: a data engineer sees the pipeline's layers as asset groups
and what a run loaded, from `dagster dev` on a small warehouse."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.cli import write_instance_config
from dagster_project.defs.ingest.assets import ingest_assets
from dagster_project.resources import build_resources
from dagster_project.settings import Settings
from dagster_project.simulator import SimulationConfig, simulate
from tests.fixtures.browser import launch_browser

REPO = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 1, 1)
# `dagster dev` is ready in about 15 s on an idle machine; a busy CI runner needs more.
START_TIMEOUT_S = 180
LAYER_GROUPS = ("ingest", "staging", "intermediate", "marts", "ml", "exports")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                return
        except OSError:
            time.sleep(1)
    pytest.fail(
        f"dagster dev did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory):
    """`dagster dev` over a home where one day of member profiles was materialised."""
    home = tmp_path_factory.mktemp("ui_home")
    settings = Settings(home=home)
    simulate(SimulationConfig(members=60, days=1, start=DAY, out=settings.landing_dir))
    write_instance_config(settings.dagster_home)
    members = next(a for a in ingest_assets if dg.AssetKey(["raw", "members"]) in a.keys)
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        result = dg.materialize(
            [members],
            partition_key=DAY.isoformat(),
            resources=build_resources(settings),
            instance=instance,
        )
        assert result.success
    port = _free_port()
    log = home / "dagster_dev.log"
    env = {
        **os.environ,
        "PANORAMA_HOME": str(home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    dagster = Path(os.sys.executable).parent / "dagster"
    with open(log, "w") as out:
        # Its own process group, so that one signal stops the webserver and the daemon.
        process = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def page(dagster_ui):
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page


def _text_after_load(page, url: str, expected: str) -> str:
    page.goto(url)
    page.get_by_text(expected).first.wait_for(timeout=60_000)
    return page.inner_text("body")


def test_the_asset_groups_are_the_pipeline_layers(page, dagster_ui):
    text = _text_after_load(page, f"{dagster_ui}/asset-groups", "staging")
    for group in LAYER_GROUPS:
        assert f"\n{group}\n" in text, group


def test_an_ingest_materialisation_shows_what_it_loaded(page, dagster_ui):
    text = _text_after_load(page, f"{dagster_ui}/assets/raw/members", "rows_loaded")
    assert "Member profile changes" in text  # the description, from the contract
    assert "rows_rejected" in text and "rejected_by_reason" in text
    assert DAY.isoformat() in text  # the partition materialised
