"""The exchange document "rectify-ledger" (format_version 1): the whole ledger of one city, each
responsible unit's share with its own status, for the level above to load as a read-only mirror
(rectify.mirror). docs/exchange.md describes every field; names here are that contract — add
fields freely, but renaming or re-meaning one is a new format_version.

The figures of a share are the ones the city's 领导驾驶舱 counts (dashboards.figures): the stored
status, progress and 预警 of the last scan, and "overdue" as of the export's date
(plans.selectors.share_overdue_condition). `tally` counts them the same way on both sides: the
city writes its totals with it, the province checks a file against them and counts its mirror so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import BooleanField, Case, Value, When

from rectify.core import clock
from rectify.core.clock import SHANGHAI
from rectify.core.errors import Forbidden
from rectify.orgs.models import OrgUnit, Role, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import SHARE_DONE_STATUSES, Assignment, Chapter, Measure, Plan, Problem, ShareStatus
from rectify.plans.selectors import plan_ids, share_overdue_condition

FORMAT = "rectify-ledger"
FORMAT_VERSION = 1
DONE = frozenset(str(s) for s in SHARE_DONE_STATUSES)
CLOSED = frozenset({ShareStatus.CLOSED.value, ShareStatus.ONGOING.value})
ACCEPTED = frozenset({ShareStatus.COMPLETED.value, ShareStatus.CLOSED.value, ShareStatus.ONGOING.value})
LEVELS = ("red", "yellow", "green")
# The counts a file's "totals" carries and an importer checks against its rows.
COUNTED = ("plans", "problems", "measures", "shares", "done", "closed", "overdue", "red", "yellow", "green")
EXPORTERS = {Role.COORDINATOR, Role.LEADER}
OVERDUE: BooleanField[bool, bool] = BooleanField()


def can_export_exchange(user: Any) -> bool:
    """The whole city's ledger leaves as one file: the city office and the city's leaders only."""
    return bool(EXPORTERS & viewer_scope(user).city_roles)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def tally(shares: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Share figures from share entries (status, progress, warning_level, overdue), as the
    dashboards count them: done = the unit has done its part; progress = the mean with accepted or
    closed shares at 100 and shares that never reported at 0, None when nobody reported."""
    out: dict[str, Any] = {"shares": 0, "done": 0, "closed": 0, "overdue": 0, "red": 0, "yellow": 0, "green": 0}
    progress_sum = 0
    reported = False
    for s in shares:
        out["shares"] += 1
        out["done"] += s["status"] in DONE
        out["closed"] += s["status"] in CLOSED
        out["overdue"] += bool(s["overdue"])
        if s["warning_level"] in LEVELS:
            out[s["warning_level"]] += 1
        accepted = s["status"] in ACCEPTED
        progress_sum += 100 if accepted else (s["progress"] or 0)
        reported = reported or accepted or s["progress"] is not None
    n = out["shares"]
    out["unassessed"] = n - out["red"] - out["yellow"] - out["green"]
    out["rate"] = round(out["done"] * 100 / n, 1) if n else None
    out["progress"] = round(progress_sum / n, 1) if n and reported else None
    return out


def _regions(units: Mapping[int, Mapping[str, Any]]) -> dict[int, str]:
    """Each unit's nearest region (行政区) above or at it: its county, or the city itself."""
    by_path = {u["path"]: u for u in units.values()}
    out: dict[int, str] = {}
    for pk, u in units.items():
        prefixes = [u["path"][: i + 5] for i in range(0, len(u["path"]), 5)]
        regions = [by_path[p] for p in prefixes if p in by_path and by_path[p]["kind"] == UnitKind.REGION]
        out[pk] = regions[-1]["name"] if regions else u["name"]
    return out


def _deadline(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": item["deadline_kind"], "raw": item["deadline_raw"], "due_on": _iso(item["due_on"])}


def _share(a: Mapping[str, Any], units: Mapping[int, Mapping[str, Any]], regions: dict[int, str]) -> dict[str, Any]:
    return {
        "unit": units[a["unit_id"]]["name"],
        "region": regions[a["unit_id"]],
        "role": a["role"],
        "status": a["status"],
        "progress": a["progress"],
        "warning_level": a["warning_level"] or None,
        "due_on": _iso(a["due_on"]),
        "due_extended": a["due_extended"],
        "overdue": a["overdue"],
        "closed_on": _iso(a["closed_on"]),
        "reopened_count": a["reopened_count"],
        "last_report_at": _moment(a["last_report_at"]),
    }


def _plan_entry(
    plan: Plan, today: dt.date, units: Mapping[int, Mapping[str, Any]], regions: dict[int, str]
) -> dict[str, Any]:
    """One plan, read in four queries (chapters, problems, measures, shares)."""
    shares: dict[int, list[dict[str, Any]]] = defaultdict(list)
    pending: dict[int, list[str]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(problem__plan=plan, measure__isnull=False)
        .annotate(
            overdue=Case(
                When(share_overdue_condition(today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("measure_id", "role", "id")
        .values(
            "measure_id",
            "unit_id",
            "phrase",
            "role",
            "status",
            "progress",
            "warning_level",
            "due_on",
            "due_extended",
            "overdue",
            "closed_on",
            "reopened_count",
            "last_report_at",
        )
    )
    for a in rows:
        if a["unit_id"] is None:
            pending[a["measure_id"]].append(a["phrase"])
        else:
            shares[a["measure_id"]].append(_share(a, units, regions))
    measures: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in (
        Measure.objects.filter(problem__plan=plan)
        .order_by("problem_id", "seq")
        .values(
            "id", "problem_id", "number", "seq", "text", "status", "source", "deadline_kind", "deadline_raw", "due_on",
            "progress", "warning_level", "closed_on", "reopened_count",
        )
    ):  # fmt: skip
        measures[m["problem_id"]].append(
            {
                "number": m["number"] or None,
                "seq": m["seq"],
                "text": m["text"],
                "source": m["source"],
                "status": m["status"],
                "deadline": _deadline(m),
                "progress": m["progress"],
                "warning_level": m["warning_level"] or None,
                "closed_on": _iso(m["closed_on"]),
                "reopened_count": m["reopened_count"],
                "pending_units": pending.get(m["id"], []),
                "shares": shares.get(m["id"], []),
            }
        )
    problems: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in (
        Problem.objects.filter(plan=plan)
        .order_by("index")
        .values(
            "id", "chapter_id", "number", "index", "text", "source", "status", "deadline_kind", "deadline_raw",
            "due_on", "progress", "warning_level", "closed_on", "reopened_count",
        )
    ):  # fmt: skip
        problems[p["chapter_id"]].append(
            {
                "number": p["number"],
                "index": p["index"],
                "text": p["text"],
                "source": p["source"],
                "status": p["status"],
                "deadline": _deadline(p),
                "progress": p["progress"],
                "warning_level": p["warning_level"] or None,
                "closed_on": _iso(p["closed_on"]),
                "reopened_count": p["reopened_count"],
                "measures": measures.get(p["id"], []),
            }
        )
    chapters = [
        {"number": c.number, "title": c.title, "problems": problems.get(c.pk, [])}
        for c in Chapter.objects.filter(plan=plan).order_by("index")
    ]
    r = plan.round
    return {
        "title": plan.title,
        "start_on": _iso(plan.start_on),
        "round": {"name": r.name, "level": r.level, "kind": r.kind} if r else None,
        "chapters": chapters,
    }


def all_shares(doc: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for plan in doc["plans"]:
        for chapter in plan["chapters"]:
            for problem in chapter["problems"]:
                for measure in problem["measures"]:
                    yield from measure["shares"]


def totals(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's counts: plans, problems, measures and the share figures (`tally`)."""
    problems = [p for plan in doc["plans"] for c in plan["chapters"] for p in c["problems"]]
    return {
        "plans": len(doc["plans"]),
        "problems": len(problems),
        "measures": sum(len(p["measures"]) for p in problems),
        **tally(all_shares(doc)),
    }


def exchange_build(*, viewer: Any | None) -> dict[str, Any]:
    """The whole ledger of the city as one exchange document, as of the project clock's now.

    For a city-wide viewer (every plan) or the command line (viewer None). Refused to anyone
    else: a county's part of the ledger is not the city's figures."""
    if viewer is not None and not can_export_exchange(viewer):
        raise Forbidden("只有市整改办和市领导可以导出全市对账数据。")
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    units = {u["id"]: u for u in OrgUnit.objects.values("id", "name", "path", "kind")}
    regions = _regions(units)
    root = OrgUnit.objects.filter(depth=0).order_by("path").first()
    plans = (Plan.objects.all() if viewer is None else plan_ids(viewer=viewer)).select_related("round")
    plans = plans.order_by("start_on", "pk")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _moment(now),
        "as_of": today.isoformat(),
        "city": {"name": root.name if root else "", "doc_abbr": root.doc_abbr if root else ""},
        "plans": [_plan_entry(plan, today, units, regions) for plan in plans],
    }
    doc["totals"] = totals(doc)
    return doc


def exchange_bytes(doc: dict[str, Any]) -> bytes:
    """The file: UTF-8 JSON, Chinese as is, keys in the order written (docs/exchange.md)."""
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def exchange_filename(doc: dict[str, Any]) -> str:
    return f"rectify-ledger-{doc['as_of'].replace('-', '')}.json"


__all__ = [
    "COUNTED",
    "FORMAT",
    "FORMAT_VERSION",
    "can_export_exchange",
    "exchange_build",
    "exchange_bytes",
    "exchange_filename",
    "tally",
    "totals",
]
