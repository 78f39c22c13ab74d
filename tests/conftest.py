"""Shared test set-up: every test gets its own data directory and nothing calls home."""

from __future__ import annotations

import pytest

from dagster_project.settings import TELEMETRY_OFF_ENV


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point PANORAMA_HOME and DAGSTER_HOME at a fresh folder for each test, so no test reads
    or writes the user's ``.panorama`` and environment changes do not leak between tests."""
    home = tmp_path / "panorama_home"
    monkeypatch.setenv("PANORAMA_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name, value in TELEMETRY_OFF_ENV.items():
        monkeypatch.setenv(name, value)
    return home
