"""Close-out per share: two lead units each close their own share and the measure follows them to
公示 and 销号 (nothing else moves); a problem with three lead units, each agreeing from its own
account, closed and reopened share by share; overlapping applications refused; a support share
does not apply on its own; a returned or objected share goes back; 长期坚持 shares; and the 交账
package and the 一案一档 dossier say 反弹重开, with its date, for a reopened item."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from rectify.closeout import selectors, services
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.core.errors import DomainError, Forbidden
from rectify.documents import handover
from rectify.documents.dossier import build_dossier
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure, Problem, ShareStatus
from tests.domain.test_closeout import at, clerk_for, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def share_of(measure: Measure, unit: str) -> Assignment:
    return Assignment.objects.select_related("unit", "measure__problem").get(measure=measure, unit__name=unit)


def apply_share(share: Assignment, actor: Any = None) -> CloseoutApplication:
    assert share.unit is not None
    return services.closeout_apply(
        actor=actor or clerk_for(share.unit), assignment=share, statement="本单位分工已完成。", files=[photo()]
    )


def accept(app: CloseoutApplication, users: Any) -> None:
    services.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="整改到位")


def statuses(*shares: Assignment) -> list[str]:
    return [Assignment.objects.get(pk=s.pk).status for s in shares]


def everything_but(measure_ids: set[int]) -> tuple[dict[int, tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
    """The shares and measures the test does not touch, as they stand."""
    shares = {
        a["pk"]: tuple(a.values())
        for a in Assignment.objects.exclude(measure_id__in=measure_ids)
        .order_by("pk")
        .values("pk", "status", "closed_on", "reopened_count", "progress", "warning_level")
    }
    measures = {
        m["pk"]: tuple(m.values())
        for m in Measure.objects.exclude(pk__in=measure_ids)
        .order_by("pk")
        .values("pk", "status", "closed_on", "reopened_count", "progress")
    }
    return shares, measures


def finish(day: str) -> str:
    out = StringIO()
    call_command("closeout_finish", "--today", day, stdout=out)
    return out.getvalue()


def test_two_lead_units_close_their_own_shares_and_the_measure_follows(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    env, ind = share_of(measure, "市生态环境局"), share_of(measure, "市工信局")
    assert {u.name for u in services.lead_units(measure=measure)} == {"市生态环境局", "市工信局"}
    before = everything_but({measure.pk})
    with at(dt.date(2022, 11, 1)):
        first = apply_share(env, users["dept_clerk"])
        # The unit's own share: no 会签, straight to the acceptance group.
        assert first.status == CloseoutStatus.SUBMITTED and first.is_share
        assert [(c.unit.name, c.agreed_at is not None) for c in first.consents.all()] == [("市生态环境局", True)]
        assert statuses(env, ind) == [ShareStatus.APPLYING, ShareStatus.NOT_STARTED]
        measure.refresh_from_db()
        assert measure.status == ItemStatus.IN_PROGRESS
        with pytest.raises(Forbidden):
            apply_share(env, clerk_for(ind.unit))  # another unit's share
        second = apply_share(ind)
        measure.refresh_from_db()
        assert measure.status == ItemStatus.COMPLETED  # every lead share applying: 已完成待验收
        accept(first, users)
        first.refresh_from_db()
        # Accepted, but the measure waits for the other lead unit: no 公示 yet.
        assert first.status == CloseoutStatus.ACCEPTED and first.published_on is None
        assert statuses(env, ind) == [ShareStatus.COMPLETED, ShareStatus.APPLYING]
        waiting = Notification.objects.get(recipient=users["dept_clerk"], subject__startswith="【验收通过】")
        assert "统一公示" in waiting.body
    with at(dt.date(2022, 11, 3)):
        accept(second, users)
    first.refresh_from_db()
    second.refresh_from_db()
    # The acceptance of the last lead share publishes the measure: both applications, one period.
    for app in (first, second):
        assert app.status == CloseoutStatus.PUBLISHED
        assert (app.published_on, app.publish_until) == (dt.date(2022, 11, 3), dt.date(2022, 11, 10))
    assert Notification.objects.filter(recipient=users["dept_clerk"], subject__startswith="【公示】").exists()
    assert statuses(env, ind) == [ShareStatus.COMPLETED, ShareStatus.COMPLETED]
    assert "销号 0 项" in finish("2022-11-10")  # the last day of 公示
    assert "销号 2 项" in finish("2022-11-12")
    assert "销号 0 项" in finish("2022-11-12")
    for s in (env, ind):
        s.refresh_from_db()
        assert (s.status, s.closed_on) == (ShareStatus.CLOSED, dt.date(2022, 11, 11))
    measure.refresh_from_db()
    assert (measure.status, measure.closed_on) == (ItemStatus.CLOSED, dt.date(2022, 11, 11))
    # The problem's other measures are open: the problem is not closed.
    assert Problem.objects.get(pk=measure.problem_id).status == ItemStatus.IN_PROGRESS
    assert everything_but({measure.pk}) == before
    # The measure relapses: the coordinator reopens both share applications; it relapsed once.
    problem_count = Problem.objects.get(pk=measure.problem_id).reopened_count
    with at(dt.date(2022, 11, 20)):
        for app in (first, second):
            app.refresh_from_db()
            services.closeout_reopen(actor=users["city_office"], app=app, reason="复查发现反弹")
    measure.refresh_from_db()
    assert measure.reopened_count == 1 and measure.status == ItemStatus.IN_PROGRESS
    assert statuses(env, ind) == [ShareStatus.RELAPSED, ShareStatus.RELAPSED]
    assert Problem.objects.get(pk=measure.problem_id).reopened_count == problem_count + 1


def test_a_problem_with_three_lead_units_is_seen_agreed_closed_and_reopened_by_share(users: Any) -> None:
    problem = Problem.objects.get(number="十四")
    leads = services.lead_units(problem=problem)
    assert sorted(u.name for u in leads) == sorted(["朔城区党委", "朔城区政府", "市工信局"])
    applicant = OrgUnit.objects.get(name="朔城区政府")
    co_leads = [u for u in leads if u != applicant]
    measures = list(problem.measures.order_by("seq"))
    shares = list(Assignment.objects.filter(measure__in=measures).order_by("pk"))
    assert len(shares) == 6
    clerks = {u.pk: clerk_for(u) for u in co_leads}  # each co-lead's own account
    with at(dt.date(2022, 11, 1)):
        app = services.closeout_apply(
            actor=users["county_clerk"], unit=applicant, problem=problem, statement="问题整改全部完成", files=[photo()]
        )
        assert app.status == CloseoutStatus.CONSENTING
        assert set(statuses(*shares)) == {ShareStatus.NOT_STARTED}  # nothing moves before everyone agrees
        for unit in co_leads:
            clerk = clerks[unit.pk]
            assert selectors.application_get(viewer=clerk, pk=app.pk) == app  # the co-lead sees it
            assert app in selectors.application_list(viewer=clerk)
            assert Notification.objects.filter(recipient=clerk, subject__startswith="【销号会签】").exists()
            services.closeout_consent(actor=clerk, app=app, unit=unit)
        app.refresh_from_db()
        assert app.status == CloseoutStatus.SUBMITTED
        assert set(statuses(*shares)) == {ShareStatus.APPLYING}
        assert {m.status for m in Measure.objects.filter(problem=problem)} == {ItemStatus.COMPLETED}
        accept(app, users)
        assert app.status == CloseoutStatus.PUBLISHED
        assert set(statuses(*shares)) == {ShareStatus.COMPLETED}
    assert "销号 1 项" in finish("2022-11-09")
    problem.refresh_from_db()
    assert (problem.status, problem.closed_on) == (ItemStatus.CLOSED, dt.date(2022, 11, 9))
    assert set(statuses(*shares)) == {ShareStatus.CLOSED}
    with at(dt.date(2022, 12, 1)):
        services.closeout_reopen(actor=users["city_office"], app=app, reason="群众举报：夜间偷排")
    for s in shares:
        s.refresh_from_db()
        assert (s.status, s.closed_on, s.reopened_count) == (ShareStatus.RELAPSED, None, 1)
    for m in Measure.objects.filter(problem=problem):
        assert (m.status, m.closed_on, m.reopened_count) == (ItemStatus.IN_PROGRESS, None, 1)
    problem.refresh_from_db()
    assert (problem.status, problem.closed_on, problem.reopened_count) == (ItemStatus.IN_PROGRESS, None, 1)
    # Every co-lead hears of the reopening; a relapsed share applies again, on its own.
    for unit in co_leads:
        assert Notification.objects.filter(recipient=clerk_for(unit), subject__startswith="【反弹重开】").exists()
    with at(dt.date(2022, 12, 2)):
        again = apply_share(shares[0])
    assert again.status == CloseoutStatus.SUBMITTED and statuses(shares[0])[0] == ShareStatus.APPLYING


def test_overlapping_applications_are_refused_and_a_withdrawn_share_is_in_progress(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    env = share_of(measure, "市生态环境局")
    with at(dt.date(2022, 11, 1)):
        app = apply_share(env, users["dept_clerk"])
        with pytest.raises(DomainError, match="已有一份在办的销号申请"):
            apply_share(env, users["dept_clerk"])
        for item in ({"measure": measure}, {"problem": measure.problem}):
            with pytest.raises(DomainError, match="已有一份在办的销号申请"):
                services.closeout_apply(
                    actor=users["dept_clerk"], unit=env.unit, statement="x", files=[photo()], **item
                )
        services.closeout_withdraw(actor=users["dept_clerk"], app=app)
        assert statuses(env) == [ShareStatus.IN_PROGRESS]
        whole = services.closeout_apply(
            actor=users["dept_clerk"], unit=env.unit, measure=measure, statement="x", files=[photo()]
        )
        assert whole.status == CloseoutStatus.CONSENTING
        with pytest.raises(DomainError, match="已有一份在办的销号申请"):
            apply_share(env, users["dept_clerk"])


def test_only_counted_shares_apply_on_their_own(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    support = Assignment.objects.create(
        problem=measure.problem, measure=measure, unit=OrgUnit.objects.get(name="朔城区政府"), phrase="朔城区政府",
        role=Assignment.RoleKind.SUPPORT,
    )  # fmt: skip
    with pytest.raises(DomainError, match="配合单位的分工不单独申请销号"):
        apply_share(support, users["county_clerk"])
    assert support.pk not in set(selectors.applicable_shares(viewer=users["county_clerk"]).values_list("pk", flat=True))
    mine = selectors.applicable_shares(viewer=users["dept_clerk"])
    assert mine.filter(measure=measure, unit__name="市生态环境局").exists()
    assert set(mine.values_list("unit__name", flat=True)) == {"市生态环境局"}


def test_a_returned_or_objected_share_goes_back(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    env = share_of(measure, "市生态环境局")
    with at(dt.date(2022, 11, 1)):
        app = apply_share(env, users["dept_clerk"])
        services.closeout_decide(actor=users["acceptance"], app=app, decision="return", opinion="缺检测报告")
        assert statuses(env) == [ShareStatus.IN_PROGRESS]
        services.closeout_resubmit(actor=users["dept_clerk"], app=app, statement="已补充", files=[photo()])
        assert statuses(env) == [ShareStatus.APPLYING]
        accept(app, users)
        assert app.status == CloseoutStatus.ACCEPTED and statuses(env) == [ShareStatus.COMPLETED]
        # Accepted, waiting for the other lead unit: an objection still reopens the review.
        services.closeout_object(actor=users["city_office"], app=app, opinion="群众来电反映仍有异味")
        assert app.status == CloseoutStatus.SUBMITTED and statuses(env) == [ShareStatus.APPLYING]


def test_immediate_ongoing_shares_close_as_ongoing(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="四").order_by("seq").first()
    assert measure is not None and measure.deadline_kind == "immediate_ongoing"
    shares = list(Assignment.objects.filter(measure=measure).select_related("unit"))
    with at(dt.date(2022, 11, 1)):
        apps = [apply_share(s) for s in shares]
        for app in apps:
            accept(app, users)
    finish("2022-11-20")
    assert set(statuses(*shares)) == {ShareStatus.ONGOING}
    measure.refresh_from_db()
    assert measure.status == ItemStatus.ONGOING and measure.closed_on == dt.date(2022, 11, 9)
    assert all(CloseoutApplication.objects.get(pk=a.pk).ongoing for a in apps)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def test_the_package_and_the_dossier_say_a_reopened_item_was_reopened(users: Any) -> None:
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    env, ind = share_of(measure, "市生态环境局"), share_of(measure, "市工信局")
    with at(dt.date(2022, 11, 1)):
        first, second = apply_share(env, users["dept_clerk"]), apply_share(ind)
        accept(first, users)
        accept(second, users)
    finish("2022-11-10")
    with at(dt.date(2022, 11, 20)):
        services.closeout_reopen(actor=users["city_office"], app=first, reason="反弹")
    with at(dt.date(2022, 11, 25)):
        content, count = handover.build_package(dt.date(2022, 11, 1), dt.date(2022, 11, 25))
    archive = zipfile.ZipFile(io.BytesIO(content))
    book = CalamineWorkbook.from_filelike(io.BytesIO(archive.read("交账汇总表.xlsx")))
    rows = book.get_sheet_by_name("交账汇总表").to_python()[3:]
    assert count == 2
    by_unit = {r[4]: r for r in rows}  # a share's row names its own unit
    assert by_unit["市生态环境局"][8] == "2022-11-09（2022-11-20反弹重开）"
    assert by_unit["市工信局"][8] == "2022-11-09"
    dossier = zipfile.ZipFile(io.BytesIO(build_dossier(Problem.objects.get(pk=measure.problem_id))))
    record = _docx_text(dossier.read("90_验收与销号记录.docx"))
    assert "2022-11-09，2022-11-20反弹重开" in record
    application = next(n for n in dossier.namelist() if n.endswith("销号申请.docx") and "市生态环境局" in n)
    text = _docx_text(dossier.read(application))
    assert "2022-11-09，2022-11-20反弹重开" in text and "反弹重开" in text
