"""Simulator speed: rows per second at 100k members x 90 days (or as given).

Run: ``.venv/bin/python -m bench.simulator_speed [--members N] [--days D] [--out DIR]``.
Writes into a temporary folder unless ``--out`` is given, and prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
from pathlib import Path

from dagster_project.simulator import SimulationConfig, simulate


def machine() -> dict[str, object]:
    """What the figure was measured on."""
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def run(members: int, days: int, out: Path) -> dict[str, object]:
    """Simulate and report speed, size on disk and peak memory."""
    summary = simulate(SimulationConfig(members=members, days=days, out=out))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "members": members,
        "days": days,
        "total_rows": summary.total_rows,
        "rows_written": summary.rows_written,
        "elapsed_seconds": round(summary.elapsed_seconds, 2),
        "rows_per_second": round(summary.rows_per_second),
        "landing_mb": round(size / 1e6, 1),
        "peak_rss_mb": round(peak_kib / 1024),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.out is not None:
        report = run(args.members, args.days, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="simulator-speed-") as folder:
            report = run(args.members, args.days, Path(folder))
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
