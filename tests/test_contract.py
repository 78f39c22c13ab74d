"""The raw data contract is self-consistent and its document is current."""

from pathlib import Path

import pytest

from data_quality.contract import SOURCES, Column
from data_quality.contract_doc import render_contract_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "data_contract.md"
DTYPES = {"string", "int", "float", "timestamp", "date"}


def test_the_twelve_sources_of_the_design():
    assert sorted(SOURCES) == sorted(
        [
            "members",
            "logins",
            "recharges",
            "consumption",
            "characters",
            "activity_participation",
            "points_exchanges",
            "contacts",
            "tickets",
            "surveys",
            "security_events",
            "manual_tags",
        ]
    )


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_keys_and_event_time_are_required_columns(source):
    names = source.column_names
    assert len(names) == len(set(names)), "duplicate column name"
    for column in [*source.key, source.event_time, "member_id"]:
        assert column in names
        assert source.column(column).required, f"{source.name}.{column} must be required"


@pytest.mark.parametrize(
    "column", [c for s in SOURCES.values() for c in s.columns], ids=lambda c: c.name
)
def test_column_types_and_allowed_values_resolve(column: Column):
    assert column.dtype in DTYPES
    allowed = column.allowed_values()
    if column.allowed_seed is not None:
        assert allowed, f"seed {column.allowed_seed} gives no values"
    if column.min_value is not None:
        assert column.dtype in {"int", "float"} and column.min_value < column.max_value


def test_unknown_column_is_a_clear_error():
    with pytest.raises(KeyError, match="logins has no column 'nope'"):
        SOURCES["logins"].column("nope")


def test_contract_document_matches_the_contract():
    assert DOC.read_text(encoding="utf-8") == render_contract_markdown(), (
        "docs/data_contract.md is stale: run "
        "python -m data_quality.contract_doc > docs/data_contract.md"
    )
