"""Every view × every role × own unit / other unit / missing object.

Outside the viewer's scope an object is "not found" (404), never a 403 that leaks its existence.
Roles without business data (system admin, audit admin, outsider) get 403 on business pages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from rectify.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db

BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
CITY_WIDE = {"city_office", "acceptance", "leader"}

# Problem visible to each role ("own"), and one outside its scope ("other"), by problem number.
OWN_PROBLEM = {
    "city_office": "十五",
    "acceptance": "十五",
    "leader": "十五",
    "county_office": "一",
    "county_clerk": "一",
    "dept_clerk": "十",
}
OTHER_PROBLEM = {"county_office": "十五", "county_clerk": "十五", "dept_clerk": "十五"}
OWN_UNIT = {
    "city_office": "市能源局",
    "acceptance": "市能源局",
    "leader": "市能源局",
    "county_office": "朔城区政府",
    "county_clerk": "朔城区政府",
    "dept_clerk": "市生态环境局",
}
OTHER_UNIT = {"county_office": "平鲁区政府", "county_clerk": "市能源局", "dept_clerk": "市能源局"}
MISSING = 987654


@pytest.mark.parametrize("name", ["plans:ledger", "plans:plans", "orgs:list", "plans:pending"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_list_pages_open_to_business_roles_only(client_for: Any, role: str, name: str) -> None:
    response = client_for(role).get(reverse(name))
    assert response.status_code == (200 if role in BUSINESS else 403)


@pytest.mark.parametrize("name", ["plans:ledger", "orgs:list", "audit:log", "ingestion:upload"])
def test_anonymous_is_sent_to_login(client_for: Any, name: str) -> None:
    response = client_for(None).get(reverse(name))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("view", ["plans:problem", "plans:problem_history"])
@pytest.mark.parametrize("role", BUSINESS)
def test_problem_pages_own_other_missing(client_for: Any, problems: Any, role: str, view: str) -> None:
    client = client_for(role)
    assert client.get(reverse(view, args=[problems[OWN_PROBLEM[role]].pk])).status_code == 200
    if role in OTHER_PROBLEM:
        assert client.get(reverse(view, args=[problems[OTHER_PROBLEM[role]].pk])).status_code == 404
    assert client.get(reverse(view, args=[MISSING])).status_code == 404


@pytest.mark.parametrize("view", ["plans:problem", "plans:problem_history"])
@pytest.mark.parametrize("role", NO_BUSINESS)
def test_problem_pages_closed_to_roles_without_business_data(
    client_for: Any, problems: Any, role: str, view: str
) -> None:
    assert client_for(role).get(reverse(view, args=[problems["一"].pk])).status_code == 403


@pytest.mark.parametrize("view", ["plans:unit", "orgs:history"])
@pytest.mark.parametrize("role", BUSINESS)
def test_unit_pages_own_other_missing(client_for: Any, role: str, view: str) -> None:
    client = client_for(role)
    own = OrgUnit.objects.get(name=OWN_UNIT[role])
    assert client.get(reverse(view, args=[own.pk])).status_code == 200
    if role in OTHER_UNIT:
        other = OrgUnit.objects.get(name=OTHER_UNIT[role])
        assert client.get(reverse(view, args=[other.pk])).status_code == 404
    assert client.get(reverse(view, args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", NO_BUSINESS)
def test_unit_page_closed_to_roles_without_business_data(client_for: Any, role: str) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")
    assert client_for(role).get(reverse("plans:unit", args=[unit.pk])).status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_deadline_edit_only_by_coordinators_whose_scope_holds_the_problem(
    client_for: Any, problems: Any, role: str
) -> None:
    client = client_for(role)
    target = problems[OWN_PROBLEM.get(role, "一")]
    response = client.post(
        reverse("plans:problem_deadline", args=[target.pk]), {"raw": "2023年6月底", "version": target.version}
    )
    target.refresh_from_db()
    if role == "city_office":
        assert response.status_code == 302
        assert target.deadline_raw == "2023年6月底"
    else:
        assert response.status_code == 403 if role in BUSINESS else response.status_code in (403, 404)
        assert target.deadline_raw != "2023年6月底"
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]]
        response = client.post(reverse("plans:problem_deadline", args=[other.pk]), {"raw": "2023年6月底", "version": 1})
        assert response.status_code == 404
    assert client.post(reverse("plans:problem_deadline", args=[MISSING]), {"raw": "x", "version": 1}).status_code in (
        403,
        404,
    )


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_unit_directory_changes_only_by_the_city_office(client_for: Any, role: str) -> None:
    client = client_for(role)
    root = OrgUnit.objects.get(depth=0)
    unit = OrgUnit.objects.get(name="市水利局")
    add = client.post(reverse("orgs:add"), {"name": "市测试局", "kind": "department", "parent": root.pk})
    rename = client.post(reverse("orgs:rename", args=[unit.pk]), {"name": "市水务局", "version": unit.version})
    allowed = role == "city_office"
    assert add.status_code == (302 if allowed else 403)
    assert rename.status_code == (302 if allowed else 403)
    assert OrgUnit.objects.filter(name="市测试局").exists() is allowed
    assert OrgUnit.objects.filter(name="市水务局").exists() is allowed
    assert client.post(reverse("orgs:rename", args=[MISSING]), {"name": "x", "version": 1}).status_code in (403, 404)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_audit_log_only_for_the_audit_admin(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("audit:log"))
    assert response.status_code == (200 if role == "auditor" else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_import_only_for_coordinators(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("ingestion:upload"))
    assert response.status_code == (200 if role in {"city_office", "county_office"} else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_system_admin_site_only_for_the_system_admin(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("admin:index"))
    assert response.status_code == (200 if role == "sysadmin" else 302)


@pytest.mark.parametrize("role", BUSINESS)
def test_export_contains_only_the_viewers_problems(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("documents:ledger_export") + "?format=json")
    assert response.status_code == 200
    # A background job's file (issue 16): streamed when large, a plain response when small.
    data = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    numbers = {p["number"] for plan in data["plans"] for p in plan["problems"]}
    assert OWN_PROBLEM[role] in numbers
    if role in OTHER_PROBLEM:
        assert OTHER_PROBLEM[role] not in numbers
    if role in CITY_WIDE:
        assert len(numbers) == 34


@pytest.mark.parametrize("role", NO_BUSINESS)
def test_export_closed_to_roles_without_business_data(client_for: Any, role: str) -> None:
    assert client_for(role).get(reverse("documents:ledger_export") + "?format=json").status_code == 403


@pytest.mark.parametrize("role", BUSINESS)
def test_api_scoped_like_the_pages(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    assert client.get(f"/api/v1/problems/{problems[OWN_PROBLEM[role]].pk}/").status_code == 200
    if role in OTHER_PROBLEM:
        assert client.get(f"/api/v1/problems/{problems[OTHER_PROBLEM[role]].pk}/").status_code == 404
    assert client.get(f"/api/v1/problems/{MISSING}/").status_code == 404
    listed = client.get("/api/v1/problems/?page_size=500").json()
    numbers = {p["number"] for p in listed["results"]}
    assert listed["count"] == len(numbers)
    if role in OTHER_PROBLEM:
        assert OTHER_PROBLEM[role] not in numbers


@pytest.mark.parametrize("role", NO_BUSINESS)
def test_api_closed_to_roles_without_business_data(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    assert client.get("/api/v1/measures/").status_code == 403
    assert client.get(f"/api/v1/problems/{problems['一'].pk}/").status_code == 403


def test_api_requires_authentication(client_for: Any) -> None:
    assert client_for(None).get("/api/v1/measures/").status_code in (401, 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_confirming_units_only_by_the_city_office(client_for: Any, problems: Any, role: str) -> None:
    from rectify.plans.models import Assignment

    pending = Assignment.objects.get(problem=problems["一"], needs_confirmation=True)
    unit = OrgUnit.objects.get(name="市水利局")
    url = reverse("plans:assignment_confirm", args=[problems["一"].pk, pending.pk])
    response = client_for(role).post(url, {"units": [unit.pk]})
    confirmed = not Assignment.objects.filter(pk=pending.pk).exists()
    if role == "city_office":
        assert response.status_code == 302 and confirmed
    else:
        # 403 where the clerk sees the problem; 404 where the problem is outside its scope.
        assert response.status_code in (403, 404) and not confirmed
    missing = reverse("plans:assignment_confirm", args=[problems["一"].pk, MISSING])
    assert client_for(role).post(missing, {"units": [unit.pk]}).status_code in (403, 404)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_merging_units_only_by_the_city_office(client_for: Any, role: str) -> None:
    source = OrgUnit.objects.get(name="市水利局")
    target = OrgUnit.objects.get(name="市能源局")
    response = client_for(role).post(reverse("orgs:merge", args=[source.pk]), {"target": target.pk})
    source.refresh_from_db()
    assert response.status_code == (302 if role == "city_office" else 403)
    assert source.is_active is (role != "city_office")


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_import_review_actions_only_on_ones_own_job(client_for: Any, role: str) -> None:
    from rectify.ingestion.demo import SEED_PLAN
    from rectify.ingestion.models import ImportJob
    from rectify.ingestion.services import import_prepare

    data = SEED_PLAN.read_bytes().replace("朔州市".encode(), "某市".encode(), 1)
    owner = "county_office" if role == "city_office" else "city_office"
    from django.contrib.auth.models import User

    job = import_prepare(actor=User.objects.get(username=owner), data=data, filename="p.txt")
    client = client_for(role)
    for name in ["ingestion:review_update", "ingestion:discard", "ingestion:commit"]:
        response = client.post(reverse(name, args=[job.pk]), {"version": job.version})
        expected = (404,) if role in {"city_office", "county_office"} else (403,)
        assert response.status_code in expected
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REVIEWING


@pytest.mark.parametrize("role", BUSINESS)
def test_api_measure_detail_scoped(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    own = problems[OWN_PROBLEM[role]].measures.first()
    assert client.get(f"/api/v1/measures/{own.pk}/").status_code == 200
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]].measures.first()
        assert client.get(f"/api/v1/measures/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/measures/{MISSING}/").status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_unit_creation_over_the_api_only_by_the_city_office(client_for: Any, role: str) -> None:
    root = OrgUnit.objects.get(depth=0)
    body = {"name": f"市{role}局", "kind": "department", "parent": root.pk}
    response = client_for(role).post("/api/v1/units/", body, content_type="application/json")
    assert response.status_code == (201 if role == "city_office" else 403)


@pytest.mark.parametrize("query", ["unit=²", "page=abc", "due_before=2022-13-45", "chapter=-1", "status=nope"])
def test_malformed_filters_are_ignored_not_errors(client_for: Any, query: str) -> None:
    assert client_for("city_office").get(reverse("plans:ledger") + "?" + query).status_code == 200
    if not query.startswith("page="):  # the API answers an invalid page with 404, as DRF does
        assert client_for("city_office").get("/api/v1/measures/?" + query).status_code == 200


# --- drafts of 通报 and 简报 stay with the office that drafts them (issue 14) -------------------

DRAFT_URLS = {
    "circular": ["documents:circular", "documents:circular_pdf", "documents:circular_docx"],
    "briefing": ["documents:briefing", "documents:briefing_pdf", "documents:briefing_docx"],
}
DRAFT_API = {
    "circular": ["/api/v1/circulars/{}/", "/api/v1/circulars/{}/pdf/"],
    "briefing": ["/api/v1/briefings/{}/", "/api/v1/briefings/{}/pdf/"],
}


def _county_draft(users: Any, kind: str) -> Any:
    import datetime as dt

    from rectify.documents import services as documents

    office = users["county_office"]
    if kind == "circular":
        return documents.circular_generate(actor=office, year=2022, month=9)[0]
    return documents.briefing_draft(actor=office, period_start=dt.date(2022, 9, 1), period_end=dt.date(2022, 9, 30))


@pytest.mark.parametrize("kind", sorted(DRAFT_URLS))
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_county_offices_draft_opens_for_that_office_only(
    client_for: Any, users: Any, tmp_path: Any, settings: Any, role: str, kind: str
) -> None:
    """Not even the city office opens a county office's draft: page, .pdf, .docx and the API."""
    settings.MEDIA_ROOT = tmp_path
    draft = _county_draft(users, kind)
    client = client_for(role)
    expected = 200 if role == "county_office" else 403 if role in NO_BUSINESS else 404
    urls = [reverse(name, args=[draft.pk]) for name in DRAFT_URLS[kind]]
    urls += [u.format(draft.pk) for u in DRAFT_API[kind]]
    if role != "county_office":  # rendering the files once is enough: the office's .docx below
        for url in urls:
            assert client.get(url).status_code == expected, url
    else:
        assert client.get(urls[0]).status_code == 200 and client.get(urls[2]).status_code == 200
    listed = client.get(reverse(f"documents:{kind}s"))
    if role in BUSINESS:
        assert (f"{kind}-row" in listed.content.decode()) == (role == "county_office")


@pytest.mark.parametrize("kind", sorted(DRAFT_URLS))
def test_once_issued_the_normal_visibility_applies(
    client_for: Any, users: Any, tmp_path: Any, settings: Any, kind: str
) -> None:
    from rectify.documents import services as documents

    settings.MEDIA_ROOT = tmp_path
    draft = _county_draft(users, kind)
    city = client_for("city_office")
    assert city.get(reverse(f"documents:{kind}", args=[draft.pk])).status_code == 404
    issue = documents.circular_issue if kind == "circular" else documents.briefing_issue
    issue(actor=users["county_office"], **{kind: draft})
    assert city.get(reverse(f"documents:{kind}", args=[draft.pk])).status_code == 200
    assert city.get(reverse(f"documents:{kind}_pdf", args=[draft.pk])).status_code == 200
    assert city.get(DRAFT_API[kind][0].format(draft.pk)).status_code == 200
    assert client_for("county_clerk").get(reverse(f"documents:{kind}", args=[draft.pk])).status_code == 200
    assert client_for("dept_clerk").get(reverse(f"documents:{kind}", args=[draft.pk])).status_code == 404


# --- the API's schema and docs need a login (issue 14; RECTIFY_PUBLIC_API_DOCS opens them) -------


@pytest.mark.parametrize("role", [None, *BUSINESS, *NO_BUSINESS])
def test_the_api_schema_and_docs_page_need_a_login(client_for: Any, role: str | None) -> None:
    client = client_for(role)
    schema = client.get(reverse("api:schema") + "?format=json")
    docs = client.get(reverse("api:docs"))
    if role is None:
        assert schema.status_code in {401, 403} and "openapi" not in schema.content.decode()
        assert docs.status_code == 302 and reverse("accounts:login") in docs["Location"]
    else:
        assert schema.status_code == 200 and docs.status_code == 200
