"""The `panorama` command line, end to end: the demo on a tiny simulation."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import build_parser, main
from dagster_project.defs.ingest.landing import read_day
from dagster_project.settings import Settings
from data_quality.contract import SOURCES


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--days", "0"], "expected a positive whole number, got '0'"),
        (["simulate", "--start", "2026-02-30"], "expected a date as YYYY-MM-DD"),
        (["simulate", "--dirty-rate", "0.9"], "expected a rate from 0 to 0.5"),
    ],
)
def test_bad_arguments_get_a_clear_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_demo_loads_every_delivered_row_or_explains_its_rejection(tmp_path, capsys):
    home = tmp_path / "home"
    argv = ["demo", "--home", str(home), "--members", "300", "--days", "3", "--dirty-rate", "0.02"]

    assert main(argv) == 0

    settings = Settings(home=home)
    days = ["2026-01-01", "2026-01-02", "2026-01-03"]
    captured = capsys.readouterr()
    report = captured.out
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for name, source in SOURCES.items():
            delivered = sum(
                read_day(settings.landing_dir, source, day).frame.height for day in days
            )
            loaded = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            rejected, unexplained = con.execute(
                f"select count(*), count(*) filter (where _reason is null or _raw_record is null) "
                f"from raw.{name}__rejected"
            ).fetchone()
            assert loaded + rejected == delivered, name
            assert unexplained == 0
            assert f"raw.{name} " in report
        for name in ("members", "logins", "consumption", "recharges"):
            assert con.execute(f"select count(*) from raw.{name}").fetchone()[0] > 0
        staged = con.execute("select count(*) from staging.stg_logins__sessions").fetchone()[0]
        assert staged > 0
    # The runs are recorded in the Dagster instance under the home, for `make dev` to show:
    # the backfill of the three days, the training (three days are too few to train on: it
    # fails and says so), and the last day's whole run, newest first.
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    daily, training, backfill = instance.get_runs()
    assert backfill.is_success and daily.is_success and training.is_failure
    assert backfill.tags["dagster/asset_partition_range_start"] == "2026-01-01"
    assert daily.tags["dagster/asset_partition_range_start"] == "2026-01-03"
    assert "the models were not trained" in captured.err
    # It ends with the lists it exported for the last day and the first portal login.
    assert "action lists exported for 2026-01-03" in report
    assert f"{settings.exports_dir / '2026-01-03' / 'birthday_care.csv'}" in report
    assert "first login: admin / " in report
    # What the marts say shows on their materialisations in the UI.
    tiers = instance.get_latest_materialization_event(
        dg.AssetKey(["marts", "fct_member_tier_daily"])
    )
    table = tiers.asset_materialization.metadata["tier distribution (last day)"].value
    assert table.startswith("| tier | members | pre_downgrade |") and "REGULAR" in table
