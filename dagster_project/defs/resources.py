"""Registers the code location's resources (built when definitions load, not at import)."""

import dagster as dg

from dagster_project.resources import build_resources
from dagster_project.settings import get_settings


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(get_settings()))
