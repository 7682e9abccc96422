"""Bulk writes for the deadline scan (supervision.scan): UPDATE by id lists, UPDATE of many rows
each with its own values, and INSERT … ON CONFLICT DO NOTHING, the values prepared for the
database once, as the ORM would."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from .assessing import chunks


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, Field), name
    return found


def prep_value(model: type[Model], name: str, value: Any) -> Any:
    return _field(model, name).get_db_prep_save(value, connection)


def _column(model: type[Model], name: str) -> str:
    column = _field(model, name).column
    assert column is not None, name
    return connection.ops.quote_name(column)


def update_where_ids(model: type[Model], values: dict[str, Any], ids: Iterable[int], *, extra: str = "") -> None:
    """UPDATE model SET values WHERE id IN (ids) [AND extra], 900 ids a statement; the values are
    prepared once for the database, as the ORM would."""
    ids = list(ids)
    if not ids:
        return
    sets = ", ".join(f"{_column(model, name)} = %s" for name in values)
    prepared = [prep_value(model, name, value) for name, value in values.items()]
    table = connection.ops.quote_name(model._meta.db_table)
    pk = _column(model, model._meta.pk.name)
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            sql = f"UPDATE {table} SET {sets} WHERE {pk} IN ({marks}){extra}"  # noqa: S608 (names from the model)
            cursor.execute(sql, [*prepared, *chunk])


def update_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Each row (id, *values of `names`, prepared for the database) written to its own record:
    one prepared UPDATE run for every row on SQLite, an UPDATE … FROM (VALUES …) of 1,000 rows a
    statement elsewhere."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    pk = _column(model, model._meta.pk.name)
    columns = [_column(model, name) for name in names]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sets = ", ".join(f"{c} = %s" for c in columns)
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608 (names from the model)
            cursor.executemany(sql, [(*row[1:], row[0]) for row in rows])
            return
        aliases = ["id", *(f"v{i}" for i in range(len(columns)))]
        sets = ", ".join(f"{c} = v.{a}" for c, a in zip(columns, aliases[1:], strict=True))
        row_marks = "(" + ", ".join(["%s"] * len(aliases)) + ")"
        for i in range(0, len(rows), 1000):
            batch = rows[i : i + 1000]
            values = ", ".join([row_marks] * len(batch))
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v({', '.join(aliases)}) WHERE {table}.{pk} = v.id"  # noqa: S608
            )
            cursor.execute(sql, [value for row in batch for value in row])


def insert_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (as bulk_create(ignore_conflicts=True)), many rows a
    statement, the values already prepared for the database."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_column(model, name) for name in names)
    per_statement = max(1, min(1000, (connection.features.max_query_params or 30000) // len(names)))
    row_marks = "(" + ", ".join(["%s"] * len(names)) + ")"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), per_statement):
            batch = rows[i : i + per_statement]
            marks = ", ".join([row_marks] * len(batch))
            sql = f"INSERT INTO {table} ({columns}) VALUES {marks} ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])
