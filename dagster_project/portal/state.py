"""Where the portal keeps its state, and how it writes it: ``<home>/portal/``, owner-only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dagster_project.settings import Settings


def portal_dir(settings: Settings) -> Path:
    """``<PANORAMA_HOME>/portal``: users, the session secret and the audit log."""
    return settings.home / "portal"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (it holds password hashes and the secret)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` in one rename, so a reader sees the old or the new file."""
    ensure_private_dir(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
