"""Close-out writes: apply (for a unit's own share; for a measure or a problem with the other
lead units' agreement), review (accept, return, on-site check), publish for the notice period
(a measure once every counted share of it is accepted), record an objection, close at the end of
the period (catch-up safe, run by the daily scheduler), reopen on relapse. Every status change is
a guarded transition (UPDATE … WHERE status = <seen>): two reviewers deciding at once get one
success and one "已被他人处理". Shares move with the application (shares.py); measures and
problems roll up from them (plans.rollup)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.files import file_store
from rectify.core.transitions import transition
from rectify.indicators import services as indicator_services
from rectify.notifications.services import Message, notify
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans.models import Assignment, ItemStatus, Measure, Problem, ShareStatus
from rectify.plans.publishing import public_changed
from rectify.progress import services as progress
from rectify.supervision.models import SiteVisit
from rectify.supervision.services import warnings_refresh

from . import policies, shares
from .models import (
    CLOSEOUT_TRANSITIONS,
    OPEN_STATUSES,
    CloseoutApplication,
    CloseoutEvidence,
    CloseoutStatus,
    Consent,
    Decision,
)

RACE = "该销号申请已被他人处理，请刷新页面后查看最新状态。"
ONGOING_KINDS = shares.ONGOING_KINDS
CLOSER = "销号程序"


def lead_units(*, measure: Measure | None = None, problem: Problem | None = None) -> list[OrgUnit]:
    """The lead (牵头) units of the item: of the measure, or of the problem itself."""
    qs = Assignment.objects.filter(role=Assignment.RoleKind.LEAD, unit__isnull=False).select_related("unit")
    qs = qs.filter(measure=measure) if measure is not None else qs.filter(problem=problem, measure__isnull=True)
    units = {a.unit.pk: a.unit for a in qs if a.unit is not None}
    return sorted(units.values(), key=lambda u: u.path)


def _item_measures(app: CloseoutApplication) -> list[Measure]:
    """The measures still to close: the application's measure, or the open ones of its problem."""
    if app.measure_id:
        assert app.measure is not None
        return [app.measure]
    return list(Measure.objects.filter(problem=_problem(app)).exclude(status=ItemStatus.CLOSED))


def _problem(app: CloseoutApplication) -> Problem:
    if app.problem is not None:
        return app.problem
    assert app.measure is not None
    return app.measure.problem


def _store(app: CloseoutApplication, actor: Any, files: Iterable[tuple[str, bytes]]) -> list[str]:
    names = []
    for name, content in files:
        stored = file_store(name, content)
        CloseoutEvidence.objects.create(application=app, uploaded_by=actor, round=app.rounds, **stored.fields())
        names.append(stored.original_name)
    return names


def _acceptors(app: CloseoutApplication) -> list[Any]:
    """The acceptance group members whose region holds the applying unit."""
    out = []
    for m in Membership.objects.filter(role=Role.ACCEPTANCE, user__is_active=True).select_related("user", "unit"):
        if policies.can_review(m.user, app):
            out.append(m.user)
    return out


def _tell(app: CloseoutApplication, recipients: Sequence[Any], subject: str, body: str, key: str) -> None:
    notify(
        recipients=recipients,
        message=Message(
            kind="supervision",
            subject=subject,
            body=body,
            url=reverse("closeout:application", args=[app.pk]),
            dedupe_key=f"closeout:{app.pk}:{key}:v{app.version}",
        ),
    )


def _clerks(app: CloseoutApplication) -> list[Any]:
    """The applying unit's clerks, the clerk who applied, and the clerks of the lead units that
    agreed to it (会签): everyone the application speaks for, each of whom can open it."""
    units = [app.unit_id, *Consent.objects.filter(application=app).values_list("unit_id", flat=True)]
    clerks = progress.unit_clerks(units)
    people = {u.pk: u for unit_id in dict.fromkeys(units) for u in clerks.get(unit_id, [])}
    if app.applied_by is not None:
        people.setdefault(app.applied_by.pk, app.applied_by)
    return list(people.values())


def _open_elsewhere(
    *, problem_id: int, measure: Measure | None, share: Assignment | None
) -> CloseoutApplication | None:
    """An open application that covers some of the same shares (the same share, its measure, a
    share of the measure, the problem or one of its measures)."""
    if share is not None:
        q = Q(assignment=share) | Q(measure=share.measure_id, assignment__isnull=True) | Q(problem_id=problem_id)
    elif measure is not None:
        q = Q(measure=measure) | Q(problem_id=problem_id)
    else:
        q = Q(problem_id=problem_id) | Q(measure__problem_id=problem_id)
    qs = CloseoutApplication.objects.filter(q, status__in=OPEN_STATUSES)
    return qs.select_related("unit", "measure__problem", "problem").first()


# --- applying ---------------------------------------------------------------------------------


@transaction.atomic
def closeout_apply(
    *,
    actor: Any,
    statement: str,
    unit: OrgUnit | None = None,
    measure: Measure | None = None,
    problem: Problem | None = None,
    assignment: Assignment | None = None,
    files: Iterable[tuple[str, bytes]] = (),
) -> CloseoutApplication:
    """Apply for a share (`assignment`: the unit's own part of a measure, no 会签), a measure or a
    whole problem (`unit` is then the applying lead unit; the other lead units agree first)."""
    if sum(x is not None for x in (assignment, measure, problem)) != 1:
        raise DomainError("请选择申请销号的分工、措施或问题。")
    if assignment is not None:
        if not assignment.is_share or assignment.unit is None or assignment.measure is None:
            raise DomainError("请选择本单位承担的整改措施分工。")
        if unit is not None and unit.pk != assignment.unit_id:
            raise Forbidden("只能为本单位的分工申请销号。")
        unit, measure = assignment.unit, assignment.measure
        if not policies.can_apply_for(actor, unit):
            raise Forbidden("只有本单位的联络员可以为本单位分工申请销号。")
        if not shares.is_counted(assignment):
            raise DomainError("配合单位的分工不单独申请销号，由牵头单位申请。")
        if assignment.status in shares.FINISHED_SHARE_STATUSES:
            raise DomainError("本单位分工已销号；如问题反弹，请由整改办重新打开。")
        others: list[OrgUnit] = []
    else:
        leads = lead_units(measure=measure, problem=problem)
        if unit is None or unit not in leads:
            raise Forbidden("只有该事项的牵头单位可以申请销号。")
        if not policies.can_apply_for(actor, unit):
            raise Forbidden("只有牵头单位的联络员可以申请销号。")
        item_status = (measure or problem).status  # type: ignore[union-attr]
        if item_status in (ItemStatus.CLOSED, ItemStatus.ONGOING):
            raise DomainError("该事项已销号；如问题反弹，请由整改办重新打开。")
        others = [u for u in leads if u != unit]
    if not statement.strip():
        raise DomainError("请填写整改完成情况。")
    files = list(files)
    if not files:
        raise DomainError("请上传佐证材料（照片、验收报告等）。")
    problem_id = problem.pk if problem is not None else measure.problem_id  # type: ignore[union-attr]
    # One applicant at a time per problem: the check below and the insert see the same rows.
    list(Problem.objects.select_for_update().filter(pk=problem_id).values_list("pk", flat=True))
    busy = _open_elsewhere(problem_id=problem_id, measure=measure, share=assignment)
    if busy is not None:
        raise DomainError(f"该事项已有一份在办的销号申请（{busy.item_label}，{busy.unit.name}），请待其办结后再申请。")
    try:
        with transaction.atomic():
            app = CloseoutApplication.objects.create(
                measure=measure,
                problem=problem,
                assignment=assignment,
                unit=unit,
                statement=statement.strip(),
                applied_by=actor,
                status=CloseoutStatus.CONSENTING if others else CloseoutStatus.SUBMITTED,
                submitted_at=None if others else clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError("该事项已有一份在办的销号申请。") from exc
    Consent.objects.create(application=app, unit=unit, agreed_at=clock.now(), agreed_by=actor)
    for other in others:
        Consent.objects.create(application=app, unit=other)
    names = _store(app, actor, files)
    after = {"item": app.item_label, "scope": app.scope_label, "unit": unit.name, "files": names}
    record(
        actor=actor,
        action="closeout.applied",
        obj=app,
        parent=_problem(app),
        after={**after, "awaiting": [u.name for u in others]},
    )
    record(actor=actor, action="closeout.applied", obj=_problem(app), note=f"{app.item_label} 申请销号（{unit.name}）")
    if others:
        clerks = progress.unit_clerks([u.pk for u in others])
        for other in others:
            _tell(
                app,
                clerks.get(other.pk, []),
                f"【销号会签】{app.item_label}",
                f"{unit.name}申请{app.item_label}销号，需牵头单位{other.name}会签同意。",
                f"consent-{other.pk}",
            )
    else:
        _submitted(app)
    return app


def _submitted(app: CloseoutApplication) -> None:
    shares.move(app, ShareStatus.APPLYING)
    _tell(
        app,
        _acceptors(app),
        f"【待验收】{app.item_label}（{app.unit.name}）",
        f"{app.unit.name}申请{app.item_label}销号：{progress.truncate(app.statement, 120)}",
        f"submitted-{app.rounds}",
    )


@transaction.atomic
def closeout_consent(*, actor: Any, app: CloseoutApplication, unit: OrgUnit) -> CloseoutApplication:
    consent = Consent.objects.filter(application=app, unit=unit).first()
    if consent is None or not policies.can_apply_for(actor, unit):
        raise Forbidden("只有需会签的牵头单位联络员可以会签。")
    if app.status != CloseoutStatus.CONSENTING:
        raise ConcurrentChange(RACE)
    if (
        Consent.objects.filter(pk=consent.pk, agreed_at__isnull=True).update(agreed_at=clock.now(), agreed_by=actor)
        != 1
    ):
        raise ConcurrentChange("本单位已会签。")
    record(actor=actor, action="closeout.consented", obj=app, parent=_problem(app), note=unit.name)
    if not Consent.objects.filter(application=app, agreed_at__isnull=True).exists():
        transition(
            app,
            table=CLOSEOUT_TRANSITIONS,
            target=CloseoutStatus.SUBMITTED,
            message=RACE,
            source=CloseoutStatus.CONSENTING,
            values={"submitted_at": clock.now()},
        )
        _submitted(app)
    return app


@transaction.atomic
def closeout_resubmit(
    *, actor: Any, app: CloseoutApplication, statement: str, files: Iterable[tuple[str, bytes]] = ()
) -> CloseoutApplication:
    """A returned application, completed and sent again (a new round)."""
    if not policies.can_apply_for(actor, app.unit):
        raise Forbidden("只有申请单位的联络员可以重新申请。")
    if not statement.strip():
        raise DomainError("请填写整改完成情况。")
    others = Consent.objects.filter(application=app).exclude(unit=app.unit)
    target = CloseoutStatus.CONSENTING if others.exists() else CloseoutStatus.SUBMITTED
    transition(
        app,
        table=CLOSEOUT_TRANSITIONS,
        target=target,
        message=RACE,
        source=CloseoutStatus.RETURNED,
        values={
            "statement": statement.strip(),
            "rounds": app.rounds + 1,
            "submitted_at": clock.now() if target == CloseoutStatus.SUBMITTED else None,
        },
    )
    others.update(agreed_at=None, agreed_by=None)
    names = _store(app, actor, files)
    record(actor=actor, action="closeout.resubmitted", obj=app, parent=_problem(app), after={"files": names})
    if target == CloseoutStatus.SUBMITTED:
        _submitted(app)
    else:
        for other in others.select_related("unit"):
            _tell(
                app,
                progress.unit_clerks([other.unit_id]).get(other.unit_id, []),
                f"【销号会签】{app.item_label}",
                f"{app.unit.name}补充后重新申请{app.item_label}销号，需牵头单位{other.unit.name}再次会签同意。",
                f"consent-{other.unit_id}-{app.rounds}",
            )
    return app


@transaction.atomic
def closeout_withdraw(*, actor: Any, app: CloseoutApplication) -> CloseoutApplication:
    if not policies.can_apply_for(actor, app.unit):
        raise Forbidden("只有申请单位的联络员可以撤回。")
    transition(app, table=CLOSEOUT_TRANSITIONS, target=CloseoutStatus.WITHDRAWN, message=RACE)
    shares.move(app, ShareStatus.IN_PROGRESS)
    record(actor=actor, action="closeout.withdrawn", obj=app, parent=_problem(app))
    return app


# --- review -----------------------------------------------------------------------------------


def indicator_shortfalls(app: CloseoutApplication) -> list[str]:
    """Targets the item's indicators have not met (where the plan sets one)."""
    return indicator_services.shortfalls(measures=_item_measures(app), problem=_problem(app))


@transaction.atomic
def closeout_decide(
    *,
    actor: Any,
    app: CloseoutApplication,
    decision: str,
    opinion: str,
    visit: SiteVisit | None = None,
    seen: str | None = None,
) -> CloseoutApplication:
    """The acceptance group's decision: accept (the shares are 已完成; 公示 starts at once for a
    measure or a problem, and for a share once every counted share of its measure is accepted),
    return, or ask for an on-site check. `seen` is the status the reviewer's page showed."""
    if not policies.can_review(actor, app):
        raise Forbidden("只有验收组可以验收（申请单位不能验收自己的申请）。")
    opinion = opinion.strip()
    if decision not in {Decision.Kind.ACCEPT, Decision.Kind.RETURN, Decision.Kind.SITE_CHECK}:
        raise DomainError("请选择验收结论。")
    if decision != Decision.Kind.ACCEPT and not opinion:
        raise DomainError("退回或要求现场核查时请填写验收意见。")
    now = clock.now()
    source = seen or (app.status if app.status in (CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK) else None)
    if source not in (CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK):
        raise ConcurrentChange(RACE)
    if decision == Decision.Kind.ACCEPT:
        missing = indicator_shortfalls(app)
        if missing:
            raise DomainError("量化指标未达到目标，不能验收通过：" + "；".join(missing))
        transition(
            app,
            table=CLOSEOUT_TRANSITIONS,
            target=CloseoutStatus.ACCEPTED,
            message=RACE,
            source=source,
            values={"opinion": opinion or "验收通过", "reviewed_by": actor, "reviewed_at": now},
        )
        Decision.objects.create(application=app, kind=Decision.Kind.ACCEPT, opinion=opinion or "验收通过", actor=actor)
        record(actor=actor, action="closeout.accepted", obj=app, parent=_problem(app), note=opinion)
        shares.move(app, ShareStatus.COMPLETED)
        if not app.is_share:
            _publish([app], actor=actor, accepted=app)
            return app
        # The measure's row serialises the acceptances of its shares: the last one publishes.
        list(Measure.objects.select_for_update().filter(pk=app.measure_id or 0).values_list("pk", flat=True))
        if shares.measure_finished(app.measure_id or 0):
            together = [app if a.pk == app.pk else a for a in _accepted_shares(app.measure_id or 0)]
            _publish(together, actor=actor, accepted=app)
        else:
            _tell(
                app,
                _clerks(app),
                f"【验收通过】{app.item_label}",
                f"{app.item_label}本单位分工已通过验收；该措施其余牵头单位的分工全部验收通过后，整条措施统一公示。",
                "accepted",
            )
        return app
    target = CloseoutStatus.RETURNED if decision == Decision.Kind.RETURN else CloseoutStatus.SITE_CHECK
    transition(
        app,
        table=CLOSEOUT_TRANSITIONS,
        target=target,
        message=RACE,
        source=source,
        values={"opinion": opinion, "reviewed_by": actor, "reviewed_at": now, "visit": visit or app.visit},
    )
    Decision.objects.create(application=app, kind=decision, opinion=opinion, actor=actor)
    if target == CloseoutStatus.RETURNED:
        shares.move(app, ShareStatus.IN_PROGRESS)
    action = "closeout.returned" if target == CloseoutStatus.RETURNED else "closeout.site_check"
    record(actor=actor, action=action, obj=app, parent=_problem(app), note=opinion)
    _tell(
        app,
        _clerks(app),
        f"【{'销号申请被退回' if target == CloseoutStatus.RETURNED else '需现场核查'}】{app.item_label}",
        f"验收意见：{opinion}",
        f"{decision}-{app.rounds}",
    )
    return app


def _accepted_shares(measure_id: int) -> list[CloseoutApplication]:
    return list(
        CloseoutApplication.objects.filter(
            measure_id=measure_id, assignment__isnull=False, status=CloseoutStatus.ACCEPTED
        )
        .select_related("unit", "measure__problem", "problem", "applied_by")
        .order_by("pk")
    )


def _publish(
    apps: Sequence[CloseoutApplication],
    *,
    actor: Any,
    accepted: CloseoutApplication | None,
    today: dt.date | None = None,
) -> None:
    """公示 from today for the notice period: a measure or problem application on its acceptance;
    the accepted share applications of a measure together, once all its counted shares are."""
    if not apps:
        return
    today = today or clock.today()
    until = today + dt.timedelta(days=settings.RECTIFY_PUBLIC_NOTICE_DAYS)
    for app in apps:
        transition(
            app,
            table=CLOSEOUT_TRANSITIONS,
            target=CloseoutStatus.PUBLISHED,
            message=RACE,
            source=CloseoutStatus.ACCEPTED,
            values={"published_on": today, "publish_until": until},
        )
        record(actor=actor, action="closeout.published", obj=app, parent=_problem(app), note=f"公示至{until:%Y-%m-%d}")
        if accepted is not None and app.pk == accepted.pk:
            subject, key = f"【验收通过】{app.item_label}", "accepted"
            body = f"{app.item_label}已通过验收，公示至{until:%Y年%m月%d日}；公示期满无异议即予销号。"
        else:
            subject, key = f"【公示】{app.item_label}", "published"
            body = (
                f"该措施各牵头单位的分工均已通过验收，{app.item_label}公示至{until:%Y年%m月%d日}；"
                "公示期满无异议即予销号。"
            )
        _tell(app, _clerks(app), subject, body, key)
    first = apps[0]
    item = first.item_label
    if first.is_share:
        assert first.measure is not None
        item = f"（{first.measure.problem.number}）{first.measure.label}（{len(apps)}个单位的分工）"
    record(
        actor=actor, action="closeout.published", obj=_problem(first), note=f"{item} 验收通过，公示至{until:%Y-%m-%d}"
    )
    public_changed()  # the portal's 公示 list


@transaction.atomic
def closeout_object(*, actor: Any, app: CloseoutApplication, opinion: str) -> CloseoutApplication:
    """An objection received during 公示 (letter, phone, the portal), or against an accepted share
    still waiting for the rest of its measure: the review reopens and the shares are 申请销号 again."""
    if not policies.can_manage(actor, app.unit_id) and not policies.can_review(actor, app):
        raise Forbidden("只有整改办或验收组可以登记公示异议。")
    if not opinion.strip():
        raise DomainError("请填写异议内容。")
    source = CloseoutStatus.ACCEPTED if app.status == CloseoutStatus.ACCEPTED else CloseoutStatus.PUBLISHED
    transition(app, table=CLOSEOUT_TRANSITIONS, target=CloseoutStatus.SUBMITTED, message=RACE, source=source)
    Decision.objects.create(application=app, kind=Decision.Kind.OBJECTION, opinion=opinion.strip(), actor=actor)
    shares.move(app, ShareStatus.APPLYING)
    record(actor=actor, action="closeout.objected", obj=app, parent=_problem(app), note=opinion.strip())
    _tell(app, _acceptors(app), f"【公示异议】{app.item_label}", opinion.strip(), f"objection-{app.version}")
    public_changed()
    return app


def closeouts_finish(*, today: dt.date | None = None) -> list[CloseoutApplication]:
    """Close (销号) every application whose notice period ended before `today` without objection:
    its shares are 已销号 (长期坚持 for 立行立改、长期坚持), the measures and problem roll up.
    Catch-up safe: the close-out date is the day after the period, whenever this runs; accepted
    share applications whose measure is complete but not yet published are published first."""
    today = today or clock.today()
    waiting = CloseoutApplication.objects.filter(status=CloseoutStatus.ACCEPTED, assignment__isnull=False)
    for measure_id in sorted(set(waiting.values_list("measure_id", flat=True))):
        try:
            with transaction.atomic():
                if shares.measure_finished(measure_id):
                    _publish(_accepted_shares(measure_id), actor=CLOSER, accepted=None, today=today)
        except ConcurrentChange:
            continue  # an objection came in meanwhile: nothing of this measure is published
    done = []
    due = CloseoutApplication.objects.filter(status=CloseoutStatus.PUBLISHED, publish_until__lt=today)
    for app in due.select_related("measure__problem", "problem", "unit").order_by("pk"):
        with transaction.atomic():
            assert app.publish_until is not None
            closed_on = app.publish_until + dt.timedelta(days=1)
            ongoing = any(m.deadline_kind in ONGOING_KINDS for m in _item_measures(app))
            try:
                transition(
                    app,
                    table=CLOSEOUT_TRANSITIONS,
                    target=CloseoutStatus.CLOSED,
                    message=RACE,
                    source=CloseoutStatus.PUBLISHED,
                    values={"closed_on": closed_on, "ongoing": ongoing},
                )
            except ConcurrentChange:
                continue  # an objection came in meanwhile
            Decision.objects.create(
                application=app, kind=Decision.Kind.CLOSE, opinion=f"公示期满无异议，{closed_on:%Y-%m-%d}销号"
            )
            shares.move(app, ShareStatus.CLOSED, closed_on=closed_on)
            label = "已完成、长期坚持" if ongoing else "销号"
            record(actor=CLOSER, action="closeout.closed", obj=app, parent=_problem(app), note=label)
            record(actor=CLOSER, action="closeout.closed", obj=_problem(app), note=f"{app.item_label} {label}")
            _tell(
                app,
                _clerks(app),
                f"【已销号】{app.item_label}",
                f"{app.item_label}公示期满无异议，已{label}。",
                "closed",
            )
        done.append(app)
    if done:
        warnings_refresh(measure_ids=[m for app in done for m in shares.measure_ids(app)], today=today)
        public_changed()
    return done


@transaction.atomic
def closeout_reopen(
    *, actor: Any, app: CloseoutApplication, reason: str, files: Iterable[tuple[str, bytes]] = ()
) -> CloseoutApplication:
    """问题反弹: the covered shares are 反弹 (they report again and may apply again), counted as
    reopened on the shares, the measures and the problem; the close stays in the history."""
    if not policies.can_manage(actor, app.unit_id):
        raise Forbidden("只有整改办可以重新打开已销号事项。")
    if not reason.strip():
        raise DomainError("请填写反弹情况（如新的群众举报）。")
    stored = [file_store(name, content) for name, content in files]
    transition(
        app, table=CLOSEOUT_TRANSITIONS, target=CloseoutStatus.REOPENED, message=RACE, source=CloseoutStatus.CLOSED
    )
    Decision.objects.create(
        application=app,
        kind=Decision.Kind.REOPEN,
        opinion=reason.strip(),
        actor=actor,
        evidence_name=stored[0].original_name if stored else "",
        evidence_storage=stored[0].storage_name if stored else "",
    )
    shares.count_reopen(app)
    shares.move(app, ShareStatus.RELAPSED)
    record(actor=actor, action="closeout.reopened", obj=app, parent=_problem(app), note=reason.strip())
    record(
        actor=actor, action="closeout.reopened", obj=_problem(app), note=f"{app.item_label} 反弹重开：{reason.strip()}"
    )
    warnings_refresh(measure_ids=shares.measure_ids(app))
    _tell(app, _clerks(app), f"【反弹重开】{app.item_label}", f"整改办重新打开：{reason.strip()}", "reopened")
    public_changed()
    return app
