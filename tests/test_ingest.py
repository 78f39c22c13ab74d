"""Ingest assets end to end: real landing files, real DuckDB in tmp_path, real Dagster runs."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from dagster_project.defs.ingest import loading
from dagster_project.defs.ingest.assets import ingest_asset_key, ingest_assets
from dagster_project.defs.ingest.loading import BATCH_DAY_COLUMN
from dagster_project.defs.ingest.warehouse import (
    RawTableMismatch,
    ensure_tables,
    raw_columns,
    replace_landing_day,
)
from dagster_project.partitions import daily_partitions
from dagster_project.resources import WRITER_POOL, build_resources
from dagster_project.settings import DEFAULT_SUITE_BATCH_ROWS, Settings
from data_quality.contract import SOURCES
from data_quality.suites import build_suite
from tests.fixtures.landing import (
    day_folder,
    mark_complete,
    valid_rows,
    write_clean_day,
    write_part,
)

DAY1, DAY2, DAY3, DAY4, DAY5 = "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05"
ASSETS = {key.path[-1]: asset for asset in ingest_assets for key in asset.keys}


# --- helpers ---------------------------------------------------------------------------------


def run(
    settings: Settings,
    sources: Sequence[str] | None = None,
    day: str | None = DAY1,
    last_day: str | None = None,
    extra_assets: Sequence[dg.AssetsDefinition] = (),
) -> dg.ExecuteInProcessResult:
    """Materialise the ingest assets of ``sources`` (all by default) for a day or a day range
    (one run, as a single-run backfill would)."""
    assets = [ASSETS[name] for name in sources] if sources else list(ingest_assets)
    tags = {}
    if last_day is not None:
        tags = {
            "dagster/asset_partition_range_start": day,
            "dagster/asset_partition_range_end": last_day,
        }
        day = None
    return dg.materialize(
        [*assets, *extra_assets],
        resources=build_resources(settings),
        partition_key=day,
        tags=tags,
        raise_on_error=False,
    )


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def count(settings: Settings, table: str, where: str = "true") -> int:
    return query(settings, f"select count(*) from {table} where {where}")[0][0]


def materialization_metadata(result: dg.ExecuteInProcessResult, source: str) -> dict:
    """The run's metadata of one source (a day range gives the same to each of its days)."""
    events = result.asset_materializations_for_node(f"raw__{source}")
    assert len({repr(event.metadata) for event in events}) == 1
    return {key: getattr(value, "value", value) for key, value in events[0].metadata.items()}


def materialised_partitions(result: dg.ExecuteInProcessResult, source: str) -> list[str]:
    return [event.partition for event in result.asset_materializations_for_node(f"raw__{source}")]


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {item.check_name: item for item in result.get_asset_check_evaluations()}


def failure_of(result: dg.ExecuteInProcessResult, source: str) -> str:
    failures = [
        event
        for event in result.all_events
        if event.is_step_failure and event.step_key == f"raw__{source}"
    ]
    assert failures, f"raw/{source} did not fail"
    return failures[0].step_failure_data.error.message


def failed_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.all_events if event.is_step_failure}


def with_columns(rows, **values):
    return [{**row, **values} for row in rows]


def table_rows(markdown: str) -> list[list[str]]:
    """The body cells of a Markdown table (header and rule dropped)."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in markdown.splitlines()[2:]
    ]


def suite_batch_of_each_day(metadata: dict) -> dict[str, tuple[str, str]]:
    """Day -> (suite batch, suite result), from the per-day table of a materialisation."""
    return {row[0]: (row[-2], row[-1]) for row in table_rows(metadata["days"])}


@pytest.fixture
def suite_runs(monkeypatch) -> list[tuple[int, list[str] | None]]:
    """Every great-expectations validation ingestion runs, as (rows, landing days judged; None
    for a one-day batch). Wraps the real ``run_suite`` where loading calls it: GX still runs."""
    runs: list[tuple[int, list[str] | None]] = []
    real_run_suite = loading.run_suite

    def counted_run_suite(suite, frame):
        days = sorted(frame[BATCH_DAY_COLUMN].unique()) if BATCH_DAY_COLUMN in frame else None
        runs.append((len(frame), days))
        return real_run_suite(suite, frame)

    monkeypatch.setattr(loading, "run_suite", counted_run_suite)
    return runs


# --- definitions -------------------------------------------------------------------------------


def test_definitions_resolve_the_twelve_ingest_assets_with_their_checks():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, source in SOURCES.items():
        key = ingest_asset_key(name)
        assets_def = defs.resolve_assets_def(key)
        spec = assets_def.specs_by_key[key]
        assert spec.group_name == "ingest"
        assert spec.kinds == {"duckdb", "polars", "great-expectations"}
        assert spec.owners
        assert source.description in spec.description
        assert assets_def.partitions_def == daily_partitions
        assert assets_def.backfill_policy == dg.BackfillPolicy.single_run()
        assert assets_def.op.pool == WRITER_POOL
        checks = {check.name: check for check in assets_def.check_specs}
        assert set(checks) == {f"{name}_contract_suite", f"{name}_reject_share"}
        assert all(check.blocking for check in checks.values())
        schema = spec.metadata["dagster/column_schema"]
        assert [column.name for column in schema.columns] == [n for n, _ in raw_columns(source)]
        assert graph.has(key)
    assert len(ingest_assets) == len(SOURCES) == 12


# --- a day with clean sources and one source with bad rows -------------------------------------


def logins_with_bad_rows(landing: Path) -> dict[str, object]:
    """Three files for logins on DAY1: 209 rows, 7 of them bad in known ways."""
    valid = valid_rows("logins", DAY1, 150)
    write_part(landing, "logins", DAY1, valid, fmt="parquet", part="part-00000")
    more = valid_rows("logins", DAY1, 50, start=150)
    bad = valid_rows("logins", DAY1, 7, start=300)
    bad[0]["member_id"] = "  "
    bad[1]["duration_min"] = "abc"
    bad[2]["device_type"] = "TABLET"
    bad[3]["duration_min"] = "5000"
    bad[4]["game_code"], bad[4]["duration_min"] = "G99", "abc"  # bad_type is checked first
    bad[5]["login_id"] = more[0]["login_id"]  # an earlier accepted row of the same file
    bad[6]["login_id"] = bad[2]["login_id"]  # same key as a *rejected* row: accepted
    write_part(landing, "logins", DAY1, [*more, *bad], fmt="csv", part="part-00001")
    late = valid_rows("logins", DAY1, 1, start=400)
    late[0]["login_at"] = "2025-03-01 10:00:00"  # no offset: Shanghai wall-clock time
    write_part(landing, "logins", DAY1, [dict(valid[0]), *late], fmt="jsonl", part="part-00002")
    mark_complete(landing, "logins", DAY1)
    return {
        "delivered": 209,
        "late_login_id": late[0]["login_id"],
        "bad_row": bad[1],
        "rejected": [
            ("logins/dt=2025-03-01/part-00001.csv", 51, "missing_required:member_id"),
            ("logins/dt=2025-03-01/part-00001.csv", 52, "bad_type:duration_min"),
            ("logins/dt=2025-03-01/part-00001.csv", 53, "invalid_value:device_type"),
            ("logins/dt=2025-03-01/part-00001.csv", 54, "out_of_range:duration_min"),
            ("logins/dt=2025-03-01/part-00001.csv", 55, "bad_type:duration_min"),
            ("logins/dt=2025-03-01/part-00001.csv", 56, "duplicate_key:login_id"),
            ("logins/dt=2025-03-01/part-00002.jsonl", 1, "duplicate_key:login_id"),
        ],
    }


@pytest.fixture(scope="module")
def loaded_day(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    landing = settings.landing_dir
    written = write_clean_day(landing, DAY1, count=6)
    expected = logins_with_bad_rows(landing)
    consumption = valid_rows("consumption", DAY1, 6)
    columns = [*SOURCES["consumption"].column_names, "coupon_code"]
    write_part(landing, "consumption", DAY1, consumption, fmt="csv", columns=columns)
    (day_folder(landing, "tickets", DAY1) / "_SUCCESS").unlink()
    result = run(settings)
    return settings, result, written, expected


def test_a_day_loads_every_source(loaded_day):
    settings, result, written, _ = loaded_day
    assert result.success
    for name in SOURCES:
        if name == "logins":
            continue
        assert count(settings, f"raw.{name}") == len(written[name]) == 6
        assert count(settings, f"raw.{name}__rejected") == 0


def test_bad_rows_are_rejected_with_the_first_failing_rule(loaded_day):
    settings, _, _, expected = loaded_day
    rejected = query(
        settings,
        "select _source_file, _line, _reason from raw.logins__rejected order by all",
    )
    assert rejected == expected["rejected"]
    loaded = count(settings, "raw.logins")
    assert loaded == expected["delivered"] - len(rejected) == 202
    assert count(settings, "raw.logins", f"_landing_date = '{DAY1}'") == loaded


def test_rejected_rows_keep_the_delivered_values(loaded_day):
    settings, _, _, expected = loaded_day
    [(record,)] = query(
        settings,
        "select _raw_record from raw.logins__rejected where _reason like 'bad_type%' "
        "and _line = 52",
    )
    assert json.loads(record) == expected["bad_row"]


def test_loaded_rows_are_typed_and_keep_their_lineage(loaded_day):
    settings, _, _, expected = loaded_day
    [(login_at, source_file, line)] = query(
        settings,
        "select login_at, _source_file, _line from raw.logins "
        f"where login_id = '{expected['late_login_id']}'",
    )
    assert login_at == dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
    assert (source_file, line) == ("logins/dt=2025-03-01/part-00002.jsonl", 2)
    types = query(
        settings,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'recharges' order by ordinal_position",
    )
    assert types[:7] == [
        ("recharge_id", "VARCHAR"),
        ("member_id", "VARCHAR"),
        ("game_code", "VARCHAR"),
        ("recharged_at", "TIMESTAMP WITH TIME ZONE"),
        ("txn_type", "VARCHAR"),
        ("amount_cny", "DOUBLE"),
        ("pay_method", "VARCHAR"),
    ]
    assert [name for name, _ in types[7:]] == [
        "_landing_date",
        "_source_file",
        "_line",
        "_loaded_at",
    ]


def test_materialisation_metadata_counts_files_rows_and_reasons(loaded_day):
    _, result, _, _ = loaded_day
    logins = materialization_metadata(result, "logins")
    assert logins["files"] == 3
    assert logins["bytes"] > 0
    assert (logins["rows_delivered"], logins["rows_loaded"], logins["rows_rejected"]) == (
        209,
        202,
        7,
    )
    assert logins["dagster/row_count"] == 202
    assert "| duplicate_key:login_id | 2 |" in logins["rejected_by_reason"]
    assert "| bad_type:duration_min | 2 |" in logins["rejected_by_reason"]
    assert materialization_metadata(result, "consumption")["extra_columns"] == "coupon_code"
    assert materialization_metadata(result, "tickets")["days_without_success_marker"] == DAY1
    assert "days" not in logins


def test_quality_checks_pass_within_the_tolerated_share(loaded_day):
    _, result, _, _ = loaded_day
    checks = check_results(result)
    assert len(checks) == 24
    assert all(check.passed for check in checks.values())
    share = checks["logins_reject_share"].metadata
    assert share["share"].value == pytest.approx(7 / 209)
    assert share["threshold"].value == pytest.approx(0.05)
    suite = checks["logins_contract_suite"].metadata
    assert suite["unsuccessful_expectations"].value == 0
    assert "expect_column_values_to_be_unique" in suite["expectations"].value


# --- re-materialising ------------------------------------------------------------------------


def table_contents(settings: Settings, table: str) -> list[tuple]:
    columns = [row[0] for row in query(settings, f"describe {table}") if row[0] != "_loaded_at"]
    return query(settings, f"select {', '.join(columns)} from {table} order by all")


def test_rematerialising_a_day_replaces_exactly_that_day(tmp_path):
    settings = Settings(home=tmp_path)
    sources = ["logins", "members"]
    write_clean_day(settings.landing_dir, DAY1, count=20, sources=sources)
    write_clean_day(settings.landing_dir, DAY2, count=4, sources=sources)
    bad = with_columns(valid_rows("logins", DAY1, 1, start=50), device_type="TABLET")
    write_part(settings.landing_dir, "logins", DAY1, bad, part="part-00009")
    assert run(settings, sources, DAY1).success
    assert run(settings, sources, DAY2).success
    before = {t: table_contents(settings, t) for t in ("raw.logins", "raw.logins__rejected")}

    assert run(settings, sources, DAY1).success
    after = {t: table_contents(settings, t) for t in ("raw.logins", "raw.logins__rejected")}
    assert after == before
    assert count(settings, "raw.logins") == 24
    assert count(settings, "raw.logins__rejected") == 1

    shutil.rmtree(day_folder(settings.landing_dir, "logins", DAY1))
    write_part(settings.landing_dir, "logins", DAY1, valid_rows("logins", DAY1, 2))
    assert run(settings, ["logins"], DAY1).success
    assert query(
        settings, "select _landing_date, count(*) from raw.logins group by all order by all"
    ) == [(dt.date(2025, 3, 1), 2), (dt.date(2025, 3, 2), 4)]
    assert count(settings, "raw.logins__rejected") == 0


def test_a_crash_mid_load_keeps_the_previous_contents(tmp_path):
    source = SOURCES["security_events"]
    database = tmp_path / "warehouse.duckdb"
    accepted = (
        pl.DataFrame(valid_rows("security_events", DAY1, 3))
        .with_columns(
            pl.col("occurred_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC"),
            _source_file=pl.lit("f.csv"),
            _line=pl.int_range(1, 4, dtype=pl.Int64),
        )
        .select(*source.column_names, "_source_file", "_line")
    )
    no_rejects = pl.DataFrame(
        schema={
            "_source_file": pl.String,
            "_line": pl.Int64,
            "_reason": pl.String,
            "_raw_record": pl.String,
        }
    )
    day = dt.date(2025, 3, 1)
    with duckdb.connect(str(database)) as conn:
        ensure_tables(conn, source)
        replace_landing_day(conn, source, day, accepted, no_rejects)
        broken_rejects = no_rejects.drop("_raw_record")
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            replace_landing_day(conn, source, day, accepted.head(1), broken_rejects)
        assert conn.execute("select count(*) from raw.security_events").fetchone() == (3,)


def test_a_raw_table_that_no_longer_matches_the_contract_is_refused(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("create schema raw; create table raw.surveys (survey_id varchar)")
        with pytest.raises(RawTableMismatch, match="raw.surveys has columns"):
            ensure_tables(conn, SOURCES["surveys"])


# --- several days in one run --------------------------------------------------------------------


def test_a_day_range_loads_in_one_run_and_checks_name_the_failing_day(tmp_path):
    settings = Settings(home=tmp_path, min_tolerated_bad_rows=5)
    for day in (DAY1, DAY2, DAY3):
        write_clean_day(settings.landing_dir, day, count=20, sources=["logins", "tickets"])
    dirty = valid_rows("logins", DAY2, 20)
    for row in dirty[::2]:
        row["device_type"] = "TABLET"
    write_part(settings.landing_dir, "logins", DAY2, dirty)

    result = run(settings, ["logins", "tickets"], DAY1, last_day=DAY3)

    steps = [event for event in result.all_events if event.event_type_value == "STEP_START"]
    assert sorted(event.step_key for event in steps) == ["raw__logins", "raw__tickets"]
    assert materialised_partitions(result, "tickets") == [DAY1, DAY2, DAY3]
    per_day = query(
        settings, "select _landing_date, count(*) from raw.tickets group by all order by all"
    )
    assert [n for _, n in per_day] == [20, 20, 20]
    assert query(settings, "select count(*) from raw.logins__rejected") == [(10,)]
    tickets = materialization_metadata(result, "tickets")
    assert tickets["partitions"] == f"{DAY1} .. {DAY3} (3 days)"
    assert (tickets["files"], tickets["rows_loaded"]) == (3, 60)
    assert tickets["days"].count("\n") == 4  # header, rule, three days
    # The default batch holds all three days: one suite run judges them together.
    whole_range = f"{DAY1} .. {DAY3}"
    assert suite_batch_of_each_day(tickets) == dict.fromkeys(
        (DAY1, DAY2, DAY3), (whole_range, "pass")
    )
    logins = materialization_metadata(result, "logins")
    assert suite_batch_of_each_day(logins) == dict.fromkeys(
        (DAY1, DAY2, DAY3), (whole_range, "FAIL")
    )

    checks = check_results(result)
    assert checks["tickets_contract_suite"].passed and checks["tickets_reject_share"].passed
    suite = checks["logins_contract_suite"]
    assert not suite.passed
    assert suite.metadata["failed_days"].value == whole_range
    assert "batches" not in suite.metadata
    assert "expect_column_values_to_be_in_set(device_type)" in (
        suite.metadata["failed_expectations"].value
    )
    share = checks["logins_reject_share"]
    assert not share.passed
    assert share.metadata["failed_days"].value == DAY2
    assert share.metadata["worst_day_share"].value == pytest.approx(0.5)
    assert failed_steps(result) == {"raw__logins"}  # blocking checks fail the step


def test_a_few_bad_rows_in_a_small_day_are_tolerated(tmp_path):
    """One bad row in a day of ten is over 5%, but within the floor of tolerated bad rows: the
    row is rejected and the gates pass; above the floor they fail."""
    settings = Settings(home=tmp_path, min_tolerated_bad_rows=2)
    rows = valid_rows("logins", DAY1, 10)
    rows[0]["device_type"] = "TABLET"
    rows[1]["device_type"] = "TABLET"
    write_part(settings.landing_dir, "logins", DAY1, rows)
    mark_complete(settings.landing_dir, "logins", DAY1)
    rows = valid_rows("logins", DAY2, 10)
    for row in rows[:3]:
        row["device_type"] = "TABLET"
    write_part(settings.landing_dir, "logins", DAY2, rows)
    mark_complete(settings.landing_dir, "logins", DAY2)

    tolerated = check_results(run(settings, ["logins"], DAY1))
    assert tolerated["logins_reject_share"].passed
    assert tolerated["logins_contract_suite"].passed
    assert query(settings, "select count(*) from raw.logins__rejected") == [(2,)]

    too_many = check_results(run(settings, ["logins"], DAY2))
    assert not too_many["logins_reject_share"].passed
    assert not too_many["logins_contract_suite"].passed


def test_a_bad_day_in_a_range_keeps_the_other_days(tmp_path, suite_runs):
    settings = Settings(home=tmp_path)
    for day in (DAY1, DAY3):
        write_clean_day(settings.landing_dir, day, count=3, sources=["surveys"])
    mark_complete(settings.landing_dir, "surveys", DAY2)

    result = run(settings, ["surveys"], DAY1, last_day=DAY3)

    message = failure_of(result, "surveys")
    assert "surveys/dt=2025-03-02/" in message and "no part-*" in message
    assert f"days loaded: {DAY1}, {DAY3}" in message
    assert count(settings, "raw.surveys") == 6
    assert suite_runs == [(6, [DAY1, DAY3])]  # the day not loaded is in no suite batch


def test_a_small_suite_batch_splits_a_range_and_a_bad_day_fails_only_its_batch(
    tmp_path, suite_runs
):
    settings = Settings(home=tmp_path, suite_batch_rows=40, min_tolerated_bad_rows=5)
    landing = settings.landing_dir
    for day in (DAY1, DAY2, DAY3, DAY4, DAY5):
        write_clean_day(landing, day, count=20, sources=["logins"])
    # DAY2 re-delivers five rows of DAY1: a key repeated on a later day is no duplicate.
    write_part(landing, "logins", DAY2, valid_rows("logins", DAY1, 5), part="part-00001")
    dirty = valid_rows("logins", DAY4, 20)
    for row in dirty[::2]:
        row["device_type"] = "TABLET"
    write_part(landing, "logins", DAY4, dirty)

    result = run(settings, ["logins"], DAY1, last_day=DAY5)

    # A batch closes once it holds 40 rows; the rest of the range is the last batch.
    assert suite_runs == [(45, [DAY1, DAY2]), (40, [DAY3, DAY4]), (20, None)]
    assert count(settings, "raw.logins") == 105 - 10
    assert count(settings, "raw.logins__rejected") == 10
    checks = check_results(result)
    suite = checks["logins_contract_suite"]
    assert not suite.passed
    assert suite.metadata["failed_days"].value == f"{DAY3} .. {DAY4}"
    assert suite.metadata["failed_expectations"].value == (
        "expect_column_values_to_be_in_set(device_type)"
    )
    assert table_rows(suite.metadata["batches"].value) == [
        [f"{DAY1} .. {DAY2}", "45", "pass", ""],
        [f"{DAY3} .. {DAY4}", "40", "FAIL", "expect_column_values_to_be_in_set(device_type)"],
        [DAY5, "20", "pass", ""],
    ]
    per_suite = len(build_suite("logins", settings.max_reject_share).expectations)
    assert suite.metadata["evaluated_expectations"].value == 3 * per_suite
    assert suite.metadata["unsuccessful_expectations"].value == 1
    expectations = suite.metadata["expectations"].value
    assert "**FAIL**" in expectations and "TABLET" in expectations
    assert suite_batch_of_each_day(materialization_metadata(result, "logins")) == {
        DAY1: (f"{DAY1} .. {DAY2}", "pass"),
        DAY2: (f"{DAY1} .. {DAY2}", "pass"),
        DAY3: (f"{DAY3} .. {DAY4}", "FAIL"),
        DAY4: (f"{DAY3} .. {DAY4}", "FAIL"),
        DAY5: (DAY5, "pass"),
    }
    share = checks["logins_reject_share"]
    assert not share.passed
    assert share.metadata["failed_days"].value == DAY4  # the reject share stays per day


def test_a_ten_day_range_runs_the_suite_once_with_the_default_batch(tmp_path, suite_runs):
    settings = Settings(home=tmp_path)
    days = [(dt.date(2025, 3, 1) + dt.timedelta(days=i)).isoformat() for i in range(10)]
    for day in days:
        write_clean_day(settings.landing_dir, day, count=5, sources=["logins"])

    result = run(settings, ["logins"], days[0], last_day=days[-1])

    assert result.success
    assert suite_runs == [(50, days)]
    suite = check_results(result)["logins_contract_suite"]
    assert suite.passed
    assert "batches" not in suite.metadata
    assert suite.metadata["evaluated_expectations"].value == len(
        build_suite("logins", settings.max_reject_share).expectations
    )
    per_day = suite_batch_of_each_day(materialization_metadata(result, "logins"))
    assert per_day == dict.fromkeys(days, (f"{days[0]} .. {days[-1]}", "pass"))


def test_the_suite_batch_size_comes_from_the_environment():
    assert Settings(home=Path("h")).suite_batch_rows == DEFAULT_SUITE_BATCH_ROWS == 500_000
    settings = Settings.from_env({"PANORAMA_HOME": "h", "PANORAMA_SUITE_BATCH_ROWS": "1000"})
    assert settings.suite_batch_rows == 1000
    assert build_resources(settings)["panorama"].settings.suite_batch_rows == 1000


# --- bad files ------------------------------------------------------------------------------------


def test_bad_files_fail_their_source_and_the_others_still_load(tmp_path):
    settings = Settings(home=tmp_path)
    landing = settings.landing_dir
    write_clean_day(landing, DAY1, count=4)
    assert run(settings, ["logins"]).success
    loaded_logins = table_contents(settings, "raw.logins")

    # logins: a CSV without member_id; recharges: not Parquet at all; members: no file;
    # contacts: a JSON lines file whose third line is cut short.
    shutil.rmtree(day_folder(landing, "logins", DAY1))
    columns = [n for n in SOURCES["logins"].column_names if n != "member_id"]
    write_part(landing, "logins", DAY1, valid_rows("logins", DAY1, 4), columns=columns)
    shutil.rmtree(day_folder(landing, "recharges", DAY1))
    write_part(landing, "recharges", DAY1, valid_rows("recharges", DAY1, 4), fmt="parquet")
    parquet = day_folder(landing, "recharges", DAY1) / "part-00000.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-40])
    shutil.rmtree(day_folder(landing, "members", DAY1))
    mark_complete(landing, "members", DAY1)
    shutil.rmtree(day_folder(landing, "contacts", DAY1))
    path = write_part(landing, "contacts", DAY1, valid_rows("contacts", DAY1, 4), fmt="jsonl")
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:40]
    path.write_text("\n".join(lines) + "\n")

    result = run(settings)

    assert failed_steps(result) == {
        "raw__logins",
        "raw__recharges",
        "raw__members",
        "raw__contacts",
    }
    logins = failure_of(result, "logins")
    assert "logins/dt=2025-03-01/part-00000.csv" in logins and "member_id" in logins
    recharges = failure_of(result, "recharges")
    assert "recharges/dt=2025-03-01/part-00000.parquet" in recharges
    assert "unreadable Parquet" in recharges
    assert "members/dt=2025-03-01/" in failure_of(result, "members")
    assert "contacts/dt=2025-03-01/part-00000.jsonl, line 3" in failure_of(result, "contacts")
    for name in set(SOURCES) - {"logins", "recharges", "members", "contacts"}:
        assert count(settings, f"raw.{name}") == 4, name
    assert table_contents(settings, "raw.logins") == loaded_logins  # the bad day kept its rows


def test_csv_with_a_ragged_row_names_its_line(tmp_path):
    settings = Settings(home=tmp_path)
    path = write_part(settings.landing_dir, "surveys", DAY1, valid_rows("surveys", DAY1, 3))
    lines = path.read_text().splitlines()
    lines[2] += ",surplus"
    path.write_text("\n".join(lines) + "\n")

    message = failure_of(run(settings, ["surveys"]), "surveys")

    assert "surveys/dt=2025-03-01/part-00000.csv, line 3" in message


# --- the quality gate -----------------------------------------------------------------------------


@dg.asset(
    key=["test", "after_logins"],
    deps=[ingest_asset_key("logins")],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def after_logins() -> None:
    """A downstream asset that must not run on a failed gate."""


@pytest.mark.parametrize("bad_rows", [0, 2], ids=["clean", "too-many-rejects"])
def test_reject_share_gate_blocks_downstream(tmp_path, bad_rows):
    settings = Settings(home=tmp_path, min_tolerated_bad_rows=1)
    rows = valid_rows("logins", DAY1, 10)
    for row in rows[:bad_rows]:
        row["duration_min"] = "abc"  # optional column: the suite passes, the row is rejected
    write_part(settings.landing_dir, "logins", DAY1, rows)

    result = run(settings, ["logins"], extra_assets=[after_logins])

    checks = check_results(result)
    assert checks["logins_contract_suite"].passed
    share = checks["logins_reject_share"]
    assert share.metadata["share"].value == pytest.approx(bad_rows / 10)
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    assert ingest_asset_key("logins") in materialised
    if bad_rows:
        assert not share.passed
        assert share.metadata["failed_days"].value == DAY1
        assert "| bad_type:duration_min | 2 |" in share.metadata["rejected_by_reason"].value
        assert dg.AssetKey(["test", "after_logins"]) not in materialised
    else:
        assert share.passed
        assert dg.AssetKey(["test", "after_logins"]) in materialised


# --- with the built-in simulator ------------------------------------------------------------------


@pytest.mark.slow
def test_simulated_days_load_with_exactly_the_injected_rejects(tmp_path):
    from dagster_project.simulator import REJECTED_KINDS, SimulationConfig, simulate

    # Simulated days of a few hundred members are small: one bad row can be 20% of a source's
    # day, so the gate's threshold is raised here; this test is about counts, not the gate.
    settings = Settings(home=tmp_path, max_reject_share=0.5)
    summary = simulate(
        SimulationConfig(
            members=300,
            days=3,
            start=dt.date(2025, 3, 1),
            dirty_rate=0.02,
            out=settings.landing_dir,
        )
    )

    result = run(settings, day=DAY1, last_day=DAY3)

    assert result.success
    rule_of_kind = {kind: kind for kind in REJECTED_KINDS} | {"duplicate": "duplicate_key"}
    for name, written in summary.rows_written.items():
        loaded, rejected = count(settings, f"raw.{name}"), count(settings, f"raw.{name}__rejected")
        assert loaded + rejected == written, name
        by_rule = dict(
            query(
                settings,
                f"select split_part(_reason, ':', 1), count(*) from raw.{name}__rejected "
                "group by 1",
            )
        )
        injected = {
            rule_of_kind[kind]: summary.dirty_rows(name, kind)
            for kind in REJECTED_KINDS
            if summary.dirty_rows(name, kind)
        }
        assert by_rule == injected, name
    assert sum(summary.expected_rejected(name) for name in SOURCES) > 0
