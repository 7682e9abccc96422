"""/api/v1/ as another system syncs a ledger through it: measures with their 阶段性节点 (created,
replaced, refused in Chinese), a 201 answer that is exactly what a GET of the item reads back, and
a token's last use written at most once a minute."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from rectify.accounts.models import ApiToken
from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from rectify.plans import rollup
from rectify.plans.models import Assignment, Measure, Milestone
from rectify.progress.periods import SHANGHAI
from tests.web.test_editing_api import JSON, OFFICE, problem_body, unit

pytestmark = pytest.mark.django_db

NODES = [
    {"raw": "2022年9月底前完成全面排查"},
    {"raw": "完成整改验收", "due_on": "2022-11-15"},
]


def measure_body(problem: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "problem": problem,
        "text": "建立危废经营单位长效监管机制。",
        "units": [{"unit": unit("市生态环境局")}, {"unit": unit("市工信局"), "role": "support"}],
        "deadline": "2022年12月底前",
        "source": "self_check",
        "milestones": NODES,
    }
    body.update(changes)
    return body


def create_measure(client: Client, problems: Any, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/measures/", measure_body(problems["十二"].pk, **changes), content_type=JSON)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_measure_is_created_with_its_milestones(client_for: Any, problems: Any) -> None:
    data = create_measure(client_for(OFFICE), problems)
    assert [(m["raw"], m["due_on"], m["precision"]) for m in data["milestones"]] == [
        ("2022年9月底前完成全面排查", "2022-09-30", "month"),  # the date read from the text
        ("完成整改验收", "2022-11-15", "day"),
    ]
    stored = Milestone.objects.filter(measure_id=data["id"]).order_by("seq")
    assert [(m.seq, m.raw, m.due_on) for m in stored] == [
        (1, "2022年9月底前完成全面排查", dt.date(2022, 9, 30)),
        (2, "完成整改验收", dt.date(2022, 11, 15)),
    ]
    event = AuditEvent.objects.get(action="measure.created", object_id=str(data["id"]))
    assert event.after["milestones"] == ["2022年9月底前完成全面排查（2022-09-30）", "完成整改验收（2022-11-15）"]
    assert event.after["units"] == ["市生态环境局（牵头）", "市工信局（配合）"]


def test_a_problem_is_created_with_milestones_on_its_measures(client_for: Any) -> None:
    body = problem_body()
    body["measures"][1]["milestones"] = [{"raw": "2022年11月底前完成排查"}]
    response = client_for(OFFICE).post("/api/v1/problems/", body, content_type=JSON)
    assert response.status_code == 201, response.content
    first, second = Measure.objects.filter(problem_id=response.json()["id"]).order_by("seq")
    assert not first.milestones.exists()
    assert list(second.milestones.values_list("raw", "due_on")) == [("2022年11月底前完成排查", dt.date(2022, 11, 30))]


def test_the_201_answer_is_what_a_get_of_the_item_reads(client_for: Any, problems: Any) -> None:
    office = client_for(OFFICE)
    created = office.post("/api/v1/problems/", problem_body(), content_type=JSON)
    assert created.status_code == 201
    problem = created.json()
    assert problem == office.get(f"/api/v1/problems/{problem['id']}/").json()
    measure = create_measure(office, problems)
    assert measure == office.get(f"/api/v1/measures/{measure['id']}/").json()
    assert len(measure["assignments"]) == 2 and all(a["due_on"] == "2022-12-31" for a in measure["assignments"])
    # No roll-up ran for the new items: one run now changes nothing that the answers showed.
    rollup.measures_rollup(Measure.objects.filter(problem_id=problem["id"]).values_list("pk", flat=True))
    rollup.measures_rollup([measure["id"]])
    assert problem == office.get(f"/api/v1/problems/{problem['id']}/").json()
    assert measure == office.get(f"/api/v1/measures/{measure['id']}/").json()
    # The problem's own units: each unit once, 牵头 where it leads any measure.
    assert set(
        Assignment.objects.filter(problem_id=problem["id"], measure__isnull=True).values_list("unit__name", "role")
    ) == {("市生态环境局", "lead"), ("市工信局", "support")}


def test_patch_replaces_the_milestones_and_keeps_a_reached_one(client_for: Any, problems: Any) -> None:
    office = client_for(OFFICE)
    data = create_measure(office, problems)
    first, second = data["milestones"]
    share = Assignment.objects.filter(measure_id=data["id"]).order_by("pk").first()
    Assignment.objects.filter(pk=share.pk).update(milestones_reached={str(first["id"]): "2022-09-20"})
    url = f"/api/v1/measures/{data['id']}/"
    new = [{"raw": first["raw"]}, {"raw": "2022年10月底前制定方案"}]
    with time_machine.travel(dt.datetime(2022, 10, 8, 10, tzinfo=SHANGHAI), tick=False):
        response = office.patch(url, {"version": data["version"], "milestones": new}, content_type=JSON)
    assert response.status_code == 200, response.content
    after = response.json()
    assert [(m["id"], m["raw"]) for m in after["milestones"]] == [
        (first["id"], first["raw"]),  # the same row: the unit's 已完成节点 still names it
        (after["milestones"][1]["id"], "2022年10月底前制定方案"),
    ]
    assert not Milestone.objects.filter(pk=second["id"]).exists()
    assert after["version"] == data["version"] + 1
    event = AuditEvent.objects.filter(action="measure.updated", object_id=str(data["id"])).latest("seq")
    assert event.before["milestones"] == ["2022年9月底前完成全面排查（2022-09-30）", "完成整改验收（2022-11-15）"]
    assert event.after["milestones"] == [
        "2022年9月底前完成全面排查（2022-09-30）",
        "2022年10月底前制定方案（2022-10-31）",
    ]
    # Re-assessed at once: every share carries a level now.
    assert all(a["warning_level"] for a in after["assignments"])
    # The reached node cannot go, nor move to another date; nothing changes.
    for nodes in ([], [{"raw": first["raw"], "due_on": "2022-12-01"}]):
        refused = office.patch(url, {"version": after["version"], "milestones": nodes}, content_type=JSON)
        assert refused.status_code == 400
        assert (
            "以下节点已有单位完成，不能删除或修改：2022年9月底前完成全面排查（2022-09-30）"
            in (refused.json()["errors"]["milestones"])
        )
    assert Milestone.objects.filter(measure_id=data["id"]).count() == 2
    assert Measure.objects.get(pk=data["id"]).version == after["version"]
    # The same list again: nothing to change, no new version; a stale version: 409.
    same = office.patch(url, {"version": after["version"], "milestones": new}, content_type=JSON)
    assert same.status_code == 200 and same.json()["version"] == after["version"]
    stale = office.patch(url, {"version": data["version"], "milestones": []}, content_type=JSON)
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([{"raw": "尽快完成"}], "无法从第1个节点“尽快完成”读出日期，请同时填写节点日期"),
        ([{"raw": "完成", "due_on": "1900-01-01"}], "第1个节点的日期1900-01-01不在2000—2100年之间"),
        ([{"raw": "2022年9月底前完成"}, {"raw": "2022年9月底前完成"}], "节点重复：2022年9月底前完成"),
        ([{"raw": "  "}], "该字段不能为空。"),  # DRF's own check first, in Chinese
    ],
)
def test_bad_milestones_are_refused_in_chinese(client_for: Any, problems: Any, nodes: Any, expected: str) -> None:
    office = client_for(OFFICE)
    before = Measure.objects.count()
    response = office.post("/api/v1/measures/", measure_body(problems["十二"].pk, milestones=nodes), content_type=JSON)
    assert response.status_code == 400
    assert expected in str(response.json()["errors"]["milestones"] if "errors" in response.json() else response.json())
    assert Measure.objects.count() == before
    measure = problems["十二"].measures.order_by("seq").first()
    patched = office.patch(
        f"/api/v1/measures/{measure.pk}/", {"version": measure.version, "milestones": nodes}, content_type=JSON
    )
    assert patched.status_code == 400 and expected in str(patched.json())


def test_malformed_milestones_get_drf_messages_in_chinese(client_for: Any, problems: Any) -> None:
    office = client_for(OFFICE)
    pk = problems["十二"].pk
    cases = [
        [{"raw": "完成", "due_on": "下个月"}],
        [{"raw": "长" * 101}],
        [{"raw": f"2022年{m}月底前完成"} for m in range(1, 13)] * 2,
        "2022年9月底前",
        [{"due_on": "2022-09-30"}],
    ]
    for nodes in cases:
        response = office.post("/api/v1/measures/", measure_body(pk, milestones=nodes), content_type=JSON)
        assert response.status_code == 400, nodes
        text = str(response.json()["milestones"])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text  # a Chinese message, not a 500


def test_a_token_records_its_use_at_most_once_a_minute(users: Any) -> None:
    token, raw = token_issue(actor=users["city_office"], name="台账同步")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/plans/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert client.get("/api/v1/plans/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert client.get("/api/v1/plans/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start + dt.timedelta(seconds=61)
