"""The ledger export (json/csv/xlsx) built from a scoped measure queryset.

Fields later capabilities fill (`progress`, `warning`, `last_report`) are null until then.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from typing import Any

from django.db.models import QuerySet

from rectify.ingestion.parsers.ledger_xlsx import LEDGER_COLUMNS, ledger_rows
from rectify.plans.models import Assignment, Measure, Problem
from rectify.plans.selectors import with_ledger_relations

from .renderers.tabular import render_csv, render_xlsx

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


def build_export(measures: QuerySet[Measure], *, as_of: dt.date) -> dict[str, Any]:
    measures = with_ledger_relations(measures).select_related("problem__plan", "problem__chapter")
    plans: OrderedDict[int, dict[str, Any]] = OrderedDict()
    problems: dict[int, dict[str, Any]] = {}
    problem_ids: list[int] = []
    for m in measures:
        p = m.problem
        if p.plan_id not in plans:
            plans[p.plan_id] = {"title": p.plan.title, "start_on": _iso(p.plan.start_on), "problems": []}
        if p.pk not in problems:
            entry = {
                "number": p.number,
                "index": p.index,
                "chapter": p.chapter.number,
                "chapter_title": p.chapter.title,
                "text": p.text,
                "goal": p.goal,
                "status": p.status,
                "deadline": _deadline(p),
                "responsible_person": p.responsible_person or None,
                "acceptance_unit": p.acceptance_unit_name or None,
                "units": [],
                "warning": None,
                "progress": None,
                "measures": [],
            }
            problems[p.pk] = entry
            problem_ids.append(p.pk)
            plans[p.plan_id]["problems"].append(entry)
        problems[p.pk]["measures"].append(
            {
                "number": m.number or None,
                "text": m.text,
                "status": m.status,
                "progress": None,
                "warning": None,
                "due": _iso(m.due_on),
                "deadline": _deadline(m),
                "milestones": [
                    {"raw": ms.raw, "due": _iso(ms.due_on), "precision": ms.precision} for ms in m.milestones.all()
                ],
                "assignments": [
                    {"unit": a.unit.name if a.unit else a.phrase, "role": a.role, "status": None, "last_report": None}
                    for a in m.assignments.all()
                ],
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
                            m["deadline"]["kind"],
                            m["due"] or "",
                            m["status"],
                        ]
                    )
        return render_csv(headers, rows)
    raise ValueError(f"不支持的导出格式：{fmt}")


def _chapters(plan: dict[str, Any]) -> list[dict[str, str]]:
    seen: OrderedDict[str, str] = OrderedDict()
    for p in plan["problems"]:
        seen.setdefault(p["chapter"], p["chapter_title"])
    return [{"number": k, "title": v} for k, v in seen.items()]


__all__ = ["FORMATS", "build_export", "export_bytes"]
