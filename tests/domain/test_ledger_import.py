"""The seed plan, imported through the real importer, as the ledger holds it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from rectify.audit.models import AuditEvent
from rectify.core.errors import DomainError
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.services import build_review, parse_upload, plan_commit
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Chapter, Measure, Milestone, Plan, Problem

pytestmark = pytest.mark.django_db

COUNTIES = ["朔城区", "平鲁区", "怀仁市", "山阴县", "应县", "右玉县"]


def test_the_seed_plan_is_in_the_ledger_with_its_structure() -> None:
    assert Plan.objects.count() == 1
    assert Chapter.objects.count() == 4
    assert Problem.objects.count() == 34
    assert Measure.objects.exclude(number="").count() == 91
    unnumbered = Measure.objects.filter(number="")
    assert unnumbered.count() == 1
    assert unnumbered.get().problem.number == "十六"


def test_the_plan_starts_on_its_feedback_date() -> None:
    assert Plan.objects.get().start_on.isoformat() == "2022-02-25"


def test_group_phrases_fan_out_to_the_six_county_governments() -> None:
    problem = Problem.objects.get(number="一")
    units = set(
        Assignment.objects.filter(problem=problem, measure__isnull=True, unit__isnull=False).values_list(
            "unit__name", flat=True
        )
    )
    assert {f"{c}政府" for c in COUNTIES} <= units
    assert {f"{c}党委" for c in COUNTIES} <= units
    assert {"朔州经济开发区党工委", "朔州经济开发区管委会", "市委办公室", "市政府办公室"} <= units


def test_every_measure_carries_the_problems_units() -> None:
    problem = Problem.objects.get(number="一")
    for measure in problem.measures.all():
        names = set(measure.assignments.values_list("unit__name", flat=True))
        assert "朔城区政府" in names


def test_unknown_group_phrases_stay_visible_as_to_confirm() -> None:
    pending = Assignment.objects.filter(needs_confirmation=True, problem__number="一")
    assert list(pending.values_list("phrase", flat=True)) == ["市直相关部门"]
    assert pending.get().unit is None
    assert len(pending.get().candidates) >= 10


def test_deadlines_are_typed_with_their_raw_text() -> None:
    def p(number: str) -> Problem:
        return Problem.objects.get(number=number)

    assert (p("二").deadline_kind, str(p("二").due_on)) == ("date", "2022-12-31")
    assert (p("十二").deadline_kind, str(p("十二").due_on)) == ("date", "2022-09-30")
    assert p("一").deadline_kind == "immediate_ongoing"
    assert p("五").deadline_kind == "external" and p("五").due_on is None
    assert p("十").deadline_kind == "scheduled"
    assert p("三十一").deadline_kind == "annual"
    assert p("十八").deadline_kind == "compound"
    assert len(p("十八").deadline_parts) == 2
    assert "群众举报问题" in p("十八").deadline_raw


def test_milestones_are_stored_on_their_measures() -> None:
    m17 = Measure.objects.get(number="17")
    assert [str(d) for d in m17.milestones.values_list("due_on", flat=True)] == ["2022-04-30", "2022-05-31"]
    assert not Milestone.objects.filter(measure__number="53").exists()


def test_import_writes_one_audit_event_per_problem_and_one_for_the_plan() -> None:
    assert AuditEvent.objects.filter(action="problem.imported").count() == 34
    assert AuditEvent.objects.filter(action="plan.imported").count() == 1


def test_importing_the_same_plan_twice_is_detected_not_duplicated() -> None:
    parsed = parse_upload(SEED_PLAN.read_bytes(), SEED_PLAN.name)
    assert build_review(parsed).duplicate_of == Plan.objects.get()
    with pytest.raises(DomainError, match="已导入"):
        plan_commit(actor="测试", parsed=parsed, overrides=None, start_on=Plan.objects.get().start_on, source_name="x")
    assert Plan.objects.count() == 1


def test_import_plan_command_previews_without_writing(tmp_path: Path, capsys: Any) -> None:
    text = SEED_PLAN.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", "某市整改方案"
    )
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    before = (Problem.objects.count(), AuditEvent.objects.count())
    call_command("import_plan", str(path))
    out = capsys.readouterr().out
    assert "问题 34" in out and "未写入数据库" in out
    assert "各县（市、区）政府 → 朔城区政府、平鲁区政府、怀仁市政府、山阴县政府、应县政府、右玉县政府" in out
    assert (Problem.objects.count(), AuditEvent.objects.count()) == before


def test_import_plan_command_commits_in_one_go(tmp_path: Path, capsys: Any) -> None:
    text = SEED_PLAN.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", "某市整改方案"
    )
    path = tmp_path / "plan.txt"
    path.write_text(text, encoding="utf-8")
    call_command("import_plan", str(path), "--commit")
    assert Plan.objects.count() == 2
    assert Problem.objects.filter(plan__title__contains="某市").count() == 34
    assert "[34/34]" in capsys.readouterr().out


def test_export_ledger_json_shows_the_whole_structure(tmp_path: Path) -> None:
    out = tmp_path / "ledger.json"
    call_command("export_ledger", str(out), "--as-of", "2022-10-08")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["as_of"] == "2022-10-08"
    (plan,) = data["plans"]
    assert len({p["chapter"] for p in plan["problems"]}) == 4
    assert len(plan["problems"]) == 34
    measures = [m for p in plan["problems"] for m in p["measures"]]
    assert len([m for m in measures if m["number"]]) == 91
    assert len([m for m in measures if not m["number"]]) == 1
    first = plan["problems"][0]
    governments = {u["name"] for u in first["units"] if u["role"] == "lead"}
    assert {f"{c}政府" for c in COUNTIES} <= governments
    assert first["deadline"] == {"raw": first["deadline"]["raw"], "kind": "immediate_ongoing", "due": None, "parts": []}
    m = first["measures"][0]
    assert set(m) >= {"number", "text", "status", "progress", "warning", "due", "assignments"}
    assert m["progress"] is None and m["last_report"] is None
    assert m["warning"]["level"] == "yellow"  # 长期坚持: no report for more than a month
    share = m["assignments"][0]
    assert set(share) >= {"unit", "role", "status", "progress", "warning", "due", "last_report"}
    assert set(share["warning"]) >= {"level", "reasons"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_ledger_writes_csv_and_xlsx(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"ledger{suffix}"
    call_command("export_ledger", str(out))
    assert out.stat().st_size > 1000


def test_xlsx_export_round_trips_through_the_importer(tmp_path: Path) -> None:
    out = tmp_path / "ledger.xlsx"
    call_command("export_ledger", str(out))
    original = parse_upload(SEED_PLAN.read_bytes(), SEED_PLAN.name)
    again = parse_upload(out.read_bytes(), "ledger.xlsx")
    assert len(again["problems"]) == 34
    assert again["title"] == original["title"]
    # The same ledger: importing its export is recognised as the plan already imported.
    assert build_review(again).duplicate_of == Plan.objects.get()
    for a, b in zip(original["problems"], again["problems"], strict=True):
        assert (a["number"], a["text"], a["goal"]) == (b["number"], b["text"], b["goal"])
        assert [m["text"] for m in a["measures"]] == [m["text"] for m in b["measures"]]
        assert [m["number"] for m in a["measures"]] == [m["number"] for m in b["measures"]]
        assert a["responsible_units"] == b["responsible_units"]
        assert a["deadline"]["raw"] == b["deadline"]["raw"]
        assert a["deadline"]["kind"] == b["deadline"]["kind"]


def test_the_directory_knows_every_county_with_party_and_government() -> None:
    for county in COUNTIES:
        region = OrgUnit.objects.get(name=county)
        names = set(region.children.values_list("name", flat=True))
        assert {f"{county}党委", f"{county}政府"} <= names
