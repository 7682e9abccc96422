"""The rows the ledger export reads, as the database driver returns them.

A large export is mostly reading: ~100,000 measures, their ~300,000 shares and half a million
progress reports. Django's `values()` turns each row into a dict through a converter per column,
and building the query for each chunk's `IN (…)` list costs as much again; here each chunk's
rows come from one prepared statement per table as plain tuples, and only the values the export
shows are converted (see `date_of`, `iso`, `aware`).

What the driver gives: SQLite (through Django's registered converters) and PostgreSQL both give
dates as `datetime.date`, booleans as `bool` on PostgreSQL and 0/1 on SQLite, datetimes naive in
UTC on SQLite and aware on PostgreSQL, and a JSON column as its text on both.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.sql.constants import MULTI

from rectify.plans.models import Assignment, Milestone, Problem
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI

# The columns read, in the order of the tuples (field names; the column names come from the models).
MEASURE_FIELDS = (
    "id",
    "problem_id",
    "number",
    "text",
    "status",
    "closed_on",
    "reopened_count",
    "due_on",
    "deadline_raw",
    "deadline_kind",
    "deadline_parts",
    "start_on",
    "recurrence",
)
PROBLEM_FIELDS = (
    "id",
    "number",
    "index",
    "chapter_id",
    "text",
    "goal",
    "status",
    "closed_on",
    "reopened_count",
    "deadline_raw",
    "deadline_kind",
    "due_on",
    "deadline_parts",
    "responsible_person",
    "acceptance_unit_name",
)
# A share's phrase only where the export shows it (a problem's own units, a unit still to be
# confirmed), its own due date only where it was extended (else the measure's holds), its dates and
# flag as stored on SQLite (text and 0/1, without the driver's converters: the export shows dates
# as ISO text, `date_of` makes a date), and its milestones reached apart (`reached`, for the
# measures with milestones): what the rows hold is most of the reading's time.
SHARE_FIELDS = (
    "problem_id",
    "id",
    "measure_id",
    "unit_id",
    "phrase",
    "role",
    "status",
    "due_on",
    "due_extended",
    "closed_on",
    "reopened_count",
)
SHARE_AS_STORED = frozenset({"due_on", "due_extended", "closed_on"})
MILESTONE_FIELDS = ("id", "measure_id", "raw", "due_on", "precision")


def queryset_rows(qs: QuerySet[Any], fields: Sequence[str], *, chunk_size: int = 2000) -> Iterator[tuple[Any, ...]]:
    """`qs.values_list(*fields)` as the driver's tuples, streamed (a server-side cursor on
    PostgreSQL, as `.iterator()` uses)."""
    values = qs.values_list(*fields)
    compiler = values.query.get_compiler(values.db)
    width = len(fields)
    for rows in compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=chunk_size):
        for row in rows:
            # Columns past the fields (an ordering a DISTINCT query must select) are not ours.
            yield row if len(row) == width else tuple(row[:width])


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)  # a foreign key by its attname ("problem_id") too
    assert isinstance(field, Field) and field.column
    return field.column


@cache
def _select(
    model: type[Model],
    fields: tuple[str, ...],
    where: str,
    count: int,
    tail: str,
    using: str,
    as_text: frozenset[str] = frozenset(),
    only_if: tuple[tuple[str, str], ...] = (),
) -> str:
    """The statement; the fields `as_text` read as stored on SQLite (`+column` is the same value
    without the column's declared type, so the driver's Python converter does not run); `only_if`
    = ((field, condition), …): those fields read only where the condition holds (else NULL)."""
    connection = connections[using]
    quote = connection.ops.quote_name

    conditions = dict(only_if)

    def column(field: str) -> str:
        name = quote(_column(model, field))
        if field in conditions:
            return f"CASE WHEN {conditions[field]} THEN {name} END"
        return f"+{name}" if field in as_text and connection.vendor == "sqlite" else name

    columns = ", ".join(column(f) for f in fields)
    marks = ", ".join(["%s"] * count)
    table, key = quote(model._meta.db_table), quote(_column(model, where))
    # Names from the models, values as parameters: nothing from outside goes into the text.
    return f"SELECT {columns} FROM {table} WHERE {key} IN ({marks}){tail}"  # noqa: S608


def _fetch(
    using: str,
    model: type[Model],
    fields: tuple[str, ...],
    where: str,
    ids: Sequence[int],
    tail: str = "",
    params: Sequence[Any] = (),
    as_text: frozenset[str] = frozenset(),
    only_if: tuple[tuple[str, str], ...] = (),
) -> list[tuple[Any, ...]]:
    if not ids:
        return []
    sql = _select(model, fields, where, len(ids), tail, using, as_text, only_if)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*ids, *params])
        return cursor.fetchall()


def problems(using: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    return _fetch(using, Problem, PROBLEM_FIELDS, "id", ids)


def shares(using: str, problem_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """Every row of the problems: their own units (measure null) and their measures' shares, the
    phrase only where there is no unit or no measure, the due date only where it was extended
    (None elsewhere), the dates as `date_of` and `iso_text` read them. (Filtering on "measure is
    null" makes SQLite walk that index across the whole table.)"""
    quote = connections[using].ops.quote_name
    unit, measure = quote(_column(Assignment, "unit_id")), quote(_column(Assignment, "measure_id"))
    only_if = (
        ("phrase", f"{unit} IS NULL OR {measure} IS NULL"),
        ("due_on", quote(_column(Assignment, "due_extended"))),
    )
    return _fetch(using, Assignment, SHARE_FIELDS, "problem_id", problem_ids, as_text=SHARE_AS_STORED, only_if=only_if)


def reached(using: str, measure_ids: Sequence[int]) -> dict[int, str]:
    """The milestones each share of these measures reached: {share id: the JSON column's text}."""
    return dict(_fetch(using, Assignment, ("id", "milestones_reached"), "measure_id", measure_ids))


def milestones(using: str, measure_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The measures' milestones in each measure's order (seq)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    tail = f" ORDER BY {quote(_column(Milestone, 'measure_id'))}, {quote(_column(Milestone, 'seq'))}"
    return _fetch(using, Milestone, MILESTONE_FIELDS, "measure_id", measure_ids, tail)


def latest_reports(using: str, measure_ids: Sequence[int], as_of: dt.date) -> dict[int, tuple[int, Any, str, dt.date]]:
    """Each share's latest counted report submitted by the end of `as_of` (the last one by period,
    then by submission): {share id: (percent, submitted_at as read, its local_minutes text, its
    local date)}. submitted_at as read orders reports by time within one database (SQLite: its
    stored UTC text, one format; PostgreSQL: an aware datetime); `report_time` makes it a datetime."""
    connection = connections[using]
    quote = connection.ops.quote_name
    cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=SHANGHAI)
    statuses = sorted(str(s) for s in COUNTED_STATUSES)
    status_col, submitted_col = quote(_column(ProgressReport, "status")), quote(_column(ProgressReport, "submitted_at"))
    order = ", ".join(quote(_column(ProgressReport, f)) for f in ("assignment_id", "period_start", "submitted_at"))
    tail = f" AND {status_col} IN ({', '.join(['%s'] * len(statuses))}) AND {submitted_col} <= %s ORDER BY {order}"
    fields = ("assignment_id", "percent", "submitted_at")
    rows = _fetch(
        using,
        ProgressReport,
        fields,
        "measure_id",
        measure_ids,
        tail,
        [*statuses, connection.ops.adapt_datetimefield_value(cutoff)],
        as_text=frozenset({"submitted_at"}),  # converted below for the latest report of each share only
    )
    # Ordered: the last one stays. (`submitted_at <= cutoff` holds for no NULL.)
    latest = {row[0]: row for row in rows}
    utc = connection.timezone
    hours: dict[str, Any] = {}
    out = {}
    for share_id, percent, at in latest.values():
        if at.__class__ is str and at[10:11] == " " and (len(at) == 19 or (len(at) == 26 and at[19] == ".")):
            # SQLite's "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: the local hour worked out once per hour.
            hour: Any = hours.get(at[:13])
            if hour is None:
                hour = hours[at[:13]] = _local_hour(at[:13], utc)
            if hour:
                out[share_id] = (percent, at, hour[0] + at[14:16] + hour[1], hour[2])
                continue
        local = _aware(at, utc).astimezone(SHANGHAI)
        if at.__class__ is str:  # another text form: ordered as the usual one
            at = str(local.astimezone(dt.UTC).replace(tzinfo=None))
        out[share_id] = (percent, at, local.isoformat(timespec="minutes"), local.date())
    return out


def _local_hour(hour: str, utc: dt.tzinfo | None) -> tuple[str, str, dt.date] | bool:
    """An hour of UTC time "YYYY-MM-DD HH" in Shanghai time: the minutes text's head up to the
    minutes and its tail (the offset), and the local date; False when the offset is not whole
    hours (then each time is converted on its own)."""
    local = _aware(f"{hour}:00", utc).astimezone(SHANGHAI)
    text = local.isoformat(timespec="minutes")
    return (text[:14], text[16:], local.date()) if text[14:16] == "00" else False


def report_time(value: dt.datetime | str, using: str) -> dt.datetime:
    """A report's submitted_at as latest_reports read it, as an aware datetime."""
    return _aware(value, connections[using].timezone)


def _aware(value: dt.datetime | str, utc: dt.tzinfo | None) -> dt.datetime:
    """A datetime column's value as Django gives it: SQLite stores UTC without an offset (its
    text when read with `as_text`), PostgreSQL gives it aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None or utc is None else value.replace(tzinfo=utc)


# --- values as the export shows them -------------------------------------------------------------


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def iso_text(value: dt.date | str | None) -> str | None:
    """A date read as text on SQLite (its stored ISO text) or as a date (PostgreSQL), as ISO text."""
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def date_of(value: dt.date | str | None) -> dt.date | None:
    """A date read as text on SQLite or as a date, as a date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def local_minutes(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="minutes") if value else None


_EMPTY_JSON: dict[str, Any] = {"[]": [], "{}": {}, "null": None}


def json_value(text: str | None) -> Any:
    """A JSON column's value (decoded fresh each time: the caller may keep it in its output)."""
    if text is None:
        return None
    if text in _EMPTY_JSON:
        return [] if text == "[]" else {} if text == "{}" else None
    return json.loads(text)


__all__ = [
    "MEASURE_FIELDS",
    "date_of",
    "iso",
    "iso_text",
    "json_value",
    "latest_reports",
    "local_minutes",
    "milestones",
    "problems",
    "queryset_rows",
    "reached",
    "report_time",
    "shares",
]
