"""交办件 pages and API: the permission matrix, import through review in the web UI, a case from
交办 to 办结 through the unit's form, the public 一览表, and the proof that seeded personal data
appears in no unit-facing page, API answer, export, public page or generated document."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from rectify.complaints import importing, services
from rectify.complaints.models import CaseStatus, ComplaintBatch, ComplaintCase
from rectify.complaints.synthetic import batch_file
from rectify.documents import services as documents
from rectify.documents.models import Briefing
from rectify.documents.publishing import document_publish
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Plan, Problem
from rectify.plans.publishing import plan_publishing_save
from tests.web.test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS, api

pytestmark = pytest.mark.django_db
# The seeded complainant: none of these may leave the city office's own pages.
NAME, PHONE, ID_NUMBER, ADDRESS = "欧阳测试明", "13812345678", "140602199001011236", "朔城区隐私街99号"
SECRETS = [NAME, PHONE, ID_NUMBER, ADDRESS, "138 1234 5678", "1381234"]


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def batch(users: Any) -> ComplaintBatch:
    name, data = batch_file(30, batch_no=5)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    return importing.case_import_commit(actor=users["city_office"], job=job, problem=Problem.objects.get(number="十八"))


@pytest.fixture
def secret_case(users: Any, batch: ComplaintBatch) -> ComplaintCase:
    case = services.case_create(
        actor=users["city_office"],
        batch=batch,
        code="D140600SECRET1",
        content=f"朔城区某洗煤厂夜间偷排废水。举报人{NAME}，电话{PHONE}，身份证{ID_NUMBER}，家住{ADDRESS}。",
        region=OrgUnit.objects.get(name="朔城区"),
        types=["水"],
        personal={"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS},
    )
    ComplaintCase.objects.filter(pk=case.pk).update(
        investigation=f"经核查属实，已联系举报人{NAME}（{PHONE}）。", handling="责令停产整治，立案处罚。"
    )
    case.refresh_from_db()
    return case


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def xlsx_text(data: bytes) -> str:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return "".join(str(c) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for c in row)


def zip_text(data: bytes) -> str:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for n in z.namelist():
            raw = z.read(n)
            if n.endswith((".docx", ".xlsx")):
                out.append(docx_text(raw))
            elif n.endswith(".pdf"):
                out.append(pdf_text(raw))
            elif n.endswith(".zip"):
                out.append(zip_text(raw))
            else:
                out.append(raw.decode("utf-8", "ignore"))
    return "".join(out)


LISTS = ["complaints:cases"]


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_case_list_is_for_business_roles(client_for: Any, role: str) -> None:
    assert client_for(role).get(reverse("complaints:cases")).status_code == (200 if role in BUSINESS else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_case_own_other_missing(client_for: Any, role: str, secret_case: ComplaintCase) -> None:
    client = client_for(role)
    sees = {"city_office", "county_office", "county_clerk", "acceptance", "leader"}  # a 朔城区 case
    expected = 200 if role in sees else 403 if role in NO_BUSINESS else 404
    assert client.get(reverse("complaints:case", args=[secret_case.pk])).status_code == expected
    if role in BUSINESS:
        assert client.get(reverse("complaints:case", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_importing_is_for_the_city_office(client_for: Any, role: str) -> None:
    name, data = batch_file(12, batch_no=9)
    response = client_for(role).post(reverse("complaints:import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == (302 if role == "city_office" else 403)


def test_import_through_review_in_the_web_ui(client_for: Any) -> None:
    office = client_for("city_office")
    name, data = batch_file(120, batch_no=4)
    bad = office.post(
        reverse("complaints:import"), {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not a zip")}, follow=True
    )
    assert bad.status_code == 200 and "文件" in bad.content.decode()
    response = office.post(reverse("complaints:import"), {"file": SimpleUploadedFile(name, data)})
    review = office.get(response.url).content.decode()
    assert 'data-testid="new">120<' in review and "确认导入" in review
    assert NAME not in review or True  # the review page is the city office's own
    problem = Problem.objects.get(number="十八")
    done = office.post(response.url, {"action": "commit", "batch_no": "4", "problem": problem.pk})
    batch = ComplaintBatch.objects.get(batch_no=4)
    assert done.url == reverse("complaints:batch", args=[batch.pk]) and batch.cases.count() == 120
    problem.refresh_from_db()
    assert problem.cases_total == 120
    page = client_for("leader").get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert "群众举报交办件：办结" in page


def test_a_case_goes_from_assigned_to_closed_through_the_unit_form(client_for: Any, secret_case: ComplaintCase) -> None:
    clerk = client_for("county_clerk")
    url = reverse("complaints:case", args=[secret_case.pk])
    page = clerk.get(url).content.decode()
    assert "填报办理情况" in page and 'data-testid="complainant"' not in page
    missing = clerk.post(url, {"version": secret_case.version, "status": "closed", "handling": "我写的处理情况"})
    text = missing.content.decode()
    assert missing.status_code == 400 and "办结前请填写是否属实" in text and "我写的处理情况" in text
    clerk.post(
        url,
        {
            "version": secret_case.version, "status": "closed", "verdict": "substantiated",
            "investigation": "经核查属实", "handling": "已责令停产整治", "filed": "1", "fine": "20",
            "interviewed": "2", "held_accountable": "1",
        },
    )  # fmt: skip
    secret_case.refresh_from_db()
    assert secret_case.status == CaseStatus.CLOSED and secret_case.filed == 1 and secret_case.fine == 20
    timeline = client_for("city_office").get(url).content.decode()
    assert "办结了本交办件" in timeline and 'data-testid="complainant"' in timeline


def test_the_public_list_shows_results_without_personal_data(
    client_for: Any, users: Any, batch: ComplaintBatch, secret_case: ComplaintCase
) -> None:
    anonymous = Client()
    assert anonymous.get(reverse("portal:complaint_batch", args=[batch.pk])).status_code == 404  # not yet public
    client_for("city_office").post(reverse("complaints:batch_action", args=[batch.pk, "publish"]))
    page = anonymous.get(reverse("portal:complaint_batch", args=[batch.pk])).content.decode()
    assert secret_case.code in page and "洗煤厂" in page and "受理 31 件" in page
    assert leaks(page) == []


def test_seeded_personal_data_appears_in_no_output(
    client_for: Any, users: Any, batch: ComplaintBatch, secret_case: ComplaintCase
) -> None:
    office = client_for("city_office")
    # It is there: the city office's own case page shows it (the roles that need it).
    assert NAME in office.get(reverse("complaints:case", args=[secret_case.pk])).content.decode()
    office.post(reverse("complaints:batch_action", args=[batch.pk, "publish"]))
    draft = services.cases_notice(actor=users["city_office"], cases=[secret_case])
    outputs: dict[str, str] = {}
    for role in BUSINESS:
        client = client_for(role)
        for label, url in [
            ("cases", reverse("complaints:cases")),
            ("case", reverse("complaints:case", args=[secret_case.pk])),
            ("batch", reverse("complaints:batch", args=[batch.pk])),
            ("problem", reverse("plans:problem", args=[secret_case.problem_id])),
            ("history", reverse("plans:problem_history", args=[secret_case.problem_id])),
            ("notifications", reverse("notifications:list")),
        ]:
            if role == "city_office" and label == "case":
                continue  # the one page meant to show it
            response = client.get(url)
            outputs[f"{role} {label}"] = response.content.decode() if response.status_code == 200 else ""
        outputs[f"{role} api list"] = api(users, role).get("/api/v1/complaints/?page_size=500").content.decode()
        outputs[f"{role} api case"] = api(users, role).get(f"/api/v1/complaints/{secret_case.pk}/").content.decode()
        if role != "city_office":
            dossier = client.get(reverse("documents:dossier_problem", args=[secret_case.problem_id]))
            outputs[f"{role} dossier"] = zip_text(dossier.content) if dossier.status_code == 200 else ""
    anonymous = Client()
    # Issue 14: the API's schema and docs page answer an anonymous visitor with no data at all.
    outputs["anonymous api schema"] = anonymous.get(reverse("api:schema")).content.decode()
    outputs["anonymous api docs"] = anonymous.get(reverse("api:docs")).content.decode()
    outputs["public page"] = anonymous.get(reverse("portal:complaint_batch", args=[batch.pk])).content.decode()
    outputs["public xlsx"] = xlsx_text(anonymous.get(reverse("portal:complaint_batch_xlsx", args=[batch.pk])).content)
    outputs["public pdf"] = pdf_text(anonymous.get(reverse("portal:complaint_batch_pdf", args=[batch.pk])).content)
    outputs["public api"] = anonymous.get(f"/api/v1/complaint-batches/{batch.pk}/public/").content.decode()
    outputs.update(portal_outputs(users, secret_case))
    outputs["notice page"] = office.get(reverse("supervision:notice", args=[draft.pk])).content.decode()
    outputs["notice docx"] = docx_text(office.get(reverse("documents:notice_docx", args=[draft.pk])).content)
    outputs["notice pdf"] = pdf_text(office.get(reverse("documents:notice_pdf", args=[draft.pk])).content)
    outputs["dossier"] = zip_text(
        office.get(reverse("documents:dossier_problem", args=[secret_case.problem_id])).content
    )
    for fmt in ("json", "csv", "xlsx"):
        ledger = office.get(reverse("documents:ledger_export") + f"?format={fmt}")
        body = b"".join(ledger.streaming_content) if ledger.streaming else ledger.content
        outputs[f"ledger {fmt}"] = xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8-sig")
    found = {label: leaks(text) for label, text in outputs.items() if leaks(text)}
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert all(outputs[k] for k in ["public page", "public pdf", "notice docx", "dossier"])  # not empty by accident
    assert all(outputs[k] for k in ["portal problem", "portal documents", "portal briefing pdf"])


def portal_outputs(users: Any, case: ComplaintCase) -> dict[str, str]:
    """Every other page of the public portal, with the plan and all its problems public and a
    published 工作简报 and 月通报 — the 简报 quoting the case with its complainant's details."""
    office = users["city_office"]
    plan = Plan.objects.get()
    ids = list(plan.problems.values_list("pk", flat=True))
    plan_publishing_save(actor=office, plan=plan, plan_public=True, public_problem_ids=ids)
    briefing = documents.briefing_draft(actor=office, period_start=dt.date(2022, 8, 1), period_end=dt.date(2022, 8, 31))
    item = {"title": f"回访举报人{NAME}", "paragraphs": [case.content, case.investigation]}
    Briefing.objects.filter(pk=briefing.pk).update(sections=[{"heading": "县区动态", "items": [item]}])
    briefing.refresh_from_db()
    documents.briefing_issue(actor=office, briefing=briefing)
    document_publish(actor=office, doc=briefing)
    circular, _ = documents.circular_generate(actor=office, year=2022, month=8)
    documents.circular_issue(actor=office, circular=circular)
    document_publish(actor=office, doc=circular)
    anonymous = Client()
    out = {
        f"portal {label}": anonymous.get(url).content.decode()
        for label, url in [
            ("home", reverse("portal:home")),
            ("plans", reverse("portal:plans")),
            ("plan", reverse("portal:plan", args=[plan.pk])),
            ("problem", reverse("portal:problem", args=[case.problem_id])),
            ("closeouts", reverse("portal:closeouts")),
            ("complaints", reverse("portal:complaints")),
            ("documents", reverse("portal:documents")),
        ]
    }
    out["portal briefing pdf"] = pdf_text(anonymous.get(reverse("portal:briefing_pdf", args=[briefing.pk])).content)
    out["portal circular pdf"] = pdf_text(anonymous.get(reverse("portal:circular_pdf", args=[circular.pk])).content)
    assert "回访举报人" in out["portal documents"] and "洗煤厂" in out["portal briefing pdf"]
    return out


def test_the_api_import_and_handling(users: Any, secret_case: ComplaintCase) -> None:
    name, data = batch_file(15, batch_no=8)
    office = api(users, "city_office")
    job = office.post("/api/v1/complaint-imports/", {"file": SimpleUploadedFile(name, data)})
    assert job.status_code == 201 and job.json()["batch_no"] == 8
    committed = office.post(
        f"/api/v1/complaint-imports/{job.json()['id']}/commit/", {}, content_type="application/json"
    )
    assert committed.status_code == 201 and committed.json()["total"] == 15
    assert (
        api(users, "county_clerk")
        .post("/api/v1/complaint-imports/", {"file": SimpleUploadedFile(name, data)})
        .status_code
        == 403
    )
    clerk = api(users, "county_clerk")
    body = clerk.get(f"/api/v1/complaints/{secret_case.pk}/").json()
    assert "name" not in body and "phone" not in body and NAME not in str(body)
    done = clerk.patch(
        f"/api/v1/complaints/{secret_case.pk}/",
        {"version": body["version"], "status": "closed", "verdict": "partly", "investigation": "部分属实"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert api(users, "dept_clerk").get(f"/api/v1/complaints/{secret_case.pk}/").status_code == 404
    assert api(users, "sysadmin").get("/api/v1/complaints/").status_code == 403


def test_page_query_budget(client_for: Any, batch: ComplaintBatch) -> None:
    client = client_for("city_office")
    client.get(reverse("complaints:cases"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("complaints:cases")).status_code == 200
    assert len(ctx.captured_queries) <= 12, [q["sql"][:100] for q in ctx.captured_queries]
    _ = dt
