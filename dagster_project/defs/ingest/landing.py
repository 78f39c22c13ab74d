"""Reading one source's landing day: every part file, every column as text, with lineage.

``landing/<source>/dt=YYYY-MM-DD/part-*.{parquet,csv,jsonl}``. Values are read as strings (Parquet
numbers and times are cast to text) so that validation sees what was delivered; each row keeps
its file (relative to the landing dir), its 1-based row number and a JSON copy of the delivered
values for the rejected table. A file that cannot be read, or lacks contract columns, is a
``LandingFileError`` naming the file, the problem and the line where known.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data_quality.contract import LANDING_FORMATS, Source

SOURCE_FILE = "_source_file"
LINE = "_line"
RAW_RECORD = "_raw_record"
SUCCESS_MARKER = "_SUCCESS"


class LandingFileError(Exception):
    """A landing file (or a day's folder) that cannot be loaded at all."""

    def __init__(
        self,
        relative_path: str,
        problem: str,
        line: int | None = None,
        missing_columns: tuple[str, ...] = (),
    ):
        self.relative_path = relative_path
        self.problem = problem
        self.line = line
        self.missing_columns = missing_columns
        where = relative_path if line is None else f"{relative_path}, line {line}"
        super().__init__(f"{where}: {problem}")


class LandingDayError(Exception):
    """One or more files of a landing day could not be loaded."""

    def __init__(self, errors: list[LandingFileError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class DeliveredDay:
    """All rows a source delivered for one landing day, as text, in file and row order."""

    frame: pl.DataFrame
    files: tuple[str, ...]
    bytes: int
    extra_columns: tuple[str, ...]
    complete: bool


def day_folder(landing_dir: Path, source_name: str, day: str) -> Path:
    """The folder of one source's landing day."""
    return landing_dir / source_name / f"dt={day}"


def find_part_files(landing_dir: Path, source_name: str, day: str) -> list[Path]:
    """The day's part files in name order; a day without any is a ``LandingFileError``."""
    folder = day_folder(landing_dir, source_name, day)
    parts = sorted(
        path for fmt in LANDING_FORMATS for path in folder.glob(f"part-*.{fmt}") if path.is_file()
    )
    if not parts:
        relative = folder.relative_to(landing_dir).as_posix()
        formats = ", ".join(LANDING_FORMATS)
        raise LandingFileError(f"{relative}/", f"no part-*.{{{formats}}} file for this day")
    return parts


def read_day(landing_dir: Path, source: Source, day: str) -> DeliveredDay:
    """Read every part file of a source's day.

    Raises ``LandingDayError`` listing every file that could not be loaded, so one look at the
    failure shows all of a day's problems.
    """
    parts = find_part_files(landing_dir, source.name, day)
    frames, extras, errors = [], set(), []
    for path in parts:
        try:
            frame, file_extras = read_part_file(path, landing_dir, source)
        except LandingFileError as error:
            errors.append(error)
            continue
        frames.append(frame)
        extras.update(file_extras)
    if errors:
        raise LandingDayError(errors)
    return DeliveredDay(
        frame=pl.concat(frames, how="vertical"),
        files=tuple(path.relative_to(landing_dir).as_posix() for path in parts),
        bytes=sum(path.stat().st_size for path in parts),
        extra_columns=tuple(sorted(extras)),
        complete=(day_folder(landing_dir, source.name, day) / SUCCESS_MARKER).exists(),
    )


def read_part_file(
    path: Path, landing_dir: Path, source: Source
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """One part file as the contract columns (text) plus lineage columns, and the names of
    the columns it has beyond the contract."""
    relative = path.relative_to(landing_dir).as_posix()
    readers: dict[str, Callable[[Path, str], pl.DataFrame]] = {
        ".parquet": _read_parquet,
        ".csv": _read_csv,
        ".jsonl": _read_jsonl,
    }
    delivered = _as_text(readers[path.suffix](path, relative))
    missing = tuple(name for name in source.column_names if name not in delivered.columns)
    if missing and not _is_empty_jsonl(path, delivered):
        raise LandingFileError(
            relative,
            f"missing contract column(s) {', '.join(missing)}",
            missing_columns=missing,
        )
    extras = tuple(name for name in delivered.columns if name not in source.column_names)
    return _with_lineage(delivered, source, relative), extras


def _with_lineage(delivered: pl.DataFrame, source: Source, relative: str) -> pl.DataFrame:
    raw_record = (
        pl.struct(pl.all()).struct.json_encode()
        if delivered.width
        else pl.lit("{}", dtype=pl.String)
    )
    contract = [
        pl.col(name) if name in delivered.columns else pl.lit(None, dtype=pl.String).alias(name)
        for name in source.column_names
    ]
    return delivered.select(
        *contract,
        pl.lit(relative, dtype=pl.String).alias(SOURCE_FILE),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE),
        raw_record.alias(RAW_RECORD),
    )


def _read_parquet(path: Path, relative: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as error:  # polars raises several types for a damaged file
        raise LandingFileError(
            relative, f"unreadable Parquet file ({_first_line(error)})"
        ) from error


def _read_csv(path: Path, relative: str) -> pl.DataFrame:
    try:
        # infer_schema=False reads every column as text; a UTF-8 BOM is dropped from the header.
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as error:
        line = _first_bad_csv_line(path)
        raise LandingFileError(
            relative, f"unreadable CSV file ({_first_line(error)})", line=line
        ) from error


def _read_jsonl(path: Path, relative: str) -> pl.DataFrame:
    if not path.read_bytes().strip():
        return pl.DataFrame()
    try:
        return pl.read_ndjson(path, infer_schema_length=None)
    except Exception as error:
        line = _first_bad_json_line(path)
        raise LandingFileError(
            relative, f"unreadable JSON lines file ({_first_line(error)})", line=line
        ) from error


def _is_empty_jsonl(path: Path, delivered: pl.DataFrame) -> bool:
    # An empty JSON lines file has no record to carry column names: it is an empty delivery.
    return path.suffix == ".jsonl" and delivered.width == 0


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text: numbers and times as polars prints them, nested values as JSON."""
    return frame.select(_text_of(name, dtype) for name, dtype in frame.schema.items())


def _text_of(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return pl.col(name)
    if dtype.is_nested():
        wrapped = pl.struct(pl.col(name).alias("v")).struct.json_encode()
        # '{"v":<value>}' -> '<value>'
        json_value = wrapped.str.slice(5, wrapped.str.len_chars() - 6)
        return pl.when(pl.col(name).is_not_null()).then(json_value).alias(name)
    return pl.col(name).cast(pl.String).alias(name)


def _first_bad_csv_line(path: Path) -> int | None:
    """The physical line of the first row whose field count differs from the header's.

    Only used to explain a file polars refused, so a plain loop is fine here.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            for row in reader:
                if len(row) > len(header):
                    return reader.line_num
    except (UnicodeDecodeError, csv.Error):
        return _first_undecodable_line(path)
    return None


def _first_bad_json_line(path: Path) -> int | None:
    """The line of the first record that is not a JSON object (error path only)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return _first_undecodable_line(path)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return number
        if not isinstance(record, dict):
            return number
    return None


def _first_undecodable_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
