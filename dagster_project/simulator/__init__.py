"""The built-in data simulator: plays the operator's source systems for demos, tests and
benchmarks, writing the twelve landing sources of the raw data contract.

    from dagster_project.simulator import SimulationConfig, simulate
    summary = simulate(SimulationConfig(members=5000, days=60, out=landing_dir))
"""

from dagster_project.simulator.config import (
    DIRTY_KINDS,
    REDELIVERED,
    REJECTED_KINDS,
    SOURCE_FORMATS,
    SimulationConfig,
    SimulationSummary,
)
from dagster_project.simulator.engine import simulate

__all__ = [
    "DIRTY_KINDS",
    "REDELIVERED",
    "REJECTED_KINDS",
    "SOURCE_FORMATS",
    "SimulationConfig",
    "SimulationSummary",
    "simulate",
]
