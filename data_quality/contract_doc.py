"""Renders the raw data contract as Markdown: `docs/data_contract.md` is this function's output.

Regenerate after changing the contract:
``python -m data_quality.contract_doc > docs/data_contract.md`` (a test fails while the document
and the contract differ).
"""

from __future__ import annotations

import sys

from data_quality.contract import (
    LANDING_FORMATS,
    PHONE_SHAPE_REGEX,
    SOURCE_TIMEZONE,
    SOURCES,
    Column,
    Source,
)

_INTRO = f"""# The raw data contract

What each source system delivers to VIP Panorama. This page is generated from
`data_quality/contract.py`, the one definition that the simulator writes to, ingestion validates
by, and the great-expectations suites are built from.

## Landing layout
Each source drops the files of a landing day under

    <PANORAMA_HOME>/landing/<source>/dt=YYYY-MM-DD/part-*.{{{",".join(LANDING_FORMATS)}}}

and writes an empty `_SUCCESS` file in that folder once the day is complete. A day may hold
several part files, in any of the three formats (CSV in UTF-8 with a header row; JSON lines one
object per line). Every source delivers at least one part file each day, possibly without rows.

- Every value may arrive as text; ingestion parses it by the column's type.
- `timestamp`: ISO 8601 with a UTC offset, e.g. `2026-03-01T13:45:12+08:00`; without an
  offset it is {SOURCE_TIMEZONE} time. `date`: `YYYY-MM-DD`.
- Rows may arrive late (an event of day D in the file of day D+2) and may be delivered twice:
  the natural key makes a re-delivery harmless (the latest delivery wins in staging).
- Enumerations are upper-case codes; values listed as "seed X" are the codes of the reference
  table `seeds/X.csv`.

## What happens to bad data
Rows are loaded into `raw.<source>`, plus `_landing_date`, `_source_file`, `_line` and
`_loaded_at`. A row that breaks the contract goes to `raw.<source>__rejected` with its original
values (`_raw_record`, JSON) and `_reason`, the first rule it breaks, checked in this order:

| reason | meaning |
|---|---|
| `missing_required:<column>` | a required value is empty |
| `bad_type:<column>` | the value does not parse as the column's type |
| `invalid_value:<column>` | the value is not one of the allowed values |
| `out_of_range:<column>` | the number is outside the allowed range |
| `duplicate_key:<key>` | the natural key repeats within the day's delivery (first row wins) |

A file that cannot be read or lacks a contract column fails that source's day with a message
naming the file and the column; other sources load. Phone columns are kept as typed (the
effective information library cleans them); the quality suite reports the share that does not
even look like a phone number (`{PHONE_SHAPE_REGEX}`).

## Sources
"""


def _allowed(column: Column) -> str:
    if column.allowed is not None:
        return ", ".join(f"`{value}`" for value in column.allowed)
    if column.allowed_seed is not None:
        seed, field = column.allowed_seed
        return f"seed `{seed}` (`{field}`)"
    if column.min_value is not None or column.max_value is not None:
        return f"{column.min_value:g} to {column.max_value:g}"
    return ""


def _source_section(source: Source) -> str:
    lines = [
        f"### `{source.name}`",
        source.description,
        "",
        f"Natural key: `{' + '.join(source.key)}`. Event time: `{source.event_time}`.",
        "",
        "| column | type | required | allowed | personal data | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for column in source.columns:
        lines.append(
            f"| `{column.name}` | {column.dtype} | {'yes' if column.required else ''} | "
            f"{_allowed(column)} | {'yes' if column.pii else ''} | {column.description} |"
        )
    return "\n".join(lines) + "\n"


def render_contract_markdown() -> str:
    """The whole contract document as Markdown."""
    return _INTRO + "\n".join(_source_section(source) for source in SOURCES.values())


if __name__ == "__main__":
    sys.stdout.write(render_contract_markdown())
