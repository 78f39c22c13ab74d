"""The great-expectations suites: built from the contract, pass on clean batches, and fail, naming
the expectation, on batches that break each kind of rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data_quality.contract import SOURCES, Column
from data_quality.parsing import parse_delivered, parsed_value
from data_quality.runner import SuiteOutcome, run_suite
from data_quality.suites import PHONE_SHAPE_MOSTLY, build_suite, row_rule_mostly
from tests.fixtures.landing import Row, valid_rows

DAY, NEXT_DAY = "2025-03-01", "2025-03-02"
MAX_REJECT_SHARE = 0.05


def typed_delivery(source_name: str, rows: list[Row], drop: tuple[str, ...] = ()) -> pl.DataFrame:
    """``rows`` typed the way ingestion types a delivered day."""
    source = SOURCES[source_name]
    names = [name for name in source.column_names if name not in drop]
    text = pl.DataFrame(
        [{name: row.get(name) for name in names} for row in rows],
        schema=dict.fromkeys(names, pl.String),
    )
    return text.select(parsed_value(source.column(name)) for name in names)


def delivered_batch(source_name: str, rows: list[Row], drop: tuple[str, ...] = ()) -> SuiteOutcome:
    """Run the source's suite on ``rows`` typed the way ingestion types a delivered day."""
    typed = typed_delivery(source_name, rows, drop)
    return run_suite(build_suite(source_name, MAX_REJECT_SHARE), typed.to_pandas())


def delivered_days(source_name: str, days: dict[str, list[Row]]) -> SuiteOutcome:
    """Run the source's suite on several landing days as one batch, as ingestion does."""
    typed = pl.concat(
        typed_delivery(source_name, rows).with_columns(_landing_date=pl.lit(day))
        for day, rows in days.items()
    )
    suite = build_suite(source_name, MAX_REJECT_SHARE, day_column="_landing_date")
    return run_suite(suite, typed.to_pandas())


def failed_expectations(outcome: SuiteOutcome) -> set[tuple[str, str | None]]:
    return {(item.expectation_type, item.column) for item in outcome.failed}


def break_rows(rows: list[Row], column: str, value: str | None, every: int = 4) -> list[Row]:
    """Set ``column`` to ``value`` in every ``every``-th row (25% by default: far above 5%)."""
    for index in range(0, len(rows), every):
        rows[index][column] = value
    return rows


@pytest.mark.parametrize("source_name", list(SOURCES))
def test_suite_passes_on_a_clean_delivery(source_name):
    outcome = delivered_batch(source_name, valid_rows(source_name, DAY, 24))
    assert outcome.success, outcome.to_markdown()
    assert outcome.row_count == 24
    assert outcome.statistics["unsuccessful_expectations"] == 0
    assert outcome.statistics["evaluated_expectations"] == len(outcome.expectations) > 5


def test_suite_passes_on_an_empty_delivery():
    outcome = delivered_batch("tickets", [])
    assert outcome.success, outcome.to_markdown()


@pytest.mark.parametrize(
    ("source_name", "column", "bad_value", "expected"),
    [
        ("logins", "member_id", None, ("expect_column_values_to_not_be_null", "member_id")),
        ("logins", "member_id", "   ", ("expect_column_values_to_not_be_null", "member_id")),
        ("recharges", "amount_cny", "12,5", ("expect_column_values_to_not_be_null", "amount_cny")),
        ("logins", "device_type", "TABLET", ("expect_column_values_to_be_in_set", "device_type")),
        ("contacts", "agent_id", "AG999", ("expect_column_values_to_be_in_set", "agent_id")),
        ("logins", "duration_min", "5000", ("expect_column_values_to_be_between", "duration_min")),
        ("surveys", "score", "0", ("expect_column_values_to_be_between", "score")),
        ("surveys", "phone", "call me maybe", ("expect_column_values_to_match_regex", "phone")),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_suite_fails_naming_the_broken_column_rule(source_name, column, bad_value, expected):
    rows = break_rows(valid_rows(source_name, DAY, 24), column, bad_value)
    outcome = delivered_batch(source_name, rows)
    assert not outcome.success
    assert failed_expectations(outcome) == {expected}
    failing = outcome.failed[0]
    assert failing.unexpected_count == 6
    assert failing.unexpected_percent == pytest.approx(25.0)
    assert "**FAIL**" in outcome.to_markdown()
    assert expected[0] in outcome.to_markdown()


def test_suite_fails_on_a_duplicated_single_column_key():
    rows = valid_rows("logins", DAY, 24)
    for index in range(1, 24, 4):
        rows[index]["login_id"] = rows[index - 1]["login_id"]
    outcome = delivered_batch("logins", rows)
    assert failed_expectations(outcome) == {("expect_column_values_to_be_unique", "login_id")}


def test_suite_fails_on_a_duplicated_compound_key_of_equal_instants():
    rows = valid_rows("members", DAY, 24)
    for index in range(1, 24, 4):
        rows[index]["member_id"] = rows[index - 1]["member_id"]
        # The same instant written with another offset is the same key.
        rows[index]["updated_at"] = _as_utc_text(rows[index - 1]["updated_at"])
    outcome = delivered_batch("members", rows)
    assert failed_expectations(outcome) == {
        ("expect_compound_columns_to_be_unique", "member_id + updated_at")
    }


@pytest.mark.parametrize("source_name", ["logins", "members"])
def test_a_batch_of_days_judges_the_key_within_each_day(source_name):
    first = valid_rows(source_name, DAY, 24)
    # The next day re-delivers the first day's rows: legitimate, staging keeps the latest.
    redelivered = {DAY: first, NEXT_DAY: [dict(row) for row in first]}
    outcome = delivered_days(source_name, redelivered)
    assert outcome.success, outcome.to_markdown()

    second = valid_rows(source_name, NEXT_DAY, 24)
    for index in range(1, 24, 4):
        second[index] = dict(second[index - 1])
    outcome = delivered_days(source_name, {DAY: first, NEXT_DAY: second})
    key = " + ".join(SOURCES[source_name].key)
    assert failed_expectations(outcome) == {
        ("expect_compound_columns_to_be_unique", f"_landing_date + {key}")
    }
    assert outcome.failed[0].unexpected_count == 12  # both rows of each repeated key


def test_suite_fails_on_a_missing_column():
    outcome = delivered_batch(
        "consumption", valid_rows("consumption", DAY, 12), drop=("amount_cny",)
    )
    assert ("expect_table_columns_to_match_set", None) in failed_expectations(outcome)


def test_row_rules_tolerate_bad_rows_up_to_the_reject_share():
    rows = break_rows(valid_rows("logins", DAY, 40), "device_type", "TABLET", every=40)
    outcome = delivered_batch("logins", rows)
    assert outcome.success, outcome.to_markdown()
    in_set = next(item for item in outcome.expectations if item.column == "device_type")
    assert in_set.unexpected_count == 1
    assert in_set.unexpected_examples == ("TABLET",)


@pytest.mark.parametrize(
    ("source_name", "breaks", "expected"),
    [
        (
            "tickets",
            {"resolved_at": "2025-02-28T09:00:00+08:00", "status": "RESOLVED"},
            ("expect_column_pair_values_a_to_be_greater_than_b", "resolved_at vs opened_at"),
        ),
        (
            "tickets",
            {"resolved_at": None, "status": "RESOLVED"},
            ("expect_column_values_to_not_be_null", "resolved_at"),
        ),
        (
            "members",
            {"registered_at": "2025-03-02T09:00:00+08:00"},
            ("expect_column_pair_values_a_to_be_greater_than_b", "updated_at vs registered_at"),
        ),
        (
            "recharges",
            {"txn_type": "PAYMENT", "pay_method": None},
            ("expect_column_values_to_not_be_null", "pay_method"),
        ),
        (
            "points_exchanges",
            {"exchange_type": "MALL_REDEEM", "item_code": None},
            ("expect_column_values_to_not_be_null", "item_code"),
        ),
        (
            "characters",
            {"guild_role": "NONE", "guild_id": "GUILD-7"},
            ("expect_column_values_to_be_null", "guild_id"),
        ),
    ],
    ids=[
        "resolved-before-opened",
        "resolved-without-time",
        "updated-before-registered",
        "payment-without-method",
        "redeem-without-item",
        "guild-without-role",
    ],
)
def test_source_extras_fail_on_inconsistent_rows(source_name, breaks, expected):
    rows = valid_rows(source_name, DAY, 24)
    for column, value in breaks.items():
        break_rows(rows, column, value)
    outcome = delivered_batch(source_name, rows)
    assert expected in failed_expectations(outcome), outcome.to_markdown()


def test_suites_are_built_from_the_contract():
    for source in SOURCES.values():
        suite = build_suite(source.name, MAX_REJECT_SHARE)
        by_type: dict[str, set[str]] = {}
        for expectation in suite.expectations:
            column = getattr(expectation, "column", None)
            by_type.setdefault(expectation.expectation_type, set()).add(column)
        required = {c.name for c in source.columns if c.required}
        assert required <= by_type["expect_column_values_to_not_be_null"]
        enums = {c.name for c in source.columns if c.allowed_values() is not None}
        assert enums == by_type.get("expect_column_values_to_be_in_set", set())
        ranged = {c.name for c in source.columns if c.min_value is not None}
        assert ranged <= by_type.get("expect_column_values_to_be_between", set())
        phones = {c.name for c in source.columns if c.phone}
        assert phones == by_type.get("expect_column_values_to_match_regex", set())
    row_rules = [e for e in build_suite("logins", 0.2).expectations if hasattr(e, "mostly")]
    assert {
        e.mostly for e in row_rules if e.expectation_type != "expect_column_values_to_match_regex"
    } == {0.8}
    assert PHONE_SHAPE_MOSTLY == 0.9


def test_reject_share_outside_zero_to_one_is_refused():
    assert row_rule_mostly(0.05) == pytest.approx(0.95)
    with pytest.raises(ValueError, match="between 0 and 1"):
        build_suite("logins", 1.5)


def test_lenient_typing_of_delivered_text():
    text = pl.DataFrame(
        {
            "at": [
                "2025-03-01T10:00:00+08:00",
                "2025-03-01 10:00:00",
                "2025-03-01T02:00:00Z",
                "2025-03-01T10:00:00.250+0800",
                "yesterday",
                " ",
            ],
            "n": ["42", " 7 ", "3.0", "4.5", "x", None],
            "amount": ["12.50", "1e2", "nan", "inf", "abc", ""],
            "birthday": ["1990-05-17", "1990-02-30", "17/05/1990", None, None, None],
        }
    )
    typed = text.select(
        parsed_value(Column("at", "timestamp", "")),
        parsed_value(Column("n", "int", "")),
        parsed_value(Column("amount", "float", "")),
        parsed_value(Column("birthday", "date", "")),
    )
    ten_in_shanghai = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)
    assert typed["at"].to_list() == [
        ten_in_shanghai,
        ten_in_shanghai,
        ten_in_shanghai,
        ten_in_shanghai + dt.timedelta(milliseconds=250),
        None,
        None,
    ]
    assert typed["n"].to_list() == [42, 7, 3, None, None, None]
    assert typed["amount"].to_list() == [12.5, 100.0, None, None, None, None]
    assert typed["birthday"].to_list() == [dt.date(1990, 5, 17), None, None, None, None, None]


def test_parse_delivered_keeps_contract_order_and_types():
    source = SOURCES["contacts"]
    text = pl.DataFrame(
        valid_rows("contacts", DAY, 3), schema=dict.fromkeys(source.column_names, pl.String)
    )
    typed = parse_delivered(text.select(reversed(source.column_names)), source)
    assert typed.columns == source.column_names
    assert typed.schema["duration_sec"] == pl.Int64
    assert typed.schema["contacted_at"] == pl.Datetime("us", "UTC")


def _as_utc_text(shanghai_text: str | None) -> str:
    instant = dt.datetime.fromisoformat(shanghai_text).astimezone(dt.UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
