"""Complaint cases: a messy synthetic batch of 120 through parse → review → commit, re-import
updates, repeats, personal data kept apart, handling and its rules, the daily scan, a notice,
the problem's counts and publication with masking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine

from rectify.complaints import importing, services
from rectify.complaints.models import CaseImport, CaseStatus, Complainant, ComplaintBatch, ComplaintCase
from rectify.complaints.synthetic import batch_file, repeat_pairs
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem
from rectify.progress.periods import SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI), tick=False)


def imported(
    users: Any, *, n: int = 120, batch_no: int = 3, fmt: str = "xlsx", seed: int = 7, **kw: Any
) -> ComplaintBatch:
    name, data = batch_file(n, seed=seed, batch_no=batch_no, fmt=fmt, **kw)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    return importing.case_import_commit(actor=users["city_office"], job=job, problem=Problem.objects.get(number="十八"))


def test_a_messy_batch_of_120_imports_through_review(users: Any) -> None:
    name, data = batch_file(120, batch_no=3)
    with pytest.raises(Forbidden):
        importing.case_import_prepare(actor=users["county_clerk"], data=data, filename=name)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    assert job.batch_no == 3 and len(job.rows) == 120
    review = importing.import_review(job)
    assert all(r.existing is None for r in review)
    assert sum(1 for r in review if r.region is not None) >= 115
    assert ComplaintCase.objects.count() == 0  # nothing before the confirmation
    batch = importing.case_import_commit(actor=users["city_office"], job=job, problem=None)
    assert batch.cases.count() == 120
    with pytest.raises(ConcurrentChange):
        importing.case_import_commit(actor=users["city_office"], job=job)
    shuocheng = batch.cases.filter(region__name="朔城区").first()
    assert shuocheng.lead_unit.name == "朔城区政府" and shuocheng.due_on == shuocheng.assigned_on + dt.timedelta(days=7)
    assert {s for c in batch.cases.all() for s in [c.status]} <= set(CaseStatus.values)
    assert any(len(c.types) > 1 for c in batch.cases.all())
    assert Complainant.objects.filter(case__batch=batch).count() >= 100
    assert not ComplaintCase.objects.filter(content__contains="\r").exists()


def test_a_re_imported_batch_updates_rather_than_duplicates(users: Any) -> None:
    batch = imported(users, fmt="csv")
    case = batch.cases.order_by("pk").first()
    ComplaintCase.objects.filter(pk=case.pk).update(handling="单位已填报的处理情况")
    again = imported(users, fmt="xlsx")
    assert again.pk == batch.pk and ComplaintCase.objects.count() == 120
    job = CaseImport.objects.order_by("-pk").first()
    assert job.summary["new"] == 0 and job.summary["updated"] == 120


def test_a_case_raised_again_is_linked_to_its_earlier_case(users: Any) -> None:
    imported(users)
    pairs = repeat_pairs(120, batch_no=3)
    assert pairs
    linked = 0
    for earlier, later in pairs:
        case = ComplaintCase.objects.get(code=later)
        if case.repeat_of and case.repeat_of.code == earlier:
            linked += 1
    assert linked == len(pairs)


def test_handling_rules_and_the_status_moves(users: Any) -> None:
    batch = imported(users, n=20)
    case = (
        batch.cases.filter(lead_unit__name="朔城区政府", status=CaseStatus.OPEN).first()
        or batch.cases.filter(lead_unit__name="朔城区政府").first()
    )
    ComplaintCase.objects.filter(pk=case.pk).update(status=CaseStatus.OPEN, verdict="", investigation="")
    case.refresh_from_db()
    clerk = users["county_clerk"]
    with pytest.raises(Forbidden):
        services.case_update(actor=users["dept_clerk"], case=case, version=case.version, data=services.CaseInput())
    with pytest.raises(DomainError, match="办结前请填写是否属实"):
        services.case_update(actor=clerk, case=case, version=case.version, data=services.CaseInput(status="closed"))
    with pytest.raises(DomainError, match="阶段性办结须填写下一步工作"):
        services.case_update(
            actor=clerk, case=case, version=case.version,
            data=services.CaseInput(status="stage_closed", verdict="partly", investigation="部分属实"),
        )  # fmt: skip
    with pytest.raises(DomainError, match="罚款金额"):
        services.case_update(actor=clerk, case=case, version=case.version, data=services.CaseInput(fine="五万"))
    services.case_update(
        actor=clerk, case=case, version=case.version,
        data=services.CaseInput(status="stage_closed", verdict="partly", investigation="经核查部分属实",
                                next_step="完成土壤修复", next_step_due=dt.date(2022, 12, 31), filed=1, fine="5"),
    )  # fmt: skip
    assert case.status == CaseStatus.STAGE_CLOSED and case.filed == 1
    with pytest.raises(ConcurrentChange, match="已被他人修改"):
        services.case_update(actor=clerk, case=case, version=case.version - 1, data=services.CaseInput())
    services.case_update(
        actor=clerk, case=case, version=case.version,
        data=services.CaseInput(status="closed", verdict="partly", investigation="经核查部分属实", handling="已修复"),
    )  # fmt: skip
    assert case.status == CaseStatus.CLOSED and case.closed_on is not None
    with pytest.raises(Forbidden, match="只能由整改办重新打开"):
        services.case_update(actor=clerk, case=case, version=case.version, data=services.CaseInput(status="open"))
    problem = Problem.objects.get(number="十八")
    assert problem.cases_total == 20 and problem.cases_closed == batch.cases.filter(status="closed").count()


def test_the_scan_warns_and_reminds_once_and_a_notice_lists_the_cases(users: Any) -> None:
    with at(dt.date(2022, 10, 1)):
        batch = imported(users, n=20)
    open_cases = batch.cases.exclude(status=CaseStatus.CLOSED).filter(lead_unit__name="朔城区政府")
    assert open_cases.exists()
    ComplaintCase.objects.filter(pk__in=open_cases).update(due_on=dt.date(2022, 10, 8), status=CaseStatus.OPEN)
    with at(dt.date(2022, 10, 7)):
        services.cases_scan()
    assert set(open_cases.values_list("warning_level", flat=True)) == {"yellow"}
    with at(dt.date(2022, 10, 12)):  # a few days without the job: still red once
        services.cases_scan()
        services.cases_scan()
    assert set(open_cases.values_list("warning_level", flat=True)) == {"red"}
    reminders = Notification.objects.filter(recipient=users["county_clerk"], subject__startswith="【交办件逾期】")
    assert reminders.count() == open_cases.count()
    case = open_cases.first()
    draft = services.cases_notice(actor=users["city_office"], cases=[case])
    assert case.code in draft.body and draft.unit.name == "朔城区政府" and draft.status == "draft"
    assert list(case.notices.all()) == [draft]


def test_publication_masks_personal_data_and_the_scan_finds_none(users: Any) -> None:
    batch = imported(users)
    case = batch.cases.filter(complainant__phone__gt="").first()
    person = case.complainant
    ComplaintCase.objects.filter(pk=case.pk).update(
        content=case.content + f" 举报人{person.name}，电话{person.phone}，住{person.address}。"
    )
    leftovers = services.batch_publish(actor=users["city_office"], batch=batch)
    assert leftovers == []
    case.refresh_from_db()
    public = " ".join(case.public_text.values())
    for value in filter(None, (person.name, person.phone, person.id_number, person.address)):
        assert value not in public
    with pytest.raises(Forbidden):
        services.batch_publish(actor=users["county_office"], batch=batch)


def test_a_case_entered_by_hand(users: Any) -> None:
    batch = imported(users, n=5)
    region = OrgUnit.objects.get(name="平鲁区")
    personal = {"name": "张三", "phone": "13912345678", "id_number": "", "address": ""}
    case = services.case_create(
        actor=users["city_office"], batch=batch, code="D1406000999", content="平鲁区某煤场露天堆放，扬尘严重",
        region=region, types=["大气"], personal=personal,
    )  # fmt: skip
    assert case.lead_unit.name == "平鲁区政府" and case.complainant.phone == "13912345678"
    with pytest.raises(DomainError, match="已存在"):
        services.case_create(actor=users["city_office"], batch=batch, code="D1406000999", content="x", region=region)


def test_the_case_and_import_tables_match_the_document() -> None:
    from rectify.complaints.models import CASE_TRANSITIONS
    from tests.domain.test_state_machines import documented

    assert documented("ComplaintCase") == {(a, b) for a, t in CASE_TRANSITIONS.items() for b in t}
    assert documented("CaseImport") == {(a, b) for a, t in CaseImport.TRANSITIONS.items() for b in t}


def test_penalty_counts_are_read_from_the_team_s_words() -> None:
    counts = importing.penalties_from_text(
        "约谈2人、问责1人，立案处罚1起罚款5万元", "责令整改3家，行政拘留1人，罚款0.5万元"
    )
    assert counts == {
        "interviewed": 2, "held_accountable": 1, "filed": 1, "fine": Decimal("5.5"), "ordered": 3,
        "detained": 1,
    }  # fmt: skip
    assert importing.penalties_from_text("2018年11月20日核查") == {"fine": 0}


def test_the_demo_batch_loads_once_published_and_attached(capsys: Any) -> None:
    from django.core.management import call_command

    call_command("load_demo_complaints")
    call_command("load_demo_complaints")
    out = capsys.readouterr().out
    assert "演示交办件已导入" in out and "演示交办件已存在" in out
    batch = ComplaintBatch.objects.get(batch_no=3)
    assert batch.cases.count() == 120 and batch.problem.number == "十八"
    assert not batch.cases.filter(public_text={}).exists()


def test_attached_cases_count_in_the_problem_s_progress(users: Any) -> None:
    from rectify.progress.services import mean_progress

    batch = imported(users, n=10)
    problem = Problem.objects.get(number="十八")
    closed = batch.cases.filter(status=CaseStatus.CLOSED).count()
    measures = list(problem.measures.values_list("progress", flat=True))
    problem.refresh_from_db()
    assert problem.cases_total == 10 and problem.cases_closed == closed
    assert problem.progress == mean_progress([*measures, 100 * closed / 10])
    services.batch_attach(actor=users["city_office"], batch=batch, problem=None)
    problem.refresh_from_db()
    assert problem.cases_total == 0 and problem.progress == mean_progress(measures)


def test_a_briefing_drafted_for_the_period_reports_the_cases(users: Any) -> None:
    from rectify.documents import services as documents

    with at(dt.date(2022, 10, 10)):
        imported(users, n=12)
    region = OrgUnit.objects.get(depth=0)
    days = sorted(ComplaintCase.objects.values_list("assigned_on", flat=True))
    closed = ComplaintCase.objects.filter(status=CaseStatus.CLOSED).count()
    text = "".join(documents.lead_item(region, days[0], dt.date(2022, 10, 31))["paragraphs"])
    assert f"期间受理群众举报交办件12件，办结交办件{closed}件，目前尚有{12 - closed}件正在办理。" in text
