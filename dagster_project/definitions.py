"""The code location: everything under ``defs/`` assembled, nothing defined here."""

from pathlib import Path

import dagster as dg


def build_definitions() -> dg.Definitions:
    """Load ``defs/``; resources are built from the settings in force at this call."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


defs = build_definitions()
