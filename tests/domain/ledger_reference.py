"""The ledger export as it was before it streamed (issue 16), kept unchanged as the oracle the
streaming export is compared with (test_ledger_stream): the whole export built as one dict, then
written at once.

The ledger export (json/csv/xlsx) built from a scoped measure queryset.

Everything is computed as of the export's date: progress from the reports submitted by the end of
that day, the warning level and its reasons from the rules on that day (a stored level could be
from another day's scan).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from typing import Any

from django.db.models import QuerySet

from rectify.core.formats import format_percent, format_rate
from rectify.documents.renderers.tabular import render_csv, render_xlsx
from rectify.ingestion.parsers.ledger_xlsx import LEDGER_COLUMNS, ledger_rows
from rectify.plans import rollup
from rectify.plans.models import Assignment, DeadlineKind, ItemStatus, Measure, Problem
from rectify.plans.selectors import with_ledger_relations
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules
from rectify.supervision.services import assessments

DONE_STATUSES = {ItemStatus.COMPLETED, ItemStatus.ONGOING, ItemStatus.CLOSED}
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _deadline(item: Problem | Measure) -> dict[str, Any]:
    return {
        "raw": item.deadline_raw,
        "kind": item.deadline_kind,
        "due": _iso(item.due_on),
        "parts": item.deadline_parts,
    }


def _unit_entries(assignments: list[Assignment]) -> list[dict[str, Any]]:
    out = []
    for a in assignments:
        if a.unit is not None:
            out.append({"name": a.unit.name, "role": a.role, "phrase": a.phrase, "confirmed": True})
        else:
            out.append({"name": a.phrase, "role": a.role, "phrase": a.phrase, "confirmed": False})
    return out


def _reports_by(measures: QuerySet[Measure], as_of: dt.date) -> dict[int, tuple[int, dt.datetime]]:
    """Each assignment's latest counted report submitted by the end of `as_of`."""
    cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=SHANGHAI)
    latest: dict[int, tuple[int, dt.datetime]] = {}
    for assignment_id, percent, submitted_at in (
        ProgressReport.objects.filter(
            measure_id__in=measures.values("pk"), status__in=COUNTED_STATUSES, submitted_at__lte=cutoff
        )
        .order_by("assignment_id", "period_start", "submitted_at")
        .values_list("assignment_id", "percent", "submitted_at")
    ):
        if submitted_at is not None:
            latest[assignment_id] = (percent, submitted_at)
    return latest


def _share_row(m: Measure, a: Assignment, reports: dict[int, tuple[int, dt.datetime]]) -> dict[str, Any]:
    """The share as the warning rules read it, with its progress as of the export's date."""
    return {
        "pk": a.pk,
        "measure_id": m.pk,
        "unit_id": a.unit_id,
        "role": a.role,
        "measure__problem_id": m.problem_id,
        "measure__problem__plan_id": m.problem.plan_id,
        "measure__problem__plan__start_on": m.problem.plan.start_on,
        "measure__deadline_kind": m.deadline_kind,
        "measure__start_on": m.start_on,
        "deadline_parts": m.deadline_parts,
        "due_on": a.due_on if a.due_extended else m.due_on,
        "status": a.status,
        "progress": reports[a.pk][0] if a.pk in reports else None,
        "last_report_at": reports[a.pk][1] if a.pk in reports else None,
        "milestones_reached": a.milestones_reached,
    }


def _warning(a: rules.Assessment) -> dict[str, Any]:
    return {
        "level": str(a.level),
        "label": rules.LEVEL_LABELS[str(a.level)],
        "reasons": [r.message for r in a.reasons],
        "expected": a.expected,
        "due": _iso(a.due),
    }


def _share_entry(a: Assignment, row: dict[str, Any], assessment: rules.Assessment) -> dict[str, Any]:
    assert a.unit is not None
    return {
        "unit": a.unit.name,
        "role": a.role,
        "status": a.status,
        "status_label": a.get_status_display(),
        "progress": row["progress"],
        "warning": _warning(assessment),
        "due": _iso(row["due_on"]),
        "extended": a.due_extended,
        "last_report": _local(row["last_report_at"]),
        "closed_on": _iso(a.closed_on),
        "reopened": a.reopened_count,
    }


def _pending_entry(a: Assignment) -> dict[str, Any]:
    return {"unit": a.phrase, "role": a.role, "status": None, "confirmed": False}


def _local(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="minutes") if value else None


def build_export(measures: QuerySet[Measure], *, as_of: dt.date) -> dict[str, Any]:
    """Each measure with its shares: a share's own status, progress, warning, due date and last
    report; the measure's fields are the roll-ups of its shares (plans.rollup)."""
    reports = _reports_by(measures, as_of)
    measures = with_ledger_relations(measures).select_related("problem__plan", "problem__chapter")
    rows = [_share_row(m, a, reports) for m in measures for a in m.assignments.all() if a.unit_id]
    share_warnings = {row["pk"]: a for row, a in assessments(rows, today=as_of)}
    rows_by_share = {row["pk"]: row for row in rows}
    plans: OrderedDict[int, dict[str, Any]] = OrderedDict()
    problems: dict[int, dict[str, Any]] = {}
    problem_ids: list[int] = []
    for m in measures:
        p = m.problem
        if p.plan_id not in plans:
            plans[p.plan_id] = {"title": p.plan.title, "start_on": _iso(p.plan.start_on), "problems": []}
        if p.pk not in problems:
            entry: dict[str, Any] = {
                "number": p.number,
                "index": p.index,
                "chapter": p.chapter.number,
                "chapter_title": p.chapter.title,
                "text": p.text,
                "goal": p.goal,
                "status": p.status,
                "closed_on": _iso(p.closed_on),
                "reopened": p.reopened_count,
                "deadline": _deadline(p),
                "responsible_person": p.responsible_person or None,
                "acceptance_unit": p.acceptance_unit_name or None,
                "units": [],
                "warning": None,
                "progress": None,
                "completion": None,
                "last_report": None,
                "measures": [],
            }
            problems[p.pk] = entry
            problem_ids.append(p.pk)
            plans[p.plan_id]["problems"].append(entry)
        shares = [a for a in m.assignments.all() if a.unit_id]
        share_entries = [_share_entry(a, rows_by_share[a.pk], share_warnings[a.pk]) for a in shares]
        pending = [_pending_entry(a) for a in m.assignments.all() if not a.unit_id]
        rolled = rollup.counted([(e["role"], e) for e in share_entries])
        last = max((rows_by_share[a.pk]["last_report_at"] for a in shares if a.pk in reports), default=None)
        level = rollup.worst_level(e["warning"]["level"] for _, e in rolled) or str(rules.Level.GREEN)
        worst = next((e for _, e in rolled if e["warning"]["level"] == level), None)
        problems[p.pk]["measures"].append(
            {
                "number": m.number or None,
                "text": m.text,
                "status": m.status,
                "closed_on": _iso(m.closed_on),
                "reopened": m.reopened_count,
                "progress": rollup.mean_progress(
                    [rollup.share_progress(e["progress"], e["status"]) for _, e in rolled]
                ),
                "warning": {
                    "level": level,
                    "label": rules.LEVEL_LABELS[level],
                    "reasons": [f"{e['unit']}：{r}" for _, e in rolled for r in e["warning"]["reasons"]],
                    "shares": {lv: sum(1 for e in share_entries if e["warning"]["level"] == lv) for lv in rules.Level},
                    # 序时进度 and the governing date of the worst counted share (they differ only by extensions).
                    "expected": worst["warning"]["expected"] if worst else None,
                    "due": worst["warning"]["due"] if worst else None,
                },
                "last_report": _local(last),
                "due": _iso(m.due_on),
                "deadline": _deadline(m),
                "milestones": [
                    {"raw": ms.raw, "due": _iso(ms.due_on), "precision": ms.precision} for ms in m.milestones.all()
                ],
                "assignments": share_entries + pending,
            }
        )
    problem_units: dict[int, list[Assignment]] = {}
    for a in (
        Assignment.objects.filter(problem_id__in=problem_ids, measure__isnull=True)
        .select_related("unit")
        .order_by("id")
    ):
        problem_units.setdefault(a.problem_id, []).append(a)
    for pk, entry in problems.items():
        entry["units"] = _unit_entries(problem_units.get(pk, []))
        ms = entry["measures"]
        entry["progress"] = rollup.mean_progress([x["progress"] for x in ms])
        level = str(rules.worst(x["warning"]["level"] for x in ms))
        entry["warning"] = {"level": level, "label": rules.LEVEL_LABELS[level]}
        done = sum(1 for x in ms if x["status"] in DONE_STATUSES or (x["progress"] or 0) >= 100)
        entry["completion"] = {"done": done, "total": len(ms), "text": format_rate(done, len(ms))}
        entry["last_report"] = max((x["last_report"] for x in ms if x["last_report"]), default=None)
    return {"as_of": as_of.isoformat(), "plans": list(plans.values())}


def _as_parse_contract(problem: dict[str, Any]) -> dict[str, Any]:
    """An exported problem in the parse contract's shape, for the office column layout."""
    phrases: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    for u in problem["units"]:
        if u["phrase"] in phrases:
            continue
        phrases.append(u["phrase"])
        (lead if u["role"] == "lead" else support).append(u["phrase"])
    return {
        "number": problem["number"],
        "index": problem["index"],
        "chapter": problem["chapter"],
        "text": problem["text"],
        "goal": problem["goal"],
        "measures": [
            {"number": m["number"], "text": m["text"], "milestones": m["milestones"]} for m in problem["measures"]
        ],
        "responsible_units": phrases,
        "lead_units": lead if support else phrases,
        "support_units": support,
        "responsible_person": problem["responsible_person"],
        "acceptance_unit": problem["acceptance_unit"],
        "deadline": problem["deadline"],
    }


def export_bytes(data: dict[str, Any], fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "xlsx":
        sheets = []
        for n, plan in enumerate(data["plans"], start=1):
            contract = {
                "title": plan["title"],
                "chapters": _chapters(plan),
                "problems": [_as_parse_contract(p) for p in plan["problems"]],
            }
            headers, rows = ledger_rows(contract)
            # Tracking columns after the office layout: a re-import reads the layout and skips these.
            headers = [*headers, *TRACKING_COLUMNS]
            rows = [[*row, *_tracking_cells(p)] for row, p in zip(rows, plan["problems"], strict=True)]
            sheets.append((f"台账{n}" if len(data["plans"]) > 1 else "整改台账", plan["title"], headers, rows))
        if not sheets:
            sheets.append(("整改台账", "", list(LEDGER_COLUMNS), []))
        return render_xlsx(sheets)
    if fmt == "csv":
        headers = [
            "方案",
            "问题编号",
            "问题",
            "措施编号",
            "整改措施",
            "责任单位",
            "责任人",
            "验收单位",
            "整改时限",
            "时限类型",
            "到期日",
            "状态",
            "销号日期",
            "进度",
            "预警",
            "预警原因",
            "最近报送",
            "分单位情况",
        ]
        rows = []
        for plan in data["plans"]:
            for p in plan["problems"]:
                for m in p["measures"]:
                    rows.append(
                        [
                            plan["title"],
                            f"（{p['number']}）",
                            p["text"],
                            m["number"] or "",
                            m["text"],
                            "、".join(a["unit"] for a in m["assignments"]),
                            p["responsible_person"] or "",
                            p["acceptance_unit"] or "",
                            m["deadline"]["raw"],
                            dict(DeadlineKind.choices).get(m["deadline"]["kind"], m["deadline"]["kind"]),
                            m["due"] or "",
                            dict(ItemStatus.choices).get(m["status"], m["status"]),
                            m["closed_on"] or "",
                            format_percent(m["progress"]) if m["progress"] is not None else "",
                            m["warning"]["label"],
                            "；".join(m["warning"]["reasons"]),
                            m["last_report"] or "",
                            "；".join(_share_text(a) for a in m["assignments"]),
                        ]
                    )
        return render_csv(headers, rows)
    raise ValueError(f"不支持的导出格式：{fmt}")


def _share_text(a: dict[str, Any]) -> str:
    """One unit's share in one cell: 朔城区人民政府（牵头）整改中 90% 绿色 2022-06-30."""
    if a.get("status") is None:
        return f"{a['unit']}（待确认）"
    role = "牵头" if a["role"] == "lead" else "配合"
    progress = format_percent(a["progress"]) if a["progress"] is not None else "未报送"
    return f"{a['unit']}（{role}）{a['status_label']} {progress} {a['warning']['label']} {a['due'] or ''}".rstrip()


TRACKING_COLUMNS = ["整改进度", "完成情况", "预警", "预警原因", "最近报送", "销号日期"]


def _tracking_cells(problem: dict[str, Any]) -> list[str]:
    reasons = []
    for m in problem["measures"]:
        label = f"措施{m['number']}" if m["number"] else "措施"
        reasons += [f"{label}：{r}" for r in m["warning"]["reasons"]]
    return [
        format_percent(problem["progress"]) if problem["progress"] is not None else "未报送",
        problem["completion"]["text"],
        problem["warning"]["label"],
        "\n".join(reasons),
        (problem["last_report"] or "")[:16].replace("T", " "),
        problem["closed_on"] or "",
    ]


def _chapters(plan: dict[str, Any]) -> list[dict[str, str]]:
    seen: OrderedDict[str, str] = OrderedDict()
    for p in plan["problems"]:
        seen.setdefault(p["chapter"], p["chapter_title"])
    return [{"number": k, "title": v} for k, v in seen.items()]


__all__ = ["FORMATS", "build_export", "export_bytes"]
