"""Lint-time stand-ins for dbt's cross-database macros (the ``dbt`` namespace).

sqlfluff's jinja templater knows ref/source/var but not ``dbt.dateadd`` and friends, which
exist only inside dbt. These functions render the DuckDB spelling so that models using the
portable macros lint as the SQL dbt-duckdb would run. Loaded by ``library_path`` in .sqlfluff;
dbt itself never reads this folder.
"""


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def last_day(date, datepart):
    return f"last_day({date})"


def length(expression):
    return f"length({expression})"


def concat(fields):
    return " || ".join(fields)


def right(string_text, length_expression):
    return f"right({string_text}, {length_expression})"


def position(substring_text, string_text):
    return f"position({substring_text} in {string_text})"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order_by = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order_by})"


def hash(field):  # noqa: A001 - the name dbt gives the macro
    return f"md5(cast({field} as varchar))"


def safe_cast(field, type):  # noqa: A002 - the names dbt gives the arguments
    return f"try_cast({field} as {type})"


def cast(field, type):  # noqa: A002
    return f"cast({field} as {type})"


def bool_or(expression):
    return f"bool_or({expression})"


def any_value(expression):
    return f"any_value({expression})"


def type_string():
    return "varchar"


def type_timestamp():
    return "timestamp"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_numeric():
    return "numeric(28, 6)"


def type_float():
    return "double"


def type_boolean():
    return "boolean"


def current_timestamp():
    return "now()"
