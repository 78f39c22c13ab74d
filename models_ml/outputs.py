"""The tables the model assets write into the warehouse (schema ``ml``), which the post_ml dbt
models read. Created empty where no model has run yet: a new installation, or a warehouse
without enough history to train on."""

from __future__ import annotations

import duckdb

from models_ml.recommend import ensure_recommendations_table
from models_ml.score import ensure_scores_table


def ensure_model_output_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ml.member_scores`` and ``ml.member_recommendations`` when missing."""
    ensure_scores_table(con)
    ensure_recommendations_table(con)
