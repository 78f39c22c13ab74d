"""The dbt project as Dagster sees it, and the one function that writes its manifest.

Nothing here runs dbt at import: ``panorama prepare`` (run by the Makefile before tests, the
demo and the dev UI) calls :func:`prepare_dbt_manifest`, and under ``dagster dev`` the asset
module calls :func:`prepare_manifest_if_dev` so edited models show up on reload.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR, TELEMETRY_OFF_ENV, get_settings

log = logging.getLogger(__name__)

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# The `dbt build` of a Dagster run (and of bench/warehouse.py, which measures it): unit tests
# check the SQL's logic on fixed rows, not the day's data, so they run in the test suite
# (tests/ builds with them) and not in every production run, as dbt's docs advise.
DBT_BUILD_COMMAND = ("build", "--exclude-resource-type", "unit_test")

# The artifacts `dbt parse` leaves that later invocations reuse: the manifest dagster-dbt reads
# and the partial-parse cache that dagster-dbt copies into each run's own target folder.
_PREPARED_ARTIFACTS = ("manifest.json", "partial_parse.msgpack")


class DbtManifestMissingError(RuntimeError):
    """The dbt manifest has not been built: definitions cannot load without it."""


def dbt_executable() -> str:
    """The dbt executable of this interpreter's environment.

    The venv's ``bin`` is often not on ``PATH`` (``.venv/bin/panorama``, ``.venv/bin/dagster``
    started from make), so the executable next to ``sys.executable`` wins over a ``PATH`` lookup.
    """
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("dbt") or "dbt"


def prepare_dbt_manifest() -> Path:
    """Run ``dbt parse`` and install ``dbt/target/manifest.json``; return its path.

    dbt parses into a private folder and the artifacts are renamed into place, so a process
    reading the manifest (a running ``dagster dev``, a parallel test worker) never sees a
    half-written file. The dbt profile reads ``PANORAMA_HOME``; it is taken from the settings
    so that parsing works even where the variable is unset.
    """
    target_dir = dbt_project.project_dir / dbt_project.target_path
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".prepare-", dir=target_dir) as scratch:
        scratch_dir = Path(scratch)
        cached_parse = target_dir / "partial_parse.msgpack"
        if cached_parse.exists():
            shutil.copy2(cached_parse, scratch_dir / cached_parse.name)
        _run_dbt_parse(scratch_dir)
        for name in _PREPARED_ARTIFACTS:
            os.replace(scratch_dir / name, target_dir / name)
    log.info("dbt manifest written to %s", dbt_project.manifest_path)
    return dbt_project.manifest_path


def _run_dbt_parse(target_dir: Path) -> None:
    env = {
        **os.environ,
        **TELEMETRY_OFF_ENV,
        "PANORAMA_HOME": str(get_settings().home),
    }
    command = [
        dbt_executable(),
        "parse",
        "--quiet",
        "--project-dir",
        str(dbt_project.project_dir),
        "--profiles-dir",
        str(dbt_project.profiles_dir),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(target_dir),
    ]
    completed = subprocess.run(
        command, cwd=dbt_project.project_dir, env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed (exit {completed.returncode}):\n"
            f"{completed.stdout}{completed.stderr}".rstrip()
        )


def prepare_manifest_if_dev() -> None:
    """Rebuild the manifest when the code location runs under ``dagster dev``; else nothing.

    dagster-dbt's own ``DbtProject.prepare_if_dev`` would do the same but looks ``dbt`` up on
    ``PATH``, which does not hold the venv when make starts ``.venv/bin/dagster dev``.
    """
    if dbt_project.preparer.using_dagster_dev():
        prepare_dbt_manifest()


def require_manifest() -> Path:
    """The manifest path, or a clear error telling the user how to build it."""
    if not dbt_project.manifest_path.exists():
        raise DbtManifestMissingError(
            f"The dbt manifest {dbt_project.manifest_path} does not exist. "
            "Build it with `panorama prepare` (or `make install` / `make prepare`), then reload."
        )
    return dbt_project.manifest_path
