"""本周待办 for an office (or anyone without a unit of their own to file for): each unit in the
viewer's scope for one reporting period — how many of its shares owe a report, how many were
reported (submitted or accepted), returned, or not reported yet (nothing, or a draft) — worst
first, each count linking to the list it counts, with a totals row.

The counts use the same shares as a unit's weekly page (services.required_assignments), so the
unit's "未填报" and "被退回" filters there list exactly what is counted here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode

from rectify.core import clock
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import viewer_scope

from . import periods, services
from .models import ProgressReport, ReportKind, ReportStatus
from .periods import Period

REPORTED = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)

# (key, label, badge colour), in the order the table sorts: the unit that needs chasing first.
STATES = {
    "none": ("未报送", "danger"),
    "returned": ("有退回", "warning"),
    "partial": ("部分报送", "info"),
    "done": ("已报送", "success"),
}
ORDER = list(STATES)


@dataclass(frozen=True)
class UnitTodo:
    unit: OrgUnit
    due: int  # shares that owe a report for the period
    reported: int  # submitted or accepted
    returned: int
    links: Mapping[str, str]

    @property
    def missing(self) -> int:
        """Not reported: no report yet, or only a draft."""
        return self.due - self.reported - self.returned

    @property
    def state(self) -> str:
        if self.returned:
            return "returned"
        if self.missing == 0:
            return "done"
        return "none" if self.reported == 0 else "partial"

    @property
    def state_label(self) -> str:
        return STATES[self.state][0]

    @property
    def state_colour(self) -> str:
        return STATES[self.state][1]


@dataclass(frozen=True)
class Totals:
    units: int
    due: int
    reported: int
    returned: int
    missing: int
    by_state: Mapping[str, int]
    links: Mapping[str, str]

    @property
    def state_counts(self) -> list[tuple[str, str, int]]:
        """(label, colour, units) for each state, in the table's order."""
        return [(label, colour, self.by_state[key]) for key, (label, colour) in STATES.items()]


def office_period(kind: str, key: str, *, today: dt.date, rule: periods.CalendarRule) -> Period:
    """The period asked for (?kind=&period=), else the one units are reporting for now."""
    kind = kind if kind in ReportKind.values else ReportKind.WEEKLY
    chosen = periods.parse_key(kind, key, rule) if key else None
    if chosen is not None:
        return chosen
    return next(p for p in periods.open_periods(today, rule) if p.kind == kind)


def unit_todos(*, units: Iterable[OrgUnit], period: Period, can_review: bool = False) -> list[UnitTodo]:
    """One row per unit that owes reports, worst first: 未报送, 有退回, 部分报送, 已报送; then by
    how many are missing, then the directory's order. Two grouped queries."""
    by_id = {u.pk: u for u in units}
    required = services.required_assignments().filter(unit_id__in=list(by_id)).order_by()
    due = dict(required.values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    by_status: dict[int, dict[str, int]] = {}
    rows = (
        ProgressReport.objects.filter(
            assignment_id__in=required.values("pk"), kind=period.kind, period_start=period.start
        )
        .order_by()
        .values_list("assignment__unit_id", "status")
        .annotate(n=Count("pk"))
    )
    for unit_id, status, n in rows:
        by_status.setdefault(unit_id, {})[status] = n
    out = []
    for unit_id, n in due.items():
        counts = by_status.get(unit_id, {})
        unit = by_id[unit_id]
        out.append(
            UnitTodo(
                unit=unit,
                due=n,
                reported=sum(counts.get(s, 0) for s in REPORTED),
                returned=counts.get(ReportStatus.RETURNED, 0),
                links=_unit_links(unit, period, can_review=can_review),
            )
        )
    out.sort(key=lambda r: (ORDER.index(r.state), -r.missing, -r.returned, r.unit.path))
    return out


def totals(rows: list[UnitTodo], period: Period, *, can_review: bool = False) -> Totals:
    by_state = {key: sum(1 for r in rows if r.state == key) for key in STATES}
    links = {"missing": reverse("progress:missing") + "?" + urlencode({"kind": period.kind, "period": period.key})}
    if can_review:
        review = reverse("progress:review")
        for name, statuses in (("reported", "submitted,accepted"), ("returned", "returned")):
            links[name] = f"{review}?" + urlencode(
                {"kind": period.kind, "period": period.start.isoformat(), "status": statuses}
            )
    return Totals(
        units=len(rows),
        due=sum(r.due for r in rows),
        reported=sum(r.reported for r in rows),
        returned=sum(r.returned for r in rows),
        missing=sum(r.missing for r in rows),
        by_state=by_state,
        links=links,
    )


def _unit_links(unit: OrgUnit, period: Period, *, can_review: bool) -> dict[str, str]:
    """Each count's list: the unit's weekly page filtered (全部 / 未填报 / 被退回), and for an office
    the review queue of its reported ones."""
    page = reverse("progress:unit_period", args=[unit.pk, period.kind, period.key])
    links = {"due": f"{page}?show=all", "missing": f"{page}?show=todo", "returned": f"{page}?show=returned"}
    if can_review:
        links["reported"] = (
            reverse("progress:review")
            + "?"
            + urlencode(
                {
                    "unit": str(unit.pk),
                    "kind": period.kind,
                    "period": period.start.isoformat(),
                    "status": "submitted,accepted",
                }
            )
        )
    return links


def office_todo_context(*, viewer: Any, units: Iterable[OrgUnit], params: Mapping[str, str]) -> dict[str, Any]:
    """Everything todo_office.html shows, for the `todo` view."""
    rule = services.calendar_rule()
    today = clock.today()
    period = office_period(str(params.get("kind") or ""), str(params.get("period") or ""), today=today, rule=rule)
    can_review = "coordinator" in viewer_scope(viewer).region_roles
    rows = unit_todos(units=units, period=period, can_review=can_review)
    current = office_period(period.kind, "", today=today, rule=rule)
    return {
        "period": period,
        "kind": period.kind,
        "kinds": ReportKind.choices,
        "rows": rows,
        "totals": totals(rows, period, can_review=can_review),
        "states": STATES,
        "passed": clock.now() > period.due_at,
        "is_current": period == current,
        "current_key": current.key,
        "prev_key": periods.period_of(period.kind, period.start - dt.timedelta(days=1), rule).key,
        "next_key": periods.period_of(period.kind, period.end + dt.timedelta(days=1), rule).key
        if period.start < current.start
        else "",
        "calendar": rule.describe(),
    }
