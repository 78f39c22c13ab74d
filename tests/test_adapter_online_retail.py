"""The online-retail import adapter on a slice of the real UCI log, checked by the real ingest."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project.adapters.online_retail import import_online_retail
from dagster_project.cli import main
from dagster_project.defs.ingest.loading import ingest_day, validate_batch
from dagster_project.defs.ingest.warehouse import ensure_tables
from dagster_project.settings import Settings
from data_quality.contract import SOURCES

REPO = Path(__file__).resolve().parent.parent
LOG_NAME = Path("online_retail") / "online_retail.parquet"


def _shared_log() -> Path:
    shared = os.environ.get("PANORAMA_SHARED_DATA")
    base = Path(shared) if shared else REPO.parent / "shared" / "data"
    return base / LOG_NAME


@pytest.fixture(scope="module")
def log_slice(tmp_path_factory) -> Path:
    """The real log's first three trading days (with cancellations and customer-less lines)."""
    source = _shared_log()
    if not source.is_file():
        pytest.skip(f"the UCI Online Retail log is not at {source} (set PANORAMA_SHARED_DATA)")
    lines = pl.read_parquet(source).filter(pl.col("InvoiceDate") < dt.datetime(2010, 12, 4))
    path = tmp_path_factory.mktemp("retail") / "slice.parquet"
    lines.write_parquet(path)
    return path


def _digests(landing: Path) -> dict[str, str]:
    return {
        path.relative_to(landing).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def test_every_source_gets_a_part_file_and_success_marker_for_every_day(log_slice, tmp_path):
    summary = import_online_retail(log_slice, tmp_path / "landing")
    assert (summary.first_day, summary.last_day) == ("2010-12-01", "2010-12-04")
    for name in SOURCES:
        folders = sorted((tmp_path / "landing" / name).iterdir())
        assert [f.name for f in folders] == [f"dt=2010-12-0{d}" for d in range(1, 5)]
        for folder in folders:
            assert (folder / "part-00000.parquet").is_file()
            assert (folder / "_SUCCESS").is_file()


def test_customerless_lines_and_cancellations_are_counted_not_dropped(log_slice, tmp_path):
    lines = pl.read_parquet(log_slice)
    summary = import_online_retail(log_slice, tmp_path / "landing")

    anonymous = lines.filter(pl.col("CustomerID").is_null())
    assert summary.lines_without_customer == anonymous.height > 0
    assert summary.invoices_without_customer == anonymous["InvoiceNo"].n_unique()
    identified = lines.filter(pl.col("CustomerID").is_not_null())
    cancelled = identified.filter(pl.col("InvoiceNo").str.starts_with("C"))
    assert summary.cancellation_invoices == cancelled["InvoiceNo"].n_unique() > 0
    refund = -(cancelled["Quantity"] * cancelled["UnitPrice"]).sum()
    assert summary.refund_value == pytest.approx(refund, abs=0.05)
    assert summary.members == identified["CustomerID"].n_unique()
    assert summary.rows_written["recharges"] == summary.cancellation_invoices


def test_the_real_ingest_accepts_every_row_and_every_suite_passes(log_slice, tmp_path):
    landing = tmp_path / "landing"
    summary = import_online_retail(log_slice, landing)
    days = [f"2010-12-0{d}" for d in range(1, 5)]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        for source in SOURCES.values():
            ensure_tables(conn, source)
            ingested = [ingest_day(conn, source, landing, day) for day in days]
            loads = [day.load for day in ingested]
            assert sum(load.rejected for load in loads) == 0, source.name
            # The source's great-expectations suite, as the ingest asset runs it.
            batch = validate_batch(source, ingested, Settings(home=tmp_path).reject_tolerance)
            assert batch.outcome.success, source.name
            assert sum(load.loaded for load in loads) == summary.rows_written[source.name]
            assert all(load.complete for load in loads)
        refunds, refund_value = conn.execute(
            "select count(*), sum(amount_cny) from raw.recharges where txn_type = 'REFUND'"
        ).fetchone()
        consumed = conn.execute("select sum(amount_cny) from raw.consumption").fetchone()[0]
        logins_per_day = conn.execute(
            "select max(n) from (select count(*) as n from raw.logins "
            "group by member_id, _landing_date)"
        ).fetchone()[0]
    assert refunds == summary.cancellation_invoices
    assert refund_value == pytest.approx(summary.refund_value, abs=0.05)
    assert consumed == pytest.approx(summary.purchase_value, abs=0.05)
    assert logins_per_day == 1


def test_times_are_moved_to_the_warehouse_day_and_offset(log_slice, tmp_path):
    import_online_retail(log_slice, tmp_path / "landing")
    # 536365 was invoiced at 08:26 in London (GMT in December): 16:26 in Shanghai, same day.
    first_day = pl.read_parquet(
        tmp_path / "landing" / "consumption" / "dt=2010-12-01" / "part-00000.parquet"
    )
    row = first_day.filter(pl.col("consumption_id") == "OR-536365").row(0, named=True)
    assert row["consumed_at"] == "2010-12-01T16:26:00+08:00"
    assert row["member_id"] == "OR17850"


def test_a_rerun_writes_the_same_files(log_slice, tmp_path):
    landing = tmp_path / "landing"
    import_online_retail(log_slice, landing)
    before = _digests(landing)
    import_online_retail(log_slice, landing)
    assert _digests(landing) == before


def test_the_cli_imports_into_home_landing(log_slice, tmp_path, capsys):
    home = tmp_path / "home"
    argv = ["--home", str(home), "import-transactions", "--file", str(log_slice)]
    assert main([*argv, "--format", "online_retail"]) == 0
    printed = capsys.readouterr().out
    assert '"lines_without_customer"' in printed
    assert (home / "landing" / "members" / "dt=2010-12-01" / "_SUCCESS").is_file()
