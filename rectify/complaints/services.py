"""Complaint-case writes: import a batch (parse → review → commit; a re-import updates), enter a
case by hand, assign, record handling (versioned), move the status (guarded), 回访, attach to a
plan problem, publish a batch (masked, scanned), the daily scan (levels, reminders), and a
supervision notice about cases. Personal data goes to `Complainant` only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import versioned_update
from rectify.notifications.services import Message, notify_many
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Problem, WarningLevel
from rectify.plans.publishing import public_changed
from rectify.progress import services as progress
from rectify.supervision import notices as supervision

from . import policies, privacy
from .models import (
    CASE_TRANSITIONS,
    CaseStatus,
    Complainant,
    ComplaintBatch,
    ComplaintCase,
    Verdict,
)

RACE = "该交办件已被他人处理，请刷新页面后查看最新状态。"
EDIT_RACE = "该交办件已被他人修改，请刷新页面后重新填写（您填写的内容已保留在下方）。"
PUBLIC_FIELDS = ("content", "investigation", "handling", "accountability")
# Free text only the office's own pages show as typed (回访 notes name the complainant): masked
# wherever else a case is shown, like PUBLIC_FIELDS, but never published.
NOTE_FIELDS = ("next_step", "revisit_result")
ID_MAX = 2_147_483_647  # larger numbers name no unit (and SQLite cannot bind them)


# --- regions and units ------------------------------------------------------------------------


def region_units() -> dict[str, OrgUnit]:
    """Region names (and short forms: 朔城 for 朔城区) → the region unit."""
    out: dict[str, OrgUnit] = {}
    for region in OrgUnit.objects.filter(kind=UnitKind.REGION, is_active=True):
        for name in [region.name, *region.aliases]:
            out[name] = region
            if len(name) > 2 and name[-1] in "区县市":
                out.setdefault(name[:-1], region)
    return out


def resolve_region(text: str, regions: dict[str, OrgUnit] | None = None) -> OrgUnit | None:
    regions = regions if regions is not None else region_units()
    text = text.strip()
    if text in regions:
        return regions[text]
    for name, region in sorted(regions.items(), key=lambda kv: -len(kv[0])):
        if name and name in text:
            return region
    return None


def default_lead(region: OrgUnit | None) -> OrgUnit | None:
    """The region's government (朔城区 → 朔城区政府) handles its cases unless reassigned."""
    if region is None:
        return None
    return (
        OrgUnit.objects.filter(parent=region, kind=UnitKind.GOVERNMENT, is_active=True).order_by("path").first()
        or region
    )


# --- repeats ----------------------------------------------------------------------------------


def place_of(content: str) -> str:
    """The place or party a complaint is about: its leading clause up to the first verb-ish
    break, enough to match a later complaint about the same 企业/村/饭店."""
    head = privacy.mask_text(content).replace("\n", "")
    for stop in ("，", "。", "；", ",", "存在", "长期", "违规", "非法", "私自", "未经"):
        if stop in head[4:]:
            head = head[: head.index(stop, 4)]
    return head[:60].strip()


def find_repeat(content: str, *, exclude_code: str = "") -> ComplaintCase | None:
    place = place_of(content)
    if len(place) < 6:
        return None
    return (
        ComplaintCase.objects.filter(Q(place=place) | Q(place__startswith=place[:12]))
        .exclude(code=exclude_code)
        .order_by("assigned_on", "pk")
        .first()
    )


# --- one case ---------------------------------------------------------------------------------


@dataclasses.dataclass
class CaseInput:
    """The fields a person types for a case (manual entry or the unit's handling form)."""

    investigation: str = ""
    verdict: str = ""
    handling: str = ""
    accountability: str = ""
    ordered: int = 0
    filed: int = 0
    fine: str = "0"
    detained: int = 0
    interviewed: int = 0
    held_accountable: int = 0
    status: str = CaseStatus.OPEN
    next_step: str = ""
    next_step_due: dt.date | None = None

    def cleaned(self) -> dict[str, Any]:
        errors = []
        if self.verdict and self.verdict not in Verdict.values:
            errors.append("请选择是否属实。")
        if self.status not in CaseStatus.values:
            errors.append("请选择办理状态。")
        try:
            fine = Decimal(str(self.fine or "0").strip() or "0")
            if fine < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append("罚款金额须为不小于 0 的数字（万元）。")
            fine = Decimal(0)
        counts = [self.ordered, self.filed, self.detained, self.interviewed, self.held_accountable]
        if any(not isinstance(n, int) or n < 0 for n in counts):
            errors.append("处罚、约谈、问责人数须为不小于 0 的整数。")
        if self.status in (CaseStatus.CLOSED, CaseStatus.STAGE_CLOSED):
            if not self.verdict:
                errors.append("办结前请填写是否属实。")
            if not self.investigation.strip():
                errors.append("办结前请填写调查核实情况。")
        if self.status == CaseStatus.STAGE_CLOSED and (not self.next_step.strip() or self.next_step_due is None):
            errors.append("阶段性办结须填写下一步工作及完成时限。")
        if errors:
            raise DomainError(" ".join(errors))
        return {
            "investigation": self.investigation.strip(),
            "verdict": self.verdict,
            "handling": self.handling.strip(),
            "accountability": self.accountability.strip(),
            "ordered": self.ordered,
            "filed": self.filed,
            "fine": fine,
            "detained": self.detained,
            "interviewed": self.interviewed,
            "held_accountable": self.held_accountable,
            "next_step": self.next_step.strip(),
            "next_step_due": self.next_step_due,
        }


@transaction.atomic
def case_create(
    *,
    actor: Any,
    batch: ComplaintBatch,
    code: str,
    content: str,
    region: OrgUnit | None,
    types: Sequence[str] = (),
    assigned_on: dt.date | None = None,
    personal: dict[str, str] | None = None,
) -> ComplaintCase:
    """A case entered by hand (e.g. one passed on by phone)."""
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以登记交办件。")
    code = code.strip()
    if not code or not content.strip():
        raise DomainError("请填写受理编号和举报内容。")
    if ComplaintCase.objects.filter(code=code).exists():
        raise DomainError(f"受理编号 {code} 已存在。")
    assigned_on = assigned_on or clock.today()
    case = ComplaintCase.objects.create(
        batch=batch,
        code=code[:60],
        content=content.strip(),
        place=place_of(content),
        region=region,
        region_text=region.name if region else "",
        types=[t for t in types if t],
        assigned_on=assigned_on,
        due_on=assigned_on + dt.timedelta(days=batch.reply_days),
        lead_unit=default_lead(region),
        problem=batch.problem,
        repeat_of=find_repeat(content, exclude_code=code),
    )
    if personal and any(personal.values()):
        Complainant.objects.create(case=case, **{k: v[:200] for k, v in personal.items() if v})
    problem_counts([case.problem_id])
    record(actor=actor, action="complaint.created", obj=case, parent=batch)
    return case


def _may_assign(actor: Any, unit: OrgUnit) -> bool:
    """A unit the actor may name as lead or support: active, not a region, and (below the city
    office) inside the actor's own region — the page's list of units."""
    if not unit.is_active or unit.kind == UnitKind.REGION:
        return False
    return policies.can_manage(actor) or viewer_scope(actor).covers_unit(unit.pk)


@transaction.atomic
def case_assign(
    *,
    actor: Any,
    case: ComplaintCase,
    lead: OrgUnit,
    support: Iterable[int] = (),
    due_on: dt.date | None = None,
) -> ComplaintCase:
    """Name the lead unit, the support units (by id) and the due date. Below the city office the
    region's coordinator must cover the case's current lead (or, with none yet, its region) as
    well as the new one: seeing a case through a support unit is not the right to take it over."""
    if not policies.can_manage(actor):
        current = case.lead_unit_id or case.region_id
        if not (
            policies.can_coordinate(actor, lead.pk) and (current is None or policies.can_coordinate(actor, current))
        ):
            raise Forbidden("只有整改办可以分派交办件。")
    if not _may_assign(actor, lead):
        raise DomainError("请选择牵头单位。")
    wanted = sorted({int(i) for i in support})
    found = {
        u.pk: u for u in OrgUnit.objects.filter(pk__in=[i for i in wanted if 1 <= i <= ID_MAX]) if _may_assign(actor, u)
    }
    unknown = [i for i in wanted if i not in found]
    if unknown:
        listed = "、".join(str(i) for i in unknown)
        raise DomainError(f"配合单位不存在、已停用或不在您可分派的范围内：{listed}。")
    before = {"lead": case.lead_unit.name if case.lead_unit else None, "due_on": str(case.due_on)}
    ComplaintCase.objects.filter(pk=case.pk).update(lead_unit=lead, due_on=due_on or case.due_on)
    case.support_units.set([u for u in found.values() if u.pk != lead.pk])
    case.refresh_from_db()
    record(
        actor=actor,
        action="complaint.assigned",
        obj=case,
        parent=case.batch,
        before=before,
        after={"lead": lead.name, "due_on": str(case.due_on), "support": [u.name for u in case.support_units.all()]},
    )
    _remind([(case, f"【交办件】{case.code} 请于{case.due_on}前办理", f"assigned:{case.lead_unit_id}")])
    return case


@transaction.atomic
def case_update(*, actor: Any, case: ComplaintCase, version: int, data: CaseInput) -> ComplaintCase:
    """The lead unit records what it found and did; the status moves with it (guarded)."""
    if not (policies.can_handle(actor, case.lead_unit) or policies.can_manage(actor)):
        raise Forbidden("只有牵头单位的联络员可以填报办理情况。")
    values = data.cleaned()
    target = data.status
    if target != case.status and target not in CASE_TRANSITIONS[case.status]:
        raise DomainError("办理状态不能这样变更。")
    if target == CaseStatus.OPEN and case.status == CaseStatus.CLOSED and not policies.can_manage(actor):
        raise Forbidden("已办结的交办件只能由整改办重新打开。")
    before = {"status": case.status, "verdict": case.verdict}
    values["status"] = target
    # 办结 is dated the day it happens: a later edit of a closed case keeps that date
    if target != CaseStatus.CLOSED:
        values["closed_on"] = None
    elif case.status != CaseStatus.CLOSED or case.closed_on is None:
        values["closed_on"] = clock.today()
    versioned_update(case, version=version, values=values, message=EDIT_RACE, status=case.status)
    record(
        actor=actor,
        action="complaint.closed"
        if target == CaseStatus.CLOSED and before["status"] != target
        else "complaint.updated",
        obj=case,
        parent=case.batch,
        before=before,
        after={"status": target, "verdict": case.verdict},
    )
    problem_counts([case.problem_id])
    return case


@transaction.atomic
def case_revisit(
    *, actor: Any, case: ComplaintCase, result: str, satisfaction: str, on: dt.date | None = None
) -> ComplaintCase:
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以登记回访。")
    if not result.strip() or satisfaction not in ("satisfied", "fairly", "dissatisfied"):
        raise DomainError("请填写回访情况并选择满意度。")
    ComplaintCase.objects.filter(pk=case.pk).update(
        revisit_on=on or clock.today(), revisit_result=result.strip(), satisfaction=satisfaction
    )
    case.refresh_from_db()
    # The case's timeline is shown to every unit that sees the case: the note is the masked text.
    masked = public_fields(case, Complainant.objects.filter(case=case).first(), ("revisit_result",))
    record(actor=actor, action="complaint.revisited", obj=case, parent=case.batch, note=masked["revisit_result"])
    return case


@transaction.atomic
def batch_attach(*, actor: Any, batch: ComplaintBatch, problem: Problem | None) -> ComplaintBatch:
    """Attach a batch (and its cases) to a plan problem, as （十八） tracks its 群众举报."""
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以关联整改问题。")
    old = batch.problem_id
    ComplaintBatch.objects.filter(pk=batch.pk).update(problem=problem)
    batch.cases.update(problem=problem)
    batch.refresh_from_db()
    problem_counts([old, problem.pk if problem else None])
    record(actor=actor, action="complaints.attached", obj=batch, note=str(problem) if problem else "取消关联")
    return batch


def problem_counts(problem_ids: Iterable[int | None]) -> None:
    problem_ids_set = {p for p in problem_ids if p}
    for pid in problem_ids_set:
        counts = ComplaintCase.objects.filter(problem_id=pid).aggregate(
            total=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED))
        )
        Problem.objects.filter(pk=pid).update(cases_total=counts["total"], cases_closed=counts["closed"])
    progress.problem_rollup([p for p in problem_ids_set if p])


# --- publication ------------------------------------------------------------------------------


def public_fields(
    case: ComplaintCase, complainant: Complainant | None, fields: Sequence[str] = PUBLIC_FIELDS
) -> dict[str, str]:
    """The case's free text as it may be shown outside the office: the complainant's own
    details removed wherever they appear, then every phone, ID number and named person masked."""
    known = [v for v in ((complainant.name, complainant.phone, complainant.id_number, complainant.address)
             if complainant else ()) if v and len(v) >= 2]  # fmt: skip
    out = {}
    for name in fields:
        text = getattr(case, name) or ""
        for value in known:
            text = text.replace(value, "***")
        out[name] = privacy.mask_text(text)
    return out


@transaction.atomic
def batch_publish(*, actor: Any, batch: ComplaintBatch) -> list[tuple[str, str]]:
    """Freeze each case's masked public text; returns what the scan still finds (should be none)."""
    if not policies.can_manage(actor):
        raise Forbidden("只有市整改办可以公开交办件办理结果。")
    leftovers: list[tuple[str, str]] = []
    for case in batch.cases.select_related("complainant").all():
        complainant = getattr(case, "complainant", None)
        fields = public_fields(case, complainant)
        for value in fields.values():
            leftovers += [(case.code, kind) for kind, _ in privacy.find_personal(value)]
        ComplaintCase.objects.filter(pk=case.pk).update(public_text=fields)
    ComplaintBatch.objects.filter(pk=batch.pk).update(updated_at=clock.now())
    record(actor=actor, action="complaints.published", obj=batch, after={"cases": batch.cases.count()})
    public_changed()
    return leftovers


# --- the daily scan ---------------------------------------------------------------------------


def _level(case: ComplaintCase, today: dt.date) -> str:
    if case.status == CaseStatus.CLOSED:
        return WarningLevel.GREEN
    due = case.next_step_due if case.status == CaseStatus.STAGE_CLOSED and case.next_step_due else case.due_on
    if due is None:
        return WarningLevel.YELLOW
    if due < today:
        return WarningLevel.RED
    if (due - today).days <= 2:
        return WarningLevel.YELLOW
    return WarningLevel.GREEN


def _remind(reminders: Sequence[tuple[ComplaintCase, str, str]]) -> int:
    """(case, subject, dedupe key) → one message to each lead unit's clerks, in one batch."""
    clerks = progress.unit_clerks({c.lead_unit_id for c, _, _ in reminders if c.lead_unit_id})
    batch = []
    for c, subject, key in reminders:
        if not c.lead_unit_id:
            continue
        body = (
            f"交办件 {c.code}（{c.region_text or '—'}，{c.types_text or '—'}）："
            f"{privacy.mask_text(c.content)[:80]}……\n办理时限：{c.due_on or '—'}；当前状态：{c.get_status_display()}。"
        )
        message = Message(
            kind="warning",
            subject=subject,
            body=body,
            url=reverse("complaints:case", args=[c.pk]),
            dedupe_key=f"case:{c.pk}:{key}",
        )
        batch.append((clerks.get(c.lead_unit_id, []), message))
    return notify_many(batch)


def cases_scan(*, today: dt.date | None = None) -> list[ComplaintCase]:
    """Levels for every open case (red past its due date or its 阶段性办结 next-step date, yellow
    within 2 days) and one reminder per case and level and date; catch-up safe (ranges)."""
    today = today or clock.today()
    changed: dict[str, list[ComplaintCase]] = {}
    for case in ComplaintCase.objects.exclude(status=CaseStatus.CLOSED, warning_level=WarningLevel.GREEN):
        level = _level(case, today)
        if level != case.warning_level:
            case.warning_level = level
            changed.setdefault(level, []).append(case)
    for level, cases in changed.items():
        ComplaintCase.objects.filter(pk__in=[c.pk for c in cases]).update(warning_level=level)
    _remind(
        [(c, f"【交办件逾期】{c.code} 已超过办理时限", f"red:{c.due_on}") for c in changed.get(WarningLevel.RED, [])]
        + [(c, f"【交办件临期】{c.code} 即将到期", f"yellow:{c.due_on}") for c in changed.get(WarningLevel.YELLOW, [])]
    )
    return [c for cases in changed.values() for c in cases]


# --- a supervision notice about cases ---------------------------------------------------------


@transaction.atomic
def cases_notice(*, actor: Any, cases: Sequence[ComplaintCase], kind: str = "reminder") -> Any:
    """A 提醒函 (or the next rung) to the lead unit about overdue cases: a draft to edit and issue."""
    units = {c.lead_unit_id for c in cases}
    if len(units) != 1 or None in units:
        raise DomainError("请选择同一牵头单位的交办件。")
    unit = cases[0].lead_unit
    assert unit is not None
    lines = [
        f"{n}．交办件{c.code}（{c.region_text}，{c.types_text}）：{privacy.mask_text(c.content)[:60]}……"
        f"办理时限{c.due_on}，目前{c.get_status_display()}。"
        for n, c in enumerate(cases, start=1)
    ]
    body = (
        "你单位牵头办理的以下群众举报交办件未按时办结，现予以提醒：\n"
        + "\n".join(lines)
        + "\n请你单位高度重视，依法依规查处，尽快办结并按要求反馈办理结果。"
    )
    draft = supervision.notice_draft(
        actor=actor,
        data=supervision.NoticeInput(
            kind=kind, unit=unit, measures=[], title=f"关于{unit.name}加快办理群众举报交办件的提醒函", body=body
        ),
    )
    for case in cases:
        case.notices.add(draft)
        record(actor=actor, action="complaint.noticed", obj=case, note=f"{draft.get_kind_display()}（草稿）")
    return draft
