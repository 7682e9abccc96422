"""Services for supervision notices on the escalation ladder (提醒函 → 督办通知 → 通报 → 专题报告 →
问责移交, and 约谈): drafting, issuing with a gapless number, replies, escalation, and the
proposals Rectify makes from the warning history. Flags, extensions and on-site records have
their own modules (flags.py, extensions.py, visits.py).

Nothing reaches a unit without a person: proposals only prefill a draft, and a draft becomes a
numbered document when a coordinator issues it. A notice can never be more than one rung above
the last one the unit had for those measures unless the coordinator records why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.files import file_store
from rectify.core.formats import format_cn_date, format_percent
from rectify.core.numbering import next_number
from rectify.core.transitions import transition, versioned_update
from rectify.notifications.services import Message, notify
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.leaders import leaders_line
from rectify.plans.models import Assignment, Measure
from rectify.progress import services as progress

from . import policies
from .flags import flag_mark
from .models import (
    LADDER,
    NOTICE_TRANSITIONS,
    Attachment,
    FlagKind,
    NoticeKind,
    NoticeStatus,
    SupervisionNotice,
    rung,
)
from .services import deadline_text

RACE = "该督办文书已被他人处理，请刷新页面后查看最新状态。"

# 发文字号的类别字: 朔整改办函〔2022〕12号, 朔整改办督〔2022〕3号 …
NUMBER_WORDS = {
    NoticeKind.REMINDER: "函",
    NoticeKind.URGE: "督",
    NoticeKind.CIRCULAR: "通",
    NoticeKind.REPORT: "报",
    NoticeKind.ACCOUNTABILITY: "移",
    NoticeKind.INTERVIEW: "谈",
}


# --- issuing offices and numbers ------------------------------------------------------------


def issuer_for(actor: Any) -> OrgUnit:
    """The office the coordinator issues documents for: its own unit (an 整改办)."""
    for m in viewer_scope(actor).memberships:
        if m.role == Role.COORDINATOR and m.unit.is_active:
            return m.unit
    raise Forbidden("只有整改办可以印发督办文书。")


def issuer_abbr(issuer: OrgUnit) -> str:
    if issuer.doc_abbr:
        return issuer.doc_abbr
    alias = next((a for a in issuer.aliases if a.endswith("整改办")), "")
    return alias or issuer.name


def document_number(*, issuer: OrgUnit, word: str, year: int) -> tuple[int, str]:
    """The next number of the issuer's series for `word` and `year`, inside the caller's
    transaction (gapless and never repeated, see core.numbering)."""
    serial = next_number(f"{issuer.pk}:{word}", year)
    return serial, f"{issuer_abbr(issuer)}{word}〔{year}〕{serial}号"


# --- drafting ---------------------------------------------------------------------------------


@dataclass
class NoticeInput:
    kind: str
    unit: OrgUnit
    measures: Sequence[Measure]
    title: str = ""
    body: str = ""
    response_due: dt.date | None = None
    skip_reason: str = ""
    copy_to: Sequence[str] = ()  # 抄送机关


# Up to this many tasks a draft sets them out in its body; more are listed in the 附件 (措施清单),
# which notice_docs adds after the 成文日期.
INLINE_MEASURES = 3
COPY_TO_MAX = 20


def needs_appendix(measure_count: int, body: str) -> bool:
    """Does the letter carry the 附件 (措施清单)? When its tasks are too many to set out in the
    body, when the body refers to it, or when the body (an older draft) shortened them with "…"."""
    return measure_count > INLINE_MEASURES or any(w in body for w in ("附件", "…"))


def clean_copy_to(names: Iterable[str]) -> list[str]:
    """抄送机关 as typed or chosen: split on "，、,;；" and new lines, trimmed, each once, in order."""
    out: list[str] = []
    for name in names:
        pieces, depth, current = [], 0, ""
        for ch in str(name):
            depth += (ch in "（(") - (ch in "）)")
            if ch in "，,;；\n" or (ch == "、" and depth <= 0):  # "各县（市、区）政府" stays whole
                pieces.append(current)
                current = ""
            else:
                current += ch
        for piece in [*pieces, current]:
            piece = piece.strip(" \t\r\u3000。")
            if piece and piece not in out:
                out.append(piece[:120])
    if len(out) > COPY_TO_MAX:
        raise DomainError(f"抄送机关最多{COPY_TO_MAX}个，请精简。")
    return out


def default_title(kind: str, unit: OrgUnit) -> str:
    label = NoticeKind(kind).label
    if kind == NoticeKind.INTERVIEW:
        return f"关于约谈{unit.name}主要负责同志的通知"
    if kind == NoticeKind.REPORT:
        return f"关于{unit.name}督察整改任务推进滞后情况的专题报告"
    if kind == NoticeKind.ACCOUNTABILITY:
        return f"关于{unit.name}督察整改工作不力问题线索的移交函"
    return f"关于{unit.name}督察整改任务推进滞后的{label}"


def unit_shares(unit: OrgUnit, measure_ids: Iterable[int]) -> dict[int, Assignment]:
    """The unit's own share of each measure (its lead share if it also supports it)."""
    out: dict[int, Assignment] = {}
    for a in Assignment.objects.filter(unit=unit, measure_id__in=list(measure_ids)).order_by("role", "pk"):
        assert a.measure_id is not None
        out.setdefault(a.measure_id, a)
    return out


def share_line(measure: Measure, share: Assignment | None) -> str:
    """One task as a letter names it: the unit's own deadline, progress and warning, never the
    measure's roll-up of every unit."""
    if share is None:
        return f"整改时限{deadline_text(measure.deadline_raw, measure.due_on)}"
    due = deadline_text(measure.deadline_raw, share.due_on, extended=share.due_extended)
    said = "至今未报送进展" if share.progress is None else f"目前报送进度{format_percent(share.progress)}"
    level = {"red": "红色预警", "yellow": "黄色预警"}.get(share.warning_level, "")
    return f"整改时限{due}，你单位{said}" + (f"，已列为{level}" if level else "")


def default_body(kind: str, unit: OrgUnit, measures: Sequence[Measure], *, today: dt.date, due: dt.date | None) -> str:
    """A first draft from the unit's own shares of the measures; the coordinator edits it before issuing."""
    shares = unit_shares(unit, [m.pk for m in measures])
    lines = []
    inline = len(measures) <= INLINE_MEASURES
    for n, m in enumerate(measures if inline else [], start=1):
        share = shares.get(m.pk)
        role = "（配合）" if share is not None and share.role == Assignment.RoleKind.SUPPORT else ""
        text = " ".join(m.text.split()).rstrip("。；;，, ")
        lines.append(f"{n}．（{m.problem.number}）{m.label}{role}：{text}。{share_line(m, share)}。")
    listing = "\n".join(lines) if inline else ""
    reply = f"请于{format_cn_date(due)}前" if due else "请尽快"
    lead = "牵头负责" if all(a.role == Assignment.RoleKind.LEAD for a in shares.values()) else "负责"
    opening = {
        NoticeKind.REMINDER: f"经调度，你单位{lead}的以下督察整改任务进度滞后，现予以提醒：",
        NoticeKind.URGE: f"你单位{lead}的以下督察整改任务经提醒后仍推进滞后，现予以督办：",
        NoticeKind.CIRCULAR: f"经调度核查，你单位{lead}的以下督察整改任务推进不力，现予以通报：",
        NoticeKind.REPORT: f"{unit.name}{lead}的以下督察整改任务经提醒、督办、通报后仍未按期完成，现专题报告如下：",
        NoticeKind.ACCOUNTABILITY: f"{unit.name}{lead}的以下督察整改任务经多次督办仍未落实，现将问题线索移交：",
        NoticeKind.INTERVIEW: f"你单位{lead}的以下督察整改任务推进不力，经研究，决定对你单位主要负责同志进行约谈：",
    }[NoticeKind(kind)]
    if not measures:
        listing = "（请列明涉及的整改任务）"
    elif not inline:  # the 附件 lists every task in full, with the unit's own deadline and progress
        tasks = f"{len(measures)}项督察整改任务（具体任务及本单位的整改时限、进度和预警情况见附件）"
        opening = opening.replace("以下督察整改任务", tasks).removesuffix("：") + "。"
    closing = {
        NoticeKind.REPORT: "建议由市委、市政府主要领导听取专题汇报，研究推动措施。",
        NoticeKind.ACCOUNTABILITY: "请依纪依法调查处理，并将处理结果反馈市整改办。",
        NoticeKind.INTERVIEW: f"请你单位主要负责同志按通知要求参加约谈，并{reply}将整改推进情况书面报送市整改办。",
    }.get(
        NoticeKind(kind),
        f"请你单位高度重视，压实整改责任，倒排工期、加快推进，{reply}将整改推进情况及下一步措施书面报送市整改办。",
    )
    # 包联领导 of the problems concerned: a letter tells the unit which leader answers for them.
    leaders = leaders_line([m.problem for m in measures])
    return "\n".join(part for part in (opening, listing, leaders, closing) if part)


def _check_rung(kind: str, unit: OrgUnit, measures: Sequence[Measure], *, exclude: int | None = None) -> str:
    """Empty if `kind` is at most one rung above what the unit already had for these measures;
    otherwise the message that asks for a reason."""
    target = rung(kind)
    if target is None:
        return ""
    issued = SupervisionNotice.objects.filter(unit=unit, kind__in=LADDER).exclude(
        status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED]
    )
    if exclude:
        issued = issued.exclude(pk=exclude)
    if measures:
        issued = issued.filter(measures__in=[m.pk for m in measures])
    last = max((r for k in issued.values_list("kind", flat=True).distinct() if (r := rung(k)) is not None), default=-1)
    if target <= last + 1:
        return ""
    expected = LADDER[last + 1].label
    return (
        f"按督办程序，{unit.name}就这些措施下一步应为“{expected}”，"
        f"直接印发“{NoticeKind(kind).label}”属越级，请填写越级理由。"
    )


def rung_warning(notice: SupervisionNotice) -> str:
    """For the draft page: the message issuing would give now, before the user tries."""
    return _check_rung(notice.kind, notice.unit, list(notice.measures.all()), exclude=notice.pk)


@transaction.atomic
def notice_draft(
    *,
    actor: Any,
    data: NoticeInput,
    escalated_from: SupervisionNotice | None = None,
    proposal: str = "",
) -> SupervisionNotice:
    if not policies.can_issue_to(actor, data.unit):
        raise Forbidden("只有负责该单位的整改办可以起草督办文书。")
    if data.kind not in NoticeKind.values:
        raise DomainError("请选择督办文书类型。")
    today = clock.today()
    due = data.response_due or (today + dt.timedelta(days=settings.RECTIFY_NOTICE_RESPONSE_DAYS))
    notice = SupervisionNotice.objects.create(
        kind=data.kind,
        issuer=issuer_for(actor),
        unit=data.unit,
        title=(data.title.strip() or default_title(data.kind, data.unit))[:200],
        body=data.body.strip() or default_body(data.kind, data.unit, data.measures, today=today, due=due),
        response_due=due,
        copy_to=clean_copy_to(data.copy_to),
        skip_reason=data.skip_reason.strip(),
        escalated_from=escalated_from,
        proposal=proposal[:300],
        created_by=actor,
    )
    notice.measures.set(data.measures)
    record(actor=actor, action="notice.drafted", obj=notice, parent=data.unit, after=_snap(notice))
    return notice


def _snap(n: SupervisionNotice) -> dict[str, Any]:
    return {
        "kind": n.kind,
        "unit": n.unit.name,
        "title": n.title,
        "response_due": n.response_due.isoformat() if n.response_due else None,
        "copy_to": list(n.copy_to),
        "measures": [m.pk for m in n.measures.all()],
        "number": n.number,
    }


@transaction.atomic
def notice_update(*, actor: Any, notice: SupervisionNotice, version: int, data: NoticeInput) -> SupervisionNotice:
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有负责该单位的整改办可以修改督办文书。")
    if notice.status != NoticeStatus.DRAFT:
        raise DomainError("已印发的文书不能再修改。")
    if not data.title.strip() or not data.body.strip():
        raise DomainError("标题和正文不能为空。")
    before = _snap(notice)
    versioned_update(
        notice,
        version=version,
        values={
            "title": data.title.strip()[:200],
            "body": data.body.strip(),
            "response_due": data.response_due,
            "copy_to": clean_copy_to(data.copy_to),
            "skip_reason": data.skip_reason.strip(),
        },
        message="该草稿已被他人修改，请刷新页面后重新编辑（您填写的内容已保留在下方）。",
        status=NoticeStatus.DRAFT,
    )
    notice.measures.set(data.measures)
    record(actor=actor, action="notice.updated", obj=notice, parent=notice.unit, before=before, after=_snap(notice))
    return notice


@transaction.atomic
def notice_issue(*, actor: Any, notice: SupervisionNotice, skip_reason: str = "") -> SupervisionNotice:
    """Number the draft and send it to the unit. The number and the status change commit
    together: a failed issue gives its number back."""
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有负责该单位的整改办可以印发督办文书。")
    if notice.status != NoticeStatus.DRAFT:
        raise ConcurrentChange(RACE)
    reason = (skip_reason or notice.skip_reason).strip()
    measures = list(notice.measures.all())
    skipping = _check_rung(notice.kind, notice.unit, measures, exclude=notice.pk)
    if skipping and not reason:
        raise DomainError(skipping)
    if not skipping:
        reason = ""
    today = clock.today()
    serial, number = document_number(issuer=notice.issuer, word=NUMBER_WORDS[NoticeKind(notice.kind)], year=today.year)
    transition(
        notice,
        table=NOTICE_TRANSITIONS,
        target=NoticeStatus.ISSUED,
        message=RACE,
        source=NoticeStatus.DRAFT,
        values={
            "number": number,
            "year": today.year,
            "serial": serial,
            "issued_on": today,
            "issued_by": actor,
            "skip_reason": reason,
        },
    )
    if notice.escalated_from_id:
        parent = notice.escalated_from
        assert parent is not None
        if parent.status in (NoticeStatus.ISSUED, NoticeStatus.REPLIED):
            transition(parent, table=NOTICE_TRANSITIONS, target=NoticeStatus.ESCALATED, message=RACE)
            record(
                actor=actor,
                action="notice.escalated",
                obj=parent,
                parent=parent.unit,
                after={"to": number, "kind": notice.kind},
            )
    record(
        actor=actor,
        action="notice.issued",
        obj=notice,
        parent=notice.unit,
        after={**_snap(notice), "skip_reason": reason},
        note=reason and f"越级理由：{reason}",
    )
    for m in measures:
        record(actor=actor, action="notice.issued", obj=m.problem, note=f"{number}（{notice.get_kind_display()}）")
    if notice.kind == NoticeKind.INTERVIEW:
        flag_mark(actor=actor, kind=FlagKind.INTERVIEW, unit=notice.unit, reason=notice.title, notice=notice)
    _tell(
        notice,
        to="unit",
        subject=f"【{notice.get_kind_display()}】{number} {notice.title}",
        body=f"{notice.issuer.name}向你单位印发{notice.get_kind_display()}（{number}）。"
        + (f"请于{format_cn_date(notice.response_due)}前在平台上回复整改情况。" if notice.response_due else ""),
        key="issued",
    )
    return notice


def _tell(notice: SupervisionNotice, *, to: str, subject: str, body: str, key: str) -> None:
    """Tell the unit's clerks (`to="unit"`) or the issuing office (`to="issuer"`)."""
    if to == "unit":
        recipients = progress.unit_clerks([notice.unit_id]).get(notice.unit_id, [])
    else:
        office = Membership.objects.filter(unit=notice.issuer, role=Role.COORDINATOR).select_related("user")
        recipients = [m.user for m in office] + ([notice.issued_by] if notice.issued_by is not None else [])
    notify(
        recipients=recipients,
        message=Message(
            kind="supervision",
            subject=subject,
            body=body,
            url=reverse("supervision:notice", args=[notice.pk]),
            dedupe_key=f"notice:{notice.pk}:{key}:v{notice.version}",
        ),
    )


@transaction.atomic
def notice_reply(
    *, actor: Any, notice: SupervisionNotice, text: str, files: Iterable[tuple[str, bytes]] = ()
) -> SupervisionNotice:
    if not policies.can_reply(actor, notice):
        raise Forbidden("只有主送单位的联络员可以回复督办文书。")
    text = text.strip()
    if not text:
        raise DomainError("请填写整改落实情况后再回复。")
    stored = [file_store(name, content) for name, content in files]
    transition(
        notice,
        table=NOTICE_TRANSITIONS,
        target=NoticeStatus.REPLIED,
        message=RACE,
        source=NoticeStatus.ISSUED,
        values={"reply_text": text, "replied_at": clock.now(), "replied_by": actor, "return_reason": ""},
    )
    for s in stored:
        Attachment.objects.create(notice=notice, uploaded_by=actor, **s.fields())
    record(
        actor=actor,
        action="notice.replied",
        obj=notice,
        parent=notice.unit,
        after={"reply": progress.truncate(text, 200), "files": [s.original_name for s in stored]},
    )
    _tell(
        notice,
        to="issuer",
        subject=f"【督办回复】{notice.unit.name}已回复{notice.number}",
        body=f"{notice.unit.name}已回复《{notice.title}》（{notice.number}）：{progress.truncate(text, 120)}",
        key="replied",
    )
    return notice


@transaction.atomic
def notice_return_reply(*, actor: Any, notice: SupervisionNotice, reason: str) -> SupervisionNotice:
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有整改办可以退回回复。")
    reason = reason.strip()
    if not reason:
        raise DomainError("退回回复时请填写理由。")
    transition(
        notice,
        table=NOTICE_TRANSITIONS,
        target=NoticeStatus.ISSUED,
        message=RACE,
        source=NoticeStatus.REPLIED,
        values={"return_reason": reason},
    )
    record(actor=actor, action="notice.reply_returned", obj=notice, parent=notice.unit, note=reason)
    _tell(
        notice,
        to="unit",
        subject=f"【督办回复被退回】{notice.number}",
        body=f"你单位对《{notice.title}》的回复被退回：{reason}。请补充后重新回复。",
        key="returned",
    )
    return notice


@transaction.atomic
def notice_close(*, actor: Any, notice: SupervisionNotice, note: str) -> SupervisionNotice:
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有整改办可以办结督办文书。")
    note = note.strip()
    if not note:
        raise DomainError("办结时请填写办结意见。")
    transition(
        notice,
        table=NOTICE_TRANSITIONS,
        target=NoticeStatus.CLOSED,
        message=RACE,
        values={"close_note": note, "closed_on": clock.today()},
    )
    record(actor=actor, action="notice.closed", obj=notice, parent=notice.unit, note=note)
    return notice


@transaction.atomic
def notice_cancel(*, actor: Any, notice: SupervisionNotice) -> SupervisionNotice:
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有整改办可以作废草稿。")
    transition(notice, table=NOTICE_TRANSITIONS, target=NoticeStatus.CANCELLED, message=RACE, source=NoticeStatus.DRAFT)
    record(actor=actor, action="notice.cancelled", obj=notice, parent=notice.unit)
    return notice


def next_rung(notice: SupervisionNotice) -> str | None:
    r = notice.rung
    if r is None or r + 1 >= len(LADDER):
        return None
    return LADDER[r + 1].value


@transaction.atomic
def notice_escalate(*, actor: Any, notice: SupervisionNotice, proposal: str = "") -> SupervisionNotice:
    """Draft the next rung for the same unit and measures; the current notice becomes
    "已升级" when that draft is issued."""
    if not policies.can_issue_to(actor, notice.unit):
        raise Forbidden("只有整改办可以升级督办。")
    if not notice.is_open:
        raise DomainError("只有已印发、尚未办结的文书可以升级。")
    kind = next_rung(notice)
    if kind is None:
        raise DomainError("该文书已是督办程序的最后一级（或为约谈），不能再升级。")
    existing = notice.escalations.filter(status=NoticeStatus.DRAFT).first()
    if existing:
        return existing
    data = NoticeInput(kind=kind, unit=notice.unit, measures=list(notice.measures.all()), copy_to=notice.copy_to)
    return notice_draft(actor=actor, data=data, escalated_from=notice, proposal=proposal)
