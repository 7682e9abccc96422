"""What of a problem's timeline (留痕) a viewer may read: one unit's own words stay with it.

Many units share one problem, and each unit's own words are events on the problem's timeline: its
progress reports (进展, 下周计划, 存在问题) and their evidence file names, its close-out
applications and their files, its extension requests, the on-site visits concerning it. A viewer
reads those of the units its scope holds — `orgs.policies.can_read_report_text`, the rule that
opens the reports themselves — and sees the others as counts only ("其他 15 个单位已报送 12 份").
The problem page, the history page and the dossier's 99_留痕.csv all go through `disclose`.

The app that writes an event knows which unit it speaks for: progress, supervision and closeout
register a resolver here from their AppConfig.ready, so this lower app imports none of them.
Events no resolver claims belong to the problem, and whoever sees the problem reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rectify.audit.models import AuditEvent
from rectify.orgs.policies import can_read_report_text
from rectify.orgs.scope import viewer_scope

from .models import Problem

# (problem, events) → {event pk: the units it speaks for}; one query per resolver, not per event.
EventUnits = Callable[[Problem, Sequence[AuditEvent]], Mapping[int, Collection[int]]]
_RESOLVERS: list[EventUnits] = []

# An event whose unit can no longer be found (its object deleted): only a city-wide viewer reads it.
UNKNOWN_UNIT = 0
# The action that counts as one unit's report having been filed (report.resubmitted is the same report).
REPORT_FILED = "report.submitted"


def register_event_units(resolver: EventUnits) -> EventUnits:
    """Called by the app that writes the events (idempotent: ready() may run twice in tests)."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)
    return resolver


def event_units(problem: Problem, events: Sequence[AuditEvent]) -> dict[int, frozenset[int]]:
    units: dict[int, frozenset[int]] = {}
    for resolver in _RESOLVERS:
        for pk, ids in resolver(problem, events).items():
            units[pk] = units.get(pk, frozenset()) | frozenset(i for i in ids if i is not None)
    return units


@dataclass(frozen=True)
class Withheld:
    """What the viewer does not read, as counts."""

    events: int = 0  # timeline events left out
    report_units: int = 0  # the other units whose filed progress reports are among them
    reports: int = 0  # those reports

    def __bool__(self) -> bool:
        return self.events > 0

    def __str__(self) -> str:
        if not self.events:
            return ""
        head = f"其他 {self.report_units} 个单位已报送进展 {self.reports} 份；" if self.reports else ""
        who = "该单位及其所属区域的整改办、领导和验收组"
        return f"{head}其他单位的 {self.events} 条留痕只显示数量（其内容仅对{who}可见）。"


def disclose(*, viewer: Any, problem: Problem, events: Iterable[AuditEvent]) -> tuple[list[AuditEvent], Withheld]:
    """The events `viewer` may read, in their order, and a count of the others. `viewer` None (a
    system job building a package for the archive) and a city-wide viewer read everything."""
    events = list(events)
    if viewer is None or viewer_scope(viewer).everything:
        return events, Withheld()
    units = event_units(problem, events)
    readable: dict[int, bool] = {}

    def may_read(unit_id: int) -> bool:
        if unit_id not in readable:
            readable[unit_id] = can_read_report_text(viewer, unit_id)
        return readable[unit_id]

    shown: list[AuditEvent] = []
    report_units: set[int] = set()
    reports: set[str] = set()
    hidden = 0
    for e in events:
        ids = units.get(e.pk)
        if not ids or any(may_read(i) for i in ids):
            shown.append(e)
            continue
        hidden += 1
        if e.action == REPORT_FILED:
            reports.add(f"{e.object_type}:{e.object_id}")
            report_units |= ids
    return shown, Withheld(events=hidden, report_units=len(report_units), reports=len(reports))
