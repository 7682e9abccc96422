"""Close-out: the transition table (every allowed and forbidden move, and the document), the whole
journey of a measure application with a frozen clock (apply → return → re-apply → accept → 公示 →
objection → 销号 → reopen) and what it does to the measure's lead share, 会签 by several lead
units, one open application per item, who may review, indicators, 长期坚持, and the race of 8
reviewers on each of 100 applications on PostgreSQL (with and without the guard). The per-share
journeys are in test_closeout_shares.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Max
from PIL import Image

from rectify.audit.models import AuditChainHead, AuditEvent
from rectify.closeout import selectors, services
from rectify.closeout.models import CLOSEOUT_TRANSITIONS, CloseoutApplication, CloseoutStatus, Decision
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.transitions import transition
from rectify.indicators import services as indicators
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure, Problem, ShareStatus
from rectify.progress.periods import SHANGHAI
from rectify.supervision.models import Warning
from tests.domain.test_state_machines import documented

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: dt.date, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI), tick=False)


def photo() -> tuple[str, bytes]:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 60)).save(out, format="PNG")
    return ("完成照片.png", out.getvalue())


def clerk_for(unit: OrgUnit) -> Any:
    from django.contrib.auth.models import User

    from rectify.orgs.models import Membership, Role

    user, _ = User.objects.get_or_create(username=f"clerk-{unit.pk}", defaults={"first_name": f"{unit.name}联络员"})
    Membership.objects.get_or_create(user=user, unit=unit, role=Role.CLERK)
    return user


def single_lead_measure(kind: str | None = None) -> Measure:
    """A measure with exactly one lead unit (most seed measures have many: 各县（市、区）…)."""
    qs = Measure.objects.order_by("pk")
    if kind:
        qs = qs.filter(deadline_kind=kind)
    for m in qs:
        if len(services.lead_units(measure=m)) == 1:
            return m
    raise AssertionError("no such measure in the seed")


def apply(users: Any, measure: Measure) -> CloseoutApplication:
    unit = services.lead_units(measure=measure)[0]
    return services.closeout_apply(
        actor=clerk_for(unit), unit=unit, statement="已完成整治并通过自查。", measure=measure, files=[photo()]
    )


def test_the_transition_table_matches_the_document() -> None:
    code = {(a, b) for a, targets in CLOSEOUT_TRANSITIONS.items() for b in targets}
    assert documented("CloseoutApplication") == code
    assert set(CLOSEOUT_TRANSITIONS) == set(CloseoutStatus.values)


@pytest.mark.parametrize("source", CloseoutStatus.values)
@pytest.mark.parametrize("target", CloseoutStatus.values)
def test_every_allowed_move_succeeds_and_every_other_is_refused(source: str, target: str) -> None:
    app = CloseoutApplication.objects.create(
        measure=Measure.objects.first(), unit=OrgUnit.objects.get(name="朔城区政府"), statement="x", status=source
    )
    if target in CLOSEOUT_TRANSITIONS[source]:
        transition(app, table=CLOSEOUT_TRANSITIONS, target=target, message="race", source=source)
        assert app.status == target
    else:
        with pytest.raises(ConcurrentChange):
            transition(app, table=CLOSEOUT_TRANSITIONS, target=target, message="race", source=source)
        app.refresh_from_db()
        assert app.status == source


def test_the_whole_journey_with_a_frozen_clock(users: Any, tmp_path: Path) -> None:
    measure = single_lead_measure()
    with at(dt.date(2022, 11, 1)):
        with pytest.raises(DomainError, match="请上传佐证材料"):
            unit = services.lead_units(measure=measure)[0]
            services.closeout_apply(
                actor=clerk_for(unit),
                unit=unit,
                statement="完成",
                measure=measure,
            )
        app = apply(users, measure)
        assert app.status == CloseoutStatus.SUBMITTED and not app.is_share
        share = Assignment.objects.get(measure=measure, role="lead")  # the measure's one lead share
        measure.refresh_from_db()
        share.refresh_from_db()
        # The share is 申请销号 and the measure rolls up to 已完成待验收 from it.
        assert share.status == ShareStatus.APPLYING and measure.status == ItemStatus.COMPLETED
        assert Notification.objects.filter(recipient=users["acceptance"], subject__startswith="【待验收】").exists()
        with pytest.raises(DomainError, match="已有一份在办的销号申请"):
            apply(users, measure)
        with pytest.raises(DomainError, match="请填写验收意见"):
            services.closeout_decide(actor=users["acceptance"], app=app, decision="return", opinion="")
        services.closeout_decide(actor=users["acceptance"], app=app, decision="return", opinion="缺少第三方检测报告")
        measure.refresh_from_db()
        share.refresh_from_db()
        assert app.status == CloseoutStatus.RETURNED and measure.status == ItemStatus.IN_PROGRESS
        assert share.status == ShareStatus.IN_PROGRESS
    with at(dt.date(2022, 11, 5)):
        services.closeout_resubmit(actor=clerk_for(app.unit), app=app, statement="已补充检测报告。", files=[photo()])
        assert app.status == CloseoutStatus.SUBMITTED and app.rounds == 2
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="整改到位")
        assert app.status == CloseoutStatus.PUBLISHED
        assert (app.published_on, app.publish_until) == (dt.date(2022, 11, 5), dt.date(2022, 11, 12))
        assert app in selectors.public_list()
        services.closeout_object(actor=users["city_office"], app=app, opinion="群众来电反映仍有异味")
        assert app.status == CloseoutStatus.SUBMITTED
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="复核属实已整改")
    with at(dt.date(2022, 11, 12)):
        assert services.closeouts_finish() == []  # still in 公示
    # Nobody ran the job for a week: the close-out date is still the day after the period.
    with at(dt.date(2022, 11, 20)):
        done = services.closeouts_finish()
        assert services.closeouts_finish() == []
    assert [a.pk for a in done] == [app.pk]
    app.refresh_from_db()
    measure.refresh_from_db()
    assert app.status == CloseoutStatus.CLOSED and app.closed_on == dt.date(2022, 11, 13)
    assert measure.status == ItemStatus.CLOSED and measure.closed_on == dt.date(2022, 11, 13)
    share.refresh_from_db()
    assert (share.status, share.closed_on) == (ShareStatus.CLOSED, dt.date(2022, 11, 13))
    out = tmp_path / "ledger.json"
    call_command("export_ledger", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    row = next(m for p in exported["plans"][0]["problems"] for m in p["measures"] if m["text"] == measure.text)
    assert row["status"] == "closed" and row["closed_on"] == "2022-11-13"
    kinds = list(Decision.objects.filter(application=app).values_list("kind", flat=True))
    assert kinds == ["return", "accept", "objection", "accept", "close"]
    with at(dt.date(2022, 12, 1)):
        with pytest.raises(Forbidden):
            services.closeout_reopen(actor=clerk_for(app.unit), app=app, reason="反弹")
        services.closeout_reopen(actor=users["city_office"], app=app, reason="新的群众举报：夜间偷排", files=[photo()])
    measure.refresh_from_db()
    app.refresh_from_db()
    assert app.status == CloseoutStatus.REOPENED and measure.status == ItemStatus.IN_PROGRESS
    assert measure.closed_on is None and measure.reopened_count == 1
    share.refresh_from_db()
    assert (share.status, share.closed_on, share.reopened_count) == (ShareStatus.RELAPSED, None, 1)
    assert Problem.objects.get(pk=measure.problem_id).reopened_count == 1
    actions = list(AuditEvent.objects.filter(object_type="closeout.closeoutapplication", object_id=str(app.pk))
                   .order_by("at", "id").values_list("action", flat=True))  # fmt: skip
    assert "closeout.closed" in actions and actions[-1] == "closeout.reopened"
    # A new application can follow the reopened one.
    with at(dt.date(2022, 12, 2)):
        assert apply(users, measure).status == CloseoutStatus.SUBMITTED


def test_several_lead_units_must_all_agree(users: Any) -> None:
    m = next(m for m in Measure.objects.order_by("pk") if len(services.lead_units(measure=m)) == 2)
    first, second = services.lead_units(measure=m)
    with at(dt.date(2022, 11, 1)):
        app = services.closeout_apply(
            actor=clerk_for(first), unit=first, statement="已完成。", measure=m, files=[photo()]
        )
        assert app.status == CloseoutStatus.CONSENTING
        assert [c.unit for c in app.consents.filter(agreed_at__isnull=True)] == [second]
        with pytest.raises(Forbidden):
            services.closeout_consent(actor=clerk_for(first), app=app, unit=second)
        services.closeout_consent(actor=clerk_for(second), app=app, unit=second)
    app.refresh_from_db()
    assert app.status == CloseoutStatus.SUBMITTED


def test_only_the_acceptance_group_reviews_and_never_its_own_application(users: Any) -> None:
    app = apply(users, single_lead_measure())
    for who in ["county_clerk", "city_office", "leader", "dept_clerk"]:
        with pytest.raises(Forbidden):
            services.closeout_decide(actor=users[who], app=app, decision="accept", opinion="")
    from rectify.orgs.models import Membership, Role

    Membership.objects.create(user=users["acceptance"], unit=app.unit, role=Role.CLERK)
    users["acceptance"].__dict__.pop("_rectify_scope", None)
    with pytest.raises(Forbidden, match="申请单位不能验收"):
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")


def test_an_indicator_below_its_target_blocks_acceptance(users: Any) -> None:
    measure = single_lead_measure()
    indicator = indicators.indicator_define(
        actor=users["city_office"], problem=measure.problem, name="水质达标率", comparator="ge", target=95, unit="%"
    )
    app = apply(users, measure)
    with pytest.raises(DomainError, match=r"水质达标率.*尚未填报"):
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")
    indicators.indicator_report(
        actor=users["city_office"], indicator=indicator, value=90, measured_on=None, source="监测站", version=1
    )
    with pytest.raises(DomainError, match="当前90%，未达到目标≥95%"):
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")
    indicator.refresh_from_db()
    indicators.indicator_report(
        actor=users["city_office"], indicator=indicator, value=96.5, measured_on=None, source="监测站",
        version=indicator.version,
    )  # fmt: skip
    services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="达标")
    assert app.status == CloseoutStatus.PUBLISHED


def test_an_immediate_ongoing_item_closes_as_done_and_kept_up(users: Any) -> None:
    measure = single_lead_measure("immediate_ongoing")
    with at(dt.date(2022, 11, 1)):
        app = apply(users, measure)
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")
    with at(dt.date(2022, 11, 9)):
        services.closeouts_finish()
    measure.refresh_from_db()
    app.refresh_from_db()
    assert measure.status == ItemStatus.ONGOING and app.ongoing


# --- the race on PostgreSQL -------------------------------------------------------------------


def _unguarded(obj: Any, *, table: Any, target: str, message: str, values: Any = None, **_: Any) -> None:
    """transition() without its WHERE status = …: what the test must catch."""
    type(obj)._default_manager.filter(pk=obj.pk).update(status=target, **(values or {}))
    obj.refresh_from_db()


def _in_thread(fn: Any) -> Any:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0] if out else None


def race(acceptance_id: int, app_ids: list[int]) -> Counter[int]:
    """8 reviewers decide each application at once; returns the winners per application."""
    from django.contrib.auth.models import User

    wins: Counter[int] = Counter()
    lock = threading.Lock()
    for app_id in app_ids:
        barrier = threading.Barrier(8)

        def decide(n: int, app_id: int = app_id, barrier: threading.Barrier = barrier) -> None:
            try:
                user = User.objects.get(pk=acceptance_id)
                app = CloseoutApplication.objects.select_related("unit", "measure__problem", "problem").get(pk=app_id)
                barrier.wait()
                decision = "accept" if n % 2 else "return"
                services.closeout_decide(actor=user, app=app, decision=decision, opinion=f"第{n}位", seen="submitted")
            except ConcurrentChange:
                return
            finally:
                connections.close_all()
            with lock:
                wins[app_id] += 1

        threads = [threading.Thread(target=decide, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return wins


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
@pytest.mark.parametrize("guarded", [True, False])
def test_eight_reviewers_on_each_of_100_applications_give_exactly_one_winner(
    users: Any, monkeypatch: Any, guarded: bool
) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")

    # The race commits for real (threads, own connections): keep what the session's demo looked
    # like and put it back afterwards, shares and roll-ups included.
    tracked = {
        Assignment: ["status", "progress", "warning_level", "warning_reasons", "closed_on", "reopened_count"],
        Measure: ["status", "progress", "warning_level", "closed_on", "reopened_count", "last_report_at"],
        Problem: ["status", "progress", "warning_level", "closed_on", "reopened_count", "last_report_at"],
        Warning: ["resolved_on", "raised_on"],
    }
    snapshot: dict[Any, list[Any]] = {}
    warnings_before: list[int] = []
    chain_before: list[tuple[int, str]] = []

    def setup() -> list[int]:
        for model in tracked:
            snapshot[model] = list(model.objects.all())
        warnings_before.append(Warning.objects.aggregate(m=Max("pk"))["m"] or 0)
        chain_before.append(AuditChainHead.objects.values_list("seq", "hash").get())
        measures = list(Measure.objects.order_by("pk").values_list("pk", flat=True)[:91])
        problems = list(Problem.objects.order_by("pk").values_list("pk", flat=True)[: 100 - len(measures)])
        rows = [CloseoutApplication(measure_id=m, unit=unit, statement="并发", status="submitted") for m in measures]
        rows += [CloseoutApplication(problem_id=p, unit=unit, statement="并发", status="submitted") for p in problems]
        return [a.pk for a in CloseoutApplication.objects.bulk_create(rows)]

    def cleanup(ids: list[int]) -> None:
        Decision.objects.filter(application_id__in=ids).delete()
        # Only the race wrote audit events since setup: the chain goes back to where it was (deleting
        # some of them would leave it broken, as `rectify audit_verify` would rightly say).
        AuditEvent.objects.filter(seq__gt=chain_before[0][0]).delete()
        AuditChainHead.objects.update(seq=chain_before[0][0], hash=chain_before[0][1])
        Notification.objects.filter(dedupe_key__startswith="closeout:").delete()
        CloseoutApplication.objects.filter(pk__in=ids).delete()
        Warning.objects.filter(pk__gt=warnings_before[0]).delete()
        for model, fields in tracked.items():
            model.objects.bulk_update(snapshot[model], fields, batch_size=500)

    ids = _in_thread(setup)
    assert len(ids) == 100
    if not guarded:
        monkeypatch.setattr(services, "transition", _unguarded)
    try:
        wins = race(users["acceptance"].pk, ids)
    finally:
        _in_thread(lambda: cleanup(ids))
    exactly_one = all(wins[i] == 1 for i in ids)
    if guarded:
        assert exactly_one, {i: wins[i] for i in ids if wins[i] != 1}
    else:
        assert not exactly_one  # without the guard several reviewers "win": the check above would fail


def test_assignments_are_untouched_by_closing(users: Any) -> None:
    before = Assignment.objects.count()
    apply(users, single_lead_measure())
    assert Assignment.objects.count() == before


def test_a_reopened_item_counts_against_its_unit_in_the_month_s_ranking(users: Any) -> None:
    from dataclasses import replace

    from rectify.documents.figures import month_figures, weights
    from rectify.documents.scoring import parts, score_of

    measure = single_lead_measure()
    with at(dt.date(2022, 11, 1)):
        app = apply(users, measure)
        services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")
    with at(dt.date(2022, 11, 9)):
        services.closeouts_finish()
    before = next(f for f in month_figures(2022, 12, today=dt.date(2022, 12, 31)).units if f.unit_id == app.unit_id)
    with at(dt.date(2022, 12, 5)):
        services.closeout_reopen(actor=users["city_office"], app=app, reason="反弹")
    after = next(f for f in month_figures(2022, 12, today=dt.date(2022, 12, 31)).units if f.unit_id == app.unit_id)
    # The unit's one share of the measure was reopened in December: it counts once, for that unit.
    assert (before.reopened, after.reopened) == (0, 1)
    w = weights()
    without = score_of(replace(after, reopened=0), w)  # the same month had the share not relapsed
    report_part = w.report * parts(after, w)[0]  # the deductions never take the report part away
    expected = without if after.idle else max(report_part, without - w.reopen)
    assert w.reopen > 0 and after.score == pytest.approx(expected, abs=0.11)
