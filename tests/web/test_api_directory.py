"""/api/v1/ twins of orgs:add, orgs:rename, orgs:merge, plans:problem_deadline, plans:assignment_confirm
(with plans:pending) and progress:calendar: each writes what its page writes, with the same audit
event, refuses with the page's status and words, and is scoped like the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Problem
from rectify.plans.selectors import pending_assignments
from rectify.progress import services as progress_services
from tests.web.test_permission_matrix import BUSINESS, MISSING, NO_BUSINESS, OTHER_PROBLEM, OWN_PROBLEM, OWN_UNIT

pytestmark = pytest.mark.django_db
OFFICE = "city_office"
JSON = "application/json"


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type=JSON)


def page_message(response: Any) -> str:
    """The one message a page action left for the next page."""
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1, texts
    return texts[0]


def last_event(action: str) -> tuple[str, str, Any, Any]:
    e = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert e is not None, action
    return e.object_type, e.object_id, e.before, e.after


def by_page_then_api(page: Callable[[], Any], api: Callable[[], Any], state: Callable[[], Any]) -> tuple[Any, Any]:
    """The page's action in a savepoint rolled back afterwards, then the API's on the same data:
    the state each leaves behind."""
    with transaction.atomic():
        page()
        by_page = state()
        transaction.set_rollback(True)
    api()
    return by_page, state()


# --- the unit directory ---------------------------------------------------------------------------


def test_adding_a_unit_by_the_api_is_the_pages_add(client_for: Any) -> None:
    client = client_for(OFFICE)
    root = OrgUnit.objects.get(depth=0)

    def state() -> Any:
        unit = OrgUnit.objects.get(name="市应急管理局")
        return (unit.kind, unit.parent_id, unit.aliases, unit.path, last_event("unit.created")[2:])

    form = {"name": "市应急管理局", "kind": "department", "parent": root.pk}
    by_page, by_api = by_page_then_api(
        lambda: client.post(reverse("orgs:add"), {**form, "aliases": "市应急局"}),
        lambda: post(client, "/api/v1/units/", {**form, "aliases": ["市应急局"]}),
        state,
    )
    assert by_page == by_api


def test_a_rename_writes_what_the_page_writes_and_keeps_the_old_name_as_an_alias(client_for: Any) -> None:
    client = client_for(OFFICE)
    unit = OrgUnit.objects.get(name="市水利局")

    def state() -> Any:
        fresh = OrgUnit.objects.get(pk=unit.pk)
        return (fresh.name, fresh.aliases, fresh.version, last_event("unit.renamed")[1:])

    by_page, by_api = by_page_then_api(
        lambda: client.post(reverse("orgs:rename", args=[unit.pk]), {"name": "市水务局", "version": unit.version}),
        lambda: post(client, f"/api/v1/units/{unit.pk}/rename/", {"name": "市水务局", "version": unit.version}),
        state,
    )
    assert by_page == by_api and "市水利局" in by_api[1]
    data = client.get(f"/api/v1/units/{unit.pk}/").json()
    assert (data["name"], data["version"]) == ("市水务局", unit.version + 1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "市能源局"}, 400),  # taken
        ({"name": "  "}, 400),
        ({"name": "市水务局", "version": 1}, 409),  # stale
    ],
)
def test_a_refused_rename_has_the_pages_words(client_for: Any, body: dict[str, Any], status: int) -> None:
    client = client_for(OFFICE)
    unit = OrgUnit.objects.get(name="市水利局")
    OrgUnit.objects.filter(pk=unit.pk).update(version=5)
    form = {"version": 5, **body}
    expected = page_message(client.post(reverse("orgs:rename", args=[unit.pk]), form))
    response = post(client, f"/api/v1/units/{unit.pk}/rename/", form)
    assert response.status_code == status and response.json()["detail"] == expected
    assert OrgUnit.objects.get(pk=unit.pk).name == "市水利局"


def test_a_merge_moves_what_the_page_moves(client_for: Any) -> None:
    client = client_for(OFFICE)
    source = OrgUnit.objects.get(name="市水利局")
    target = OrgUnit.objects.get(name="市能源局")

    def state() -> Any:
        s, t = OrgUnit.objects.get(pk=source.pk), OrgUnit.objects.get(pk=target.pk)
        rows = Assignment.objects.filter(unit=t).values_list("problem_id", "measure_id", "role")
        shares = sorted((p, m or 0, r) for p, m, r in rows)
        return (s.is_active, s.merged_into_id, t.aliases, shares, last_event("unit.merged")[1:])

    by_page, by_api = by_page_then_api(
        lambda: client.post(reverse("orgs:merge", args=[source.pk]), {"target": target.pk}),
        lambda: post(client, f"/api/v1/units/{source.pk}/merge/", {"target": target.pk}),
        state,
    )
    assert by_page == by_api and by_api[0] is False and by_api[1] == target.pk
    assert not Assignment.objects.filter(unit=source).exists()


def test_a_refused_merge_has_the_pages_words(client_for: Any) -> None:
    client = client_for(OFFICE)
    unit = OrgUnit.objects.get(name="市水利局")
    expected = page_message(client.post(reverse("orgs:merge", args=[unit.pk]), {"target": unit.pk}))
    response = post(client, f"/api/v1/units/{unit.pk}/merge/", {"target": unit.pk})
    assert response.status_code == 400 and response.json()["detail"] == expected == "不能把单位并入其自身。"
    missing = post(client, f"/api/v1/units/{unit.pk}/merge/", {"target": MISSING})
    assert missing.status_code == 400 and missing.json() == {"target": "目标单位不存在。"}
    assert OrgUnit.objects.get(pk=unit.pk).is_active


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_renames_or_merges_as_on_the_pages(client_for: Any, role: str) -> None:
    client = client_for(role)
    unit = OrgUnit.objects.get(name="市水利局")
    target = OrgUnit.objects.get(name="市能源局")
    page = client.post(reverse("orgs:rename", args=[MISSING]), {"name": "x", "version": 1}).status_code
    rename = post(client, f"/api/v1/units/{unit.pk}/rename/", {"name": "市水务局", "version": unit.version})
    merge = post(client, f"/api/v1/units/{unit.pk}/merge/", {"target": target.pk})
    if role == OFFICE:
        assert (rename.status_code, merge.status_code) == (200, 200)
    else:
        assert rename.status_code == merge.status_code == 403
        assert rename.json()["detail"] == "只有市整改办可以维护单位目录。"
        assert OrgUnit.objects.get(pk=unit.pk).is_active and OrgUnit.objects.get(pk=unit.pk).name == "市水利局"
    assert post(client, f"/api/v1/units/{MISSING}/rename/", {"name": "x", "version": 1}).status_code == page


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_unit_is_read_with_its_version_within_the_viewers_scope(client_for: Any, role: str) -> None:
    client = client_for(role)
    own = OrgUnit.objects.get(name=OWN_UNIT.get(role, "朔城区政府"))
    expected = 200 if role in BUSINESS else 404  # as plans:unit
    assert client.get(reverse("plans:unit", args=[own.pk])).status_code == expected
    response = client.get(f"/api/v1/units/{own.pk}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["version"] == own.version
    if role == "county_clerk":
        assert client.get(f"/api/v1/units/{OrgUnit.objects.get(name='市能源局').pk}/").status_code == 404
    assert client.get(f"/api/v1/units/{MISSING}/").status_code == 404


# --- a problem's deadline -----------------------------------------------------------------------


def test_a_problem_deadline_change_writes_what_the_page_writes(client_for: Any, problems: Any) -> None:
    client = client_for(OFFICE)
    problem = problems["十五"]

    def state() -> Any:
        p = Problem.objects.get(pk=problem.pk)
        measures = sorted(p.measures.values_list("seq", "deadline_raw", "due_on"))
        return (p.deadline_raw, p.deadline_kind, p.due_on, p.version, measures, last_event("problem.deadline_changed"))

    form = {"raw": "2023年6月底", "version": problem.version}
    by_page, by_api = by_page_then_api(
        lambda: client.post(reverse("plans:problem_deadline", args=[problem.pk]), form),
        lambda: post(client, f"/api/v1/problems/{problem.pk}/deadline/", form),
        state,
    )
    assert by_page == by_api and by_api[:2] == ("2023年6月底", "date")
    data = client.get(f"/api/v1/problems/{problem.pk}/deadline/").json()
    assert (data["deadline"]["due"], data["version"]) == ("2023-06-30", problem.version + 1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"raw": "择机"}, 400),
        ({"raw": ""}, 400),
        ({"raw": "每季度", "due": "2023-01-31"}, 400),
        ({"raw": "2023年6月底", "version": 1}, 409),
    ],
)
def test_a_refused_deadline_change_has_the_pages_words(
    client_for: Any, problems: Any, body: dict[str, Any], status: int
) -> None:
    client = client_for(OFFICE)
    problem = problems["十五"]
    Problem.objects.filter(pk=problem.pk).update(version=7)
    form = {"version": 7, **body}
    expected = page_message(client.post(reverse("plans:problem_deadline", args=[problem.pk]), form))
    response = post(client, f"/api/v1/problems/{problem.pk}/deadline/", form)
    assert response.status_code == status and response.json()["detail"] == expected
    assert Problem.objects.get(pk=problem.pk).deadline_raw == problem.deadline_raw


def test_a_malformed_due_date_is_refused_in_the_pages_words(client_for: Any, problems: Any) -> None:
    client = client_for(OFFICE)
    problem = problems["十五"]
    form = {"raw": "2023年6月底", "due": "2023/6/30", "version": problem.version}
    expected = page_message(client.post(reverse("plans:problem_deadline", args=[problem.pk]), form))
    response = post(client, f"/api/v1/problems/{problem.pk}/deadline/", form)
    assert response.status_code == 400 and response.json() == {"due": [expected]}


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_deadline_changes_are_scoped_like_the_page(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    target = problems[OWN_PROBLEM.get(role, "一")]
    form = {"raw": "2023年6月底", "version": target.version}
    with transaction.atomic():
        page = client.post(reverse("plans:problem_deadline", args=[target.pk]), form).status_code
        transaction.set_rollback(True)
    response = post(client, f"/api/v1/problems/{target.pk}/deadline/", form)
    assert response.status_code == (200 if page == 302 else page)
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]]
        assert post(client, f"/api/v1/problems/{other.pk}/deadline/", form).status_code == 404
        assert client.get(f"/api/v1/problems/{other.pk}/deadline/").status_code == 404
    missing = post(client, f"/api/v1/problems/{MISSING}/deadline/", form).status_code
    assert missing == client.post(reverse("plans:problem_deadline", args=[MISSING]), form).status_code


# --- units still to confirm -----------------------------------------------------------------------


def test_pending_units_are_listed_as_the_pending_page_lists_them(client_for: Any, users: Any) -> None:
    for role in ("city_office", "county_office", "county_clerk"):
        data = client_for(role).get("/api/v1/pending-assignments/?page_size=500").json()
        expected = pending_assignments(viewer=users[role])
        assert [row["id"] for row in data["results"]] == list(expected.values_list("pk", flat=True))
    row = client_for(OFFICE).get("/api/v1/pending-assignments/").json()["results"][0]
    pending = Assignment.objects.get(pk=row["id"])
    assert (row["phrase"], row["problem"]) == (pending.phrase, pending.problem_id)
    assert [c["id"] for c in row["candidates"]] == list(pending.candidates)
    for role in NO_BUSINESS:
        assert client_for(role).get("/api/v1/pending-assignments/").status_code == 403


def test_confirming_a_unit_writes_what_the_page_writes(client_for: Any, problems: Any) -> None:
    client = client_for(OFFICE)
    problem = problems["一"]
    pending = Assignment.objects.get(problem=problem, needs_confirmation=True)
    water, energy = OrgUnit.objects.get(name="市水利局"), OrgUnit.objects.get(name="市能源局")

    def state() -> Any:
        rows = Assignment.objects.filter(problem=problem).select_related("measure")
        shares = sorted((a.unit_id or 0, a.phrase, a.role, a.measure_id or 0, a.needs_confirmation) for a in rows)
        return shares, last_event("assignment.confirmed")

    url = reverse("plans:assignment_confirm", args=[problem.pk, pending.pk])
    api = f"/api/v1/problems/{problem.pk}/assignments/{pending.pk}/confirm/"
    by_page, by_api = by_page_then_api(
        lambda: client.post(url, {"units": [water.pk, energy.pk]}),
        lambda: post(client, api, {"units": [water.pk, energy.pk]}),
        state,
    )
    assert by_page == by_api
    assert not Assignment.objects.filter(pk=pending.pk).exists()
    # confirmed already: the row is gone (404, as on the page), and no second set of shares
    again = post(client, api, {"units": [water.pk]})
    assert again.status_code == 404
    assert state() == by_api


def test_a_refused_confirmation_has_the_pages_words(client_for: Any, problems: Any) -> None:
    client = client_for(OFFICE)
    problem = problems["一"]
    pending = Assignment.objects.get(problem=problem, needs_confirmation=True)
    url = reverse("plans:assignment_confirm", args=[problem.pk, pending.pk])
    api = f"/api/v1/problems/{problem.pk}/assignments/{pending.pk}/confirm/"
    expected = page_message(client.post(url, {}))
    response = post(client, api, {"units": []})
    assert response.status_code == 400 and response.json()["detail"] == expected == "请至少选择一个单位。"
    response = post(client, api, {"units": [MISSING]})
    assert response.status_code == 400 and response.json() == {"units": f"单位不存在或已停用：{MISSING}。"}
    assert Assignment.objects.filter(pk=pending.pk).exists()


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_confirming_is_scoped_like_the_page(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    problem = problems["一"]
    pending = Assignment.objects.get(problem=problem, needs_confirmation=True)
    unit = OrgUnit.objects.get(name="市水利局")
    url = reverse("plans:assignment_confirm", args=[problem.pk, pending.pk])
    with transaction.atomic():
        page = client.post(url, {"units": [unit.pk]}).status_code
        transaction.set_rollback(True)
    api = f"/api/v1/problems/{problem.pk}/assignments/{pending.pk}/confirm/"
    response = post(client, api, {"units": [unit.pk]})
    assert response.status_code == (200 if page == 302 else page)
    missing = f"/api/v1/problems/{problem.pk}/assignments/{MISSING}/confirm/"
    page_missing = reverse("plans:assignment_confirm", args=[problem.pk, MISSING])
    assert post(client, missing, {"units": [unit.pk]}).status_code == client.post(page_missing, {}).status_code


# --- the reporting calendar -----------------------------------------------------------------------


def calendar_form(version: int) -> dict[str, Any]:
    return {
        "weekly_weekday": 3,
        "weekly_time": "16:00",
        "monthly_day": 3,
        "monthly_time": "12:00",
        "starts_on": "2022-03-01",
        "version": version,
    }


def test_setting_the_calendar_writes_what_the_page_writes(client_for: Any) -> None:
    client = client_for(OFFICE)
    version = progress_services.calendar_get().version

    def state() -> Any:
        c = progress_services.calendar_get()
        fields = (c.weekly_weekday, c.weekly_time, c.monthly_day, c.monthly_time, c.starts_on, c.version)
        return fields, last_event("calendar.changed")[2:]

    by_page, by_api = by_page_then_api(
        lambda: client.post(reverse("progress:calendar"), calendar_form(version)),
        lambda: client.put("/api/v1/reporting-calendar/", calendar_form(version), content_type=JSON),
        state,
    )
    assert by_page == by_api and by_api[0][0] == 3
    data = client.get("/api/v1/reporting-calendar/").json()
    assert (data["weekly_time"], data["can_edit"], data["version"]) == ("16:00:00", True, version + 1)
    assert data["description"] == progress_services.calendar_get().rule.describe()


def test_a_calendar_patch_changes_only_what_it_sends(client_for: Any) -> None:
    client = client_for(OFFICE)
    before = progress_services.calendar_get()
    response = client.patch(
        "/api/v1/reporting-calendar/", {"monthly_day": 10, "version": before.version}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    after = progress_services.calendar_get()
    assert after.monthly_day == 10
    kept = ("weekly_weekday", "weekly_time", "monthly_time", "starts_on")
    assert [getattr(after, f) for f in kept] == [getattr(before, f) for f in kept]
    assert client.patch("/api/v1/reporting-calendar/", {"monthly_day": 11}, content_type=JSON).status_code == 400


@pytest.mark.parametrize(
    ("changes", "status"),
    [({"monthly_day": 31}, 400), ({"weekly_weekday": 9}, 400), ({"weekly_time": "25:00"}, 400), ({"version": 1}, 409)],
)
def test_a_refused_calendar_has_the_pages_words(client_for: Any, changes: dict[str, Any], status: int) -> None:
    client = client_for(OFFICE)
    progress_services.calendar_get()
    from rectify.progress.models import ReportingCalendar

    ReportingCalendar.objects.filter(pk=1).update(version=4)
    form = {**calendar_form(4), **changes}
    expected = page_message(client.post(reverse("progress:calendar"), form))
    response = client.put("/api/v1/reporting-calendar/", form, content_type=JSON)
    assert response.status_code == status
    body = response.json()
    assert expected in (body.get("detail"), *[m for v in body.values() if isinstance(v, list) for m in v])
    assert progress_services.calendar_get().monthly_day == 5


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_calendar_is_read_by_business_roles_and_set_by_the_city_office(client_for: Any, role: str) -> None:
    client = client_for(role)
    version = progress_services.calendar_get().version
    page_get = client.get(reverse("progress:calendar")).status_code
    assert client.get("/api/v1/reporting-calendar/").status_code == page_get == (200 if role in BUSINESS else 403)
    response = client.put("/api/v1/reporting-calendar/", calendar_form(version), content_type=JSON)
    assert response.status_code == (200 if role == OFFICE else 403)
    if role in BUSINESS and role != OFFICE:
        assert response.json()["detail"] == "只有市整改办可以设置报送日历。"


def test_a_read_only_token_reads_but_does_not_write(users: Any, problems: Any) -> None:
    _, raw = token_issue(actor=users[OFFICE], name="只读", read_only=True)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    unit = OrgUnit.objects.get(name="市水利局")
    assert client.get("/api/v1/reporting-calendar/").status_code == 200
    assert client.get(f"/api/v1/units/{unit.pk}/").status_code == 200
    refused = [
        post(client, f"/api/v1/units/{unit.pk}/rename/", {"name": "市水务局", "version": unit.version}),
        post(client, f"/api/v1/problems/{problems['十五'].pk}/deadline/", {"raw": "2023年6月底", "version": 1}),
        client.patch("/api/v1/reporting-calendar/", {"monthly_day": 10, "version": 1}, content_type=JSON),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert OrgUnit.objects.get(pk=unit.pk).name == "市水利局"
