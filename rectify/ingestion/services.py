"""Parse → review → commit of a plan. Nothing reaches the ledger before plan_commit()."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.dbstats import analyze_database
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import transition, versioned_update
from rectify.orgs.models import OrgUnit, UnitGroup
from rectify.orgs.selectors import UnitIndex
from rectify.plans import deadlines, writer
from rectify.plans.models import Assignment, Chapter, Plan
from rectify.plans.policies import can_import_plan
from rectify.plans.services import deadline_values

from .models import ImportJob
from .parsers import PlanReadError, parse_plan, parse_plan_bytes, plan_to_dict, read_plan_bytes
from .parsers.model import DEADLINE_FLAGS, DOUBT_FIELD_LABELS, STATUS_LABELS, deadline_from_dict
from .parsers.readers import IMAGE_SUFFIXES

SUPPORTED_SUFFIXES = {".txt", ".docx", ".doc", ".wps", ".pdf", ".html", ".htm", ".xlsx"} | set(IMAGE_SUFFIXES)
UNSUPPORTED_MESSAGE = (
    "不支持的文件格式：请上传 .docx、.doc、.wps、.pdf、.txt、.html、.xlsx 文件或扫描图片（.png、.jpg、.tif）。"
)
_FEEDBACK = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日[^。]{0,12}?反馈")


def too_large_message(size: int) -> str | None:
    """The refusal for a file over the upload limit, or None when it fits."""
    limit = settings.RECTIFY_MAX_UPLOAD_BYTES
    if size <= limit:
        return None
    return f"文件过大（{size / 1024 / 1024:.1f} MB），上限为 {limit // 1024 // 1024} MB，请压缩或拆分后再上传。"


def known_unit_names() -> set[str]:
    """Every name the unit directory knows (names, aliases, group phrases): the parser splits
    names a plan wrote together without a separator only where both are known."""
    names: set[str] = set()
    for name, aliases in OrgUnit.objects.filter(is_active=True).values_list("name", "aliases"):
        names.add(name)
        names.update(aliases or [])
    names.update(UnitGroup.objects.values_list("phrase", flat=True))
    return names


def _parsed(parse: Any) -> dict[str, Any]:
    """Run a parse; bad input → DomainError (Chinese); a file without problems is refused."""
    try:
        parsed = parse()
    except PlanReadError as exc:
        raise DomainError(getattr(exc, "message", None) or str(exc)) from exc
    except ValueError as exc:  # ParseError and friends carry a Chinese message
        raise DomainError(str(exc)) from exc
    result = plan_to_dict(parsed)
    if not result.get("problems"):
        raise DomainError("未在文件中找到整改问题清单（如“（一）……整改目标……整改时限”），请确认上传的是整改方案。")
    return result


def check_upload(data: bytes, filename: str) -> None:
    refusal = too_large_message(len(data))
    if refusal:
        raise DomainError(refusal)
    if PurePath(filename).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DomainError(UNSUPPORTED_MESSAGE)


def parse_upload(data: bytes, filename: str) -> dict[str, Any]:
    """Bytes of an uploaded file → the parse contract's dict. Bad input → DomainError (Chinese)."""
    check_upload(data, filename)
    return _parsed(lambda: parse_plan_bytes(data, filename, known_units=known_unit_names()))


def parse_text(text: str) -> dict[str, Any]:
    """A plan's text read in the background (converted or OCR'd) → the parse contract's dict."""
    return _parsed(lambda: parse_plan(text, known_units=known_unit_names()))


def fingerprint(parsed: dict[str, Any]) -> str:
    content = {"title": parsed.get("title"), "problems": parsed.get("problems")}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def guess_start_on(text_hint: str | None) -> dt.date:
    """The plan's start for 序时进度: the feedback date the plan names, else today."""
    if text_hint:
        m = _FEEDBACK.search(text_hint)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
    return clock.today()


# --- review -------------------------------------------------------------------------------


@dataclass
class UnitReview:
    phrase: str
    role: str
    units: list[OrgUnit]
    exact: bool
    group: bool
    overridden: bool = False

    @property
    def status(self) -> str:
        if self.units and self.exact:
            return "展开" if self.group else "已匹配"
        if self.units:
            return "待确认（候选）"
        return "未知单位"


@dataclass
class ProblemReview:
    index: int
    number: str
    chapter: str
    text: str
    deadline: deadlines.Deadline
    deadline_overridden: bool
    units: list[UnitReview]
    acceptance_phrase: str
    acceptance_unit: OrgUnit | None
    measure_count: int
    milestone_count: int
    number_raw: str | None = None
    # what the parser inferred rather than read from a label: {"field", "label", "reason"}
    doubts: list[dict[str, str]] = field(default_factory=list)
    deadline_flags: list[str] = field(default_factory=list)  # DEADLINE_FLAGS labels
    status_label: str | None = None
    completed_on: str | None = None
    progress_text: str = ""
    # the fields a reviewer checks against the scan when the plan was read by OCR
    goal: str = ""
    responsible_person: str = ""
    measures: list[dict[str, Any]] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # the scan's pages this problem was read from

    def doubted(self, *names: str) -> list[dict[str, str]]:
        return [d for d in self.doubts if d["field"] in names]

    @property
    def problem_doubts(self) -> list[dict[str, str]]:
        return self.doubted("number", "text", "goal")

    @property
    def unit_doubts(self) -> list[dict[str, str]]:
        return self.doubted("responsible_units", "responsible_person", "responsible_leader")

    @property
    def acceptance_doubts(self) -> list[dict[str, str]]:
        return self.doubted("acceptance_unit", "acceptance_support_units")

    @property
    def deadline_doubts(self) -> list[dict[str, str]]:
        return self.doubted("deadline")

    @property
    def measure_doubts(self) -> list[dict[str, str]]:
        return self.doubted("measures", "milestones")

    @property
    def progress_doubts(self) -> list[dict[str, str]]:
        return self.doubted("status", "progress_text", "completed_on")


@dataclass
class Review:
    title: str
    counts: dict[str, int]
    problems: list[ProblemReview]
    unknown_phrases: list[str]
    pending_phrases: list[str]
    warnings: list[dict[str, Any]]
    duplicate_of: Plan | None = None
    unit_choices: list[OrgUnit] = field(default_factory=list)
    plan_year: int | None = None
    plan_year_source: str | None = None


def _doubts(problem: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"field": d["field"], "label": DOUBT_FIELD_LABELS.get(d["field"], d["field"]), "reason": d["reason"]}
        for d in problem.get("doubts") or []
    ]


def _roles(problem: dict[str, Any]) -> list[tuple[str, str]]:
    lead = problem.get("lead_units") or []
    support = problem.get("support_units") or []
    if not lead and not support:
        lead = problem.get("responsible_units") or []
    pairs = [(name, Assignment.RoleKind.LEAD.value) for name in lead]
    pairs += [(name, Assignment.RoleKind.SUPPORT.value) for name in support if name not in lead]
    return pairs


def _page_span(span: list[int] | None) -> list[int]:
    if not span:
        return []
    first, last = span[0], span[-1]
    return list(range(first, min(last, first + 4) + 1))  # a problem's pages; five at most


def build_review(
    parsed: dict[str, Any], overrides: dict[str, Any] | None = None, ocr: dict[str, Any] | None = None
) -> Review:
    """What committing would create: units resolved, groups fanned out, anything ambiguous listed.
    `ocr`: a scanned plan's pages per problem (ImportJob.ocr), shown beside its fields."""
    overrides = overrides or {}
    ocr_spans: dict[str, list[int]] = (ocr or {}).get("problems", {})
    unit_overrides: dict[str, list[int]] = overrides.get("units", {})
    deadline_overrides: dict[str, str] = overrides.get("deadlines", {})
    index = UnitIndex()
    by_id = {u.pk: u for u in OrgUnit.objects.filter(pk__in={i for ids in unit_overrides.values() for i in ids})}
    problems: list[ProblemReview] = []
    unknown: list[str] = []
    pending: list[str] = []
    assignments = 0
    measures = numbered = milestones = doubts = 0
    for p in parsed["problems"]:
        units: list[UnitReview] = []
        for phrase, role in _roles(p):
            if phrase in unit_overrides:
                chosen = [by_id[i] for i in unit_overrides[phrase] if i in by_id]
                units.append(
                    UnitReview(phrase, role, chosen, exact=bool(chosen), group=len(chosen) > 1, overridden=True)
                )
            else:
                res = index.resolve(phrase)
                units.append(UnitReview(phrase, role, res.units, res.exact, res.group))
            u = units[-1]
            if not u.units and phrase not in unknown:
                unknown.append(phrase)
            elif not u.exact and phrase not in pending:
                pending.append(phrase)
            assignments += len(u.units) if u.exact else 1
        raw = deadline_overrides.get(str(p["index"]))
        # the parser's own reading unless corrected: it may know more than the raw words say
        # (a malformed date left unread, 年内 dated by the plan's year)
        deadline = deadlines.parse_deadline(raw) if raw is not None else deadline_from_dict(p["deadline"])
        acceptance_phrase = p.get("acceptance_unit") or ""
        acceptance = index.resolve(acceptance_phrase).units if acceptance_phrase else []
        m_count = len(p["measures"])
        ms_count = sum(len(m.get("milestones", [])) for m in p["measures"])
        measures += m_count
        numbered += sum(1 for m in p["measures"] if m.get("number"))
        milestones += ms_count
        problems.append(
            ProblemReview(
                index=p["index"],
                number=p["number"],
                chapter=p.get("chapter", ""),
                text=p["text"],
                deadline=deadline,
                deadline_overridden=raw is not None,
                units=units,
                acceptance_phrase=acceptance_phrase,
                acceptance_unit=acceptance[0] if len(acceptance) == 1 else None,
                measure_count=m_count,
                milestone_count=ms_count,
                number_raw=p.get("number_raw"),
                doubts=_doubts(p),
                deadline_flags=[DEADLINE_FLAGS.get(f, f) for f in p["deadline"].get("flags") or []],
                status_label=STATUS_LABELS.get(p.get("status") or ""),
                completed_on=p.get("completed_on"),
                progress_text=p.get("progress_text") or "",
                goal=p.get("goal") or "",
                responsible_person=p.get("responsible_person") or "",
                measures=[{"number": m.get("number"), "text": m.get("text", "")} for m in p["measures"]],
                ocr_pages=_page_span(ocr_spans.get(str(p["index"]))),
            )
        )
        doubts += len(problems[-1].doubts)
    fp = fingerprint(parsed)
    counts = {
        "chapters": len(parsed.get("chapters", [])),
        "problems": len(problems),
        "measures": measures,
        "numbered_measures": numbered,
        "unnumbered_measures": measures - numbered,
        "milestones": milestones,
        "assignments": assignments,
        "unknown_units": len(unknown),
        "pending_units": len(pending),
        "warnings": len(parsed.get("warnings", [])),
        "doubts": doubts,
        "doubtful_problems": sum(1 for r in problems if r.doubts),
    }
    return Review(
        title=parsed.get("title", ""),
        counts=counts,
        problems=problems,
        unknown_phrases=unknown,
        pending_phrases=pending,
        warnings=parsed.get("warnings", []),
        duplicate_of=Plan.objects.filter(fingerprint=fp).first(),
        plan_year=parsed.get("plan_year"),
        plan_year_source=parsed.get("plan_year_source"),
    )


# --- web flow: an ImportJob holds the parse between upload and commit -------------------------


@transaction.atomic
def import_prepare(*, actor: Any, data: bytes, filename: str) -> ImportJob:
    if not can_import_plan(actor):
        raise Forbidden("只有整改办可以导入整改方案。")
    parsed = parse_upload(data, filename)
    job = ImportJob(
        created_by=actor,
        filename=PurePath(filename).name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        source_format=PurePath(filename).suffix.lower().lstrip("."),
    )
    job_parsed(job, parsed, text_hint(data, filename))
    job.save()
    record(
        actor=actor,
        action="import.parsed",
        obj=job,
        after={"filename": job.filename, "problems": len(parsed["problems"])},
    )
    return job


def job_parsed(job: ImportJob, parsed: dict[str, Any], hint: str | None) -> None:
    """Fill in what a parse gives a job (not saved): the result, its fingerprint, a duplicate."""
    fp = fingerprint(parsed)
    job.parsed = parsed
    job.start_on = guess_start_on(hint)
    job.fingerprint = fp
    job.duplicate_of = Plan.objects.filter(fingerprint=fp).first()


def text_hint(data: bytes, filename: str) -> str | None:
    """The start of the plan's text, for dates the parse contract does not carry (its feedback date)."""
    if PurePath(filename).suffix.lower() == ".xlsx":
        return None
    try:
        return read_plan_bytes(data, filename)[:5000]
    except (PlanReadError, ValueError):
        return None


@transaction.atomic
def import_update_review(
    *,
    actor: Any,
    job: ImportJob,
    unit_overrides: dict[str, list[int]],
    deadline_overrides: dict[str, str],
    start_on: dt.date | None,
    version: int,
) -> ImportJob:
    if not can_import_plan(actor):
        raise Forbidden("只有整改办可以导入整改方案。")
    for index, raw in deadline_overrides.items():
        if deadlines.parse_deadline(raw).kind == deadlines.DeadlineKind.UNKNOWN:
            raise DomainError(f"第{index}个问题的整改时限“{raw}”无法识别。")
    overrides = dict(job.overrides)
    overrides.setdefault("units", {}).update({k: v for k, v in unit_overrides.items()})
    overrides.setdefault("deadlines", {}).update(deadline_overrides)
    versioned_update(
        job,
        version=version,
        values={"overrides": overrides, "start_on": start_on or job.start_on},
        message="该导入任务已被他人修改或已导入，请刷新页面。",
        status=ImportJob.Status.REVIEWING,
    )
    record(actor=actor, action="import.reviewed", obj=job, after=overrides)
    return job


def _move_job(job: ImportJob, target: str) -> None:
    """Of two requests racing (a double click, two tabs) exactly one moves the job."""
    transition(
        job, table=ImportJob.TRANSITIONS, target=target, message="该导入任务已被处理（已导入或已放弃），请勿重复提交。"
    )


@transaction.atomic
def import_commit(*, actor: Any, job: ImportJob) -> Plan:
    if not can_import_plan(actor):
        raise Forbidden("只有整改办可以导入整改方案。")
    _move_job(job, ImportJob.Status.COMMITTED)
    plan = plan_commit(
        actor=actor,
        parsed=job.parsed,
        overrides=job.overrides,
        start_on=job.start_on,
        source_name=job.filename,
        source_sha256=job.sha256,
    )
    ImportJob.objects.filter(pk=job.pk).update(plan=plan)
    job.refresh_from_db()
    return plan


@transaction.atomic
def import_discard(*, actor: Any, job: ImportJob) -> None:
    _move_job(job, ImportJob.Status.DISCARDED)
    record(actor=actor, action="import.discarded", obj=job)


@transaction.atomic
def plan_commit(
    *,
    actor: Any,
    parsed: dict[str, Any],
    overrides: dict[str, Any] | None,
    start_on: dt.date,
    source_name: str,
    source_sha256: str = "",
    progress: Any = None,
) -> Plan:
    """Write a reviewed plan to the ledger in one transaction, with its audit trail."""
    review = build_review(parsed, overrides)
    if review.duplicate_of is not None:
        raise DomainError(f"该方案已导入（“{review.duplicate_of.title}”），不会重复创建。")
    plan = Plan.objects.create(
        title=parsed.get("title") or source_name,
        start_on=start_on,
        source_name=source_name,
        source_sha256=source_sha256,
        fingerprint=fingerprint(parsed),
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    chapters: dict[str, Chapter] = {}
    for i, c in enumerate(parsed.get("chapters", []), start=1):
        chapters[c["number"]] = Chapter.objects.create(plan=plan, number=c["number"], index=i, title=c["title"])
    reviews = {r.index: r for r in review.problems}
    total = len(parsed["problems"])
    for n, p in enumerate(parsed["problems"], start=1):
        r = reviews[p["index"]]
        chapter = chapters.get(p.get("chapter", ""))
        if chapter is None:
            chapter = chapters.setdefault(
                "", Chapter.objects.create(plan=plan, number="", index=len(chapters) + 1, title="（未分章）")
            )
        values = deadline_values(r.deadline, plan_start=start_on)
        problem = writer.problem_row(
            plan=plan,
            chapter=chapter,
            number=p["number"],
            index=p["index"],
            text=p["text"],
            goal=p.get("goal") or "",
            responsible_person=p.get("responsible_person") or "",
            acceptance_unit_name=r.acceptance_phrase,
            acceptance_unit=r.acceptance_unit,
            deadline=values,
        )
        measures = writer.problem_write(
            problem,
            [
                writer.MeasureRow(
                    number=m.get("number") or "",
                    text=m["text"],
                    deadline=values,
                    milestones=[
                        writer.MilestoneRow(k, ms["raw"], dt.date.fromisoformat(ms["due"]), ms["precision"])
                        for k, ms in enumerate(m.get("milestones", []), start=1)
                        if ms.get("due")
                    ],
                )
                for m in p["measures"]
            ],
            [writer.UnitPhrase(u.phrase, u.role, u.units, resolved=bool(u.units and u.exact)) for u in r.units],
        )
        record(
            actor=actor,
            action="problem.imported",
            obj=problem,
            parent=plan,
            after={"measures": len(measures), "deadline": values["deadline_raw"], "units": [u.phrase for u in r.units]},
        )
        if progress is not None:
            progress(n, total, problem)
    record(actor=actor, action="plan.imported", obj=plan, after=review.counts, note=source_name)
    # A bulk of new rows: refresh the planner's statistics once the import is visible (the first
    # ledger page after an import otherwise plans with none; docs/benchmarks.md).
    transaction.on_commit(analyze_database, robust=True)
    return plan
