"""Import a retail transaction log (UCI Online Retail shape) into the landing contract.

An operator's own history rarely looks like the game sources: this adapter maps a plain
invoice-line log (customer, invoice number and time, quantity, unit price; cancellations are
invoices whose number starts with ``C``) onto the 12 landing sources, so the normal ingest and
dbt pipeline run on it unchanged.

The mapping (one shop maps to one game and one server of the contract):

- ``members``: one row per customer, registered at their first invoice (the log is all the
  history there is), gender ``U``, register channel ``WEB``; no name, phone or e-mail.
- ``consumption``: one row per purchase invoice, the invoice's total (quantity x unit price,
  times ``amount_rate``).
- ``recharges``: only ``REFUND`` rows, one per cancellation invoice, the absolute value of its
  (negative) total; consumption is never negative in the contract, so refunds live here. No
  ``PAYMENT`` rows: a shop has no stored balance paid in ahead of spending, and the log names
  no payment method (the contract requires one on payments).
- ``logins``: one session per customer and purchase day, starting at that day's first invoice
  (a purchase day implies a visit; nothing else is claimed).
- every other source: an empty part file for every day, and ``_SUCCESS`` everywhere.

Nothing is dropped silently: lines without a customer id are not members and are counted
(lines, invoices, value); purchase invoices whose total is not positive are counted too.
Times are local to ``source_timezone`` and delivered as ISO 8601 instants in the warehouse's
time zone; a row lands on the warehouse-local day of its event. Re-running on the same file
rewrites the same files byte for byte.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from data_quality.contract import SOURCE_TIMEZONE, SOURCES, Source

log = logging.getLogger(__name__)

FORMAT_NAME = "online_retail"
PART_NAME = "part-00000.parquet"
SUCCESS_MARKER = "_SUCCESS"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"
CANCELLATION_PREFIX = "C"
MEMBER_PREFIX = "OR"
ID_PREFIX = "OR-"

# The columns of the log, as the UCI file names them.
INVOICE = "InvoiceNo"
QUANTITY = "Quantity"
INVOICED_AT = "InvoiceDate"
UNIT_PRICE = "UnitPrice"
CUSTOMER = "CustomerID"
LOG_COLUMNS = (INVOICE, QUANTITY, INVOICED_AT, UNIT_PRICE, CUSTOMER)


@dataclass(frozen=True)
class RetailImportOptions:
    """How the log maps onto the contract."""

    # The log's timestamps are wall-clock times of the shop (UCI: a UK retailer).
    source_timezone: str = "Europe/London"
    # Multiply the log's amounts by this to get the contract's CNY; 1.0 keeps the source
    # currency's units (the models only compare members, so the unit does not matter to them).
    amount_rate: float = 1.0
    game_code: str = "G01"
    server_id: str = "G01-S01"


@dataclass(frozen=True)
class RetailImportSummary:
    """What the import read, wrote and left out (and why)."""

    source_file: str
    lines_read: int
    lines_without_customer: int
    invoices_without_customer: int
    value_without_customer: float
    purchase_invoices: int
    purchase_value: float
    cancellation_invoices: int
    refund_value: float
    nonpositive_purchase_invoices: int
    members: int
    login_days: int
    first_day: str
    last_day: str
    days: int
    rows_written: dict[str, int]

    def to_dict(self) -> dict:
        """A JSON-ready copy."""
        return asdict(self)


def read_log(path: Path) -> pl.DataFrame:
    """The log's lines (Parquet or CSV) with the columns the adapter uses."""
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path, columns=list(LOG_COLUMNS))
    else:
        frame = pl.read_csv(path, columns=list(LOG_COLUMNS), try_parse_dates=True)
    missing = [name for name in LOG_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def import_online_retail(
    path: Path, landing_dir: Path, options: RetailImportOptions | None = None
) -> RetailImportSummary:
    """Map the log at ``path`` into ``landing_dir`` (every source, every day, ``_SUCCESS``)."""
    options = options or RetailImportOptions()
    lines = read_log(path)
    invoices = invoice_totals(lines, options)
    identified = invoices.filter(pl.col("member_id").is_not_null())
    purchases = identified.filter(~pl.col("is_cancellation") & (pl.col("amount") > 0))
    cancellations = identified.filter(pl.col("is_cancellation"))
    days = _day_range(identified)
    frames = {
        "members": members_frame(identified),
        "logins": logins_frame(purchases, options),
        "consumption": consumption_frame(purchases, options),
        "recharges": recharges_frame(cancellations, options),
    }
    rows_written = write_landing(frames, days, landing_dir)
    summary = _summary(path, lines, invoices, purchases, cancellations, frames, days, rows_written)
    log.info(
        "imported %s: %d members, %d days; %d lines without a customer left out",
        path.name,
        summary.members,
        summary.days,
        summary.lines_without_customer,
    )
    return summary


def invoice_totals(lines: pl.DataFrame, options: RetailImportOptions) -> pl.DataFrame:
    """One row per invoice: member (null without a customer id), warehouse-local time and day,
    whether it is a cancellation, and its total times ``amount_rate``."""
    local_time = (
        pl.col(INVOICED_AT)
        .dt.replace_time_zone(options.source_timezone, ambiguous="earliest")
        .dt.convert_time_zone(SOURCE_TIMEZONE)
    )
    member = (
        pl.when(pl.col(CUSTOMER).is_not_null())
        .then(pl.lit(MEMBER_PREFIX) + pl.col(CUSTOMER).cast(pl.Int64).cast(pl.String))
        .alias("member_id")
    )
    return (
        lines.with_columns(
            member,
            local_time.alias("event_at"),
            (pl.col(QUANTITY) * pl.col(UNIT_PRICE)).alias("line_amount"),
        )
        .group_by(INVOICE)
        .agg(
            pl.col("member_id").drop_nulls().first(),
            pl.col("event_at").min(),
            pl.len().alias("lines"),
            (pl.col("line_amount").sum() * options.amount_rate).round(2).alias("amount"),
        )
        .with_columns(
            pl.col(INVOICE).str.starts_with(CANCELLATION_PREFIX).alias("is_cancellation"),
            pl.col("event_at").dt.date().alias("event_date"),
            pl.col("event_at").dt.strftime(TIMESTAMP_FORMAT).alias("event_text"),
        )
        .sort("event_at", INVOICE)
    )


def members_frame(invoices: pl.DataFrame) -> pl.DataFrame:
    """One profile row per customer, registered at the first invoice of any kind."""
    first = invoices.group_by("member_id").agg(
        pl.col("event_text").sort_by("event_at").first().alias("registered_at"),
        pl.col("event_date").min().alias("event_date"),
    )
    return _contract_frame(
        SOURCES["members"],
        first.sort("member_id"),
        {
            "member_id": pl.col("member_id"),
            "updated_at": pl.col("registered_at"),
            "registered_at": pl.col("registered_at"),
            "gender": pl.lit("U"),
            "register_channel": pl.lit("WEB"),
        },
    )


def logins_frame(purchases: pl.DataFrame, options: RetailImportOptions) -> pl.DataFrame:
    """One session per member and purchase day, at the day's first invoice."""
    sessions = purchases.group_by("member_id", "event_date").agg(
        pl.col("event_text").sort_by("event_at").first().alias("login_at")
    )
    return _contract_frame(
        SOURCES["logins"],
        sessions.sort("event_date", "member_id"),
        {
            "login_id": pl.lit(ID_PREFIX)
            + pl.col("member_id")
            + pl.lit("-")
            + pl.col("event_date").dt.strftime("%Y%m%d"),
            "member_id": pl.col("member_id"),
            "game_code": pl.lit(options.game_code),
            "server_id": pl.lit(options.server_id),
            "login_at": pl.col("login_at"),
        },
    )


def consumption_frame(purchases: pl.DataFrame, options: RetailImportOptions) -> pl.DataFrame:
    """One consumption row per purchase invoice."""
    return _contract_frame(
        SOURCES["consumption"],
        purchases,
        {
            "consumption_id": pl.lit(ID_PREFIX) + pl.col(INVOICE),
            "member_id": pl.col("member_id"),
            "game_code": pl.lit(options.game_code),
            "server_id": pl.lit(options.server_id),
            "consumed_at": pl.col("event_text"),
            "amount_cny": _amount_text(pl.col("amount")),
            "item_category": pl.lit("OTHER"),
        },
    )


def recharges_frame(cancellations: pl.DataFrame, options: RetailImportOptions) -> pl.DataFrame:
    """A refund per cancellation invoice (amount positive, the type gives the sign)."""
    return _contract_frame(
        SOURCES["recharges"],
        cancellations.sort("event_at", INVOICE),
        {
            "recharge_id": pl.lit(ID_PREFIX) + pl.col(INVOICE),
            "member_id": pl.col("member_id"),
            "game_code": pl.lit(options.game_code),
            "recharged_at": pl.col("event_text"),
            "txn_type": pl.lit("REFUND"),
            "amount_cny": _amount_text(pl.col("amount").abs()),
        },
    )


def write_landing(frames: dict[str, pl.DataFrame], days: list[dt.date], landing_dir: Path) -> dict:
    """Write every source's day folder (rows of that day, or an empty part file) with
    ``_SUCCESS`` last; returns the rows written per source."""
    rows_written = {}
    for name, source in SOURCES.items():
        frame = frames.get(name, _empty_frame(source))
        by_day = frame.partition_by("event_date", as_dict=True) if frame.height else {}
        for day in days:
            part = by_day.get((day,), frame.clear())
            _write_day(part.drop("event_date"), landing_dir / name / f"dt={day.isoformat()}")
        rows_written[name] = frame.height
    return rows_written


def _write_day(frame: pl.DataFrame, folder: Path) -> None:
    # Replace the folder: a re-run leaves exactly the new files.
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    frame.write_parquet(folder / PART_NAME, compression="zstd", statistics=False)
    (folder / SUCCESS_MARKER).touch()


def _contract_frame(source: Source, rows: pl.DataFrame, values: dict[str, pl.Expr]) -> pl.DataFrame:
    """The contract's columns in order (text; null where the log has nothing), plus the
    warehouse-local ``event_date`` that picks the landing day."""
    columns = [
        values.get(name, pl.lit(None)).cast(pl.String).alias(name) for name in source.column_names
    ]
    return rows.select(*columns, pl.col("event_date"))


def _empty_frame(source: Source) -> pl.DataFrame:
    schema = {name: pl.String for name in source.column_names}
    return pl.DataFrame(schema={**schema, "event_date": pl.Date})


def _amount_text(amount: pl.Expr) -> pl.Expr:
    return amount.round(2).cast(pl.String)


def _day_range(invoices: pl.DataFrame) -> list[dt.date]:
    if invoices.is_empty():
        return []
    first, last = invoices["event_date"].min(), invoices["event_date"].max()
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _summary(
    path: Path,
    lines: pl.DataFrame,
    invoices: pl.DataFrame,
    purchases: pl.DataFrame,
    cancellations: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    days: list[dt.date],
    rows_written: dict[str, int],
) -> RetailImportSummary:
    anonymous = invoices.filter(pl.col("member_id").is_null())
    identified_purchases = invoices.filter(
        pl.col("member_id").is_not_null() & ~pl.col("is_cancellation")
    )
    return RetailImportSummary(
        source_file=path.name,
        lines_read=lines.height,
        lines_without_customer=lines[CUSTOMER].null_count(),
        invoices_without_customer=anonymous.height,
        value_without_customer=round(float(anonymous["amount"].sum()), 2),
        purchase_invoices=purchases.height,
        purchase_value=round(float(purchases["amount"].sum()), 2),
        cancellation_invoices=cancellations.height,
        refund_value=round(float(-cancellations["amount"].sum()), 2),
        nonpositive_purchase_invoices=identified_purchases.height - purchases.height,
        members=frames["members"].height,
        login_days=frames["logins"].height,
        first_day=days[0].isoformat() if days else "",
        last_day=days[-1].isoformat() if days else "",
        days=len(days),
        rows_written=rows_written,
    )
