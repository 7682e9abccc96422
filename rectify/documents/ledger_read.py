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
    "milestones_reached",
)
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
    model: type[Model], fields: tuple[str, ...], where: str, count: int, tail: str, using: str, as_text: str = ""
) -> str:
    """The statement; the field `as_text` read as its stored text on SQLite (`+column` is the same
    value without the column's declared type, so the driver's Python converter does not run)."""
    connection = connections[using]
    quote = connection.ops.quote_name

    def column(field: str) -> str:
        name = quote(_column(model, field))
        return f"+{name}" if field == as_text and connection.vendor == "sqlite" else name

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
    as_text: str = "",
) -> list[tuple[Any, ...]]:
    if not ids:
        return []
    sql = _select(model, fields, where, len(ids), tail, using, as_text)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*ids, *params])
        return cursor.fetchall()


def problems(using: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    return _fetch(using, Problem, PROBLEM_FIELDS, "id", ids)


def shares(using: str, problem_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """Every row of the problems: their own units (measure null) and their measures' shares.
    (Filtering on "measure is null" makes SQLite walk that index across the whole table.)"""
    return _fetch(using, Assignment, SHARE_FIELDS, "problem_id", problem_ids)


def milestones(using: str, measure_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The measures' milestones in each measure's order (seq)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    tail = f" ORDER BY {quote(_column(Milestone, 'measure_id'))}, {quote(_column(Milestone, 'seq'))}"
    return _fetch(using, Milestone, MILESTONE_FIELDS, "measure_id", measure_ids, tail)


def latest_reports(using: str, measure_ids: Sequence[int], as_of: dt.date) -> dict[int, tuple[int, dt.datetime, str]]:
    """Each share's latest counted report submitted by the end of `as_of` (the last one by period,
    then by submission): {share id: (percent, submitted_at, its local_minutes text)}, submitted_at
    aware in Shanghai time (the zone every reader turns it into: converted once here,
    `astimezone(SHANGHAI)` then returns it as it is)."""
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
        as_text="submitted_at",  # converted below for the latest report of each share only
    )
    latest: dict[int, tuple[int, Any]] = {}
    for share_id, percent, submitted_at in rows:
        if submitted_at is not None:
            latest[share_id] = (percent, submitted_at)  # ordered: the last one stays
    utc = connection.timezone
    out = {}
    for share_id, (percent, at) in latest.items():
        local = _aware(at, utc).astimezone(SHANGHAI)
        out[share_id] = (percent, local, local.isoformat(timespec="minutes"))
    return out


def _aware(value: dt.datetime | str, utc: dt.tzinfo | None) -> dt.datetime:
    """A datetime column's value as Django gives it: SQLite stores UTC without an offset (its
    text when read with `as_text`), PostgreSQL gives it aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None or utc is None else value.replace(tzinfo=utc)


# --- values as the export shows them -------------------------------------------------------------


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


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
    "iso",
    "json_value",
    "latest_reports",
    "local_minutes",
    "milestones",
    "problems",
    "queryset_rows",
    "shares",
]
