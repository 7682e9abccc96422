"""Writes of 月通报 (Circular) and 工作简报 (Briefing): compile a draft from the data, edit it
(versioned), issue it (numbered gaplessly in the same transaction), cancel a draft.

Each service owns its transaction and writes its audit event. A 月通报 takes its number from the
office's 通 series, shared with 通报 notices (document_number(word="通")); a 工作简报 takes 第N期
from the office's own series per year. Neither number exists before the document is issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse

from rectify.audit.services import record
from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.numbering import next_number
from rectify.core.transitions import versioned_update
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import region_of
from rectify.plans.models import Measure, WarningLevel
from rectify.progress import services as progress
from rectify.progress.models import ProgressReport
from rectify.supervision.models import NoticeStatus, SiteVisit, SupervisionNotice, Warning
from rectify.supervision.notices import document_number, issuer_for

from . import compose, policies
from .figures import (
    SCHEMA,
    circular_figures,
    day_end,
    day_start,
    month_figures,
    region_shares,
    reporting,
    share_states,
)
from .models import Briefing, Circular, DocStatus
from .scoring import UnitFigures

__all__ = [
    "UnitFigures",
    "briefing_cancel",
    "briefing_draft",
    "briefing_issue",
    "briefing_update",
    "circular_cancel",
    "circular_figures",
    "circular_generate",
    "circular_issue",
    "circular_refresh",
    "circular_update",
]

CIRCULAR_WORD = "通"  # 朔整改办通〔2022〕3号: the series of 通报, shared with 通报 notices
CIRCULAR_RACE = "该月通报已被他人处理，请刷新页面后查看最新状态。"
BRIEFING_RACE = "该期简报已被他人处理，请刷新页面后查看最新状态。"
EDIT_CONFLICT = "该草稿已被他人修改，请刷新页面后重新编辑（您填写的内容已保留在下方）。"
ISSUE_CONFLICT = "该草稿在您打开后已被他人修改，请核对最新内容后再印发。"
MAX_BRIEFING_DAYS = 92


def _compiler(actor: Any) -> OrgUnit:
    if not policies.can_compile(actor):
        raise Forbidden("只有整改办可以编制月通报和工作简报。")
    return issuer_for(actor)


def _editable(actor: Any, doc: Circular | Briefing, what: str) -> None:
    if not policies.can_edit(actor, doc):
        raise Forbidden(f"只有{doc.issuer.name}的整改办人员可以{what}。")


def _issue_update(
    doc: Circular | Briefing, *, version: int | None, values: dict[str, Any], message: str, race: str
) -> None:
    """draft → issued in one guarded UPDATE (and only from the version the user saw, if given)."""
    conditions: dict[str, Any] = {"pk": doc.pk, "status": DocStatus.DRAFT}
    if version is not None:
        conditions["version"] = version
    updated = (
        type(doc)
        ._default_manager.filter(**conditions)
        .update(status=DocStatus.ISSUED, version=F("version") + 1, updated_at=clock.now(), **values)
    )
    if updated != 1:
        doc.refresh_from_db()
        raise ConcurrentChange(message if doc.status == DocStatus.DRAFT else race)
    doc.refresh_from_db()


def _cancel(doc: Circular | Briefing, message: str) -> None:
    updated = (
        type(doc)
        ._default_manager.filter(pk=doc.pk, status=DocStatus.DRAFT)
        .update(status=DocStatus.CANCELLED, version=F("version") + 1, updated_at=clock.now())
    )
    if updated != 1:
        raise ConcurrentChange(message)
    doc.refresh_from_db()


# --- 月通报 ------------------------------------------------------------------------------------


def circular_snapshot(year: int, month: int, *, region: OrgUnit, today: dt.date | None = None) -> dict[str, Any]:
    """The figures as stored on the circular: units and counties (ranked), totals, who is named,
    the rule and its settings, and the sentences written from them."""
    mf = month_figures(year, month, region=region, today=today)
    return {
        "schema": SCHEMA,
        "as_of": mf.as_of.isoformat(),
        "units": [f.as_json() for f in mf.units],
        "counties": [f.as_json() for f in mf.counties],
        "totals": mf.totals.as_json(),
        "named": mf.named,
        "laggards": mf.laggards,
        "below": mf.below,
        "weights": mf.weights.as_json(),
        "rule": mf.rule,
        "text": compose.circular_text(mf, region=region, month=month),
    }


def _check_month(year: int, month: int, today: dt.date) -> None:
    if not 1 <= month <= 12 or not 2000 <= year <= today.year:
        raise DomainError("请选择有效的年份和月份。")
    if (year, month) > (today.year, today.month):
        raise DomainError("不能生成尚未开始的月份的通报。")


@transaction.atomic
def circular_generate(*, actor: Any, year: int, month: int) -> tuple[Circular, bool]:
    """The draft 月通报 of the actor's office for the month: created, or (if a draft exists)
    its figures refreshed. Returns (circular, created)."""
    issuer = _compiler(actor)
    today = clock.today()
    _check_month(year, month, today)
    existing = Circular.objects.filter(issuer=issuer, year=year, month=month).exclude(status=DocStatus.CANCELLED)
    current = existing.select_related("issuer", "region").first()
    if current is not None:
        if current.status == DocStatus.ISSUED:
            raise DomainError(f"{year}年{month}月的通报已印发（{current.number}），不能重新生成。")
        return circular_refresh(actor=actor, circular=current), False
    region = region_of(issuer)
    snapshot = circular_snapshot(year, month, region=region, today=today)
    try:
        with transaction.atomic():
            circular = Circular.objects.create(
                issuer=issuer,
                region=region,
                year=year,
                month=month,
                title=compose.default_title(year, month),
                intro=compose.default_intro(region, year, month),
                closing=compose.default_closing(issuer),
                figures=snapshot,
                as_of=dt.date.fromisoformat(snapshot["as_of"]),
                computed_at=clock.now(),
                created_by=actor,
            )
    except IntegrityError:
        # Another coordinator of the office generated the same month a moment ago.
        current = existing.select_related("issuer", "region").get()
        if current.status == DocStatus.ISSUED:
            raise DomainError(f"{year}年{month}月的通报已印发（{current.number}），不能重新生成。") from None
        return circular_refresh(actor=actor, circular=current), False
    record(
        actor=actor,
        action="circular.generated",
        obj=circular,
        after={"year": year, "month": month, "as_of": snapshot["as_of"], "units": len(snapshot["units"])},
    )
    return circular, True


@transaction.atomic
def circular_refresh(*, actor: Any, circular: Circular) -> Circular:
    """Recompute a draft's figures from today's data (the office's text stays as edited)."""
    _editable(actor, circular, "更新通报数据")
    snapshot = circular_snapshot(circular.year, circular.month, region=circular.region)
    updated = Circular.objects.filter(pk=circular.pk, status=DocStatus.DRAFT).update(
        figures=snapshot,
        as_of=dt.date.fromisoformat(snapshot["as_of"]),
        computed_at=clock.now(),
        version=F("version") + 1,
        updated_at=clock.now(),
    )
    if updated != 1:
        raise ConcurrentChange(CIRCULAR_RACE)
    circular.refresh_from_db()
    record(actor=actor, action="circular.refreshed", obj=circular, after={"as_of": snapshot["as_of"]})
    return circular


@transaction.atomic
def circular_update(*, actor: Any, circular: Circular, version: int, title: str, intro: str, closing: str) -> Circular:
    _editable(actor, circular, "修改月通报")
    if circular.status != DocStatus.DRAFT:
        raise DomainError("已印发或已作废的通报不能再修改。")
    title = title.strip()
    if not title:
        raise DomainError("标题不能为空。")
    before = {"title": circular.title, "intro": circular.intro, "closing": circular.closing}
    after = {"title": title[:200], "intro": intro.strip(), "closing": closing.strip()}
    versioned_update(circular, version=version, values=after, message=EDIT_CONFLICT, status=DocStatus.DRAFT)
    record(actor=actor, action="circular.updated", obj=circular, before=before, after=after)
    return circular


@transaction.atomic
def circular_issue(*, actor: Any, circular: Circular, version: int | None = None) -> Circular:
    """Number the draft (通 series of the office, this year) and freeze it. The number and the
    status change commit together: a failed issue gives its number back."""
    _editable(actor, circular, "印发月通报")
    if circular.status != DocStatus.DRAFT:
        raise ConcurrentChange(CIRCULAR_RACE)
    if not circular.figures.get("units"):
        raise DomainError("本月没有可通报的责任单位数据，请先更新数据。")
    today = clock.today()
    serial, number = document_number(issuer=circular.issuer, word=CIRCULAR_WORD, year=today.year)
    values = {"number": number, "number_year": today.year, "serial": serial, "issued_on": today, "issued_by": actor}
    _issue_update(circular, version=version, values=values, message=ISSUE_CONFLICT, race=CIRCULAR_RACE)
    laggards = compose.figures_laggards(circular)
    record(
        actor=actor,
        action="circular.issued",
        obj=circular,
        after={"number": number, "as_of": circular.figures.get("as_of"), "named": [f.unit for f in laggards]},
    )
    clerks = progress.unit_clerks([f.unit_id for f in laggards])
    url = reverse("documents:circular", args=[circular.pk])
    for f in laggards:
        notify(
            recipients=clerks.get(f.unit_id, []),
            message=Message(
                kind="supervision",
                subject=f"【月通报】{number} 点名通报你单位",
                body=f"{circular.issuer.name}印发《{circular.title}》（{number}），点名通报{compose.named_item(f)}。"
                "请认真分析原因，抓紧整改。",
                url=url,
                dedupe_key=f"circular:{circular.pk}:named:{f.unit_id}",
            ),
        )
    return circular


@transaction.atomic
def circular_cancel(*, actor: Any, circular: Circular) -> Circular:
    _editable(actor, circular, "作废月通报")
    _cancel(circular, CIRCULAR_RACE)
    record(actor=actor, action="circular.cancelled", obj=circular)
    return circular


# --- 工作简报 ----------------------------------------------------------------------------------


def _labels(measures: Sequence[Measure], limit: int = 10) -> str:
    names = [f"（{m.problem.number}）{m.label}" for m in measures[:limit]]
    return "、".join(names) + ("等" if len(measures) > limit else "")


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as moments; a deadline later today has not passed yet."""
    end_at = day_end(end)
    if end == clock.today():
        end_at = min(end_at, clock.now())
    return day_start(start), end_at


def _work_paragraph(region: OrgUnit, start: dt.date, end: dt.date, span: str) -> str:
    """Reports filed, tasks completed and warnings raised in the period: each number counts tasks
    (责任单位任务, a unit's share of a measure) or says it counts measures."""
    start_at, end_at = _window(start, end)
    shares = region_shares(region)
    filed = ProgressReport.objects.filter(
        assignment_id__in=shares.order_by().values("pk"),
        first_submitted_at__gte=start_at,
        first_submitted_at__lte=end_at,
    ).aggregate(n=Count("pk"), units=Count("unit_id", distinct=True))
    if filed["n"]:
        parts = [f"{span}，{region.name}{filed['units']}个责任单位报送工作进展{filed['n']}份。"]
    else:
        parts = [f"{span}，{region.name}没有责任单位报送工作进展。"]
    finished = [s for s in share_states(shares, end) if s.done and s.completed_on and start <= s.completed_on <= end]
    if finished:
        measures = list(
            Measure.objects.filter(pk__in={s.measure_id for s in finished})
            .select_related("problem")
            .order_by("problem__index", "seq")
        )
        parts.append(f"期间新完成责任单位任务{len(finished)}项，涉及整改措施{len(measures)}项：{_labels(measures)}。")
    else:
        parts.append("期间没有新完成的责任单位任务。")
    worst: dict[int, str] = {}
    for share_id, level in Warning.objects.filter(
        assignment_id__in=shares.order_by().values("pk"),
        raised_on__gte=start,
        raised_on__lte=end,
        level__in=[WarningLevel.RED, WarningLevel.YELLOW],
    ).values_list("assignment_id", "level"):
        if worst.get(share_id) != WarningLevel.RED:
            worst[share_id] = level
    if worst:
        red = sum(1 for level in worst.values() if level == WarningLevel.RED)
        parts.append(f"期间新增预警的责任单位任务{len(worst)}项，其中红色预警{red}项、黄色预警{len(worst) - red}项。")
    else:
        parts.append("期间没有新增红色、黄色预警的任务。")
    return "".join(parts)


def _reporting_sentence(region: OrgUnit, start: dt.date, end: dt.date) -> str:
    """The reports whose deadline fell in the period: "均按时报送" only when every one was."""
    start_at, end_at = _window(start, end)
    rows = reporting(region_shares(region).order_by().values_list("unit_id", flat=True).distinct(), start_at, end_at)
    owed = sum(r.owed for r in rows.values())
    on_time = sum(r.on_time for r in rows.values())
    owing = sum(1 for r in rows.values() if r.owed)
    if not owed:
        return ""
    if on_time == owed:
        return f"期间应报送工作进展的{owing}个单位均按时报送，共{owed}份。"
    missed_units = sum(1 for r in rows.values() if r.missed_periods)
    periods = sum(r.missed_periods for r in rows.values())
    return (
        f"期间{owing}个单位应报送工作进展{owed}份，按时报送{on_time}份；"
        f"{missed_units}个单位共{periods}期次未按时报送工作进展。"
    )


def lead_item(region: OrgUnit, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The lead article: what happened in the region's rectification during the period."""
    short = compose.short_date
    span = f"{short(start)}至{short(end)}"
    paragraphs = [_work_paragraph(region, start, end, span)]
    notices = list(
        SupervisionNotice.objects.filter(unit__path__startswith=region.path, issued_on__gte=start, issued_on__lte=end)
        .exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
        .select_related("unit")
        .order_by("issued_on", "id")
    )
    if notices:
        listing = "；".join(
            f"{short(n.issued_on)}向{n.unit.name}印发{n.get_kind_display()}（{n.number}）"
            for n in notices
            if n.issued_on
        )
        paragraphs.append(f"期间共印发督办文书{len(notices)}份：{listing}。")
    follow_up = []
    if sentence := _reporting_sentence(region, start, end):
        follow_up.append(sentence)
    cases = ComplaintCase.objects.filter(
        Q(region__path__startswith=region.path) | Q(lead_unit__path__startswith=region.path)
    ).distinct()
    received = cases.filter(assigned_on__gte=start, assigned_on__lte=end).count()
    closed = cases.filter(closed_on__gte=start, closed_on__lte=end, status=CaseStatus.CLOSED).count()
    if received or closed:
        open_total = cases.exclude(status=CaseStatus.CLOSED).count()
        done = [f"受理群众举报交办件{received}件"] if received else []
        done += [f"办结交办件{closed}件"] if closed else []
        follow_up.append(f"期间{'，'.join(done)}，目前尚有{open_total}件正在办理。")
    visits = SiteVisit.objects.filter(region__path__startswith=region.path, visited_on__gte=start, visited_on__lte=end)
    if count := visits.count():
        follow_up.append(f"期间开展现场督办{count}次，详见县区动态。")
    if follow_up:
        paragraphs.append("".join(follow_up))
    title = f"{compose.region_word(region)}督察整改工作进展情况（{short(start)}—{short(end)}）"
    return {"title": title, "paragraphs": paragraphs}


def visit_item(visit: SiteVisit) -> dict[str, Any]:
    """One 县区动态 article from an on-site visit, worded like seed 004."""
    short = compose.short_date
    problems = "、".join(f"（{p.number}）" for p in visit.problems.all())
    what = f"{problems}等问题整改工作" if problems else "督察整改工作"
    paragraphs = [f"{short(visit.visited_on)}，{visit.leaders}在{visit.places}现场督办{what}。"]
    cases = [c.strip() for c in visit.cases.splitlines() if c.strip()]
    if cases:
        paragraphs.append("督办交办案件：" + "；".join(cases) + "。")
    paragraphs += [line.strip() for line in visit.findings.splitlines() if line.strip()]
    tasks = [f"{t.unit.name}{t.text}" + (f"（{short(t.due_on)}前完成）" if t.due_on else "") for t in visit.tasks.all()]
    if tasks:
        paragraphs.append("后续整改要求：" + "；".join(tasks) + "。")
    return {"title": visit.title, "paragraphs": paragraphs}


def draft_sections(region: OrgUnit, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    visits = (
        SiteVisit.objects.filter(region__path__startswith=region.path, visited_on__gte=start, visited_on__lte=end)
        .prefetch_related("problems", "tasks__unit")
        .order_by("visited_on", "id")
    )
    return [
        {"heading": "", "items": [lead_item(region, start, end)]},
        {"heading": "县区动态", "items": [visit_item(v) for v in visits]},
    ]


def default_series(region: OrgUnit) -> str:
    return getattr(settings, "RECTIFY_BRIEFING_SERIES", "") or f"{region.name}生态环境保护督察整改"


@transaction.atomic
def briefing_draft(*, actor: Any, period_start: dt.date, period_end: dt.date) -> Briefing:
    """A draft 工作简报 of the actor's office, its sections written from the period's data."""
    issuer = _compiler(actor)
    today = clock.today()
    if period_start > period_end:
        raise DomainError("起始日期不能晚于截止日期。")
    if period_end > today:
        raise DomainError("截止日期不能晚于今天。")
    if (period_end - period_start).days >= MAX_BRIEFING_DAYS:
        raise DomainError(f"一期简报的时间范围不超过{MAX_BRIEFING_DAYS}天。")
    region = region_of(issuer)
    briefing = Briefing.objects.create(
        issuer=issuer,
        region=region,
        series_title=default_series(region),
        date=today,
        period_start=period_start,
        period_end=period_end,
        sections=draft_sections(region, period_start, period_end),
        created_by=actor,
    )
    record(
        actor=actor,
        action="briefing.drafted",
        obj=briefing,
        after={"period": [period_start.isoformat(), period_end.isoformat()]},
    )
    return briefing


def clean_sections(sections: Any) -> list[dict[str, Any]]:
    """Sections as stored: headings and titles stripped, paragraphs one per non-blank line, items
    with neither title nor text dropped. Anything not shaped like sections is refused."""
    if not isinstance(sections, list):
        raise DomainError("栏目格式不正确。")
    out = []
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("items", []), list):
            raise DomainError("栏目格式不正确。")
        items = []
        for item in section.get("items", []):
            if not isinstance(item, dict):
                raise DomainError("栏目格式不正确。")
            title = str(item.get("title", "")).strip()
            raw = item.get("paragraphs", [])
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list):
                raise DomainError("栏目格式不正确。")
            paragraphs = [line.strip() for p in raw for line in str(p).splitlines() if line.strip()]
            if title or paragraphs:
                items.append({"title": title[:200], "paragraphs": paragraphs})
        out.append({"heading": str(section.get("heading", "")).strip()[:60], "items": items})
    return out


@transaction.atomic
def briefing_update(
    *,
    actor: Any,
    briefing: Briefing,
    version: int,
    sections: Any,
    series_title: str | None = None,
    date: dt.date | None = None,
    editor: str | None = None,
) -> Briefing:
    _editable(actor, briefing, "修改工作简报")
    if briefing.status != DocStatus.DRAFT:
        raise DomainError("已印发或已作废的简报不能再修改。")
    values: dict[str, Any] = {"sections": clean_sections(sections)}
    if series_title is not None:
        if not series_title.strip():
            raise DomainError("刊头不能为空。")
        values["series_title"] = series_title.strip()[:120]
    if date is not None:
        values["date"] = date
    if editor is not None:
        values["editor"] = editor.strip()[:60]
    before = {"sections": briefing.sections, "series_title": briefing.series_title}
    versioned_update(briefing, version=version, values=values, message=EDIT_CONFLICT, status=DocStatus.DRAFT)
    record(
        actor=actor,
        action="briefing.updated",
        obj=briefing,
        before=before,
        after={"sections": briefing.sections, "series_title": briefing.series_title},
    )
    return briefing


@transaction.atomic
def briefing_issue(*, actor: Any, briefing: Briefing, version: int | None = None) -> Briefing:
    """Assign 第N期 (the office's series for this year) and freeze the briefing."""
    _editable(actor, briefing, "印发工作简报")
    if briefing.status != DocStatus.DRAFT:
        raise ConcurrentChange(BRIEFING_RACE)
    items = [i for s in briefing.sections for i in s.get("items", [])]
    if not items:
        raise DomainError("简报还没有内容，不能印发。")
    if any(not i.get("title") or not i.get("paragraphs") for i in items):
        raise DomainError("每篇稿件都要有标题和正文，请补全后再印发。")
    today = clock.today()
    issue_no = next_number(f"{briefing.issuer_id}:briefing", today.year)
    values = {"year": today.year, "issue_no": issue_no, "issued_on": today, "issued_by": actor}
    _issue_update(briefing, version=version, values=values, message=ISSUE_CONFLICT, race=BRIEFING_RACE)
    record(actor=actor, action="briefing.issued", obj=briefing, after={"year": today.year, "issue_no": issue_no})
    return briefing


@transaction.atomic
def briefing_cancel(*, actor: Any, briefing: Briefing) -> Briefing:
    _editable(actor, briefing, "作废工作简报")
    _cancel(briefing, BRIEFING_RACE)
    record(actor=actor, action="briefing.cancelled", obj=briefing)
    return briefing
