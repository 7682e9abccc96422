"""The public portal (/public/): every page answers anonymously, names the city and links to the
others; only what the city office made public shows (a hidden plan, problem, draft or unpublished
document, unpublished batch is 404 and in no list); every figure against a query of its own, on
hand-made states and on a generated one; the cache (a second request reads no database, publishing
invalidates); the city office's publishing page, services and API."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
import time_machine
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.complaints import importing
from rectify.complaints import services as complaint_services
from rectify.complaints.models import ComplaintBatch
from rectify.complaints.synthetic import batch_file
from rectify.core.errors import DomainError, Forbidden
from rectify.documents import publishing as document_publishing
from rectify.documents import services as documents
from rectify.orgs.models import OrgUnit
from rectify.plans import publishing
from rectify.plans.models import ItemStatus, Measure, Plan, Problem
from tests.web.test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS, api

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
CITY = "朔州市"
HIDDEN = "二"  # a problem of the public plan that the city office did not make public
DONE = [ItemStatus.CLOSED, ItemStatus.ONGOING]
NAV = ["portal:home", "portal:plans", "portal:closeouts", "portal:complaints", "portal:documents"]


@pytest.fixture(autouse=True)
def frozen(tmp_path: Path, settings: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECTIFY_TODAY = ""
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def problem(number: str) -> Problem:
    return Problem.objects.get(number=number)


@pytest.fixture
def plan(users: Any) -> Plan:
    """The seed plan public, every problem but （二） public."""
    plan = Plan.objects.get()
    ids = list(plan.problems.exclude(number=HIDDEN).values_list("pk", flat=True))
    publishing.plan_publishing_save(actor=users["city_office"], plan=plan, plan_public=True, public_problem_ids=ids)
    plan.refresh_from_db()
    return plan


def in_publication(measure: Measure, until: dt.date = dt.date(2022, 10, 12)) -> CloseoutApplication:
    share = measure.assignments.exclude(unit=None).first()
    assert share is not None and share.unit is not None
    unit = share.unit
    return CloseoutApplication.objects.create(
        measure=measure,
        unit=unit,
        status=CloseoutStatus.PUBLISHED,
        statement="已完成整改",
        opinion="经核查整改到位，同意销号。",
        published_on=dt.date(2022, 10, 5),
        publish_until=until,
    )


@pytest.fixture
def world(plan: Plan) -> dict[str, Any]:
    """Hand-made states: （一） closed, （三） long-term, （四） awaiting acceptance, （五） under way
    with a measure in 公示; the hidden （二） has a measure in 公示 too."""
    Problem.objects.filter(number="一").update(status=ItemStatus.CLOSED, closed_on=dt.date(2022, 9, 30), progress=100)
    Measure.objects.filter(problem__number="一").update(status=ItemStatus.CLOSED, closed_on=dt.date(2022, 9, 30))
    Problem.objects.filter(number="三").update(status=ItemStatus.ONGOING, progress=100)
    Problem.objects.filter(number="四").update(status=ItemStatus.COMPLETED, progress=100)
    Problem.objects.filter(number="五").update(progress=37.5)
    first = problem("五").measures.order_by("seq").first()
    assert first is not None
    Measure.objects.filter(pk=first.pk).update(progress=62.5)
    shown = in_publication(first)
    hidden_measure = problem(HIDDEN).measures.order_by("seq").first()
    assert hidden_measure is not None
    Measure.objects.filter(pk=hidden_measure.pk).update(text="隐藏问题的措施XYZ")
    hidden = in_publication(hidden_measure)
    return {"shown": shown, "hidden": hidden, "measure": first}


@pytest.fixture
def batch(users: Any) -> ComplaintBatch:
    name, data = batch_file(8, batch_no=3)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(actor=users["city_office"], job=job, problem=problem("十八"))
    complaint_services.batch_publish(actor=users["city_office"], batch=batch)
    return batch


@pytest.fixture
def docs(users: Any) -> dict[str, Any]:
    return make_docs(users)


def make_docs(users: Any) -> dict[str, Any]:
    """An issued, published 月通报 and 工作简报; a draft 月通报 and an issued but unpublished 简报."""
    office = users["city_office"]
    circular, _ = documents.circular_generate(actor=office, year=2022, month=9)
    documents.circular_issue(actor=office, circular=circular)
    document_publishing.document_publish(actor=office, doc=circular)
    draft, _ = documents.circular_generate(actor=office, year=2022, month=8)
    briefing = documents.briefing_draft(
        actor=office, period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8)
    )
    documents.briefing_issue(actor=office, briefing=briefing)
    document_publishing.document_publish(actor=office, doc=briefing)
    kept = documents.briefing_draft(actor=office, period_start=dt.date(2022, 9, 1), period_end=dt.date(2022, 9, 30))
    documents.briefing_issue(actor=office, briefing=kept)
    return {"circular": circular, "draft": draft, "briefing": briefing, "kept": kept}


def pages(plan: Plan, batch: ComplaintBatch) -> dict[str, str]:
    return {
        "home": reverse("portal:home"),
        "plans": reverse("portal:plans"),
        "plan": reverse("portal:plan", args=[plan.pk]),
        "problem": reverse("portal:problem", args=[problem("五").pk]),
        "closeouts": reverse("portal:closeouts"),
        "complaints": reverse("portal:complaints"),
        "complaint_batch": reverse("portal:complaint_batch", args=[batch.pk]),
        "documents": reverse("portal:documents"),
    }


def downloads(batch: ComplaintBatch, docs: dict[str, Any]) -> dict[str, str]:
    return {
        "batch xlsx": reverse("portal:complaint_batch_xlsx", args=[batch.pk]),
        "batch pdf": reverse("portal:complaint_batch_pdf", args=[batch.pk]),
        "circular pdf": reverse("portal:circular_pdf", args=[docs["circular"].pk]),
        "briefing pdf": reverse("portal:briefing_pdf", args=[docs["briefing"].pk]),
    }


def figure(html: str, name: str, plan: Plan | None = None) -> str:
    scope = html
    if plan is not None:
        start = html.index(f'data-testid="plan-figures-{plan.pk}"')
        scope = html[start:]
    found = re.search(rf'data-figure="{name}">([^<]*)<', scope)
    assert found, name
    return found.group(1)


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


# --- every page -------------------------------------------------------------------------------------


def test_every_public_page_answers_anonymously_names_the_city_and_links_to_the_others(
    plan: Plan, world: Any, batch: ComplaintBatch, docs: Any
) -> None:
    for label, url in pages(plan, batch).items():
        response = Client().get(url)
        assert response.status_code == 200, label
        html = response.content.decode()
        assert CITY in html, label
        assert "<title>" in html and f"{CITY}生态环境保护督察整改信息公开</title>" in html, label
        for name in NAV:
            assert f'href="{reverse(name)}"' in html, (label, name)
        assert "csrfmiddlewaretoken" not in html and "退出" not in html, label
    for label, url in downloads(batch, docs).items():
        response = Client().get(url)
        assert response.status_code == 200, label
        assert "attachment" in response["Content-Disposition"], label


def test_the_city_is_the_root_of_the_unit_tree(plan: Plan) -> None:
    OrgUnit.objects.filter(depth=0).update(name="测试市")
    html = Client().get(reverse("portal:home")).content.decode()
    assert "测试市生态环境保护督察整改信息公开" in html and '<span class="portal-city">测试市</span>' in html
    assert "测试市生态环境保护督察整改工作领导小组办公室" in html


def test_the_pages_work_for_a_logged_in_user_too(client_for: Any, plan: Plan) -> None:
    html = client_for("county_clerk").get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert "朔城区政府 张丽" not in html and CITY in html


# --- only what is public -------------------------------------------------------------------------


def test_a_problem_the_office_did_not_publish_is_not_found_and_in_no_list(
    plan: Plan, world: Any, batch: ComplaintBatch
) -> None:
    hidden = problem(HIDDEN)
    assert Client().get(reverse("portal:problem", args=[hidden.pk])).status_code == 404
    for label, url in pages(plan, batch).items():
        html = Client().get(url).content.decode()
        assert reverse("portal:problem", args=[hidden.pk]) not in html, label
        assert "隐藏问题的措施XYZ" not in html, label
        assert hidden.text[:30] not in html, label
    closeouts = Client().get(reverse("portal:closeouts")).content.decode()
    assert world["shown"].item_label in closeouts and world["hidden"].item_label not in closeouts


def test_a_plan_the_office_did_not_publish_hides_all_its_problems(users: Any, plan: Plan, world: Any) -> None:
    publishing.plan_publish(actor=users["city_office"], plan=plan, public=False)
    assert Client().get(reverse("portal:plan", args=[plan.pk])).status_code == 404
    assert Client().get(reverse("portal:problem", args=[problem("五").pk])).status_code == 404
    for name in ["portal:home", "portal:plans", "portal:closeouts"]:
        html = Client().get(reverse(name)).content.decode()
        assert plan.title not in html and reverse("portal:plan", args=[plan.pk]) not in html, name
        assert world["shown"].item_label not in html, name
    assert "暂无公开的整改方案" in Client().get(reverse("portal:plans")).content.decode()


def test_only_issued_documents_the_office_published_show(plan: Plan, docs: Any) -> None:
    html = Client().get(reverse("portal:documents")).content.decode()
    assert docs["circular"].number in html and f'data-testid="briefing-{docs["briefing"].pk}"' in html
    assert f'data-testid="circular-{docs["draft"].pk}"' not in html
    assert f'data-testid="briefing-{docs["kept"].pk}"' not in html
    assert Client().get(reverse("portal:circular_pdf", args=[docs["draft"].pk])).status_code == 404
    assert Client().get(reverse("portal:briefing_pdf", args=[docs["kept"].pk])).status_code == 404
    assert Client().get(reverse("portal:circular_pdf", args=[MISSING])).status_code == 404


def test_an_unpublished_batch_is_not_found_and_not_listed(users: Any, plan: Plan) -> None:
    name, data = batch_file(5, batch_no=9)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(actor=users["city_office"], job=job, problem=problem("十八"))
    assert Client().get(reverse("portal:complaint_batch", args=[batch.pk])).status_code == 404
    assert Client().get(reverse("portal:complaint_batch_pdf", args=[batch.pk])).status_code == 404
    assert (
        reverse("portal:complaint_batch", args=[batch.pk])
        not in Client().get(reverse("portal:complaints")).content.decode()
    )


def test_a_problem_page_shows_no_person_report_or_evidence(users: Any, plan: Plan, world: Any) -> None:
    target = problem("五")
    Problem.objects.filter(pk=target.pk).update(responsible_person="责任人测试甲")
    html = Client().get(reverse("portal:problem", args=[target.pk])).content.decode()
    assert "责任人测试甲" not in html
    clerks = [u.get_full_name() for u in users.values() if u.get_full_name()]
    assert not [name for name in clerks if name in html]
    assert "/progress/" not in html and "/evidence/" not in html and "/closeout/" not in html


# --- figures against queries of their own -----------------------------------------------------------


def expected_figures(plan: Plan) -> dict[str, str]:
    shown = Problem.objects.filter(plan=plan, plan__is_public=True, is_public=True)
    measures = Measure.objects.filter(problem__in=shown)
    total, done = shown.count(), shown.filter(status__in=DONE).count()
    m_total, m_done = measures.count(), measures.filter(status__in=DONE).count()
    in_publication = CloseoutApplication.objects.filter(status=CloseoutStatus.PUBLISHED).filter(
        Q(problem__in=shown) | Q(measure__problem__in=shown)
    )

    def rate(a: int, b: int) -> str:
        if not b:
            return "—"
        text = f"{a * 100 / b:.1f}".removesuffix(".0")
        return f"{text}%"

    return {
        "problems": str(total),
        "measures": str(m_total),
        "done": str(done),
        "done-rate": rate(done, total),
        "ongoing": str(shown.filter(status=ItemStatus.ONGOING).count()),
        "completed": str(shown.filter(status=ItemStatus.COMPLETED).count()),
        "in-progress": str(shown.filter(status=ItemStatus.IN_PROGRESS).count()),
        "publishing": str(in_publication.count()),
        "measures-done": str(m_done),
        "measures-done-rate": rate(m_done, m_total),
        "measures-completed": str(measures.filter(status=ItemStatus.COMPLETED).count()),
    }


def assert_figures(plan: Plan) -> None:
    want = expected_figures(plan)
    for name in ["portal:home", "portal:plans"]:
        html = Client().get(reverse(name)).content.decode()
        assert {k: figure(html, k, plan) for k in want} == want, name
    html = Client().get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert {k: figure(html, k, plan) for k in want} == want


def test_the_figures_count_public_problems_only(plan: Plan, world: Any) -> None:
    want = expected_figures(plan)
    assert want["problems"] == str(Problem.objects.filter(plan=plan).count() - 1)
    assert want["done"] == "2" and want["completed"] == "1" and want["publishing"] == "1"
    assert_figures(plan)


def test_the_figures_hold_on_a_generated_state(users: Any, plan: Plan) -> None:
    """Random statuses and progress on every problem and measure (seeded), a random choice of what
    is public and random 公示 items: every figure and every row against its own query."""
    rng = random.Random(12)
    statuses = list(ItemStatus.values)
    for p in Problem.objects.all():
        Problem.objects.filter(pk=p.pk).update(status=rng.choice(statuses), progress=rng.choice([None, 12.5, 50, 100]))
    for m in Measure.objects.all():
        Measure.objects.filter(pk=m.pk).update(status=rng.choice(statuses), progress=rng.choice([None, 0, 33.3, 100]))
    for m in rng.sample(list(Measure.objects.all()), 6):
        in_publication(m, until=dt.date(2022, 10, 1) + dt.timedelta(days=rng.randint(1, 20)))
    ids = [p.pk for p in Problem.objects.all() if rng.random() < 0.6]
    publishing.plan_publishing_save(actor=users["city_office"], plan=plan, plan_public=True, public_problem_ids=ids)
    assert_figures(plan)
    html = Client().get(reverse("portal:plan", args=[plan.pk])).content.decode()
    for p in Problem.objects.all():
        shown = f'data-testid="problem-{p.pk}"' in html
        assert shown == (p.pk in ids), p.number
        if not shown:
            continue
        row = html[html.index(f'data-testid="problem-{p.pk}"') :].split('class="problem-item"')[0]
        assert f">{p.get_status_display()}<" in row
        expected = "—" if p.progress is None else f"{p.progress:.1f}".removesuffix(".0") + "%"
        assert f'data-testid="progress">{expected}<' in row
        measures = p.measures.all()
        done = measures.filter(status__in=DONE).count()
        assert f"整改措施 {measures.count()} 项，已销号（含长期坚持） {done} 项" in row


def test_a_problem_page_shows_each_measure_with_its_status_progress_and_publication(plan: Plan, world: Any) -> None:
    target = problem("五")
    html = Client().get(reverse("portal:problem", args=[target.pk])).content.decode()
    assert 'data-testid="progress">37.5%<' in html
    measure = world["measure"]
    block = html[html.index(f'data-testid="measure-{measure.pk}"') :]
    assert 'data-testid="progress">62.5%<' in block.split("</section>")[0]
    assert "公示中（至2022-10-12）" in block.split("</section>")[0]
    for m in target.measures.all():
        assert f'data-testid="measure-{m.pk}"' in html
        assert m.get_status_display() in html
    lead = measure.assignments.filter(role="lead").exclude(unit=None).first()
    assert lead is not None and lead.unit.name in html
    closed = Client().get(reverse("portal:plan", args=[plan.pk])).content.decode()
    row = closed[closed.index(f'data-testid="problem-{problem("一").pk}"') :].split('class="problem-item"')[0]
    assert "已销号（2022-09-30）" in row


# --- the cache ----------------------------------------------------------------------------------------


def test_a_second_anonymous_request_makes_no_database_query(
    django_assert_num_queries: Any, plan: Plan, world: Any, batch: ComplaintBatch, docs: Any
) -> None:
    for label, url in {**pages(plan, batch), **downloads(batch, docs)}.items():
        first = Client().get(url)
        assert first.status_code == 200 and first["X-Cache"] == "MISS", label
        with django_assert_num_queries(0):
            second = Client().get(url)
        assert second["X-Cache"] == "HIT" and second.content == first.content, label
        assert second["Content-Type"] == first["Content-Type"], label
        assert "no-cache" in second["Cache-Control"] and "max-age=0" in second["Cache-Control"], label


def test_publishing_invalidates_the_cached_pages(users: Any, plan: Plan, world: Any) -> None:
    target = problem("五")
    url = reverse("portal:plan", args=[plan.pk])
    assert f'data-testid="problem-{target.pk}"' in Client().get(url).content.decode()
    assert Client().get(url)["X-Cache"] == "HIT"
    publishing.problem_publish(actor=users["city_office"], plan=plan, problem_ids=[target.pk], public=False)
    again = Client().get(url)
    assert again["X-Cache"] == "MISS" and f'data-testid="problem-{target.pk}"' not in again.content.decode()
    assert Client().get(reverse("portal:problem", args=[target.pk])).status_code == 404


def test_complaint_and_document_publication_invalidate_too(users: Any, plan: Plan) -> None:
    listing = Client().get(reverse("portal:complaints")).content.decode()
    assert "暂无公开的批次" in listing
    name, data = batch_file(5, batch_no=4)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(actor=users["city_office"], job=job, problem=problem("十八"))
    assert "暂无公开的批次" in Client().get(reverse("portal:complaints")).content.decode()  # cached, unchanged
    complaint_services.batch_publish(actor=users["city_office"], batch=batch)
    assert (
        reverse("portal:complaint_batch", args=[batch.pk])
        in Client().get(reverse("portal:complaints")).content.decode()
    )
    circular, _ = documents.circular_generate(actor=users["city_office"], year=2022, month=9)
    documents.circular_issue(actor=users["city_office"], circular=circular)
    assert circular.number not in Client().get(reverse("portal:documents")).content.decode()
    document_publishing.document_publish(actor=users["city_office"], doc=circular)
    assert circular.number in Client().get(reverse("portal:documents")).content.decode()


def test_a_new_day_and_the_instance_date_are_new_pages(settings: Any, plan: Plan, frozen: Any) -> None:
    url = reverse("portal:home")
    assert Client().get(url)["X-Cache"] == "MISS"
    assert Client().get(url)["X-Cache"] == "HIT"
    frozen.shift(dt.timedelta(days=1))
    assert Client().get(url)["X-Cache"] == "MISS"
    settings.RECTIFY_TODAY = "2022-09-05"
    html = Client().get(url).content.decode()
    assert 'data-testid="instance-banner"' in html


def test_a_zero_ttl_turns_the_cache_off(settings: Any, plan: Plan) -> None:
    settings.RECTIFY_PUBLIC_CACHE_SECONDS = 0
    response = Client().get(reverse("portal:home"))
    assert response.status_code == 200 and not response.has_header("X-Cache")


@pytest.mark.parametrize(
    "url",
    [
        "/public/plans/18277682696007090176/",
        "/public/problems/18277682696007090176/",
        "/public/complaints/18277682696007090176/",
        "/public/documents/briefings/18277682696007090176.pdf",
        "/public/closeouts/?page=18277682696007090176",
    ],
)
def test_an_integer_too_large_is_never_a_server_error(url: str) -> None:
    assert Client().get(url).status_code in (200, 404)


def test_odd_page_numbers_are_served_but_never_cached(plan: Plan) -> None:
    for junk in ["abc", "123456789", "１"]:
        response = Client().get(reverse("portal:closeouts") + f"?page={junk}")
        assert response.status_code == 200 and not response.has_header("X-Cache"), junk
    assert Client().get(reverse("portal:closeouts") + "?page=2")["X-Cache"] == "MISS"
    assert Client().get(reverse("portal:closeouts") + "?page=2&x=1")["X-Cache"] == "HIT"


def test_a_page_miss_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any, plan: Plan, world: Any
) -> None:
    with django_assert_max_num_queries(12):
        assert Client().get(reverse("portal:plan", args=[plan.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert Client().get(reverse("portal:home")).status_code == 200
    with django_assert_max_num_queries(10):
        assert Client().get(reverse("portal:problem", args=[problem("五").pk])).status_code == 200


# --- the city office's choice: page, services, API -------------------------------------------------------


@pytest.mark.parametrize("role", [*BUSINESS, *NO_BUSINESS])
def test_only_the_city_office_opens_the_publishing_page(client_for: Any, role: str, plan: Plan) -> None:
    response = client_for(role).get(reverse("plans:publishing", args=[plan.pk]))
    assert response.status_code == (200 if role == "city_office" else 403)
    if role == "city_office":
        assert client_for(role).get(reverse("plans:publishing", args=[MISSING])).status_code == 404
    posted = client_for(role).post(reverse("plans:publishing", args=[plan.pk]), {"version": plan.version})
    assert posted.status_code == (302 if role == "city_office" else 403)


def test_the_plan_list_links_the_publishing_page_for_the_city_office(client_for: Any, plan: Plan) -> None:
    link = f'data-testid="publishing-{plan.pk}"'
    assert link in client_for("city_office").get(reverse("plans:plans")).content.decode()
    other = client_for("county_office").get(reverse("plans:plans")).content.decode()
    assert link not in other and "已公开" in other


def test_anonymous_is_sent_to_login_for_the_publishing_page(plan: Plan) -> None:
    response = Client().get(reverse("plans:publishing", args=[plan.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_publishing_page_saves_the_choice_and_audits_it(client_for: Any, plan: Plan) -> None:
    office = client_for("city_office")
    page = office.get(reverse("plans:publishing", args=[plan.pk])).content.decode()
    assert 'data-testid="select-all"' in page and "全部公开" in page
    keep = [problem("一").pk, problem("三").pk]
    response = office.post(
        reverse("plans:publishing", args=[plan.pk]),
        {"plan_public": "1", "problems": [str(pk) for pk in keep], "version": plan.version},
        follow=True,
    )
    assert "撤回公开" in response.content.decode()
    assert set(Problem.objects.filter(is_public=True).values_list("pk", flat=True)) == set(keep)
    event = AuditEvent.objects.filter(action="plan.publishing_changed", object_id=str(plan.pk)).latest("pk")
    assert event.actor is not None and event.actor.username == "city_office"
    after: dict[str, Any] = event.after or {}
    assert after["public_problems"] == 2 and "（五）" in after["withdrawn"] and after["published"] == []
    stale = office.post(
        reverse("plans:publishing", args=[plan.pk]),
        {"plan_public": "1", "problems": [str(problem("五").pk)], "version": plan.version},
        follow=True,
    )
    assert "已被他人修改" in stale.content.decode()
    assert set(Problem.objects.filter(is_public=True).values_list("pk", flat=True)) == set(keep)
    bad = office.post(
        reverse("plans:publishing", args=[plan.pk]), {"problems": ["abc", str(MISSING)], "version": "x"}, follow=True
    )
    assert bad.status_code == 200 and "不属于该方案" in bad.content.decode()


def test_the_services_refuse_other_roles_and_foreign_problems(users: Any, plan: Plan) -> None:
    with pytest.raises(Forbidden):
        publishing.plan_publish(actor=users["county_office"], plan=plan, public=False)
    with pytest.raises(DomainError, match="不属于该方案"):
        publishing.problem_publish(actor=users["city_office"], plan=plan, problem_ids=[MISSING])
    before = AuditEvent.objects.count()
    publishing.plan_publish(actor=users["city_office"], plan=plan, public=True)  # no change: no event
    assert AuditEvent.objects.count() == before


def test_the_api_reads_and_sets_the_choice(users: Any, plan: Plan) -> None:
    office = api(users, "city_office")
    url = f"/api/v1/plans/{plan.pk}/publishing/"
    state = office.get(url).json()
    assert state["is_public"] is True and state["public_problems"] == Problem.objects.filter(is_public=True).count()
    hidden = [p for p in state["problems"] if not p["is_public"]]
    assert [p["number"] for p in hidden] == [HIDDEN]
    changed = office.post(
        url,
        {"is_public": True, "public_problems": [problem("一").pk], "version": state["version"]},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["public_problems"] == 1 and "（二）" not in changed.json()["withdrawn"]
    stale = office.post(url, {"is_public": False, "version": state["version"]}, content_type="application/json")
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    foreign = office.post(url, {"is_public": True, "public_problems": [MISSING]}, content_type="application/json")
    assert foreign.status_code == 400 and "不属于该方案" in foreign.json()["detail"]
    assert office.post(url, {"is_public": "maybe"}, content_type="application/json").status_code == 400
    assert office.get(f"/api/v1/plans/{MISSING}/publishing/").status_code == 404
    for role in ["county_office", "leader", "county_clerk"]:
        assert api(users, role).get(url).status_code == 403
        assert api(users, role).post(url, {"is_public": False}, content_type="application/json").status_code == 403
    assert Client().get(url).status_code in (401, 403)


def test_the_demo_publishes_the_seed_plan_once(users: Any) -> None:
    from rectify.demo.publish import demo_publish

    plan = Plan.objects.get()
    assert plan.is_public and not Problem.objects.filter(is_public=False).exists()  # load_demo did it
    publishing.problem_publish(actor=users["city_office"], plan=plan, problem_ids=[problem("一").pk], public=False)
    assert demo_publish(plan) == 0  # the office chose: the demo leaves it alone
    assert not problem("一").is_public
