"""The parts of a 一案一档 dossier (dossier.py assembles them): the problem's documents, one item
per progress-report folder, supervision notice, on-site visit and close-out application, the
close-out record and the audit trail — each read with the viewer's scope when there is one."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from rectify.audit.models import AuditEvent
from rectify.audit.selectors import audit_timeline
from rectify.audit.services import object_key
from rectify.closeout import selectors as closeout_selectors
from rectify.closeout.models import CloseoutApplication, CloseoutStatus, Decision
from rectify.core import clock
from rectify.core.formats import format_percent
from rectify.plans.disclosure import disclose
from rectify.plans.models import Assignment, Measure, Problem
from rectify.progress import selectors as progress_selectors
from rectify.progress.models import ProgressReport, ReportKind, ReportStatus
from rectify.supervision import selectors as supervision_selectors
from rectify.supervision.models import NoticeStatus, SiteVisit, SupervisionNotice

from .notice_docs import notice_document, notice_filename
from .renderers import fonts, official
from .renderers.docx_writer import to_docx
from .renderers.gbt9704 import BODY_PT, ERHAO, Blank, Block, Grid, Meta, Para, Span, para
from .renderers.tabular import render_csv

AUTHOR = "督察整改调度平台"
MISSING = "文件缺失"
INDEX_HEADERS = ["编号", "材料", "文件", "日期", "备注"]
# The index may run to thousands of rows: fixed column widths spare WeasyPrint measuring each cell.
INDEX_CSS = "table { table-layout: fixed; }" + "".join(
    f" th:nth-child({n}) {{ width: {w}%; }}" for n, w in enumerate([10, 19, 46, 17, 8], start=1)
)
TRAIL_HEADERS = ["时间", "操作人", "动作", "对象", "说明", "变更前", "变更后"]
# Already compressed: stored as they are rather than deflated again.
STORED_SUFFIXES = (".zip", ".docx", ".xlsx", ".pptx", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".mp4")
# Same-day items keep this order: what the units reported, what the office did, the close-out.
RANK_REPORT, RANK_NOTICE, RANK_VISIT, RANK_APPLICATION = range(4)


# --- the parts of a dossier ------------------------------------------------------------------


@dataclass
class DossierFile:
    """One file of the dossier: generated (`content`) or taken from storage (`storage_name`)."""

    title: str  # what it is, for the index: 进展报告, 佐证材料, …
    name: str  # its name inside its folder
    day: dt.date | None
    content: bytes | None = None
    storage_name: str = ""
    missing: bool = False


@dataclass
class DossierItem:
    """One numbered folder: a report period of a unit, a notice, a visit, an application."""

    day: dt.date
    rank: int
    pk: int
    label: str  # the folder name after its number, e.g. 进展报告_2022-10-03_朔城区政府
    files: list[DossierFile] = field(default_factory=list)


@dataclass(frozen=True)
class Placed:
    number: str  # "10", or "10-2" for the second file of folder 10
    path: str
    file: DossierFile

    @property
    def index_row(self) -> list[str]:
        day = f"{self.file.day:%Y-%m-%d}" if self.file.day else ""
        return [self.number, self.file.title, self.path, day, MISSING if self.file.missing else ""]


# --- small helpers ----------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(clock.SHANGHAI).date() if moment else None


def _stamp(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _safe(name: str) -> str:
    """A file or folder name that stays one path segment."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in name).strip(" .")
    return cleaned[:120] or "未命名"


def _unique(name: str, used: set[str]) -> str:
    name = _safe(name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{stem}（{n}）{dot}{ext}"
        n += 1
    used.add(candidate)
    return candidate


def _deadline(item: Problem | Measure) -> str:
    raw = item.deadline_raw or item.deadline_kind_label
    if item.due_on and f"{item.due_on:%Y-%m-%d}" not in raw:
        return f"{raw}（{item.due_on:%Y-%m-%d}）"
    return raw or "—"


def _unit_names(assignments: Iterable[Assignment], *, with_progress: bool = False) -> str:
    """牵头：A、B；配合：C — in the plan's order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for a in assignments:
        name = a.unit.name if a.unit is not None else f"{a.phrase}（待确认）"
        if with_progress and a.progress is not None:
            name += f"（进度{a.progress}%）"
        groups[a.get_role_display()].append(name)
    return "；".join(f"{role}：{'、'.join(names)}" for role, names in groups.items()) or "—"


# --- documents --------------------------------------------------------------------------------


def _title(text: str) -> list[Block]:
    return [para(text, fonts.XIAOBIAOSONG, ERHAO, align="center", line_pt=35, role="title"), Blank()]


def _heading(text: str) -> Para:
    return para(text, fonts.HEITI, keep_with_next=True, role="h1")


def _field(label: str, value: str | None) -> list[Block]:
    """标签：值 — a long or multi-line value continues as indented paragraphs."""
    lines = [line.strip() for line in (value or "—").split("\n") if line.strip()] or ["—"]
    out: list[Block] = [
        Para(
            spans=(Span(f"{label}：", fonts.HEITI, BODY_PT), Span(lines[0], fonts.FANGSONG, BODY_PT)),
            align="left",
            role="field",
        )
    ]
    out.extend(para(line, first_chars=2, role="body") for line in lines[1:])
    return out


def _render(title: str, body: Sequence[Block], *, day: dt.date, subject: str) -> bytes:
    return to_docx([*_title(title), *body], Meta(title=title, author=AUTHOR, date=day, subject=subject))


def _problem_fields(problem: Problem) -> list[Block]:
    assignments = problem.assignments.filter(measure__isnull=True).select_related("unit").order_by("role", "id")
    acceptance = problem.acceptance_unit.name if problem.acceptance_unit else problem.acceptance_unit_name
    return [
        *_field("所属方案", problem.plan.title),
        *_field("问题编号", f"（{problem.number}）"),
        *_field("问题", problem.text),
        *_field("整改目标", problem.goal),
        *_field("责任单位", _unit_names(assignments)),
        *_field("责任人", problem.responsible_person),
        *_field("验收单位", acceptance),
        *_field("整改时限", _deadline(problem)),
        *_field("整改状态", problem.get_status_display()),
        *_field("销号日期", f"{problem.closed_on:%Y-%m-%d}" if problem.closed_on else "未销号"),
    ]


def _problem_doc(problem: Problem, measures: Sequence[Measure], today: dt.date) -> bytes:
    body: list[Block] = [*_field("所属章节", str(problem.chapter)), *_problem_fields(problem)]
    for m in measures:
        body += [Blank(), _heading(f"{m.label}：{m.text}")]
        milestones = [
            f"{ms.raw}（{ms.due_on:%Y-%m-%d}）" + (f"，{ms.reached_on:%Y-%m-%d}完成" if ms.reached_on else "")
            for ms in m.milestones.all()
        ]
        body += _field("整改时限", _deadline(m))
        if milestones:
            body += _field("阶段性节点", "；".join(milestones))
        body += _field("责任单位", _unit_names(m.assignments.all(), with_progress=True))
        body += _field("整改进度", format_percent(m.progress))
        body += _field("状态", m.get_status_display() + (f"（{m.closed_on:%Y-%m-%d}销号）" if m.closed_on else ""))
    if not measures:
        body += [Blank(), para("该问题未列整改措施。", first_chars=2)]
    return _render(f"问题（{problem.number}）及整改措施", body, day=today, subject="一案一档")


# --- progress reports: one folder per unit and period -------------------------------------------


def _reports(problem: Problem, viewer: Any) -> list[ProgressReport]:
    qs = ProgressReport.objects.filter(measure__problem=problem).exclude(status=ReportStatus.DRAFT)
    if viewer is not None:
        qs = qs.filter(pk__in=progress_selectors.report_list(viewer=viewer).values("pk"))
    qs = qs.select_related("unit", "measure", "submitted_by", "reviewed_by", "created_by")
    return list(qs.prefetch_related("evidence").order_by("period_start", "unit__path", "measure__seq", "pk"))


def _text(title: str, fields: Sequence[tuple[str, str]]) -> bytes:
    """A plain-text record: UTF-8 with a BOM and CRLF, so Notepad on any Windows reads it. A
    field named "" is a heading."""
    lines = [title, ""]
    for label, value in fields:
        if not label:
            lines += ["", f"【{value}】"]
            continue
        first, *rest = [line.strip() for line in value.split("\n") if line.strip()] or ["—"]
        lines.append(f"{label}：{first}")
        lines += [f"    {line}" for line in rest]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _report_fields(r: ProgressReport, milestone_names: dict[int, str]) -> list[tuple[str, str]]:
    fields = [
        ("", f"{r.measure.label}：{r.measure.text}"),
        ("状态", r.get_status_display()),
        ("完成进度", f"{r.percent}%"),
        (r.progress_label, r.progress_text),
    ]
    if r.kind == ReportKind.WEEKLY:
        fields.append(("下周工作计划", r.next_plan))
    if r.issues:
        fields.append(("存在问题", r.issues))
    reached = [milestone_names.get(i) or str(i) for i in r.milestones_reached]
    if reached:
        fields.append(("已完成节点", "、".join(reached)))
    fields.append(("填报", f"{_person(r.submitted_by or r.created_by)} {_stamp(r.submitted_at)}".strip()))
    if r.status == ReportStatus.ACCEPTED:
        fields.append(("审核", f"{_person(r.reviewed_by)} {_stamp(r.reviewed_at)} 采纳".strip()))
    elif r.status == ReportStatus.RETURNED:
        fields.append(("审核", f"{_person(r.reviewed_by)} {_stamp(r.reviewed_at)} 退回：{r.return_reason}"))
    else:
        fields.append(("审核", "待审核"))
    return fields


def _report_items(problem: Problem, viewer: Any) -> list[DossierItem]:
    """One folder per unit and period: a text summary (there may be hundreds: plain text keeps
    the dossier quick to make and small) and the evidence of the unit's reports."""
    groups: dict[tuple[int, str, dt.date], list[ProgressReport]] = defaultdict(list)
    for r in _reports(problem, viewer):
        groups[(r.unit_id, r.kind, r.period_start)].append(r)
    milestone_names = {
        pk: raw for pk, raw in problem.measures.values_list("milestones__pk", "milestones__raw") if pk is not None
    }
    items = []
    for reports in groups.values():
        first = reports[0]
        submitted = [_local(r.first_submitted_at or r.submitted_at) for r in reports]
        day = min((d for d in submitted if d), default=first.period_end)
        kind = "月度总结" if first.kind == ReportKind.MONTHLY else "进展报告"
        period = f"{first.period_start:%Y-%m-%d}至{first.period_end:%Y-%m-%d}"
        fields = [("责任单位", first.unit.name), ("报告期", f"{first.get_kind_display()} {period}")]
        files: list[DossierFile] = []
        for r in reports:
            evidence = [e for e in r.evidence.all() if e.removed_at is None]
            fields += _report_fields(r, milestone_names)
            fields.append(("佐证材料", "、".join(e.original_name for e in evidence) or "无"))
            files += [
                DossierFile("佐证材料", e.original_name, _local(e.uploaded_at), storage_name=e.storage_name)
                for e in evidence
            ]
        summary = _text(f"{first.unit.name}{first.get_kind_display()}（{period}）", fields)
        files.insert(0, DossierFile(kind, f"{kind}.txt", day, content=summary))
        label = f"{kind}_{first.period_start:%Y-%m-%d}_{first.unit.name}"
        items.append(DossierItem(day, RANK_REPORT, first.pk, label, files))
    return items


# --- supervision notices -------------------------------------------------------------------------


def _notices(problem: Problem, viewer: Any) -> list[SupervisionNotice]:
    qs = SupervisionNotice.objects.filter(measures__problem=problem).exclude(
        status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED]
    )
    if viewer is not None:
        qs = qs.filter(pk__in=supervision_selectors.notice_list(viewer=viewer).values("pk"))
    qs = qs.distinct().select_related("unit", "issuer", "replied_by", "issued_by")
    return list(qs.prefetch_related("attachments").order_by("issued_on", "pk"))


def _notice_items(notices: Sequence[SupervisionNotice]) -> list[DossierItem]:
    items = []
    for n in notices:
        day = n.issued_on or _local(n.created_at) or clock.today()
        files = [
            DossierFile(n.get_kind_display(), notice_filename(n, "docx"), day, official.render_docx(notice_document(n)))
        ]
        body: list[Block] = [
            *_field("文书", f"{n.get_kind_display()} {n.number}"),
            *_field("标题", n.title),
            *_field("主送单位", n.unit.name),
            *_field("印发", f"{n.issuer.name} {day:%Y-%m-%d}"),
            *_field("回复期限", f"{n.response_due:%Y-%m-%d}" if n.response_due else "—"),
            *_field("办理状态", n.get_status_display()),
            *_field("回复内容", n.reply_text or "尚未回复"),
        ]
        if n.reply_text:
            body += _field("回复", f"{_person(n.replied_by)} {_stamp(n.replied_at)}".strip())
        if n.return_reason:
            body += _field("退回理由", n.return_reason)
        if n.closed_on or n.close_note:
            body += _field("办结", f"{n.closed_on:%Y-%m-%d} {n.close_note}" if n.closed_on else n.close_note)
        attachments = list(n.attachments.all())
        body += _field("回复附件", "、".join(a.original_name for a in attachments) or "无")
        reply_day = _local(n.replied_at) or day
        files.append(
            DossierFile(
                "回复与办理情况", "回复与办理情况.docx", reply_day, _render(n.title, body, day=day, subject="督办回复")
            )
        )
        for a in attachments:
            files.append(DossierFile("回复附件", a.original_name, _local(a.uploaded_at), storage_name=a.storage_name))
        label = f"{n.get_kind_display()}_{day:%Y-%m-%d}_{n.unit.name}"
        items.append(DossierItem(day, RANK_NOTICE, n.pk, label, files))
    return items


# --- on-site visits ------------------------------------------------------------------------------


def _visits(problem: Problem, viewer: Any) -> list[SiteVisit]:
    qs = SiteVisit.objects.filter(problems=problem)
    if viewer is not None:
        qs = qs.filter(pk__in=supervision_selectors.visit_list(viewer=viewer).values("pk"))
    qs = qs.distinct().select_related("region").prefetch_related("photos", "tasks__unit", "problems")
    return list(qs.order_by("visited_on", "pk"))


def _visit_items(visits: Sequence[SiteVisit]) -> list[DossierItem]:
    items = []
    for v in visits:
        tasks = [
            f"{t.unit.name}：{t.text}"
            + (f"（{t.due_on:%Y-%m-%d}前）" if t.due_on else "")
            + (f"，{t.done_on:%Y-%m-%d}完成" if t.done_on else "")
            for t in v.tasks.all()
        ]
        photos = list(v.photos.all())
        body: list[Block] = [
            *_field("督办日期", f"{v.visited_on:%Y-%m-%d}"),
            *_field("县区", v.region.name),
            *_field("带队领导及参加人员", v.leaders),
            *_field("督办地点", v.places),
            *_field("涉及问题", "、".join(f"（{p.number}）" for p in v.problems.all())),
            *_field("督办案件", v.cases or "—"),
            *_field("发现问题及督办要求", v.findings),
            *_field("后续整改任务", "\n".join(tasks) or "无"),
            *_field("现场照片", "、".join(p.original_name for p in photos) or "无"),
        ]
        files = [
            DossierFile(
                "现场督办记录",
                "现场督办记录.docx",
                v.visited_on,
                _render(v.title, body, day=v.visited_on, subject="现场督办"),
            )
        ]
        files += [
            DossierFile("现场照片", p.original_name, _local(p.uploaded_at), storage_name=p.storage_name) for p in photos
        ]
        items.append(
            DossierItem(v.visited_on, RANK_VISIT, v.pk, f"现场督办_{v.visited_on:%Y-%m-%d}_{v.region.name}", files)
        )
    return items


# --- close-out ---------------------------------------------------------------------------------


def _applications(problem: Problem, viewer: Any) -> list[CloseoutApplication]:
    qs = CloseoutApplication.objects.filter(Q(problem=problem) | Q(measure__problem=problem))
    if viewer is not None:
        qs = qs.filter(pk__in=closeout_selectors.application_list(viewer=viewer).values("pk"))
    qs = qs.select_related("unit", "measure__problem", "problem", "applied_by", "reviewed_by")
    qs = qs.prefetch_related("evidence", "consents__unit", "decisions__actor")
    return sorted(qs, key=lambda a: (a.submitted_at or a.created_at, a.pk))


def _decision_line(d: Decision) -> str:
    who = _person(d.actor) or "系统"
    return f"{_stamp(d.at)} {d.get_kind_display()}（{who}）：{d.opinion or '—'}"


def _closed_text(app: CloseoutApplication) -> str:
    """The 销号 date, and for an item that relapsed since, when it was reopened: a reopened item
    never reads as simply 销号."""
    if not app.closed_on:
        return ""
    text = f"{app.closed_on:%Y-%m-%d}" + ("（已完成、长期坚持）" if app.ongoing else "")
    if app.status == CloseoutStatus.REOPENED:
        reopened = [d.at for d in app.decisions.all() if d.kind == Decision.Kind.REOPEN]
        text += f"，{_local(max(reopened)):%Y-%m-%d}反弹重开" if reopened else "，已反弹重开"
    return text


def _application_items(apps: Sequence[CloseoutApplication]) -> list[DossierItem]:
    items = []
    for app in apps:
        day = _local(app.submitted_at or app.created_at) or clock.today()
        consents = [
            f"{c.unit.name}：{_stamp(c.agreed_at) + ' 同意' if c.agreed_at else '待会签'}" for c in app.consents.all()
        ]
        decisions = list(app.decisions.all())
        evidence = list(app.evidence.all())
        body: list[Block] = [
            *_field("销号事项", app.item_label),
            *_field("申请单位", app.unit.name),
            *_field("申请", f"{_person(app.applied_by)} {_stamp(app.submitted_at or app.created_at)}".strip()),
            *_field("申请轮次", f"第{app.rounds}轮"),
            *_field("当前状态", app.get_status_display()),
            *_field("整改完成情况", app.statement),
            *_field("会签", "\n".join(consents) or "—"),
            *_field("验收意见", app.opinion or "—"),
        ]
        if app.reviewed_at:
            body += _field("验收", f"{_person(app.reviewed_by)} {_stamp(app.reviewed_at)}")
        if app.published_on and app.publish_until:
            body += _field("公示期", f"{app.published_on:%Y-%m-%d}至{app.publish_until:%Y-%m-%d}")
        if app.closed_on:
            body += _field("销号日期", _closed_text(app))
        body += _field("验收与销号记录", "\n".join(_decision_line(d) for d in decisions) or "尚无")
        body += _field("佐证材料", "、".join(e.original_name for e in evidence) or "无")
        doc = _render(f"{app.item_label}销号申请", body, day=day, subject="销号申请")
        files = [DossierFile("销号申请", "销号申请.docx", day, doc)]
        for e in evidence:
            title = "销号佐证材料" + (f"（第{e.round}轮）" if app.rounds > 1 else "")
            files.append(DossierFile(title, e.original_name, _local(e.uploaded_at), storage_name=e.storage_name))
        for d in decisions:
            if d.evidence_storage:
                name = d.evidence_name or f"{d.get_kind_display()}材料"
                files.append(
                    DossierFile(f"{d.get_kind_display()}材料", name, _local(d.at), storage_name=d.evidence_storage)
                )
        items.append(DossierItem(day, RANK_APPLICATION, app.pk, f"销号申请_{day:%Y-%m-%d}_{app.unit.name}", files))
    return items


def _record_doc(problem: Problem, apps: Sequence[CloseoutApplication], today: dt.date) -> bytes:
    body: list[Block] = [
        *_field("问题", f"（{problem.number}）{problem.text}"),
        *_field("整改状态", problem.get_status_display()),
        *_field("销号日期", f"{problem.closed_on:%Y-%m-%d}" if problem.closed_on else "未销号"),
        *_field("反弹重开", f"{problem.reopened_count}次"),
    ]
    if not apps:
        body += [Blank(), para("尚无销号申请。", first_chars=2)]
        return _render("验收与销号记录", body, day=today, subject="一案一档")
    rows = [
        [
            a.item_label,
            a.unit.name,
            f"{_local(a.submitted_at or a.created_at):%Y-%m-%d}",
            a.get_status_display(),
            _closed_text(a),
        ]
        for a in apps
    ]
    body += [
        Blank(),
        _heading("一、销号申请"),
        Grid(headers=["事项", "申请单位", "申请日期", "状态", "销号日期"], rows=rows),
    ]
    decisions = sorted(((d, a) for a in apps for d in a.decisions.all()), key=lambda pair: (pair[0].at, pair[0].pk))
    rows = [
        [f"{_local(d.at):%Y-%m-%d}", a.item_label, d.get_kind_display(), d.opinion or "—", _person(d.actor) or "系统"]
        for d, a in decisions
    ]
    body += [Blank(), _heading("二、验收、公示异议、销号与反弹重开")]
    if rows:
        body.append(Grid(headers=["日期", "事项", "类别", "意见", "办理人"], rows=rows))
    else:
        body.append(para("尚无验收记录。", first_chars=2))
    return _render("验收与销号记录", body, day=today, subject="一案一档")


# --- 留痕 --------------------------------------------------------------------------------------


def _trail(problem: Problem, objects: Iterable[Any], viewer: Any = None) -> bytes:
    """The problem's timeline (as its history page shows it to `viewer`) and the events of the
    notices, visits and applications in the dossier, oldest first; other units' events as a count
    (plans.disclosure), in a last row."""
    events = {e.pk: e for e in audit_timeline(problem)}
    keys: dict[str, list[str]] = defaultdict(list)
    for obj in objects:
        object_type, object_id = object_key(obj)
        keys[object_type].append(object_id)
    condition = Q(pk__in=[])
    for object_type, ids in keys.items():
        condition |= Q(object_type=object_type, object_id__in=ids)
    events.update({e.pk: e for e in AuditEvent.objects.filter(condition).select_related("actor")})

    def as_json(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    shown, withheld = disclose(
        viewer=viewer, problem=problem, events=sorted(events.values(), key=lambda e: (e.at, e.pk))
    )
    rows = [
        [_stamp(e.at), e.actor_label, e.action_label, e.object_repr, e.note, as_json(e.before), as_json(e.after)]
        for e in shown
    ]
    if withheld:
        rows.append(["", "", "其他单位的留痕", "", str(withheld), "", ""])
    return render_csv(TRAIL_HEADERS, rows)
