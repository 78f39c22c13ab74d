"""The dbt staging layer: its YAML follows the raw contract, and a real partitioned
materialisation of the dbt assets on hand-made raw rows normalises, dedupes and tests them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.defs.warehouse.assets import dbt_run_artifacts_dir, warehouse_dbt
from dagster_project.resources import build_resources
from dagster_project.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings
from data_quality.contract import SOURCES
from tests.fixtures.raw import (
    DELIVERY_COLUMNS,
    RAW_TYPES,
    create_raw_tables,
    insert_raw,
    login,
    member_version,
)

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
PARTITION = "2025-03-02"
EARLIER_DAY = "2025-03-01"


def write_raw_deliveries(warehouse: Path) -> None:
    """Two landing days of hand-made rows: a late re-delivery, mixed offsets and case, and
    two rows that staging cannot fix (their dbt tests must fail)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        create_raw_tables(con)
        insert_raw(
            con,
            "logins",
            EARLIER_DAY,
            [
                login("L1", "2025-03-01T23:30:00+08:00", duration_min=10),
                # Delivered in UTC: 16:30Z is 00:30 the next day in Shanghai.
                login("L2", "2025-03-01T16:30:00Z", device_type=" ios ", region=""),
            ],
        )
        # L1 again a day later, corrected: the latest delivery wins, so `unique` stays green.
        insert_raw(
            con,
            "logins",
            PARTITION,
            [login(" L1", "2025-03-01T23:30:00+08:00", duration_min=25, device_type="android")],
        )
        insert_raw(
            con,
            "members",
            EARLIER_DAY,
            [member_version("2025-03-01T09:00:00+08:00", gender="m", occupation="it")],
        )
        insert_raw(
            con,
            "members",
            PARTITION,
            [
                member_version("2025-03-01T09:00:00+08:00", email="zhang.san@example.com"),
                member_version("2025-03-02T10:00:00+08:00", phone="  "),
            ],
        )
        insert_raw(con, "recharges", PARTITION, [recharge("R1", game_code="g02")])
        # Planted failures: a game missing from the seed, an event type the contract lacks.
        insert_raw(con, "recharges", PARTITION, [recharge("R2", game_code="G99")])
        insert_raw(
            con,
            "security_events",
            PARTITION,
            [
                {
                    "event_id": "S1",
                    "member_id": "M0000001",
                    "occurred_at": "2025-03-02T08:00:00+08:00",
                    "event_type": "ACCOUNT_HACKED",
                }
            ],
        )


def recharge(recharge_id: str, **overrides: object) -> dict:
    row = {
        "recharge_id": recharge_id,
        "member_id": "M0000001",
        "game_code": "G01",
        "recharged_at": "2025-03-02T12:00:00+08:00",
        "txn_type": "payment",
        "amount_cny": 648.0,
        "pay_method": "wechat",
    }
    return row | overrides


# --- one real materialisation, shared by the tests below ----------------------------------------


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    """``{"<asset key>:<check name>": passed}`` for every dbt test the run evaluated."""
    return {
        f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
        for e in result.get_asset_check_evaluations()
    }


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def materialise_partition(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """The staging models and seeds materialised for one partition with the real resources
    (the marts have their own tests on a simulated warehouse)."""
    monkeypatch.setenv("PANORAMA_HOME", str(settings.home))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    return dg.materialize(
        [warehouse_dbt],
        selection=dg.AssetSelection.groups("staging", "reference"),
        partition_key=PARTITION,
        resources=build_resources(settings),
        raise_on_error=False,
    )


# --- the YAML follows the contract -----------------------------------------------------------


def _load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _raw_sources_yaml() -> dict[str, dict]:
    (raw,) = _load_yaml(STAGING_DIR / "_raw__sources.yml")["sources"]
    assert raw["name"] == "raw" and raw["schema"] == "raw"
    return {table["name"]: table for table in raw["tables"]}


def test_sources_yaml_lists_the_contract_tables_and_columns():
    tables = _raw_sources_yaml()
    assert list(tables) == list(SOURCES)
    for name, source in SOURCES.items():
        yaml_columns = [c["name"] for c in tables[name]["columns"]]
        assert yaml_columns == source.column_names + list(DELIVERY_COLUMNS), name


def test_sources_yaml_marks_exactly_the_contract_pii_columns():
    tables = _raw_sources_yaml()
    for name, source in SOURCES.items():
        yaml_pii = {
            c["name"]
            for c in tables[name]["columns"]
            if c.get("config", {}).get("meta", {}).get("pii")
        }
        assert yaml_pii == {c.name for c in source.columns if c.pii}, name


def test_sources_yaml_types_and_natural_keys_follow_the_contract():
    expected_types = RAW_TYPES | {"timestamp": "timestamp with time zone"}
    tables = _raw_sources_yaml()
    for name, source in SOURCES.items():
        types = {c["name"]: c["data_type"] for c in tables[name]["columns"]}
        for column in source.columns:
            assert types[column.name] == expected_types[column.dtype], f"{name}.{column.name}"
        assert tables[name]["config"]["meta"]["natural_key"] == list(source.key)


def _staging_models() -> dict[str, dict]:
    models = {}
    for path in sorted(STAGING_DIR.glob("*/_*__models.yml")):
        for model in _load_yaml(path)["models"]:
            models[model["name"]] = model | {"folder": path.parent.name}
    return models


def test_one_staging_model_per_raw_table_in_its_own_folder():
    models = _staging_models()
    by_source = {name.removeprefix("stg_").split("__")[0]: m for name, m in models.items()}
    assert sorted(by_source) == sorted(SOURCES)
    for source_name, model in by_source.items():
        assert model["folder"] == source_name
        assert (STAGING_DIR / source_name / f"{model['name']}.sql").exists()


def _column_tests(model: dict) -> dict[str, list]:
    return {c["name"]: c.get("data_tests", []) for c in model["columns"]}


def test_staging_accepted_values_are_the_contract_enums():
    """Every enum of the contract is tested in staging with exactly the contract's values."""
    tested = {}
    for model in _staging_models().values():
        for column, tests in _column_tests(model).items():
            for test in tests:
                if isinstance(test, dict) and "accepted_values" in test:
                    values = test["accepted_values"]["arguments"]["values"]
                    tested[(model["folder"], column)] = sorted(values)
    contract_enums = sorted(
        sorted(c.allowed) for s in SOURCES.values() for c in s.columns if c.allowed
    )
    assert sorted(tested.values()) == contract_enums


def test_staging_pii_columns_are_tagged():
    models = {m["folder"]: m for m in _staging_models().values()}
    for name, source in SOURCES.items():
        tagged = {
            c["name"]
            for c in models[name]["columns"]
            if c.get("config", {}).get("meta", {}).get("pii")
        }
        contract_pii = {c.name for c in source.columns if c.pii}
        # pii columns keep their names in staging (phone, email, real_name, tag_value)
        assert tagged == contract_pii, name


def test_staging_keys_are_tested_unique_and_not_null():
    models = {m["folder"]: m for m in _staging_models().values()}
    for name, source in SOURCES.items():
        model = models[name]
        tests = _column_tests(model)
        if len(source.key) == 1:
            keyed = [c for c, t in tests.items() if "unique" in t]
            assert len(keyed) == 1, name
            assert "not_null" in tests[keyed[0]]
        else:
            (combination,) = [t["unique_key_combination"] for t in model["data_tests"]]
            key = combination["arguments"]["columns"]
            assert len(key) == len(source.key)
            assert all("not_null" in tests[column] for column in key)


# --- one real materialisation and what it built -------------------------------------------------
# A dbt build costs seconds, so one run serves every assertion below; each is reported as
# its own subtest (and this stays one test, so parallel workers do not each build it).

PLANTED_FAILURES = [
    "staging/stg_recharges__transactions:"
    "relationships_stg_recharges__transactions_game_code__game_code__ref_games_",
    "staging/stg_security_events__events:"
    "accepted_values_stg_security_events__events_security_event_type__"
    "ABNORMAL_LOGIN_REGION__ABNORMAL_DEVICE__PASSWORD_RESET__SECURITY_PRODUCT_BOUND__"
    "SECURITY_PRODUCT_UNBOUND",
]


def staging_tables_and_reference_seeds_are_built(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    warehouse = settings.warehouse_path
    tables = query(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'staging' and table_type = 'BASE TABLE' order by 1",
    )
    assert len(tables) == len(SOURCES)
    assert all(name.startswith("stg_") for (name,) in tables)
    seeds = {
        name
        for (name,) in query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'reference'",
        )
    }
    assert {"games", "tiers", "vip_levels", "points_campaigns"} <= seeds
    assert not query(
        warehouse,
        "select schema_name from information_schema.schemata where schema_name like 'main_%'",
    )


def every_model_and_seed_is_materialised_for_the_partition(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    materialisations = result.get_asset_materialization_events()
    keys = {e.asset_key.to_user_string() for e in materialisations}
    seeds = {path.stem: path for path in SEEDS_DIR.glob("*.csv")}
    assert len(keys) == len(SOURCES) + len(seeds)
    assert {"staging/stg_logins__sessions", "reference/games"} <= keys
    assert {e.partition for e in materialisations} == {PARTITION}
    # dbt's run artifacts land under the data directory, not in the code checkout
    assert (
        dbt_run_artifacts_dir(settings, result.run_id, "warehouse_dbt") / "run_results.json"
    ).exists()
    games = next(e for e in materialisations if e.asset_key.to_user_string() == "reference/games")
    games_rows = len(seeds["games"].read_text(encoding="utf-8").splitlines()) - 1
    assert games.materialization.metadata["dagster/row_count"].value == games_rows


def dbt_test_failures_show_as_failed_asset_checks(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    """The two planted rows fail their tests, every other dbt test passes, the run fails."""
    checks = check_results(result)
    assert len(checks) > 80
    assert sorted(name for name, passed in checks.items() if not passed) == PLANTED_FAILURES
    assert checks["staging/stg_logins__sessions:unique_stg_logins__sessions_login_id"]
    assert not result.success


def latest_delivery_wins_and_timestamps_are_shanghai_local(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    warehouse = settings.warehouse_path
    rows = query(
        warehouse,
        "select login_id, login_at, login_date, duration_minutes, device_type, region_code, "
        "landing_date from staging.stg_logins__sessions order by login_id",
    )
    assert rows == [
        (
            "L1",
            dt.datetime(2025, 3, 1, 23, 30),
            dt.date(2025, 3, 1),
            25,
            "ANDROID",
            "SH",
            dt.date(2025, 3, 2),
        ),
        (
            "L2",
            dt.datetime(2025, 3, 2, 0, 30),
            dt.date(2025, 3, 2),
            30,
            "IOS",
            None,
            dt.date(2025, 3, 1),
        ),
    ]
    (column_type,) = query(
        warehouse,
        "select data_type from information_schema.columns where table_schema = 'staging' "
        "and table_name = 'stg_logins__sessions' and column_name = 'login_at'",
    )
    assert column_type == ("TIMESTAMP",)


def profile_versions_dedupe_on_member_and_version_time(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    warehouse = settings.warehouse_path
    rows = query(
        warehouse,
        "select updated_at, gender, occupation_code, email, phone, landing_date "
        "from staging.stg_members__profile_versions order by updated_at",
    )
    assert rows == [
        (
            dt.datetime(2025, 3, 1, 9),
            "M",
            "IT",
            "zhang.san@example.com",
            "138 0013 8000",
            dt.date(2025, 3, 2),
        ),
        (dt.datetime(2025, 3, 2, 10), "M", "IT", "zhang@example.com", None, dt.date(2025, 3, 2)),
    ]


def enums_and_codes_are_upper_cased_and_amounts_exact(
    result: dg.ExecuteInProcessResult, settings: Settings
) -> None:
    warehouse = settings.warehouse_path
    rows = query(
        warehouse,
        "select recharge_id, game_code, recharge_type, pay_method, amount_cny, recharged_date "
        "from staging.stg_recharges__transactions where recharge_id = 'R1'",
    )
    assert rows == [("R1", "G02", "PAYMENT", "WECHAT", Decimal("648.00"), dt.date(2025, 3, 2))]


@pytest.mark.slow
def test_a_partition_run_builds_normalised_deduped_and_tested_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, subtests: pytest.Subtests
):
    settings = Settings(home=tmp_path)
    write_raw_deliveries(settings.warehouse_path)
    result = materialise_partition(settings, monkeypatch)
    for check in (
        staging_tables_and_reference_seeds_are_built,
        every_model_and_seed_is_materialised_for_the_partition,
        dbt_test_failures_show_as_failed_asset_checks,
        latest_delivery_wins_and_timestamps_are_shanghai_local,
        profile_versions_dedupe_on_member_and_version_time,
        enums_and_codes_are_upper_cased_and_amounts_exact,
    ):
        with subtests.test(msg=check.__name__):
            check(result, settings)
