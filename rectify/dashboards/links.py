"""Where each dashboard figure leads: the list page that shows exactly the items it counts.

A figure's link *is* its definition in the app's own lists, and the tests follow the main links
and count the rows. The warning board (supervision:board) lists shares; `warning=` (empty) makes
it show every level instead of its default red and yellow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlencode

from django.urls import reverse

from .figures import DONE_MEASURE_STATUSES, DONE_SHARE_STATUSES


def _url(name: str, params: Iterable[tuple[str, object]], args: list[int] | None = None) -> str:
    query = urlencode([(k, str(v)) for k, v in params if v is not None and v is not False])
    base = reverse(name, args=args)
    return f"{base}?{query}" if query else base


def board(
    *,
    plan: int | None = None,
    unit: int | None = None,
    county: int | None = None,
    chapter: int | None = None,
    problem: int | None = None,
    warning: str = "",
    share_status: Iterable[str] = (),
    share_overdue: bool = False,
) -> str:
    """The warning board's shares (every level unless `warning` names one)."""
    statuses = ",".join(share_status)
    return _url(
        "supervision:board",
        [
            ("plan", plan),
            ("chapter", chapter),
            ("problem", problem),
            ("unit", unit),
            ("county", county),
            ("warning", warning),
            ("share_status", statuses or None),
            ("share_overdue", 1 if share_overdue else None),
        ],
    )


def board_done(**kwargs: object) -> str:
    return board(share_status=DONE_SHARE_STATUSES, **kwargs)  # type: ignore[arg-type]


def ledger(
    *,
    plan: int | None = None,
    chapter: int | None = None,
    problem: int | None = None,
    county: int | None = None,
    status: Iterable[str] = (),
    due_before: dt.date | None = None,
    overdue: bool = False,
) -> str:
    """The 台账's measures."""
    return _url(
        "plans:ledger",
        [
            ("plan", plan),
            ("chapter", chapter),
            ("problem", problem),
            ("county", county),
            ("status", ",".join(status) or None),
            ("due_before", due_before.isoformat() if due_before else None),
            ("overdue", 1 if overdue else None),
        ],
    )


def ledger_done(**kwargs: object) -> str:
    return ledger(status=DONE_MEASURE_STATUSES, **kwargs)  # type: ignore[arg-type]


def missing(period_key: str, *, county: int | None = None) -> str:
    """未报送, every unit that owed a weekly report for the period (all=1)."""
    return _url("progress:missing", [("kind", "weekly"), ("period", period_key), ("county", county), ("all", 1)])


def cases(*, status: str | None = None, region: int | None = None) -> str:
    return _url("complaints:cases", [("status", status), ("region", region)])


def problem(problem_id: int) -> str:
    return reverse("plans:problem", args=[problem_id])


def unit(unit_id: int) -> str:
    return reverse("plans:unit", args=[unit_id])


def county(unit_id: int, *, plan: int | None = None) -> str:
    return _url("dashboards:county", [("plan", plan)], args=[unit_id])
