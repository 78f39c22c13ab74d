"""Shared test set-up: every test gets its own data directory and nothing calls home."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point PANORAMA_HOME and DAGSTER_HOME at a fresh folder for each test, so no test reads
    or writes the user's ``.panorama`` and environment changes do not leak between tests."""
    home = tmp_path / "panorama_home"
    monkeypatch.setenv("PANORAMA_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name, value in {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "False",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }.items():
        monkeypatch.setenv(name, value)
    return home
