"""The warning rules on each share of a ledger export, as of the export's date, with each distinct
input assessed once.

The answer is the rules' (supervision.rules.assess) on the same input the deadline scan builds
(supervision.services.item_input); what is saved is asking twice. `rules.assess` is pure: equal
inputs give equal assessments, so shares whose inputs are equal share one. The key of a share is
what its input holds, less what the rules provably do not read for it:

* a share 已销号 or 已完成待验收 (rule status closed / completed) is green before anything else is
  read (the first lines of `assess`): its key is the status alone;
* a share whose measure has milestones, a compound deadline (parts) or a recurring one reads
  things of its own (the nodes it reached, the days it reported): its key is itself;
* otherwise the input is the plan (start and horizon), the deadline kind, the due and start dates,
  the rule status, the progress and the day of the last report; the day of the last report only
  where the rule reads it (the re-checked kinds, 长期坚持 status and the annual rule: not the dated
  kinds date / range / external / scheduled), and the progress only where it is read (not once a
  date / range / external share is past its due date: it is overdue whatever it reported).

tests/domain/test_ledger_rules.py holds the rules to those claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules
from rectify.supervision.services import RULE_STATUS, item_input, plan_horizons, report_days, thresholds

# Deadline kinds whose rule reads neither the last report's day nor anything beyond the share's
# dates, status and progress (rules._by_kind: the dated rule).
LAST_REPORT_UNREAD = frozenset({"date", "range", "external", "scheduled"})
# Of those, the kinds judged on the share's own due date: past it, the share is red "overdue" and
# its progress is not read (rules._dated returns before the 序时进度 check).
PROGRESS_UNREAD_WHEN_OVERDUE = frozenset({"date", "range", "external"})
GREEN = str(rules.Level.GREEN)
DONE = frozenset({"closed", "completed"})  # rule statuses `assess` answers before reading anything else
LABELS = {str(k): v for k, v in rules.LEVEL_LABELS.items()}

Warning = dict[str, Any]


def warning_entry(a: rules.Assessment) -> Warning:
    """A share's warning as the export writes it."""
    return {
        "level": str(a.level),
        "label": LABELS[str(a.level)],
        "reasons": [r.message for r in a.reasons],
        "expected": a.expected,
        "due": a.due.isoformat() if a.due else None,
    }


def recurs(kind: str, parts: Any) -> bool:
    """A recurring deadline, or a compound one with a recurring part (supervision.services._recurs)."""
    if kind == "recurring":
        return True
    return kind == "compound" and any(isinstance(p, dict) and p.get("kind") == "recurring" for p in parts or ())


class ShareRules:
    """The assessments of one export (one date): the plans' horizons and the thresholds read once;
    assessments of shared inputs kept per plan (`new_plan` forgets them)."""

    def __init__(self, as_of: dt.date) -> None:
        self.today = as_of
        self.thresholds = thresholds()
        self.horizons = plan_horizons()
        self._known: dict[tuple[Any, ...], Warning] = {}

    def new_plan(self) -> None:
        self._known.clear()

    def key(
        self,
        status: str,
        kind: str,
        individual: bool,
        plan_id: int,
        due: dt.date | None,
        start: dt.date | None,
        progress: int | None,
        last_report: dt.datetime | None,
    ) -> tuple[Any, ...] | None:
        """A share's key (see the module), None when it is its own. `individual`: its measure has
        milestones, a compound deadline (parts) or a recurring one."""
        rule_status = RULE_STATUS.get(status, "in_progress")  # type: ignore[call-overload]
        if rule_status in DONE:
            return (rule_status,)
        if individual:
            return None
        if rule_status != "ongoing" and kind in LAST_REPORT_UNREAD:
            if kind in PROGRESS_UNREAD_WHEN_OVERDUE and due is not None and due < self.today:
                return (plan_id, kind, due, start, rule_status, "overdue", None)
            return (plan_id, kind, due, start, rule_status, progress, None)
        if last_report is None:
            return (plan_id, kind, due, start, rule_status, progress, None)
        return (plan_id, kind, due, start, rule_status, progress, last_report.astimezone(SHANGHAI).date())

    @property
    def known(self) -> dict[tuple[Any, ...] | None, Warning]:
        """The warnings of the keys assessed so far (a key of None is never there)."""
        return self._known  # type: ignore[return-value]

    def assess(
        self,
        rows: Iterable[tuple[tuple[Any, ...] | None, dict[str, Any]]],
        milestones: dict[int, list[tuple[int, dt.date, str]]],
    ) -> list[Warning]:
        """Each (key, share row as supervision.services.share_rows gives it) → its warning, in
        order; rows of a key already assessed are not assessed again."""
        rows = list(rows)
        recurring = [
            row for key, row in rows if key is None and recurs(row["measure__deadline_kind"], row["deadline_parts"])
        ]
        if recurring:
            days = report_days([row["pk"] for row in recurring], upto=self.today)
            for row in recurring:
                row["report_dates"] = days.get(row["pk"], [])
        out: list[Warning] = []
        for key, row in rows:
            found = self._known.get(key) if key is not None else None
            if found is None:
                item = item_input(row, self.horizons, milestones.get(row["measure_id"], []))
                found = warning_entry(rules.assess(item, self.today, self.thresholds))
                if key is not None:
                    self._known[key] = found
            out.append(found)
        return out


__all__ = ["GREEN", "LABELS", "ShareRules", "warning_entry"]
