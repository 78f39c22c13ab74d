"""The recommender on the small simulated warehouse: real DuckDB, real LightGBM, real Dagster."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import dagster as dg
import duckdb
import polars as pl
import pytest

from dagster_project.defs.ml.recommendations import (
    RECOMMENDATIONS_TABLE,
    member_recommendations,
    training_cutoff,
)
from dagster_project.resources import build_resources
from dagster_project.settings import Settings
from models_ml import recommend
from tests.fixtures.warehouse import (
    SESSION_DAYS,
    SIMULATION_START,
    BuiltWarehouse,
    simulated_warehouse_fixture,  # noqa: F401 - provides the fixture simulated_warehouse
)

LAST_DAY = SIMULATION_START + dt.timedelta(days=SESSION_DAYS - 1)
SMALL = recommend.RecommenderConfig(
    horizon_days=7,
    training_dates=4,
    date_step_days=3,
    min_training_positives=10,
    num_boost_round=40,
)
AS_OF = LAST_DAY - dt.timedelta(days=SMALL.horizon_days)


@pytest.fixture
def con(simulated_warehouse: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the shared warehouse with the recommender's TEMP inputs."""
    path = str(simulated_warehouse.settings.warehouse_path)
    with duckdb.connect(path, read_only=True) as connection:
        recommend.prepare_inputs(connection)
        yield connection


def test_features_do_not_change_when_later_events_change(con):
    before = recommend.candidate_features(con, [AS_OF])
    later = AS_OF + dt.timedelta(days=1)
    member = before["member_id"][0]
    con.execute(
        "insert into rec_takeups select ?, offer_type, offer_code, ? from rec_offers",
        [member, later],
    )
    con.execute(
        "insert into rec_login_days select distinct member_id, ?, game_code from rec_login_days",
        [later],
    )
    assert recommend.candidate_features(con, [AS_OF]).equals(before)
    assert not recommend.candidate_features(con, [later]).equals(before)


def test_training_label_windows_end_by_the_cutoff():
    first_day = SIMULATION_START
    dates = recommend.training_dates(AS_OF, first_day, SMALL)
    assert dates
    assert all(day + dt.timedelta(days=SMALL.horizon_days) <= AS_OF for day in dates)
    assert all(day >= first_day + dt.timedelta(days=recommend.LOOKBACK_DAYS - 1) for day in dates)


def test_the_model_beats_the_most_popular_baseline_at_3(con):
    result = recommend.evaluate_hit_rate(con, AS_OF, SMALL)
    assert result.model_version == f"lgbm@{AS_OF.isoformat()}"
    assert result.members_evaluated > 50
    assert 0.0 <= result.baseline_hit_rate < result.model_hit_rate <= 1.0


def test_recommendations_are_three_eligible_offers_per_member_of_the_population(con):
    model = recommend.train_recommender(con, AS_OF, SMALL)
    rows = recommend.recommend(con, model, AS_OF)
    per_member = rows.group_by("member_id").agg(pl.col("rank").sort())
    assert per_member["rank"].to_list() == [[1, 2, 3]] * per_member.height
    assert rows["offer_name"].null_count() == 0 and rows["offer_name_zh"].null_count() == 0
    ordered = rows.sort("member_id", "rank")
    assert ordered.group_by("member_id").agg(pl.col("score").diff().max())["score"].max() <= 0
    exclusive = set(
        con.execute("select offer_code from rec_offers where is_exclusive_vip").fetchall()
    )
    below_gold = set(
        con.execute(
            "select member_id from marts.fct_member_tier_daily "
            "where as_of_date = ? and tier_rank = 0",
            [AS_OF],
        ).fetchall()
    )
    shown_exclusive = rows.filter(pl.col("offer_code").is_in([c for (c,) in exclusive]))
    assert not set(shown_exclusive["member_id"].to_list()) & {m for (m,) in below_gold}
    active = {
        m
        for (m,) in con.execute(
            "select distinct member_id from rec_login_days where login_date between ? and ?",
            [AS_OF - dt.timedelta(days=29), AS_OF],
        ).fetchall()
    }
    assert active <= set(rows["member_id"].to_list())


def test_scoring_in_member_chunks_gives_the_same_recommendations(con):
    model = recommend.train_recommender(con, AS_OF, SMALL)
    whole = recommend.recommend(con, model, AS_OF)
    assert recommend.recommend(con, model, AS_OF, chunk_members=150).equals(whole)


def test_without_history_the_popularity_fallback_is_used_and_named(con):
    model = recommend.train_recommender(con, SIMULATION_START + dt.timedelta(days=5), SMALL)
    assert model.booster is None
    assert model.version.startswith("popularity@")
    rows = recommend.recommend(con, model, SIMULATION_START + dt.timedelta(days=5))
    assert rows.height > 0 and rows["version"].unique().to_list() == [model.version]


def test_a_range_run_retrains_weekly_from_its_first_day():
    first = dt.date(2026, 2, 1)
    cutoffs = {training_cutoff(first + dt.timedelta(days=n), first) for n in range(15)}
    assert cutoffs == {first, first + dt.timedelta(days=7), first + dt.timedelta(days=14)}


def _materialise(settings: Settings, first: dt.date, last: dt.date) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [member_recommendations],
        resources=build_resources(settings),
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )


def test_the_asset_writes_each_day_once_and_a_rerun_replaces_it(simulated_warehouse, tmp_path):
    settings = Settings(home=tmp_path / "home")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy(simulated_warehouse.settings.warehouse_path, settings.warehouse_path)
    first = LAST_DAY - dt.timedelta(days=1)

    result = _materialise(settings, first, LAST_DAY)
    metadata = result.asset_materializations_for_node("ml__member_recommendations")[0].metadata
    query = (
        f"select as_of_date, count(*), count(distinct member_id), max(rank) "
        f"from {RECOMMENDATIONS_TABLE} group by all order by 1"
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        before = connection.execute(query).fetchall()
    assert [row[0] for row in before] == [first, LAST_DAY]
    assert all(rows == 3 * members and top == 3 for _, rows, members, top in before)
    assert metadata["dagster/row_count"].value == sum(row[1] for row in before)

    _materialise(settings, LAST_DAY, LAST_DAY)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert connection.execute(query).fetchall() == before
