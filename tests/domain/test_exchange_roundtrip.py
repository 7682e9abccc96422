"""The exchange with the level above (docs/exchange.md): a city's whole ledger exported as a
"rectify-ledger" file, loaded on the province's instance as a read-only mirror, and the province's
figures equal to the city's — counted here again with plain ORM queries and loops, not with the
code under test. A second city is made by transforming the first city's file."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from rectify.dashboards import selectors as dashboard_selectors
from rectify.mirror.models import MirrorShare, MirrorSource
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Plan, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db

FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
TODAY = dt.date(2022, 10, 8)
DONE = {"applying", "completed", "closed", "ongoing"}
CLOSED = {"closed", "ongoing"}
ACCEPTED = {"completed", "closed", "ongoing"}
OPEN = {"not_started", "in_progress", "relapsed"}
UNDATED = {"immediate_ongoing", "ongoing", "completed", "recurring"}
FIGURES = ["shares", "done", "closed", "overdue", "red", "yellow", "green", "unassessed", "rate", "progress"]


# --- the city's side, counted independently ---------------------------------------------------


def figures_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Plain loops over share rows {status, progress, level, overdue} (docs/dashboards.md)."""
    n = len(rows)
    done = sum(1 for r in rows if r["status"] in DONE)
    levels = Counter(r["level"] for r in rows)
    values = [100 if r["status"] in ACCEPTED else (r["progress"] or 0) for r in rows]
    reported = any(r["progress"] is not None or r["status"] in ACCEPTED for r in rows)
    return {
        "shares": n,
        "done": done,
        "closed": sum(1 for r in rows if r["status"] in CLOSED),
        "overdue": sum(1 for r in rows if r["overdue"]),
        "red": levels["red"],
        "yellow": levels["yellow"],
        "green": levels["green"],
        "unassessed": n - levels["red"] - levels["yellow"] - levels["green"],
        "rate": round(100 * done / n, 1) if n else None,
        "progress": round(math.fsum(values) / n, 1) if n and reported else None,
    }


def city_rows(today: dt.date = TODAY) -> list[dict[str, Any]]:
    """Every share of the city's ledger on `today`, straight from the tables."""
    out = []
    for a in Assignment.objects.filter(measure__isnull=False, unit__isnull=False).select_related(
        "unit", "measure__problem__plan"
    ):
        m = a.measure
        overdue = a.due_on is not None and a.due_on < today and a.status in OPEN and m.deadline_kind not in UNDATED
        out.append(
            {
                "plan": m.problem.plan.title,
                "problem": m.problem.number,
                "seq": m.seq,
                "unit": a.unit.name,
                "role": a.role,
                "status": a.status,
                "progress": a.progress,
                "level": a.warning_level,
                "due_on": a.due_on,
                "closed_on": a.closed_on,
                "overdue": overdue,
            }
        )
    return out


def city_figures(today: dt.date = TODAY) -> dict[str, Any]:
    return {
        "plans": Plan.objects.count(),
        "problems": Problem.objects.count(),
        "measures": Measure.objects.count(),
        **figures_of(city_rows(today)),
    }


def mirror_rows(city: str) -> list[dict[str, Any]]:
    return [
        {
            "plan": s.plan_title,
            "problem": s.problem_number,
            "seq": s.measure_seq,
            "unit": s.unit,
            "role": s.role,
            "status": s.status,
            "progress": s.progress,
            "level": s.warning_level,
            "due_on": s.due_on,
            "closed_on": s.closed_on,
            "overdue": s.overdue,
        }
        for s in MirrorShare.objects.filter(source__city=city)
    ]


def file_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"status": s["status"], "progress": s["progress"], "level": s["warning_level"] or "", "overdue": s["overdue"]}
        for plan in doc["plans"]
        for c in plan["chapters"]
        for p in c["problems"]
        for m in p["measures"]
        for s in m["shares"]
    ]


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def worked(users: dict[str, Any]) -> Iterator[None]:
    """A week of work through the services: reports filed and some accepted, then the daily scan
    (warning levels, overdue shares); the test runs on that day."""
    with time_machine.travel(FROZEN, tick=False):
        period = periods.week_of(TODAY, progress.calendar_rule())
        shares = list(
            Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False)
            .select_related("unit", "measure")
            .order_by("pk")[:8]
        )
        for i, a in enumerate(shares):
            data = progress.ReportInput(progress_text="已完成排查", next_plan="下周整改", percent=(i + 1) * 12)
            report = progress.report_save(
                actor=users["county_clerk"], assignment=a, period=period, data=data, submit=True
            )
            if i % 2 == 0:
                progress.report_accept(actor=users["county_office"], report=report)
        deadlines_scan(send_mail=False)
        yield


def export(client: Client) -> bytes:
    response = client.get(reverse("api:exchange_ledger"))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def upload(client: Client, content: bytes, name: str = "city.json") -> Any:
    return client.post(reverse("api:exchange_mirrors"), {"file": SimpleUploadedFile(name, content, "application/json")})


def listed(client: Client) -> dict[str, dict[str, Any]]:
    response = client.get(reverse("api:exchange_mirrors"))
    assert response.status_code == 200
    return {row["city"]: row for row in response.json()}


def as_file(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def another_city(doc: dict[str, Any], name: str = "大同市") -> dict[str, Any]:
    """The first city's file turned into another city's: fewer problems, other statuses and levels."""
    other = copy.deepcopy(doc)
    other["city"] = {"name": name, "doc_abbr": "同整改办"}
    chapter = other["plans"][0]["chapters"][0]
    del chapter["problems"][1:]
    measures = [m for plan in other["plans"] for c in plan["chapters"] for p in c["problems"] for m in p["measures"]]
    for i, s in enumerate(x for m in measures for x in m["shares"]):
        if i % 3 == 0:
            s.update(status="closed", closed_on="2022-09-30", overdue=False, warning_level="green", progress=100)
        elif i % 3 == 1:
            s.update(status="in_progress", warning_level="red", overdue=True, progress=None)
    rows = file_rows(other)
    problems = [p for plan in other["plans"] for c in plan["chapters"] for p in c["problems"]]
    other["totals"] = {
        "plans": len(other["plans"]),
        "problems": len(problems),
        "measures": sum(len(p["measures"]) for p in problems),
        **figures_of(rows),
    }
    return other


def counts() -> tuple[int, int, list[Any]]:
    return (
        MirrorSource.objects.count(),
        MirrorShare.objects.count(),
        list(MirrorSource.objects.values_list("city", "sha256", "exported_at")),
    )


# --- the round trip ---------------------------------------------------------------------------


def test_the_province_sees_the_city_figures_the_city_counts(client_for: Any, worked: None, users: Any) -> None:
    content = export(client_for("city_office"))
    doc = json.loads(content)
    assert doc["format"] == "rectify-ledger" and doc["format_version"] == 1
    assert doc["as_of"] == "2022-10-08" and doc["exported_at"].startswith("2022-10-08T10:00:00+08:00")
    expected = city_figures()
    assert expected["red"] + expected["yellow"] > 0 and expected["overdue"] > 0  # the scan left warnings
    assert any(r["progress"] for r in city_rows())
    assert {k: doc["totals"][k] for k in expected} == expected

    province = client_for("city_office")  # the province office: a coordinator at the top of its directory
    response = upload(province, content)
    assert response.status_code == 201 and response.json()["outcome"] == "created"
    row = listed(province)[doc["city"]["name"]]
    assert row["figures"] == expected
    assert row["matches_file"] is True
    # Share by share: the mirror holds the city's rows, nothing lost or added.
    assert Counter(json.dumps(r, default=str, sort_keys=True) for r in mirror_rows(doc["city"]["name"])) == Counter(
        json.dumps(r, default=str, sort_keys=True) for r in city_rows()
    )
    # The same numbers as the city's own 领导驾驶舱.
    d = dashboard_selectors.dashboard_get(viewer=users["city_office"], filters=dashboard_selectors.DashboardFilters())
    shares = d.shares.as_dict()
    shares["shares"] = shares.pop("total")
    assert shares == {k: row["figures"][k] for k in FIGURES}
    assert AuditEvent.objects.filter(action="mirror.imported", object_id=str(row["id"])).count() == 1


def test_two_cities_are_listed_each_with_its_own_figures(client_for: Any, worked: None) -> None:
    city = json.loads(export(client_for("city_office")))
    other = another_city(city)
    province = client_for("city_office")
    assert upload(province, as_file(city)).status_code == 201
    assert upload(province, as_file(other), "datong.json").status_code == 201
    rows = listed(province)
    assert set(rows) == {city["city"]["name"], "大同市"}
    assert rows[city["city"]["name"]]["figures"] == city_figures()
    assert {k: rows["大同市"]["figures"][k] for k in FIGURES} == figures_of(file_rows(other))
    assert rows["大同市"]["figures"]["problems"] == city_figures()["problems"] - (
        len(city["plans"][0]["chapters"][0]["problems"]) - 1
    )
    assert rows["大同市"]["figures"] != rows[city["city"]["name"]]["figures"]
    assert all(r["matches_file"] for r in rows.values())
    # One city's rows page by page, filtered.
    pk = rows["大同市"]["id"]
    red = province.get(reverse("api:exchange_mirror_shares", args=[pk]) + "?level=red&page_size=500").json()
    assert red["count"] == rows["大同市"]["figures"]["red"]
    assert {s["warning_level"] for s in red["results"]} == {"red"}
    assert province.get(reverse("api:exchange_mirror", args=[pk])).json()["figures"] == rows["大同市"]["figures"]
    assert province.get(reverse("api:exchange_mirror", args=[pk + 999])).status_code == 404


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (the CI's PostgreSQL pass)")
def test_on_postgresql_two_city_instances_exports_load_from_the_command_line(
    client_for: Any, worked: None, tmp_path: Path
) -> None:
    """Two real exports, each written by `rectify export_exchange` from an instance's own tables: 朔州
    on 8 October, then the same tables as another city's instance (大同市) five weeks on, after that
    day's warning scan; the province loads both files at once and shows each city's own figures."""
    first, second = tmp_path / "shuozhou.json", tmp_path / "datong.json"
    call_command("export_exchange", str(first), stdout=io.StringIO())
    shuozhou = city_figures()
    later = FROZEN + dt.timedelta(days=36)
    with time_machine.travel(later, tick=False):
        OrgUnit.objects.filter(depth=0).update(name="大同市", doc_abbr="同整改办")
        deadlines_scan(today=later.date(), send_mail=False)
        call_command("export_exchange", str(second), stdout=io.StringIO())
        datong = city_figures(later.date())
    assert datong != shuozhou  # five weeks on, more shares are overdue or warned
    out = io.StringIO()
    call_command("import_mirror", str(first), str(second), stdout=out)
    assert out.getvalue().count("已导入") == 2
    rows = listed(client_for("city_office"))
    assert set(rows) == {"朔州市", "大同市"}
    assert rows["朔州市"]["figures"] == shuozhou and rows["大同市"]["figures"] == datong
    assert all(row["matches_file"] for row in rows.values())
    assert MirrorShare.objects.filter(source__city="大同市").count() == datong["shares"]


def test_a_newer_export_replaces_the_city_and_an_older_one_is_refused(client_for: Any, worked: None) -> None:
    province = client_for("city_office")
    doc = json.loads(export(province))
    name = doc["city"]["name"]
    assert upload(province, as_file(doc)).status_code == 201
    again = upload(province, as_file(doc))
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    newer = another_city(doc, name=name)
    newer["exported_at"] = "2022-10-09T10:00:00+08:00"
    replaced = upload(province, as_file(newer))
    assert replaced.status_code == 200 and replaced.json()["outcome"] == "replaced"
    assert MirrorSource.objects.filter(city=name).count() == 1
    assert {k: listed(province)[name]["figures"][k] for k in FIGURES} == figures_of(file_rows(newer))
    before = counts()
    older = upload(province, as_file(doc))
    assert older.status_code == 400
    assert "不比已导入的新" in older.json()["detail"] and "2022-10-09 10:00:00" in older.json()["detail"]
    assert counts() == before


def _version(doc: dict[str, Any]) -> bytes:
    return as_file({**doc, "format_version": 2})


def _truncated(doc: dict[str, Any]) -> bytes:
    return as_file(doc)[:-200]


def _not_ours(doc: dict[str, Any]) -> bytes:
    return as_file({"plans": []})


def _totals(doc: dict[str, Any]) -> bytes:
    return as_file({**doc, "totals": {**doc["totals"], "overdue": doc["totals"]["overdue"] + 1}})


def _bad_status(doc: dict[str, Any]) -> bytes:
    bad = copy.deepcopy(doc)
    share = next(m for c in bad["plans"][0]["chapters"] for p in c["problems"] for m in p["measures"] if m["shares"])
    share["shares"][0]["status"] = "finished"
    return as_file(bad)


def _no_time(doc: dict[str, Any]) -> bytes:
    return as_file({**doc, "exported_at": "2022-10-08 10:00"})


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (_version, "格式版本为 2，本系统只能读取版本 1"),
        (_truncated, "不是有效的 JSON"),
        (_not_ours, "这不是整改台账对账文件"),
        (_totals, "合计与明细不符（overdue"),
        (_bad_status, "status 取值“finished”无法识别"),
        (_no_time, "exported_at 不是带时区的时间"),
        (lambda doc: "台账".encode("gbk"), "不是 UTF-8 编码"),
        (lambda doc: b"[" * 200_000, "嵌套层数过多"),
        (
            lambda doc: as_file({**doc, "exported_at": "0001-01-01T00:00+14:00"}),
            "exported_at 的年份 1 不在 2000 至 2100",
        ),
        (lambda doc: as_file({**doc, "as_of": "9999-12-31"}), "as_of 的年份 9999 不在 2000 至 2100"),
    ],
)
def test_a_bad_file_is_refused_with_a_chinese_message_and_nothing_changes(
    client_for: Any, worked: None, spoil: Any, said: str, tmp_path: Path
) -> None:
    province = client_for("city_office")
    doc = json.loads(export(province))
    assert upload(province, as_file(another_city(doc))).status_code == 201
    before = counts()
    response = upload(province, spoil(doc))
    assert response.status_code == 400
    assert said in response.json()["detail"], response.json()["detail"]
    assert counts() == before
    path = tmp_path / "bad.json"
    path.write_bytes(spoil(doc))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 个文件未导入"):
        call_command("import_mirror", str(path), stdout=io.StringIO(), stderr=err)
    assert said in err.getvalue()
    assert counts() == before


def test_the_bad_files_path_names_where_the_fault_is(client_for: Any, worked: None) -> None:
    province = client_for("city_office")
    detail = upload(province, _bad_status(json.loads(export(province)))).json()["detail"]
    assert "plans[0].chapters[" in detail and "].shares[0].status" in detail


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "exports", "lists", "imports"),
    [
        ("city_office", 200, 200, 201),
        ("leader", 200, 200, 403),
        ("county_office", 403, 403, 403),
        ("county_clerk", 403, 403, 403),
        ("dept_clerk", 403, 403, 403),
        ("acceptance", 403, 403, 403),
        ("auditor", 403, 403, 403),
        ("outsider", 403, 403, 403),
    ],
)
def test_only_the_city_office_and_leaders_export_and_read_and_only_the_office_loads(
    client_for: Any, username: str, exports: int, lists: int, imports: int
) -> None:
    content = export(client_for("city_office"))
    client = client_for(username)
    assert client.get(reverse("api:exchange_ledger")).status_code == exports
    assert client.get(reverse("api:exchange_mirrors")).status_code == lists
    response = upload(client, content)
    assert response.status_code == imports
    if imports != 201:
        assert MirrorSource.objects.count() == 0
        assert "只有整改办可以导入" in response.json()["detail"]


def test_anonymous_callers_and_read_only_tokens_load_nothing(users: Any, client_for: Any) -> None:
    content = export(client_for("city_office"))
    assert upload(Client(), content).status_code in (401, 403)
    _, raw = token_issue(actor=users["city_office"], name="省平台", read_only=True)
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert reader.get(reverse("api:exchange_ledger")).status_code == 200
    assert upload(reader, content).status_code == 403
    assert MirrorSource.objects.count() == 0


def test_nothing_writes_to_the_mirror_but_an_import(client_for: Any) -> None:
    client = client_for("city_office")
    assert upload(client, export(client)).status_code == 201
    pk = MirrorSource.objects.get().pk
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(reverse("api:exchange_mirror", args=[pk])).status_code == 405
        assert getattr(client, method)(reverse("api:exchange_mirror_shares", args=[pk])).status_code == 405


# --- the command line and the page ------------------------------------------------------------


def test_the_commands_export_and_load_the_same_file_as_the_api(client_for: Any, worked: None, tmp_path: Path) -> None:
    path = tmp_path / "city.json"
    out = io.StringIO()
    call_command("export_exchange", str(path), stdout=out)
    assert "已导出" in out.getvalue()
    from_command = json.loads(path.read_text(encoding="utf-8"))
    from_api = json.loads(export(client_for("city_office")))
    assert from_command == from_api
    out = io.StringIO()
    call_command("import_mirror", str(path), stdout=out)
    assert "已导入" in out.getvalue()
    assert listed(client_for("leader"))[from_api["city"]["name"]]["figures"] == city_figures()
    with pytest.raises(CommandError, match=r"\.json"):
        call_command("export_exchange", str(tmp_path / "city.xlsx"))


def test_the_province_page_lists_each_city_and_loads_a_file(client_for: Any, worked: None) -> None:
    client = client_for("city_office")
    doc = json.loads(export(client))
    page = client.get(reverse("mirror:cities")).content.decode()
    assert "尚未导入任何城市" in page
    response = client.post(reverse("mirror:upload"), {"file": SimpleUploadedFile("c.json", as_file(doc))}, follow=True)
    assert f"已导入{doc['city']['name']}的对账文件" in response.content.decode()
    client.post(reverse("mirror:upload"), {"file": SimpleUploadedFile("d.json", as_file(another_city(doc)))})
    page = client.get(reverse("mirror:cities")).content.decode()
    assert f'data-city="{doc["city"]["name"]}"' in page and 'data-city="大同市"' in page
    assert page.count(">一致<") == 2
    refused = client.post(
        reverse("mirror:upload"), {"file": SimpleUploadedFile("e.json", _version(doc))}, follow=True
    ).content.decode()
    assert "格式版本为 2" in refused
    assert client_for("leader").get(reverse("mirror:cities")).status_code == 200
    assert "mirror-file" not in client_for("leader").get(reverse("mirror:cities")).content.decode()
    assert client_for("county_office").get(reverse("mirror:cities")).status_code == 403
