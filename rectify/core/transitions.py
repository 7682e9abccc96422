"""Guarded state changes: UPDATE … WHERE status = <current>, the same on SQLite and PostgreSQL.

Two reviewers racing get one success and one ConcurrentChange ("已被他人处理").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from .errors import ConcurrentChange, DomainError


def check_transition(
    table: Mapping[str, Iterable[str]], current: str, target: str, labels: Mapping[str, str] | None = None
) -> None:
    """Raise DomainError when `table` does not allow current → target."""
    if target not in set(table.get(current, ())):
        names = labels or {}
        raise DomainError(f"不允许的状态变更：{names.get(current, current)} → {names.get(target, target)}。")


def guarded_update(obj: models.Model, *, field: str, expected: Any, values: Mapping[str, Any]) -> None:
    """Write `values` to obj's row only if its `field` still equals `expected`.

    Refreshes the in-memory object on success; raises ConcurrentChange when another request
    changed the row first.
    """
    model = type(obj)
    updated = model._default_manager.filter(pk=obj.pk, **{field: expected}).update(**values)
    if updated != 1:
        raise ConcurrentChange()
    for key, value in values.items():
        if not isinstance(value, models.expressions.Combinable):
            setattr(obj, key, value)
    if any(isinstance(v, models.expressions.Combinable) for v in values.values()):
        obj.refresh_from_db(fields=[k for k in values])
