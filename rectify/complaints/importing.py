"""Importing a batch of 交办件: parse the file (parsers.py), show what committing will do
(new or updating, region → lead unit, suspected repeats), then commit in one transaction — a
re-imported batch updates its cases by 受理编号; the team's penalty counts are read from its words."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import transition
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem

from . import policies
from .models import (
    CaseImport,
    CaseStatus,
    Complainant,
    ComplaintBatch,
    ComplaintCase,
    Verdict,
)
from .parsers import BatchError, parse_batch
from .services import default_lead, find_repeat, place_of, problem_counts, region_units, resolve_region


def _row_dict(row: Any) -> dict[str, Any]:
    d = dataclasses.asdict(row)
    d["assigned_on"] = row.assigned_on.isoformat() if row.assigned_on else None
    d["types"] = list(row.types)
    return d


@transaction.atomic
def case_import_prepare(
    *, actor: Any, data: bytes, filename: str, source: str = "", batch_no: int | None = None
) -> CaseImport:
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以导入交办件。")
    try:
        parsed = parse_batch(data, filename)
    except BatchError as exc:
        raise DomainError(exc.message) from exc
    number = batch_no or parsed.batch_no
    if not parsed.rows:
        raise DomainError("文件中没有可导入的交办件。")
    job = CaseImport.objects.create(
        filename=filename[:255],
        source=(source or "中央生态环境保护督察组")[:120],
        batch_no=number,
        title=parsed.title[:200],
        rows=[_row_dict(r) for r in parsed.rows],
        warnings=[[line, message] for line, message in parsed.warnings],
        headers=parsed.headers,
        created_by=actor,
    )
    record(actor=actor, action="complaints.parsed", obj=job, after={"rows": len(parsed.rows), "batch": number})
    return job


@dataclasses.dataclass
class ReviewRow:
    row: dict[str, Any]
    region: OrgUnit | None
    lead: OrgUnit | None
    existing: ComplaintCase | None
    repeat_of: ComplaintCase | None


def import_review(job: CaseImport) -> list[ReviewRow]:
    """What committing will do, row by row: new or updating, the region and lead unit it maps
    to, and an earlier case it repeats (same place or party)."""
    regions = region_units()
    codes = [r["code"] for r in job.rows if r["code"]]
    existing = {c.code: c for c in ComplaintCase.objects.filter(code__in=codes)}
    out = []
    earlier: dict[str, ComplaintCase] = {}  # places met higher up in the same file
    leads: dict[int, OrgUnit | None] = {}  # region → its government, looked up once per region
    for r in job.rows:
        region = resolve_region(r["region"], regions)
        if region is not None and region.pk not in leads:
            leads[region.pk] = default_lead(region)
        place = place_of(r["content"])
        repeat = None
        if r["code"] not in existing:
            repeat = earlier.get(place) or find_repeat(r["content"], exclude_code=r["code"])
        if len(place) >= 6 and place not in earlier:
            earlier[place] = ComplaintCase(code=r["code"], place=place)
        out.append(
            ReviewRow(
                row=r,
                region=region,
                lead=leads[region.pk] if region is not None else None,
                existing=existing.get(r["code"]),
                repeat_of=repeat,
            )
        )
    return out


_PENALTIES = [
    ("ordered", re.compile(r"责令(?:限期)?整改(\d+)(?:家|户|个)")),
    ("filed", re.compile(r"立案(?:处罚|查处)?(\d+)起")),
    ("fine", re.compile(r"罚款(?:共计|合计)?(\d+(?:\.\d+)?)万元")),
    ("detained", re.compile(r"(?:行政|刑事)?拘留(\d+)人")),
    ("interviewed", re.compile(r"约谈(\d+)人")),
    ("held_accountable", re.compile(r"问责(\d+)人")),
]


def penalties_from_text(*texts: str) -> dict[str, Any]:
    """The counts the team's 问责情况/处理情况 columns write in words (约谈2人、立案处罚1起罚款5万元),
    summed, so a batch's statistics are right from the import on."""
    out: dict[str, Any] = {"fine": Decimal(0)}
    for name, pattern in _PENALTIES:
        for text in texts:
            for value in pattern.findall(text or ""):
                if name == "fine":
                    out["fine"] += Decimal(value)
                else:
                    out[name] = out.get(name, 0) + int(value)
    return out


def _verdict(value: str) -> str:
    return value if value in Verdict.values else ""


def _status(value: str) -> str:
    return value if value in CaseStatus.values else CaseStatus.OPEN


@transaction.atomic
def case_import_commit(*, actor: Any, job: CaseImport, problem: Problem | None = None) -> ComplaintBatch:
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以导入交办件。")
    if job.batch_no is None:
        raise DomainError("未能识别批次，请在确认页填写“第几批”。")
    transition(job, table=CaseImport.TRANSITIONS, target="committed", message="该导入已被处理（已导入或已放弃）。")
    batch, _ = ComplaintBatch.objects.get_or_create(
        source=job.source,
        batch_no=job.batch_no,
        defaults={"title": job.title, "received_on": clock.today(), "problem": problem, "created_by": actor},
    )
    if problem is not None and batch.problem_id != problem.pk:
        ComplaintBatch.objects.filter(pk=batch.pk).update(problem=problem)
        batch.refresh_from_db()
    new = updated = 0
    for review in import_review(job):
        r = review.row
        if not r["code"]:
            continue
        assigned = dt.date.fromisoformat(r["assigned_on"]) if r["assigned_on"] else batch.received_on
        values = {
            "batch": batch,
            "seq": r["seq"][:20],
            "assigned_on": assigned,
            "region": review.region,
            "region_text": r["region"][:60],
            "types": r["types"],
            "content": r["content"],
            "place": place_of(r["content"]),
            "investigation": r["investigation"],
            "verdict": _verdict(r["verdict"]),
            "handling": r["handling"],
            "accountability": r["accountability"],
            "status": _status(r["status"]),
            **penalties_from_text(r["accountability"], r["handling"]),
        }
        case = review.existing
        if case is None:
            due = (assigned or clock.today()) + dt.timedelta(days=batch.reply_days)
            case = ComplaintCase.objects.create(
                code=r["code"],
                lead_unit=review.lead,
                due_on=due,
                problem=batch.problem,
                # Looked up now: an earlier case of the same file has just been created.
                repeat_of=find_repeat(r["content"], exclude_code=r["code"]) if review.repeat_of else None,
                closed_on=clock.today() if values["status"] == CaseStatus.CLOSED else None,
                **values,
            )
            new += 1
        else:
            # A re-imported batch updates the team's columns; the unit's own entries stay.
            keep = {k: v for k, v in values.items() if v not in ("", [], None) or k in ("types",)}
            ComplaintCase.objects.filter(pk=case.pk).update(**keep, updated_at=clock.now())
            updated += 1
        personal = {k: str(v)[:200] for k, v in (r.get("personal") or {}).items() if v}
        if personal:
            Complainant.objects.update_or_create(case=case, defaults=personal)
    problem_counts([batch.problem_id])
    summary = {"new": new, "updated": updated, "batch": batch.pk}
    CaseImport.objects.filter(pk=job.pk).update(batch=batch, summary=summary)
    record(
        actor=actor,
        action="complaints.imported",
        obj=batch,
        after={"file": job.filename, **summary},
        note=f"新增 {new} 件，更新 {updated} 件",
    )
    return batch


@transaction.atomic
def case_import_discard(*, actor: Any, job: CaseImport) -> None:
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以导入交办件。")
    transition(job, table=CaseImport.TRANSITIONS, target="discarded", message="该导入已被处理（已导入或已放弃）。")
    record(actor=actor, action="complaints.discarded", obj=job)
