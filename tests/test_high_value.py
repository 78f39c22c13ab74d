"""The potential-high-value label and training (run on real data by bench/real_data.py), here on
the small simulated warehouse: real DuckDB, real LightGBM."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl
import pytest

from models_ml.high_value import labelled_frame, report_markdown, train_high_value
from models_ml.train import TrainingConfig
from tests.fixtures.warehouse import (
    BuiltWarehouse,
    simulated_warehouse_fixture,  # noqa: F401 - provides the fixture simulated_warehouse
)

HORIZON = 7


@pytest.fixture(scope="module")
def labelled(simulated_warehouse: BuiltWarehouse) -> pl.DataFrame:
    path = str(simulated_warehouse.settings.warehouse_path)
    with duckdb.connect(path, read_only=True) as con:
        return labelled_frame(con, horizon_days=HORIZON, min_history_days=7)


def test_labels_are_the_top_tenth_of_next_revenue_each_day(labelled):
    assert labelled.height > 0
    for (day,), rows in labelled.group_by("as_of_date"):
        positives = rows.filter(pl.col("label") == 1)
        assert positives.height <= math.ceil(0.1 * rows.height)
        assert (positives["revenue_next"] > 0).all()
        if positives.height:
            negatives = rows.filter(pl.col("label") == 0)
            assert positives["revenue_next"].min() >= negatives["revenue_next"].max()
        assert (rows["label_window_end"] == day + dt.timedelta(days=HORIZON)).all()


def test_next_revenue_counts_only_the_days_after_as_of(labelled, simulated_warehouse):
    row = labelled.filter(pl.col("revenue_next") > 0).row(0, named=True)
    expected = simulated_warehouse.scalar(
        f"""
        select sum(amount) from (
            select cast(amount_cny as double) as amount, consumed_date as day
            from staging.stg_consumption__transactions where member_id = '{row["member_id"]}'
            union all
            select -cast(amount_cny as double), recharged_date
            from staging.stg_recharges__transactions
            where member_id = '{row["member_id"]}' and recharge_type = 'REFUND'
        )
        where day > date '{row["as_of_date"]}'
            and day <= date '{row["as_of_date"]}' + {HORIZON}
        """
    )
    assert row["revenue_next"] == pytest.approx(expected)


def test_training_reports_the_model_against_both_revenue_baselines(labelled):
    config = TrainingConfig(
        validation_days=7, sample_every_days=3, num_boost_round=60, num_threads=1
    )
    result = train_high_value(labelled, config)
    assert result.training.split.train_last + dt.timedelta(days=HORIZON) < (
        result.training.split.validation_first
    )
    assert 0.5 < result.training.model_metrics.roc_auc <= 1.0
    text = report_markdown(result)
    assert "baseline (consumption_cny_90d)" in text and "365 days" in text
