"""Daily exports, their checks, the published warehouse and ``panorama export``, on the
hand-made action warehouse of tests/test_actions.py (a real dbt build on real DuckDB)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.exports.assets import (
    CHECKSUMS_CHECK,
    EXPORT_KEY,
    NO_UNMASKED_PHONES_CHECK,
    PUBLISH_KEY,
    daily_action_lists,
    published_warehouse,
)
from dagster_project.defs.exports.commands import describe_exports
from dagster_project.defs.exports.files import (
    checksum_mismatches,
    export_day,
    read_manifest,
    unmasked_phone_findings,
)
from dagster_project.defs.exports.publish import PersonalDataFoundError, publish_warehouse
from dagster_project.resources import build_resources
from dagster_project.settings import Settings
from tests.fixtures.warehouse import BuiltWarehouse
from tests.test_actions import (  # noqa: F401 - action_warehouse_fixture provides the fixture
    DAY,
    PREVIOUS_DAY,
    action_warehouse_fixture,
)

SEGMENT_COUNT = 9
BOM = b"\xef\xbb\xbf"


def export_on(warehouse: BuiltWarehouse, exports_dir: Path, run_id: str = "run-1"):
    """Export DAY from the shared warehouse, opened read-only."""
    with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as conn:
        return export_day(conn, exports_dir, DAY, run_id)


def copy_home(warehouse: BuiltWarehouse, home: Path) -> Settings:
    """A private, writable copy of the shared warehouse under ``home``."""
    settings = Settings(home=home)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse.settings.warehouse_path, settings.warehouse_path)
    return settings


def materialise_exports(settings: Settings) -> dg.ExecuteInProcessResult:
    """The export and publish assets for both days in one run, as the daily job runs them."""
    resources = build_resources(settings)
    return dg.materialize(
        [daily_action_lists, published_warehouse],
        resources={name: resources[name] for name in ("duckdb", "panorama")},
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": PREVIOUS_DAY.isoformat(),
            "dagster/asset_partition_range_end": DAY.isoformat(),
        },
        raise_on_error=False,
    )


def test_every_list_gets_a_file_with_bom_header_and_the_manifest_rows(
    action_warehouse, tmp_path
) -> None:
    export = export_on(action_warehouse, tmp_path / "exports")
    manifest = read_manifest(export.folder)
    assert manifest["as_of_date"] == DAY.isoformat()
    assert manifest["model_versions"] == {
        "churn": "churn-v1",
        "potential_vip": "potential_vip-v1",
        "recommendation": "rec-v1",
    }
    assert len(manifest["files"]) == SEGMENT_COUNT
    for entry in manifest["files"]:
        raw = (export.folder / entry["file"]).read_bytes()
        assert raw.startswith(BOM), entry["file"]
        lines = raw[len(BOM) :].decode("utf-8").splitlines()
        assert lines[0].split(",") == entry["columns"]
        assert len(lines) - 1 == entry["rows"]
        assert entry["full_contact"] == (entry["channel"] in ("OB", "SMS"))
    rows = {entry["segment"]: entry["rows"] for entry in manifest["files"]}
    # pre-downgrade's only member was called for churn risk: a header-only file
    assert rows["pre_downgrade"] == 0
    assert rows["churn_risk"] == 2
    assert checksum_mismatches(export.folder) == []


def test_chinese_text_and_full_phones_only_in_call_and_sms_lists(
    action_warehouse, tmp_path
) -> None:
    export = export_on(action_warehouse, tmp_path / "exports")
    churn = (export.folder / "churn_risk.csv").read_text(encoding="utf-8-sig")
    assert "挽留外呼并提供专属礼遇" in churn and "王*" in churn and "VIP之夜" in churn
    assert "13800000001" in churn  # the OB list carries the full phone of M01
    in_game = (export.folder / "potential_vip.csv").read_text(encoding="utf-8-sig")
    assert "phone_masked" in in_game.splitlines()[0]
    assert unmasked_phone_findings(export.folder) == []


def test_the_phone_scan_catches_a_planted_unmasked_number(action_warehouse, tmp_path) -> None:
    export = export_on(action_warehouse, tmp_path / "exports")
    planted = export.folder / "points_expiring.csv"
    with open(planted, "a", encoding="utf-8") as handle:
        handle.write("2026-03-10,points_expiring,9,M99,王*,+86 139-1234-5678,REGULAR\n")
    assert unmasked_phone_findings(export.folder) == ["points_expiring.csv:3"]
    assert checksum_mismatches(export.folder) == [
        "points_expiring.csv: sha256 differs",
        "points_expiring.csv: row count differs",
    ]


def test_a_rerun_replaces_the_day_exactly(action_warehouse, tmp_path) -> None:
    first = export_on(action_warehouse, tmp_path / "exports", run_id="run-1")
    csv_bytes = {path.name: path.read_bytes() for path in first.folder.glob("*.csv")}
    (first.folder / "retired_list.csv").write_text("stale", encoding="utf-8")
    second = export_on(action_warehouse, tmp_path / "exports", run_id="run-2")
    assert {path.name: path.read_bytes() for path in second.folder.glob("*.csv")} == csv_bytes
    assert second.manifest["run_id"] == "run-2"
    assert [e["sha256"] for e in second.manifest["files"]] == [
        e["sha256"] for e in first.manifest["files"]
    ]
    # no temporary files are left behind
    assert sorted(p.name for p in second.folder.iterdir() if p.name.startswith(".")) == []


def test_the_assets_export_check_and_publish_without_personal_data(
    action_warehouse, tmp_path
) -> None:
    settings = copy_home(action_warehouse, tmp_path / "home")
    result = materialise_exports(settings)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {NO_UNMASKED_PHONES_CHECK: True, CHECKSUMS_CHECK: True}
    for day in (PREVIOUS_DAY, DAY):
        assert (settings.exports_dir / day.isoformat() / "manifest.json").exists()
    materialised = result.asset_materializations_for_node("exports__daily_action_lists")
    assert materialised[-1].metadata["rows_by_segment"].data["churn_risk"] == 2
    published = settings.published_path
    assert published.exists() and not published.with_name("panorama.duckdb.tmp").exists()
    assert published.stat().st_mode & 0o222 == 0  # read-only on disk
    with duckdb.connect(str(published), read_only=True) as conn:
        schemas = {
            row[0] for row in conn.execute("select schema_name from duckdb_schemas()").fetchall()
        }
        assert not schemas & {"raw", "staging", "restricted"}
        assert conn.execute("select count(*) from marts.fct_daily_actions").fetchone()[0] > 0
    summary = describe_exports(settings)
    assert f"action lists exported for {DAY}" in summary
    assert str(settings.exports_dir / DAY.isoformat() / "churn_risk.csv") in summary


def test_a_leaked_phone_fails_the_blocking_check_and_nothing_is_published(
    action_warehouse, tmp_path
) -> None:
    settings = copy_home(action_warehouse, tmp_path / "home")
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        conn.execute(
            "update restricted.fct_daily_action_contacts set phone_masked = '13912345678' "
            "where segment = 'potential_vip'"
        )
    result = materialise_exports(settings)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks[NO_UNMASKED_PHONES_CHECK].passed is False
    findings = checks[NO_UNMASKED_PHONES_CHECK].metadata["findings"].data
    assert findings and all("potential_vip.csv" in finding for finding in findings)
    assert not settings.published_path.exists()
    assert PUBLISH_KEY not in {
        m.asset_key for m in result.get_asset_materialization_events() if m.asset_key
    }
    assert EXPORT_KEY in {m.asset_key for m in result.get_asset_materialization_events()}


def test_publish_refuses_a_warehouse_with_unmasked_phones(tmp_path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published" / "panorama.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.notes as select '请回电 13712345678' as note_text")
        with pytest.raises(PersonalDataFoundError, match="marts.notes.note_text"):
            publish_warehouse(conn, published)
    assert not published.exists()
    assert not published.with_name("panorama.duckdb.tmp").exists()


def export_command(home: Path, day: str, segment: str, out: Path) -> int:
    """``panorama --home HOME export --date DAY --segment SEGMENT --out OUT``."""
    return main(
        ["--home", str(home), "export", "--date", day, "--segment", segment, "--out", str(out)]
    )


def test_the_export_command_copies_one_list_and_explains_unknown_ones(
    action_warehouse, tmp_path, capsys
) -> None:
    home = tmp_path / "home"
    export_on(action_warehouse, home / "exports")
    out = tmp_path / "out" / "churn.csv"
    assert export_command(home, "2026-03-10", "churn_risk", out) == 0
    assert out.read_bytes() == (home / "exports" / "2026-03-10" / "churn_risk.csv").read_bytes()
    assert export_command(home, "2026-03-11", "churn_risk", out) == 2
    error = capsys.readouterr().err
    assert "no exports for 2026-03-11" in error and "exported days: 2026-03-10" in error
    assert export_command(home, "2026-03-10", "vip_party", out) == 2
    error = capsys.readouterr().err
    assert "no list 'vip_party'" in error and "churn_risk" in error


def test_exported_days_are_the_ones_with_a_manifest(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    assert describe_exports(settings) == f"exports: none under {settings.exports_dir}"
    (settings.exports_dir / "2026-03-10").mkdir(parents=True)
    assert describe_exports(settings).startswith("exports: none")
