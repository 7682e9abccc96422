"""Guarded writes, the same on SQLite and PostgreSQL: UPDATE … WHERE <what the writer saw>.

Two requests racing get one success and one ConcurrentChange with a clear Chinese message.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from django.db.models import F

from . import clock
from .errors import ConcurrentChange
from .models import TimestampedModel


def versioned_update(
    obj: TimestampedModel, *, version: int, values: Mapping[str, Any], message: str, **conditions: Any
) -> None:
    """Write `values` only if the row still has the `version` the user's form was built from."""
    updated = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, version=version, **conditions)
        .update(**values, version=version + 1, updated_at=clock.now())
    )
    if updated != 1:
        raise ConcurrentChange(message)
    # Only what the UPDATE wrote: a full refresh would also drop the cached relations (the unit,
    # the measure and its problem) that the caller goes on to read.
    obj.refresh_from_db(fields=["updated_at", "version", *values])


def transition(
    obj: TimestampedModel,
    *,
    table: Mapping[str, Set[str]],
    target: str,
    message: str,
    field: str = "status",
    values: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> None:
    """Move `obj` to `target` from any status the transition table allows it from (or only from
    `source`, the status the user saw), writing `values` in the same UPDATE."""
    sources = [status for status, targets in table.items() if target in targets]
    if source is not None:
        sources = [status for status in sources if status == source]
    extra = dict(values or {})
    updated = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, **{f"{field}__in": sources})
        .update(**{field: target, "updated_at": clock.now(), "version": F("version") + 1}, **extra)
    )
    if updated != 1:
        raise ConcurrentChange(message)
    # Only what the UPDATE wrote: a full refresh would also drop the cached relations (the unit,
    # the measure and its problem) that the caller goes on to read.
    obj.refresh_from_db(fields=[field, "updated_at", "version", *extra])
