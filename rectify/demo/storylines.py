"""The history's storylines besides the weekly loop, each at its day (week index, weekday) from the
history's start; a shorter history plays the ones that fit, the documents always on its last Friday.

* the reporting calendar: the city office sets when units start reporting on the platform;
* share close-outs on （十九）措施45 (due 2022-03-31): twelve of its fifteen units apply for their
  own share, the acceptance group accepts them (one after a return), three units stay overdue;
* two measures closed through 验收 → 公示 → 销号 (（九）措施25, （八）措施24), 措施24 reopened on relapse;
* a 提醒函 to 右玉县政府 about its overdue shares, replied, escalated to a 督办通知, replied,
  the reply returned and replied again; a county 提醒函 to 朔城区党委 (missed milestone), replied
  and closed by the county office;
* a site visit in 怀仁市; an extension of 怀仁市政府's share of （十二）措施30;
* 交办件: the lead units' clerks handle open cases every week, the city office calls back;
* on the last Friday: the 月通报 of the last whole month and a 工作简报 for it.

Each step runs inside `Player.attempt`: a step the day's state refuses (DomainError) is noted
and the history goes on; the command prints the notes and the tests require none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rectify.closeout import services as closeout
from rectify.closeout.models import CloseoutApplication, CloseoutStatus, Decision
from rectify.complaints import services as complaints
from rectify.complaints.models import CaseStatus, ComplaintCase, Verdict
from rectify.documents import services as documents
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.progress import services as progress
from rectify.supervision import extensions, notices, visits
from rectify.supervision.models import ExtensionRequest, ExtensionStatus, NoticeKind, SupervisionNotice

from . import files

if TYPE_CHECKING:
    from .history import Player

FORTY_FIVE_BEHIND = ("右玉县政府", "右玉县党委", "应县党委")  # never apply: their shares stay overdue
FORTY_FIVE_RETURNED = "山阴县政府"


def schedule(p: Player) -> None:
    """Put every storyline step on the player's agenda."""

    def on(week: int, weekday: int, hhmm: str, label: str, step: Callable[..., Any], *args: Any, **kw: Any) -> None:
        day = p.options.start + dt.timedelta(weeks=week, days=weekday)
        p.at(p.moment(day, hhmm), partial(p.attempt, label, partial(step, p, *args, **kw)))

    on(0, 0, "09:00", "报送日历", calendar)
    applicants = [a for a in shares_of(p, "十九", "45") if a.unit and a.unit.name not in FORTY_FIVE_BEHIND]
    for i, share in enumerate(applicants):
        on(0, 1 + i % 3, f"{10 + i // 3}:{15 * (i % 4):02d}", "分工销号申请", apply_share, share)
    on(0, 2, "10:00", "措施25销号申请", apply_share, shares_of(p, "九", "25")[0])
    on(1, 0, "10:30", "提醒函", remind_youyu)
    on(1, 1, "09:30", "分工验收", review_shares)
    on(1, 3, "10:00", "措施24销号申请", apply_share, shares_of(p, "八", "24")[0])
    on(1, 3, "15:00", "补充材料重新申请", resubmit_returned)
    on(1, 4, "16:00", "回复提醒函", reply, NoticeKind.REMINDER, "右玉县政府")
    on(2, 0, "09:30", "分工验收", review_shares)
    on(2, 4, "10:00", "县级提醒函", remind_shuocheng)
    on(3, 1, "15:00", "回复县级提醒函", reply, NoticeKind.REMINDER, "朔城区党委")
    on(3, 3, "11:00", "办结县级提醒函", close_county_notice)
    on(4, 0, "10:00", "升级为督办通知", escalate_youyu)
    on(5, 2, "16:30", "回复督办通知", reply, NoticeKind.URGE, "右玉县政府", pdf=True)
    on(5, 3, "09:30", "退回督办回复", return_reply)
    on(5, 4, "11:00", "再次回复督办通知", reply, NoticeKind.URGE, "右玉县政府", again=True)
    on(6, 1, "10:00", "反弹重开", reopen)
    on(6, 3, "09:00", "现场督办", site_visit)
    on(7, 1, "10:00", "延期申请", request_extension)
    on(7, 3, "16:00", "延期审批", decide_extension)
    for week in range(1, p.options.weeks):
        on(week, 2, "14:00", "交办件办理", handle_cases, week)
    for week in range(2, p.options.weeks):
        on(week, 3, "15:30", "交办件回访", revisit_cases, week)
    last_friday = p.options.weeks - 1
    on(last_friday, 4, "15:00", "月通报", circular)
    on(last_friday, 4, "16:00", "工作简报", briefing)


# --- helpers -----------------------------------------------------------------------------------


def measure(p: Player, problem: str, number: str) -> Measure:
    return Measure.objects.select_related("problem").get(problem__plan=p.plan, problem__number=problem, number=number)


def shares_of(p: Player, problem: str, number: str) -> list[Assignment]:
    return list(
        Assignment.objects.filter(measure=measure(p, problem, number), unit__isnull=False)
        .select_related("unit", "measure__problem")
        .order_by("unit__path", "pk")
    )


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def notice_to(kind: str, unit_name: str) -> SupervisionNotice | None:
    return SupervisionNotice.objects.filter(kind=kind, unit__name=unit_name).exclude(number="").order_by("pk").last()


# --- the reporting calendar --------------------------------------------------------------------


def calendar(p: Player) -> None:
    current = progress.calendar_get()
    progress.calendar_update(
        actor=p.cast.user("city_office"), version=current.version, values={"starts_on": p.options.go_live}
    )


# --- close-out ---------------------------------------------------------------------------------


def apply_share(p: Player, share: Assignment) -> CloseoutApplication:
    share = Assignment.objects.select_related("unit", "measure__problem").get(pk=share.pk)  # as of today
    assert share.unit is not None and share.measure is not None
    key = f"closeout:{share.pk}"
    name = share.unit.name
    return closeout.closeout_apply(
        actor=p.cast.clerks[share.unit.pk],
        assignment=share,
        statement=f"{name}已按整改方案完成{share.measure.label}规定的整改任务，经自查验收合格，"
        "相关点位已全部整治到位，申请本单位分工销号。",
        files=[(f"{name}整改后现场照片.jpg", files.photo(key)), (f"{name}自查验收报告.pdf", files.scanned_record(key))],
    )


def review_shares(p: Player) -> None:
    """The acceptance group decides every submitted share application (returns one once)."""
    acceptance = p.cast.user("acceptance")
    for app in CloseoutApplication.objects.filter(status=CloseoutStatus.SUBMITTED).select_related(
        "unit", "measure__problem", "assignment"
    ):
        returned_before = Decision.objects.filter(application=app, kind=Decision.Kind.RETURN).exists()
        if app.unit.name == FORTY_FIVE_RETURNED and not returned_before:
            closeout.closeout_decide(
                actor=acceptance,
                app=app,
                decision=Decision.Kind.RETURN,
                opinion="佐证材料仅有现场照片，请补充第三方检测报告后重新申请。",
            )
        else:
            closeout.closeout_decide(
                actor=acceptance, app=app, decision=Decision.Kind.ACCEPT, opinion="资料齐全，验收通过。"
            )


def resubmit_returned(p: Player) -> None:
    for app in CloseoutApplication.objects.filter(status=CloseoutStatus.RETURNED).select_related("unit"):
        closeout.closeout_resubmit(
            actor=p.cast.clerks[app.unit_id],
            app=app,
            statement=app.statement + "已补充第三方检测报告。",
            files=[(f"{app.unit.name}第三方检测报告.pdf", files.scanned_record(f"retest:{app.pk}"))],
        )


def reopen(p: Player) -> None:
    app = CloseoutApplication.objects.get(measure=measure(p, "八", "24"), status=CloseoutStatus.CLOSED)
    closeout.closeout_reopen(
        actor=p.cast.user("city_office"),
        app=app,
        reason="群众举报反映原整治点位再次出现露天堆放，经现场核实问题反弹，重新打开整改。",
        files=[("反弹现场照片.jpg", files.photo(f"relapse:{app.pk}"))],
    )


# --- supervision notices -----------------------------------------------------------------------


def remind_youyu(p: Player) -> None:
    office = p.cast.user("city_office")
    data = notices.NoticeInput(
        kind=NoticeKind.REMINDER,
        unit=unit("右玉县政府"),
        measures=[measure(p, "十九", "45"), measure(p, "十九", "46")],
    )
    notices.notice_issue(actor=office, notice=notices.notice_draft(actor=office, data=data))


def remind_shuocheng(p: Player) -> None:
    office = p.cast.user("county_office")
    data = notices.NoticeInput(kind=NoticeKind.REMINDER, unit=unit("朔城区党委"), measures=[measure(p, "七", "21")])
    notices.notice_issue(actor=office, notice=notices.notice_draft(actor=office, data=data))


def reply(p: Player, kind: str, unit_name: str, *, pdf: bool = False, again: bool = False) -> None:
    notice = notice_to(kind, unit_name)
    if notice is None:
        return
    key = f"reply:{notice.pk}:{int(again)}"
    attached = [(f"{unit_name}整改情况说明.pdf", files.scanned_record(key))] if pdf else []
    attached.append((f"{unit_name}整改现场照片.jpg", files.photo(key)))
    if again:
        attached.append((f"{unit_name}整改前后对比照片.png", files.photo(key + ":after", fmt="PNG")))
    text = (
        "收到后我单位高度重视，已召开专题会议研究部署，明确分管领导和责任人，倒排工期，"
        "目前已完成现场排查，正在组织整改，预计一个月内完成。"
    )
    if again:
        text = "已补充整改前后对比照片。" + text
    notices.notice_reply(actor=p.cast.clerk_of(unit_name), notice=notice, text=text, files=attached)


def close_county_notice(p: Player) -> None:
    notice = notice_to(NoticeKind.REMINDER, "朔城区党委")
    if notice is not None:
        notices.notice_close(actor=p.cast.user("county_office"), notice=notice, note="已按要求落实，继续跟踪整改进度。")


def escalate_youyu(p: Player) -> None:
    notice = notice_to(NoticeKind.REMINDER, "右玉县政府")
    if notice is None:
        return
    office = p.cast.user("city_office")
    draft = notices.notice_escalate(actor=office, notice=notice, proposal="提醒函印发已满三周，相关措施仍为红色预警。")
    notices.notice_issue(actor=office, notice=draft)


def return_reply(p: Player) -> None:
    notice = notice_to(NoticeKind.URGE, "右玉县政府")
    if notice is not None:
        notices.notice_return_reply(
            actor=p.cast.user("city_office"), notice=notice, reason="回复未附整改前后对比照片，请补充后重新回复。"
        )


# --- site visit, extension ---------------------------------------------------------------------


def site_visit(p: Player) -> None:
    visits.visit_record(
        actor=p.cast.user("city_office"),
        data=visits.VisitInput(
            visited_on=p.sim.today,
            region=unit("怀仁市"),
            title="市领导赴怀仁市督导督察整改工作",
            leaders="市政府分管副市长，市整改办主任",
            places="怀仁市工业园区、金沙滩镇清洁取暖改造点",
            findings="工业园区部分企业料场苫盖不到位；清洁取暖改造后个别农户使用率偏低。要求限期整改，建立长效机制。",
            problems=[measure(p, "三十", "77").problem],
            tasks=[
                (
                    unit("怀仁市政府"),
                    "两周内完成工业园区料场苫盖整治，报送整改照片。",
                    p.sim.today + dt.timedelta(days=14),
                )
            ],
            files=[("现场督办照片.jpg", files.photo("visit:huairen"))],
        ),
    )


def request_extension(p: Player) -> None:
    extensions.extension_request(
        actor=p.cast.clerk_of("怀仁市政府"),
        measure=measure(p, "十二", "30"),
        unit=unit("怀仁市政府"),
        reason="受上级能耗指标分解调整影响，部分任务需待省级指标下达后落实，申请延期两个月。",
        requested_due=dt.date(2022, 11, 30),
    )


def decide_extension(p: Player) -> None:
    for ext in ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).select_related(
        "measure__problem", "unit"
    ):
        extensions.extension_decide(
            actor=p.cast.user("city_office"), ext=ext, approve=True, note="理由充分，同意延期至2022年11月30日。"
        )


# --- complaint cases ---------------------------------------------------------------------------


def _handleable(p: Player) -> list[ComplaintCase]:
    return list(
        ComplaintCase.objects.filter(
            status__in=[CaseStatus.OPEN, CaseStatus.STAGE_CLOSED], lead_unit_id__in=list(p.cast.clerks)
        )
        .select_related("lead_unit", "batch")
        .order_by("status", "code")
    )


def handle_cases(p: Player, week: int) -> None:
    """Three cases a week: open ones first (closed, or stage-closed with a next step), then
    stage-closed ones finished."""
    rng = p.rng("cases", week)
    for i, case in enumerate(_handleable(p)[:3]):
        p.sim.set(p.sim.now + dt.timedelta(minutes=7 * i))
        verdict = rng.choices(list(Verdict.values), weights=[55, 25, 20])[0]
        stage = case.status == CaseStatus.OPEN and rng.random() < 0.3
        data = complaints.CaseInput(
            investigation=case.investigation
            or "经现场调查核实，举报反映的问题"
            + {"substantiated": "属实", "partly": "部分属实"}.get(verdict, "不属实")
            + "。",
            verdict=case.verdict or verdict,
            handling=case.handling or "已责令相关企业立即整改，并依法立案调查。",
            accountability=case.accountability,
            ordered=case.ordered or (1 if verdict != Verdict.UNSUBSTANTIATED else 0),
            # The counts the import read from the 问责情况 text stay (the form starts from them).
            filed=case.filed,
            fine=str(case.fine),
            detained=case.detained,
            interviewed=case.interviewed,
            held_accountable=case.held_accountable,
            status=CaseStatus.STAGE_CLOSED if stage else CaseStatus.CLOSED,
            next_step="持续跟踪整改，完成后组织验收。" if stage else "",
            next_step_due=p.sim.today + dt.timedelta(days=30) if stage else None,
        )
        complaints.case_update(actor=p.cast.clerks[case.lead_unit_id], case=case, version=case.version, data=data)  # type: ignore[index]


def revisit_cases(p: Player, week: int) -> None:
    rng = p.rng("revisit", week)
    for case in ComplaintCase.objects.filter(status=CaseStatus.CLOSED, revisit_on__isnull=True).order_by("code")[:2]:
        complaints.case_revisit(
            actor=p.cast.user("city_office"),
            case=case,
            result="电话回访举报人，对办理结果表示认可。",
            satisfaction=rng.choices(["satisfied", "fairly", "dissatisfied"], weights=[70, 25, 5])[0],
        )


# --- documents ---------------------------------------------------------------------------------


def last_month(friday: dt.date) -> tuple[int, int, dt.date, dt.date]:
    end = friday.replace(day=1) - dt.timedelta(days=1)
    return end.year, end.month, end.replace(day=1), end


def circular(p: Player) -> None:
    year, month, _, month_end = last_month(p.sim.today)
    if month_end < p.options.start:
        return
    office = p.cast.user("city_office")
    draft, _ = documents.circular_generate(actor=office, year=year, month=month)
    documents.circular_issue(actor=office, circular=draft)


def briefing(p: Player) -> None:
    _, _, month_start, month_end = last_month(p.sim.today)
    if month_end < p.options.start:
        return
    office = p.cast.user("city_office")
    draft = documents.briefing_draft(actor=office, period_start=max(month_start, p.options.start), period_end=month_end)
    documents.briefing_issue(actor=office, briefing=draft)
