"""PATCH on a report changes only what is sent (issue 17): the text alone, without `percent` or
`version`; the other fields keep their values; a `version` that is sent is still checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from rectify.accounts.services import token_issue
from rectify.orgs.models import OrgUnit
from rectify.progress import services
from rectify.progress.models import ProgressReport

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def clerk(users: Any) -> Any:
    with time_machine.travel(dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC), tick=False):
        _, raw = token_issue(actor=users["county_clerk"], name="测试")
        yield Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _draft(client: Client) -> dict[str, Any]:
    share = services.required_assignments().filter(unit=OrgUnit.objects.get(name="朔城区政府")).first()
    body = {
        "assignment": share.pk,
        "kind": "weekly",
        "period_start": "2022-10-05",
        "progress_text": "已排查 12 处",
        "next_plan": "继续整治",
        "issues": "资金不足",
        "percent": 40,
    }
    created = client.post("/api/v1/reports/", body, content_type=JSON)
    assert created.status_code == 201, created.json()
    return dict(created.json())


def _stored(pk: int) -> tuple[str, str, str, int | None, int]:
    r = ProgressReport.objects.get(pk=pk)
    return r.progress_text, r.next_plan, r.issues, r.percent, r.version


def test_only_the_fields_sent_change(clerk: Client) -> None:
    report = _draft(clerk)
    before = _stored(report["id"])
    answer = clerk.patch(f"/api/v1/reports/{report['id']}/", {"progress_text": "已排查 15 处"}, content_type=JSON)
    assert answer.status_code == 200, answer.json()
    text, plan, issues, percent, version = _stored(report["id"])
    assert (text, plan, issues, percent) == ("已排查 15 处", before[1], before[2], before[3])
    assert version == before[4] + 1 and answer.json()["progress_text"] == "已排查 15 处"
    # The figure alone; then a blank issue field sent on purpose is written as blank.
    assert clerk.patch(f"/api/v1/reports/{report['id']}/", {"percent": 55}, content_type=JSON).status_code == 200
    assert clerk.patch(f"/api/v1/reports/{report['id']}/", {"issues": ""}, content_type=JSON).status_code == 200
    assert _stored(report["id"])[:4] == ("已排查 15 处", "继续整治", "", 55)
    # Submitting with nothing else sent files what is stored.
    submitted = clerk.patch(f"/api/v1/reports/{report['id']}/", {"submit": True}, content_type=JSON)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


def test_a_version_that_is_sent_is_checked_and_bad_values_are_refused_in_chinese(clerk: Client) -> None:
    report = _draft(clerk)
    stale = report["version"]
    assert clerk.patch(f"/api/v1/reports/{report['id']}/", {"percent": 50}, content_type=JSON).status_code == 200
    conflict = clerk.patch(
        f"/api/v1/reports/{report['id']}/", {"progress_text": "覆盖", "version": stale}, content_type=JSON
    )
    assert conflict.status_code == 409 and "已被他人修改" in conflict.json()["detail"]
    assert _stored(report["id"])[0] == "已排查 12 处"
    bad = clerk.patch(f"/api/v1/reports/{report['id']}/", {"percent": 150}, content_type=JSON)
    assert bad.status_code == 400 and "100" in str(bad.json())
    # null is not "0 %": refused, the figure kept.
    assert clerk.patch(f"/api/v1/reports/{report['id']}/", {"percent": None}, content_type=JSON).status_code == 400
    assert _stored(report["id"])[3] == 50
