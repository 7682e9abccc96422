"""Close-out pages and API: the permission matrix, the journey through the forms (apply with a
photo → return → re-apply → accept → 公示 on the public page → 销号 → reopen), the public page
without a login, 会签, and the API; a unit's own share applied for from the list, its page and the
API; the co-leads of a problem seeing and agreeing from their own accounts; and every link of
every close-out notification opening for the person it was sent to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectify.closeout import services
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure, Problem, ShareStatus
from tests.domain.test_closeout import clerk_for, photo, single_lead_measure
from tests.web.test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS, api, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: str) -> Any:
    return time_machine.travel(dt.datetime.fromisoformat(day + "T02:00:00+00:00"), tick=False)


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("完成照片.png", png(), content_type="image/png")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def applied(measure: Measure | None = None) -> CloseoutApplication:
    measure = measure or single_lead_measure()
    unit = services.lead_units(measure=measure)[0]
    return services.closeout_apply(
        actor=clerk_for(unit), unit=unit, statement="已完成。", measure=measure, files=[photo()]
    )


@pytest.mark.parametrize("name", ["closeout:applications"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_list_is_for_business_roles(client_for: Any, role: str, name: str) -> None:
    assert client_for(role).get(reverse(name)).status_code == (200 if role in BUSINESS else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_review_queue_is_for_the_acceptance_group(client_for: Any, role: str) -> None:
    assert client_for(role).get(reverse("closeout:review")).status_code == (200 if role == "acceptance" else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_an_application_own_other_missing(client_for: Any, role: str) -> None:
    app = applied()  # 市生态环境局's or another department's: city-wide roles see it, counties do not
    client = client_for(role)
    city_wide = {"city_office", "acceptance", "leader"}
    own = app.unit.name == "市生态环境局" and role == "dept_clerk"
    expected = 200 if role in city_wide or own else 403 if role in NO_BUSINESS else 404
    assert client.get(reverse("closeout:application", args=[app.pk])).status_code == expected
    if role in BUSINESS:
        assert client.get(reverse("closeout:application", args=[MISSING])).status_code == 404


def test_the_journey_through_the_forms_and_the_public_page(client_for: Any, users: Any) -> None:
    measure = single_lead_measure()
    unit = services.lead_units(measure=measure)[0]
    clerk = logged_in(clerk_for(unit))
    reviewer = client_for("acceptance")
    with at("2022-11-01"):
        form = clerk.get(reverse("closeout:apply") + f"?measure={measure.pk}")
        assert form.status_code == 200 and "提交销号申请" in form.content.decode()
        assert client_for("county_clerk").get(reverse("closeout:apply") + f"?measure={measure.pk}").status_code in {
            403,
            404,
        }
        missing = clerk.post(reverse("closeout:apply"), {"measure": measure.pk, "statement": "已完成整治"})
        assert "请上传佐证材料" in missing.content.decode() and "已完成整治" in missing.content.decode()
        done = clerk.post(
            reverse("closeout:apply"), {"measure": measure.pk, "statement": "已完成整治", "files": [upload()]}
        )
        app = CloseoutApplication.objects.get(measure=measure)
        assert done.url == reverse("closeout:application", args=[app.pk])
        queue = reviewer.get(reverse("closeout:review")).content.decode()
        assert app.item_label in queue
        refused = reviewer.post(reverse("closeout:action", args=[app.pk, "return"]), {"text": "", "seen": "submitted"})
        assert "请填写验收意见" in refused.content.decode()
        reviewer.post(reverse("closeout:action", args=[app.pk, "return"]), {"text": "缺检测报告", "seen": "submitted"})
        app.refresh_from_db()
        assert app.status == CloseoutStatus.RETURNED
        page = clerk.get(reverse("closeout:application", args=[app.pk])).content.decode()
        assert "缺检测报告" in page and 'data-testid="resubmit"' in page
        clerk.post(
            reverse("closeout:action", args=[app.pk, "resubmit"]), {"text": "已补充检测报告", "files": [upload()]}
        )
        # A second reviewer's page still shows 待验收: the first decision wins, the second is told.
        reviewer.post(reverse("closeout:action", args=[app.pk, "accept"]), {"text": "整改到位", "seen": "submitted"})
        late = client_for("acceptance").post(
            reverse("closeout:action", args=[app.pk, "return"]),
            {"text": "迟到的意见", "seen": "submitted"},
            follow=True,
        )
        assert "已被他人处理" in late.content.decode()
    app.refresh_from_db()
    assert app.status == CloseoutStatus.PUBLISHED
    public = Client().get(reverse("portal:closeouts")).content.decode()
    assert app.item_label in public and "公示中" in public and "整改到位" in public
    with at("2022-11-09"):
        services.closeouts_finish()
    measure.refresh_from_db()
    assert measure.status == ItemStatus.CLOSED
    public = Client().get(reverse("portal:closeouts")).content.decode()
    assert "2022-11-09" in public and "已销号" in public
    ledger = client_for("city_office").get(reverse("plans:problem", args=[measure.problem_id])).content.decode()
    assert "2022-11-09 已销号" in ledger
    with at("2022-12-01"):
        assert clerk.post(reverse("closeout:action", args=[app.pk, "reopen"]), {"text": "x"}).status_code == 403
        client_for("city_office").post(reverse("closeout:action", args=[app.pk, "reopen"]), {"text": "新的群众举报"})
    app.refresh_from_db()
    measure.refresh_from_db()
    assert app.status == CloseoutStatus.REOPENED and measure.status == ItemStatus.IN_PROGRESS
    timeline = client_for("city_office").get(reverse("closeout:application", args=[app.pk])).content.decode()
    steps = ["提交了本销号申请", "退回了本销号申请", "重新提交了本销号申请", "验收通过了本销号申请"]
    for step in [*steps, "对本销号申请予以销号", "因问题反弹重新打开了本销号申请"]:
        assert step in timeline, step


def test_the_api_journey(users: Any) -> None:
    measure = single_lead_measure()
    unit = services.lead_units(measure=measure)[0]
    from rectify.accounts.services import token_issue

    _, raw = token_issue(actor=clerk_for(unit), name="测试")
    clerk = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    reviewer = api(users, "acceptance")
    with at("2022-11-01"):
        created = clerk.post(
            "/api/v1/closeouts/", {"measure": measure.pk, "unit": unit.pk, "statement": "已完成", "files": [upload()]}
        )
        assert created.status_code == 201, created.json()
        app = created.json()
        assert app["status"] == "submitted" and app["evidence"][0]["type_label"]
        denied = api(users, "city_office").post(
            f"/api/v1/closeouts/{app['id']}/decide/", {"decision": "accept"}, content_type="application/json"
        )
        assert denied.status_code == 403
        accepted = reviewer.post(
            f"/api/v1/closeouts/{app['id']}/decide/",
            {"decision": "accept", "opinion": "到位", "seen": "submitted"},
            content_type="application/json",
        )
        assert accepted.json()["status"] == "published"
        again = reviewer.post(
            f"/api/v1/closeouts/{app['id']}/decide/",
            {"decision": "return", "opinion": "晚了", "seen": "submitted"},
            content_type="application/json",
        )
        assert again.status_code == 409 and "已被他人处理" in again.json()["detail"]
        objected = api(users, "city_office").post(
            f"/api/v1/closeouts/{app['id']}/object/", {"text": "群众异议"}, content_type="application/json"
        )
        assert objected.json()["status"] == "submitted"
    listing = api(users, "leader").get("/api/v1/closeouts/?status=submitted").json()
    assert listing["count"] == 1
    assert api(users, "sysadmin").get("/api/v1/closeouts/").status_code == 403
    indicator = api(users, "city_office").post(
        "/api/v1/indicators/",
        {"problem": measure.problem_id, "name": "合格率", "comparator": "ge", "target": 95, "unit": "%"},
        content_type="application/json",
    )
    assert indicator.status_code == 201
    value = api(users, "city_office").post(
        f"/api/v1/indicators/{indicator.json()['id']}/value/",
        {"version": 1, "value": 97},
        content_type="application/json",
    )
    assert value.json()["met"] is True


def test_page_query_budget(client_for: Any) -> None:
    for m in Measure.objects.order_by("pk")[:40]:
        if len(services.lead_units(measure=m)) == 1:
            applied(m)
    client = client_for("city_office")
    client.get(reverse("closeout:applications"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("closeout:applications")).status_code == 200
    assert len(ctx.captured_queries) <= 14, [q["sql"][:100] for q in ctx.captured_queries]


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_indicator_page_matrix(client_for: Any, role: str) -> None:
    measure = next(
        m
        for m in Measure.objects.order_by("pk")
        if [u.name for u in services.lead_units(measure=m)] == ["市生态环境局"]
    )  # 问题（十八）: 市生态环境局 alone
    response = client_for(role).get(reverse("indicators:problem", args=[measure.problem_id]))
    sees = {"city_office", "acceptance", "leader", "dept_clerk"}
    if role in NO_BUSINESS:
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if role in sees else 404)


def test_targets_and_values_through_the_page_block_and_then_allow_acceptance(client_for: Any, users: Any) -> None:
    measure = single_lead_measure()
    url = reverse("indicators:problem", args=[measure.problem_id])
    office = client_for("city_office")
    assert "设定指标" in office.get(url).content.decode()
    bad = office.post(url, {"action": "define", "name": "办结率", "comparator": "ge", "target": "九十五"})
    assert bad.status_code == 400 and "目标值须为数字" in bad.content.decode()
    office.post(url, {"action": "define", "name": "办结率", "comparator": "ge", "target": "95", "unit": "%"})
    app = applied(measure)
    page = client_for("acceptance").get(reverse("closeout:application", args=[app.pk])).content.decode()
    assert "量化指标尚未达标" in page and "办结率" in page
    from rectify.indicators.models import Indicator

    indicator = Indicator.objects.get(problem=measure.problem)
    unit_clerk = logged_in(clerk_for(app.unit))
    unit_clerk.post(url, {"indicator": indicator.pk, "version": indicator.version, "value": "96.4", "source": "台账"})
    indicator.refresh_from_db()
    assert indicator.value == 96.4 and indicator.met
    assert 'data-testid="met"><span class="badge text-bg-success">达标' in office.get(url).content.decode()
    client_for("acceptance").post(
        reverse("closeout:action", args=[app.pk, "accept"]), {"text": "", "seen": "submitted"}
    )
    app.refresh_from_db()
    assert app.status == CloseoutStatus.PUBLISHED


def test_a_whole_problem_is_applied_for_from_its_page(users: Any) -> None:
    from rectify.plans.models import Assignment

    lead = Assignment.objects.filter(measure__isnull=True, role="lead", unit__name="市生态环境局").first()
    problem = lead.problem
    clerk = client_for_user = logged_in(users["dept_clerk"])
    page = client_for_user.get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert f"?problem={problem.pk}" in page
    leads = services.lead_units(problem=problem)
    response = clerk.post(
        reverse("closeout:apply"),
        {"problem": problem.pk, "unit": lead.unit_id, "statement": "问题整改全部完成", "files": [upload()]},
    )
    app = CloseoutApplication.objects.get(problem=problem)
    assert response.status_code == 302 and app.measure is None
    assert app.status == (CloseoutStatus.SUBMITTED if len(leads) == 1 else CloseoutStatus.CONSENTING)
    measures = set(problem.measures.values_list("status", flat=True))
    assert measures == ({ItemStatus.COMPLETED} if len(leads) == 1 else {ItemStatus.IN_PROGRESS})


# --- per share, co-leads, and the links in the notifications ------------------------------------


def _measure_13() -> Measure:
    """（十三）'s first measure: two lead units, 市生态环境局 (dept_clerk) and 市工信局."""
    measure = Measure.objects.filter(problem__number="十三").order_by("seq").first()
    assert measure is not None
    return measure


def _share(measure: Measure, unit: str) -> Assignment:
    return Assignment.objects.select_related("unit").get(measure=measure, unit__name=unit)


def test_a_clerk_applies_for_its_own_share_and_sees_where_the_other_units_stand(users: Any, client_for: Any) -> None:
    measure = _measure_13()
    env = _share(measure, "市生态环境局")
    clerk = client_for("dept_clerk")
    listing = clerk.get(reverse("closeout:applications")).content.decode()
    assert 'id="ap-share"' in listing and f'<option value="{env.pk}">' in listing
    whole = clerk.get(reverse("closeout:apply") + f"?measure={measure.pk}").content.decode()
    assert 'id="ap-scope-share"' in whole and 'id="ap-scope-item"' in whole and "须其余 1 个牵头单位会签" in whole
    page = clerk.get(reverse("closeout:apply") + f"?assignment={env.pk}")
    assert page.status_code == 200 and "市生态环境局承担的分工" in page.content.decode()
    other = client_for("county_clerk").get(reverse("closeout:apply") + f"?assignment={env.pk}")
    assert other.status_code in {403, 404}
    with at("2022-11-01"):
        done = clerk.post(
            reverse("closeout:apply"), {"assignment": env.pk, "statement": "本单位分工已完成", "files": [upload()]}
        )
    app = CloseoutApplication.objects.get(assignment=env)
    assert done.url == reverse("closeout:application", args=[app.pk]) and app.status == CloseoutStatus.SUBMITTED
    env.refresh_from_db()
    assert env.status == ShareStatus.APPLYING
    detail = clerk.get(reverse("closeout:application", args=[app.pk])).content.decode()
    assert "本单位分工" in detail and "已完成 0/2" in detail
    assert f'data-share="{env.pk}" data-share-status="applying"' in detail
    with at("2022-11-02"):
        client_for("acceptance").post(
            reverse("closeout:action", args=[app.pk, "accept"]), {"text": "", "seen": "submitted"}
        )
    app.refresh_from_db()
    assert app.status == CloseoutStatus.ACCEPTED  # waiting for 市工信局's share
    detail = clerk.get(reverse("closeout:application", args=[app.pk])).content.decode()
    assert "已完成 1/2" in detail and "验收通过" in detail
    listing = clerk.get(reverse("closeout:applications")).content.decode()
    assert f'<option value="{env.pk}">' not in listing  # nothing more to apply for on this share


def test_co_leads_see_and_agree_through_the_page_and_the_api(users: Any, client_for: Any) -> None:
    problem = Problem.objects.get(number="十四")
    party, industry = OrgUnit.objects.get(name="朔城区党委"), OrgUnit.objects.get(name="市工信局")
    party_clerk, industry_clerk = clerk_for(party), clerk_for(industry)
    applicant = client_for("county_clerk")
    with at("2022-11-01"):
        applicant.post(
            reverse("closeout:apply"),
            {"problem": problem.pk, "unit": OrgUnit.objects.get(name="朔城区政府").pk, "statement": "全部完成",
             "files": [upload()]},
        )  # fmt: skip
        app = CloseoutApplication.objects.get(problem=problem)
        assert app.status == CloseoutStatus.CONSENTING
        page = logged_in(party_clerk)
        assert app.item_label in page.get(reverse("closeout:applications")).content.decode()
        detail = page.get(reverse("closeout:application", args=[app.pk]))
        assert detail.status_code == 200 and "以朔城区党委名义会签同意" in detail.content.decode()
        page.post(reverse("closeout:action", args=[app.pk, "consent"]), {"unit": party.pk})
        from rectify.accounts.services import token_issue

        _, raw = token_issue(actor=industry_clerk, name="测试")
        api_client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        listed = api_client.get("/api/v1/closeouts/").json()
        assert app.pk in [a["id"] for a in listed["results"]]
        got = api_client.get(f"/api/v1/closeouts/{app.pk}/")
        assert got.status_code == 200 and got.json()["scope"] == "整个问题"
        agreed = api_client.post(
            f"/api/v1/closeouts/{app.pk}/consent/", {"unit": industry.pk}, content_type="application/json"
        )
    assert agreed.status_code == 200, agreed.json()
    body = agreed.json()
    assert body["status"] == "submitted" and all(c["agreed_at"] for c in body["consents"])
    assert len(body["shares"]) == 6 and {s["status"] for s in body["shares"]} == {"applying"}


def test_the_api_applies_for_a_share(users: Any) -> None:
    env = _share(_measure_13(), "市生态环境局")
    clerk = api(users, "dept_clerk")
    with at("2022-11-01"):
        created = clerk.post(
            "/api/v1/closeouts/", {"assignment": env.pk, "statement": "本单位分工已完成", "files": [upload()]}
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert (body["assignment"], body["scope"], body["status"]) == (env.pk, "本单位分工", "submitted")
        assert [s["unit_name"] for s in body["shares"] if s["covered"]] == ["市生态环境局"]
        other = api(users, "county_clerk").post(
            "/api/v1/closeouts/", {"assignment": env.pk, "statement": "x", "files": [upload()]}
        )
        assert other.status_code in {403, 404}


def _closeout_history(users: Any) -> None:
    """Every kind of close-out notification: 会签 requests, 待验收, 现场核查, 退回, 验收通过 (at once
    and waiting for the measure), 公示 of a waiting share, 公示异议, 已销号, 反弹重开."""
    problem = Problem.objects.get(number="十四")
    gov, party, industry = (OrgUnit.objects.get(name=n) for n in ["朔城区政府", "朔城区党委", "市工信局"])
    clerks = {u.pk: clerk_for(u) for u in (party, industry)}
    acceptance, office = users["acceptance"], users["city_office"]
    with at("2022-11-01"):
        app = services.closeout_apply(
            actor=users["county_clerk"], unit=gov, problem=problem, statement="全部完成", files=[photo()]
        )
        for unit in (party, industry):
            services.closeout_consent(actor=clerks[unit.pk], app=app, unit=unit)
        services.closeout_decide(actor=acceptance, app=app, decision="site_check", opinion="需现场核查")
        services.closeout_decide(actor=acceptance, app=app, decision="return", opinion="缺监测报告", seen="site_check")
        services.closeout_resubmit(actor=users["county_clerk"], app=app, statement="已补充", files=[photo()])
        for unit in (party, industry):
            services.closeout_consent(actor=clerks[unit.pk], app=app, unit=unit)
        services.closeout_decide(actor=acceptance, app=app, decision="accept", opinion="")
        services.closeout_object(actor=office, app=app, opinion="群众来电")
        services.closeout_decide(actor=acceptance, app=app, decision="accept", opinion="复核到位")
        measure = _measure_13()
        env, ind = _share(measure, "市生态环境局"), _share(measure, "市工信局")
        first = services.closeout_apply(actor=users["dept_clerk"], assignment=env, statement="完成", files=[photo()])
        second = services.closeout_apply(actor=clerks[industry.pk], assignment=ind, statement="完成", files=[photo()])
        services.closeout_decide(actor=acceptance, app=first, decision="accept", opinion="")
        services.closeout_decide(actor=acceptance, app=second, decision="accept", opinion="")
    services.closeouts_finish(today=dt.date(2022, 11, 20))
    with at("2022-12-01"):
        services.closeout_reopen(actor=office, app=app, reason="反弹")
        services.closeout_reopen(actor=office, app=CloseoutApplication.objects.get(pk=first.pk), reason="反弹")


def test_every_link_in_every_closeout_notification_opens_for_its_recipient(users: Any) -> None:
    _closeout_history(users)
    sent = list(Notification.objects.filter(dedupe_key__startswith="closeout:").select_related("recipient"))
    kinds = {n.subject.split("】")[0] + "】" for n in sent}
    assert kinds == {
        "【销号会签】", "【待验收】", "【需现场核查】", "【销号申请被退回】", "【验收通过】", "【公示】",
        "【公示异议】", "【已销号】", "【反弹重开】",
    }  # fmt: skip
    recipients = {n.recipient.username for n in sent}
    assert {"acceptance", "county_clerk", "dept_clerk"} <= recipients and len(recipients) >= 5
    for n in sent:
        client = logged_in(n.recipient)
        response = client.get(n.url)
        assert response.status_code == 200, (n.recipient.username, n.subject, n.url, response.status_code)
