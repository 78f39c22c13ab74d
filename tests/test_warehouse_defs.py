"""The dbt project as Dagster definitions: keys, groups, checks, partitions and dbt arguments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource, DbtProject

from dagster_project.definitions import defs
from dagster_project.defs.warehouse import project
from dagster_project.defs.warehouse.assets import (
    dbt_build_args,
    warehouse_dbt,
    warehouse_dbt_post_ml,
)
from dagster_project.partitions import daily_partitions
from dagster_project.resources import WRITER_POOL, build_resources
from dagster_project.settings import DBT_PROJECT_DIR, Settings
from data_quality.contract import SOURCES

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _manifest() -> dict:
    return json.loads(project.dbt_project.manifest_path.read_text(encoding="utf-8"))


DBT_ASSETS = (warehouse_dbt, warehouse_dbt_post_ml)


def _dbt_keys() -> set[dg.AssetKey]:
    return {key for assets in DBT_ASSETS for key in assets.keys}


def _spec(key: dg.AssetKey) -> dg.AssetSpec:
    (spec,) = [assets.specs_by_key[key] for assets in DBT_ASSETS if key in assets.keys]
    return spec


# --- definitions --------------------------------------------------------------------------------


def test_definitions_hold_every_model_and_seed_under_schema_keys():
    graph = defs.resolve_asset_graph()
    manifest = _manifest()
    expected = {
        dg.AssetKey([node["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed", "snapshot"}
    }
    assert _dbt_keys() == expected
    assert expected <= set(graph.get_all_asset_keys())
    assert dg.AssetKey(["staging", "stg_logins__sessions"]) in expected
    assert dg.AssetKey(["reference", "tiers"]) in expected


def test_every_dbt_test_is_an_asset_check():
    manifest = _manifest()
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    check_keys = {key for assets in DBT_ASSETS for key in assets.check_keys}
    assert len(tests) > 80
    assert {key.name for key in check_keys} == {test["name"] for test in tests}
    graph = defs.resolve_asset_graph()
    assert check_keys <= set(graph.asset_check_keys)


def test_assets_are_grouped_by_layer():
    groups = {key: _spec(key).group_name for key in _dbt_keys()}
    for key, group in groups.items():
        layer = key.path[0]
        assert group == layer, key
    assert {"staging", "reference"} <= set(groups.values())


def test_staging_models_depend_on_the_ingest_raw_assets():
    for name in SOURCES:
        (staging_key,) = [
            key
            for key in _dbt_keys()
            if key.path[0] == "staging" and key.path[1].startswith(f"stg_{name}__")
        ]
        deps = {dep.asset_key for dep in _spec(staging_key).deps}
        assert deps == {dg.AssetKey(["raw", name])}, staging_key


def test_specs_carry_kinds_owners_descriptions_and_pii_columns():
    spec = _spec(dg.AssetKey(["staging", "stg_members__profile_versions"]))
    assert spec.kinds == {"dbt", "duckdb"}
    assert spec.owners == ["team:crm-data"]
    assert spec.description.startswith("Member profile versions")
    assert set(spec.metadata["pii_columns"].value) == {"real_name", "phone", "email"}


def test_dbt_assets_are_daily_partitioned_single_run_writers():
    for assets in DBT_ASSETS:
        assert assets.partitions_def == daily_partitions
        assert assets.backfill_policy == dg.BackfillPolicy.single_run()
        assert assets.op.pool == WRITER_POOL


def test_models_reading_the_scores_build_after_them_and_nothing_before_needs_them():
    post_ml = set(warehouse_dbt_post_ml.keys)
    assert {
        dg.AssetKey(["marts", "fct_member_tags"]),
        dg.AssetKey(["marts", "dim_members"]),
        dg.AssetKey(["intermediate", "int_member_ml_tags"]),
    } <= post_ml
    scores = dg.AssetKey(["ml", "member_scores"])
    ml_tags = _spec(dg.AssetKey(["intermediate", "int_member_ml_tags"]))
    assert scores in {dep.asset_key for dep in ml_tags.deps}
    for key in warehouse_dbt.keys:
        assert not post_ml & {dep.asset_key for dep in warehouse_dbt.specs_by_key[key].deps}, key


def test_resources_run_the_venv_dbt_on_this_project(tmp_path):
    dbt = build_resources(Settings(home=tmp_path))["dbt"]
    assert isinstance(dbt, DbtCliResource)
    assert Path(dbt.project_dir) == DBT_PROJECT_DIR
    assert Path(dbt.dbt_executable).exists()


def test_a_missing_manifest_names_the_command_that_builds_it(monkeypatch):
    unprepared = DbtProject(project_dir=DBT_PROJECT_DIR, target_path="target/never-prepared")
    monkeypatch.setattr(project, "dbt_project", unprepared)
    with pytest.raises(project.DbtManifestMissingError, match="panorama prepare"):
        project.require_manifest()


def test_a_run_whose_resources_point_elsewhere_than_panorama_home_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("PANORAMA_HOME", str(tmp_path / "somewhere-else"))
    result = dg.materialize(
        [warehouse_dbt],
        partition_key="2025-03-02",
        resources=build_resources(Settings(home=tmp_path)),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "PANORAMA_HOME" in failure.step_failure_data.user_failure_data.description


# --- dbt_build_args ----------------------------------------------------------------------------


def _vars(args: list[str]) -> dict[str, str]:
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    return json.loads(args[4])


def test_one_partition_is_one_inclusive_day():
    window = daily_partitions.time_window_for_partition_key("2025-03-02")
    assert _vars(dbt_build_args(window)) == {"min_date": "2025-03-02", "max_date": "2025-03-02"}


def test_a_range_of_partitions_spans_first_to_last_day():
    window = dg.TimeWindow(
        start=dt.datetime(2025, 2, 27, tzinfo=SHANGHAI),
        end=dt.datetime(2025, 3, 3, tzinfo=SHANGHAI),
    )
    assert _vars(dbt_build_args(window)) == {"min_date": "2025-02-27", "max_date": "2025-03-02"}


def test_window_bounds_are_read_as_shanghai_days_whatever_their_offset():
    # 16:00 UTC is midnight in Shanghai: this window is exactly the Shanghai day 2025-03-02.
    window = dg.TimeWindow(
        start=dt.datetime(2025, 3, 1, 16, tzinfo=dt.UTC),
        end=dt.datetime(2025, 3, 2, 16, tzinfo=dt.UTC),
    )
    assert _vars(dbt_build_args(window)) == {"min_date": "2025-03-02", "max_date": "2025-03-02"}


def test_no_window_builds_everything_with_the_project_defaults():
    assert dbt_build_args(None) == ["build", "--exclude-resource-type", "unit_test"]


def test_every_asset_explains_itself_in_the_ui():
    """Data engineers read the pipeline from the Dagster UI alone: each asset has a group named
    after its layer, a description, an owner and kinds."""
    graph = defs.resolve_asset_graph()
    layers = {"ingest", "reference", "staging", "intermediate", "marts", "restricted", "ml"}
    layers |= {"exports"}
    unexplained = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        present = {
            "group": node.group_name in layers,
            "description": bool(node.description),
            "owners": bool(node.owners),
            "kinds": bool(node.kinds),
        }
        missing = [name for name, ok in present.items() if not ok]
        if missing:
            unexplained[key.to_user_string()] = missing
    assert unexplained == {}
    assert {graph.get(key).group_name for key in graph.get_all_asset_keys()} == layers
