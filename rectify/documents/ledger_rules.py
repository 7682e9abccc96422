"""The warning rules on each share of a ledger export, as of the export's date, with each distinct
input assessed once.

The answer is the rules' (supervision.rules.assess) on the same input the deadline scan builds
(supervision.services.item_input); what is saved is asking twice. `rules.assess` is pure: equal
inputs give equal assessments, so shares whose inputs are equal share one. The key of a share is
what its input holds, less what the rules provably do not read for it:

* a share 已销号 or 已完成待验收 (rule status closed / completed) is green before anything else is
  read (the first lines of `assess`): its key is the status alone;
* a share 长期坚持 (rule status ongoing) is re-checked before anything else (the next lines of
  `assess`: neither parts nor milestones are read): its key is that of the re-checked kinds below;
* a share whose deadline recurs (recurring, or a compound with a recurring part) reads the days
  its unit reported: its key is itself (None);
* a compound deadline with parts is assessed part by part, each by its kind as a deadline of its
  own (with the share's progress and last report): its key is each part's scope (the reasons'
  prefix) with the part's key as below;
* the milestones add their reasons after the deadline's, and only the unreached ones within
  due_soon_days of the date (or past it) have one: the key adds those (date and wording, in the
  rules' order), and nothing when there are none;
* otherwise the input is the plan's start (and, for scheduled, the plan's horizon: plans that
  start alike share assessments), the deadline kind, the due and start dates, the rule status,
  the progress and the day of the last report; of those, only what the rule of its kind reads:
  - the re-checked kinds and 长期坚持 status (rules._recheck): the day of the last report (else the
    plan's start), and only once it is more than recheck_days old;
  - the annual rule: the progress and whether the last report is of this year;
  - the dated kinds date / range / external / scheduled never read the last report; their own
    start only for a range; a scheduled share's own due date never (the plan's horizon is its);
    past its due date a date / range / external share is overdue whatever its progress; before
    it, the progress only when it is behind 序时进度 by more than the tolerance (the 序时进度
    check is the only place it is read: a share not behind has the same assessment at any
    progress);
  - completed and unknown kinds read nothing of the share (no reason; 整改时限待确认).

tests/domain/test_ledger_rules.py holds the rules to those claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from rectify.plans.models import Plan
from rectify.supervision import rules
from rectify.supervision.services import RULE_STATUS, item_input, plan_horizons, report_days, thresholds

# Deadline kinds whose rule reads neither the last report's day nor anything beyond the share's
# dates, status and progress (rules._by_kind: the dated rule).
LAST_REPORT_UNREAD = frozenset({"date", "range", "external", "scheduled"})
# Of those, the kinds judged on the share's own due date: past it, the share is red "overdue" and
# its progress is not read (rules._dated returns before the 序时进度 check).
PROGRESS_UNREAD_WHEN_OVERDUE = frozenset({"date", "range", "external"})
# The re-checked kinds and 长期坚持 status: rules._recheck reads only the day of the last report
# (else the plan's start), and whether it is more than recheck_days ago.
RECHECKED = rules.RECHECKED_KINDS
# Kinds whose rule reads nothing of the share (completed: no reason; unknown: 整改时限待确认).
READS_NOTHING = frozenset({"completed", "unknown"})
_UNSET, _UNKNOWN = object(), object()
KNOWN_MAX = 40_000  # assessments kept across plans (a few hundred bytes each; 100k measures need ~24,000)
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
        self.plan_starts: dict[int, dt.date] = dict(Plan.objects.values_list("id", "start_on"))
        self._expected: dict[tuple[Any, ...], Any] = {}
        # Milestones up to this date have a reason (rules._milestones: past it, or due soon).
        self.soon = as_of + dt.timedelta(days=self.thresholds.due_soon_days)
        self._known: dict[tuple[Any, ...], Warning] = {}

    def new_plan(self) -> None:
        """Between plans: the assessments kept are forgotten once there are many (keys hold the
        plan's start, not the plan, so plans that start alike share them)."""
        if len(self._known) > KNOWN_MAX:
            self._known.clear()

    def key(
        self,
        status: str,
        kind: str,
        recurring: bool,
        plan_id: int,
        due: dt.date | None,
        start: dt.date | None,
        progress: int | None,
        last_report: dt.date | None,
        parts: Sequence[Any] | None = None,
        milestones: tuple[tuple[dt.date, str], ...] = (),
    ) -> tuple[Any, ...] | None:
        """A share's key (see the module), None when it is its own. `last_report`: the local
        date of its last report; `recurring`: its deadline recurs (`recurs`); `parts`: a compound
        deadline's parts; `milestones`: `milestones_key`."""
        rule_status = RULE_STATUS.get(status, "in_progress")  # type: ignore[call-overload]
        if rule_status in DONE:
            return (rule_status,)
        if rule_status != "ongoing":
            if recurring:
                return None
            if kind == "compound" and parts:
                facts = self._parts_key(plan_id, parts, rule_status, progress, last_report)
                if facts is None:
                    return None
                base: tuple[Any, ...] = ("compound", facts)
            else:
                base = self._kind_key(kind, plan_id, due, start, rule_status, progress, last_report)
            return ("milestones", base, milestones) if milestones else base
        return self._kind_key(kind, plan_id, due, start, rule_status, progress, last_report)

    def milestones_key(
        self, milestones: Sequence[tuple[int, dt.date, str]], reached: dict[str, Any] | None
    ) -> tuple[tuple[dt.date, str], ...]:
        """What rules._milestones reads of a share's milestones ((id, due, raw) in id order):
        each unreached one's date and wording, of those with a reason today (past their date or
        within due_soon_days of it); the others give no reason and hold no other one's place."""
        reached = reached or {}
        soon = self.soon
        return tuple((due, raw) for pk, due, raw in milestones if str(pk) not in reached and due <= soon)

    def _parts_key(
        self,
        plan_id: int,
        parts: Sequence[Any],
        rule_status: str,
        progress: int | None,
        last_report: dt.date | None,
    ) -> tuple[Any, ...] | None:
        """rules._compound: each part by its kind (rules._by_kind, as a whole deadline of that kind
        is, except that unknown and completed parts give nothing: the kind is in the part's key),
        its reasons prefixed by its scope."""
        out = []
        for i, part in enumerate(parts, start=1):
            if not isinstance(part, dict):
                return None
            kind = str(part.get("kind") or "unknown")
            due, start = rules._as_date(part.get("due")), rules._as_date(part.get("start"))
            facts = self._kind_key(kind, plan_id, due, start, rule_status, progress, last_report)
            out.append((str(part.get("scope") or f"分项{i}"), facts))
        return tuple(out)

    def _kind_key(
        self,
        kind: str,
        plan_id: int,
        due: dt.date | None,
        start: dt.date | None,
        rule_status: str,
        progress: int | None,
        last_report: dt.date | None,
    ) -> tuple[Any, ...]:
        """The key of one deadline by its kind (the plain share's, and each part's)."""
        # What the rules read of the plan: its start (and, for scheduled, its horizon).
        plan_start = self.plan_starts.get(plan_id)
        plan: Any = ("plan", plan_id) if plan_start is None else plan_start
        if rule_status == "ongoing" or kind in RECHECKED:
            # _recheck: the last report's day (else the plan's start), and only once it is stale.
            label = "ongoing" if rule_status == "ongoing" else kind
            ref = last_report if last_report is not None else plan_start
            if ref is None:
                return (plan, kind, due, start, rule_status, progress, None)
            stale = (self.today - ref).days > self.thresholds.recheck_days
            return (plan, "recheck", label, rule_status, ref if stale else "fresh")
        if kind in READS_NOTHING:
            return (kind, rule_status)
        if kind in LAST_REPORT_UNREAD:
            if kind != "range":  # only a range starts at its own start; scheduled runs to the horizon
                start = None
                if kind == "scheduled":
                    due = None
                    plan = (plan, self.horizons.get(plan_id))
            if kind in PROGRESS_UNREAD_WHEN_OVERDUE and due is not None and due < self.today:
                return (plan, kind, due, start, rule_status, "overdue", None)
            behind = self._behind(plan_id, kind, due, start, progress)
            return (plan, kind, due, start, rule_status, progress if behind else "not behind", None)
        if kind == "annual":
            # rules._annual: the plan's start, the progress and whether the last report is this year's.
            this_year = last_report is not None and last_report.year == self.today.year
            return (plan, kind, None, None, rule_status, progress, this_year)
        if last_report is None:
            return (plan, kind, due, start, rule_status, progress, None)
        return (plan, kind, due, start, rule_status, progress, last_report)

    def _behind(
        self, plan_id: int, kind: str, due: dt.date | None, start: dt.date | None, progress: int | None
    ) -> bool:
        """Whether a dated share's progress is read (the 序时进度 check of rules._dated can warn):
        False only where the rules provably do not read it, or where it is not behind."""
        span = (plan_id, kind, due, start)
        expected = self._expected.get(span, _UNSET)
        if expected is _UNSET:
            expected = self._expected[span] = self._expected_of(plan_id, kind, due, start)
        if expected is None:  # no date (or past it): the progress is not read
            return False
        if expected is _UNKNOWN:
            return True
        done = 0.0 if progress is None else min(max(float(progress), 0.0), 100.0)  # rules._clamp_progress
        return bool(round(expected - done, 6) > self.thresholds.lag_tolerance)

    def _expected_of(self, plan_id: int, kind: str, due: dt.date | None, start: dt.date | None) -> Any:
        """序时进度 as rules._by_kind / rules._dated compute it for a dated kind; None when they
        return before reading the progress (no date, or past the date); _UNKNOWN when the plan's
        start is not known here (the progress then stays in the key)."""
        plan_start = self.plan_starts.get(plan_id)
        if plan_start is None:
            return _UNKNOWN
        if kind == "scheduled":
            due = self.horizons.get(plan_id)
        if due is None or due < self.today:
            return None
        origin = start if kind == "range" and start is not None else plan_start
        return rules.schedule_share(origin, due, self.today)

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
