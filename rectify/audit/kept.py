"""Figures worked out from the data and kept until the data changes.

An exact count over tens of thousands of rows (the ledger's matches, the warning board's shares
per unit and level) costs tens of milliseconds at a province's size, and is asked for again and
again while nothing has changed. Such a figure is kept in the cache under the audit trail's
newest change (`selectors.data_mark`: its number and hash; every change of the data is audited
inside the transaction that makes it) and the day (overdue and the due window depend on it). While both
stand, the kept figure is the figure a new count would give; any change of the data makes a new
version, so a figure is never read again once the data it counted has changed.

The version is read before the figure is worked out: a change committed in between can only make
the kept figure newer than the version it is kept under (which no later reader asks for), never
older. Writes that bypass the services (and so the audit trail) are not seen: the project has
none outside tests and the benchmarks' generator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from rectify.core import clock

from .selectors import data_mark

T = TypeVar("T")

# Bumped when the shape of a kept value changes, so that an upgrade never reads an old one.
_FORMAT = 1
# Kept this long at most: a version that stands longer than a day is rare, and the day is in the
# key anyway; what is no longer asked for leaves the cache by itself.
KEEP_SECONDS = 24 * 3600


def key_of(kind: str, parts: Any) -> str:
    """The cache key of one figure: its kind, the data's version, the day and the parts the
    figure depends on (the viewer's scope, the filters), the parts by their repr."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    return f"kept:{_FORMAT}:{kind}:{data_mark()}:{clock.today().isoformat()}:{digest}"


def kept(kind: str, parts: Any, work_out: Callable[[], T]) -> T:
    """`work_out()`, or the value it gave for the same parts while the data and the day were the
    same. `parts` must name everything the figure depends on besides the data and the day, in a
    repr that is the same for the same inputs (tuples, sorted sets, dataclasses of plain values)."""
    if not settings.RECTIFY_KEEP_FIGURES:
        return work_out()
    key = key_of(kind, parts)
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = work_out()
    cache.set(key, value, KEEP_SECONDS)
    return value
