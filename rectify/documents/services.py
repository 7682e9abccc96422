"""Writes of 月通报 (Circular) and 工作简报 (Briefing): compile a draft from the data, edit it
(versioned), issue it (numbered gaplessly in the same transaction), cancel a draft.

Each service owns its transaction and writes its audit event. A 月通报 takes its number from the
office's 通 series, shared with 通报 notices (document_number(word="通")); a 工作简报 takes 第N期
from the office's own series per year. Neither number exists before the document is issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.numbering import next_number
from rectify.core.transitions import versioned_update
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import region_of
from rectify.progress import services as progress
from rectify.supervision.notices import document_number, issuer_for

from . import briefing_photos, briefing_rich, briefing_series, compose, policies
from .briefing_narrative import draft_sections, lead_item
from .figures import (
    SCHEMA,
    circular_figures,
    month_figures,
)
from .models import Briefing, Circular, CountyItem, CountyItemStatus, DocStatus
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
    "lead_item",
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
        **briefing_series.default_lines(issuer),
    )
    record(
        actor=actor,
        action="briefing.drafted",
        obj=briefing,
        after={"period": [period_start.isoformat(), period_end.isoformat()]},
    )
    return briefing


def _clean_item(item: dict[str, Any]) -> dict[str, Any] | None:
    """An item as stored: the editor's HTML sanitized and its paragraphs derived from it (or an
    old item's paragraphs, one per non-blank line), photo references well formed."""
    title = str(item.get("title", "")).strip()[:200]
    photos = briefing_photos.clean_refs(item.get("photos", []))
    out: dict[str, Any] = {"title": title}
    if item.get("html") is not None:
        clean = briefing_rich.sanitize(str(item["html"]))
        paragraphs, inline = briefing_rich.read(clean)
        photos = briefing_photos.clean_refs(photos + inline)
        out["html"] = clean
    else:
        raw = item.get("paragraphs", [])
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            raise DomainError("栏目格式不正确。")
        paragraphs = [line.strip() for p in raw for line in str(p).splitlines() if line.strip()]
    if not (title or paragraphs):
        return None
    out["paragraphs"] = paragraphs
    if photos:
        out["photos"] = photos
    source = item.get("source")
    if isinstance(source, dict) and source.get("kind") in ("visit", "county") and str(source.get("id", "")).isdigit():
        out["source"] = {"kind": source["kind"], "id": int(source["id"])}
    return out


def clean_sections(sections: Any) -> list[dict[str, Any]]:
    """Sections as stored: headings and titles stripped, text sanitized, items with neither title
    nor text dropped. Anything not shaped like sections is refused."""
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
            if (cleaned := _clean_item(item)) is not None:
                items.append(cleaned)
        out.append({"heading": str(section.get("heading", "")).strip()[:60], "items": items})
    return out


def _allowed_photos(briefing: Briefing, sections: list[dict[str, Any]]) -> None:
    """Drop photo references the briefing may not carry (another region's, not a photo)."""
    for section in sections:
        for item in section["items"]:
            if item.get("photos"):
                item["photos"] = briefing_photos.allowed(briefing, item["photos"])
                if not item["photos"]:
                    del item["photos"]


def picked_county_ids(sections: list[dict[str, Any]]) -> set[int]:
    """The 县区动态 稿件 (CountyItem) a draft's items came from."""
    return {
        int(i["source"]["id"])
        for s in sections
        for i in s.get("items", [])
        if isinstance(i.get("source"), dict) and i["source"].get("kind") == "county"
    }


def _release_county_items(actor: Any, briefing: Briefing) -> None:
    """稿件 picked into the draft but taken out of it go back to 待采用."""
    picked = picked_county_ids(briefing.sections)
    gone = CountyItem.objects.filter(briefing=briefing, status=CountyItemStatus.ADOPTED).exclude(pk__in=picked)
    for item in list(gone):
        CountyItem.objects.filter(pk=item.pk).update(
            status=CountyItemStatus.SUBMITTED, briefing=None, version=F("version") + 1, updated_at=clock.now()
        )
        record(actor=actor, action="county_item.released", obj=item, before={"briefing": briefing.pk})


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
    lines: dict[str, str] | None = None,
) -> Briefing:
    """Save a draft. `lines` (报/送/发) are also kept as the office's defaults for its next draft."""
    _editable(actor, briefing, "修改工作简报")
    if briefing.status != DocStatus.DRAFT:
        raise DomainError("已印发或已作废的简报不能再修改。")
    cleaned = clean_sections(sections)
    _allowed_photos(briefing, cleaned)
    values: dict[str, Any] = {"sections": cleaned}
    if series_title is not None:
        if not series_title.strip():
            raise DomainError("刊头不能为空。")
        values["series_title"] = series_title.strip()[:120]
    if date is not None:
        values["date"] = date
    if editor is not None:
        values["editor"] = editor.strip()[:60]
    for field in briefing_series.LINE_FIELDS:
        if lines is not None and field in lines:
            values[field] = " ".join(str(lines[field]).split())[:500]
    before = {"sections": briefing.sections, "series_title": briefing.series_title}
    before |= {f: getattr(briefing, f) for f in briefing_series.LINE_FIELDS if f in values}
    versioned_update(briefing, version=version, values=values, message=EDIT_CONFLICT, status=DocStatus.DRAFT)
    _release_county_items(actor, briefing)
    if lines is not None:
        briefing_series.remember_lines(briefing)
    after = {"sections": briefing.sections, "series_title": briefing.series_title}
    after |= {f: getattr(briefing, f) for f in briefing_series.LINE_FIELDS if f in values}
    record(actor=actor, action="briefing.updated", obj=briefing, before=before, after=after)
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
