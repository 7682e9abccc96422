"""Unit directory services, scoping, the audit trail, and concurrent edits."""

from __future__ import annotations

from typing import Any

import pytest

from rectify.audit.models import AuditEvent
from rectify.audit.selectors import audit_timeline
from rectify.core.errors import DomainError, Forbidden
from rectify.orgs.models import Membership, OrgUnit
from rectify.orgs.scope import viewer_scope
from rectify.orgs.selectors import UnitIndex
from rectify.orgs.services import unit_create, unit_merge, unit_rename
from rectify.plans.models import Assignment, Problem
from rectify.plans.services import assignment_confirm, problem_update_deadline

pytestmark = pytest.mark.django_db


def test_a_county_clerk_sees_its_own_unit_only(users: Any) -> None:
    scope = viewer_scope(users["county_clerk"])
    assert not scope.everything
    assert scope.unit_ids == {OrgUnit.objects.get(name="朔城区政府").pk}


def test_a_county_office_sees_its_whole_county(users: Any) -> None:
    scope = viewer_scope(users["county_office"])
    county = OrgUnit.objects.get(name="朔城区")
    assert set(OrgUnit.objects.filter(path__startswith=county.path).values_list("pk", flat=True)) == scope.unit_ids


def test_the_city_office_sees_everything(users: Any) -> None:
    assert viewer_scope(users["city_office"]).everything


def test_aliases_and_group_phrases_resolve() -> None:
    index = UnitIndex()
    assert index.resolve("市发展和改革委员会").units[0].name == "市发改委"
    assert index.resolve("各县(市、区)政府").exact
    assert len(index.resolve("各县（市、区）政府").units) == 6
    assert not index.resolve("市直相关部门").exact
    assert index.resolve("某不存在的局").units == []


def test_renaming_a_unit_keeps_the_old_name_as_an_alias(users: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    unit_rename(actor=users["city_office"], unit=unit, name="市水务局", version=unit.version)
    unit.refresh_from_db()
    assert unit.name == "市水务局" and "市水利局" in unit.aliases
    assert UnitIndex().resolve("市水利局").units == [unit]
    event = AuditEvent.objects.filter(action="unit.renamed").latest("at")
    assert event.before == {"name": "市水利局"} and event.after == {"name": "市水务局"}


def test_a_rename_from_a_stale_form_is_refused(users: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    stale = unit.version
    unit_rename(actor=users["city_office"], unit=unit, name="市水务局", version=stale)
    with pytest.raises(DomainError, match="已被他人修改"):
        unit_rename(actor=users["city_office"], unit=unit, name="市水资源局", version=stale)


def test_a_name_in_use_is_refused(users: Any) -> None:
    root = OrgUnit.objects.get(depth=0)
    with pytest.raises(DomainError, match="已被"):
        unit_create(actor=users["city_office"], name="市发展和改革委员会", kind="department", parent=root)


def test_merging_moves_assignments_and_members(users: Any) -> None:
    root = OrgUnit.objects.get(depth=0)
    source = OrgUnit.objects.get(name="市能源局")
    target = unit_create(actor=users["city_office"], name="市发展和能源局", kind="department", parent=root)
    before = Assignment.objects.filter(unit=source).count()
    assert before > 0
    Membership.objects.create(user=users["dept_clerk"], unit=source, role="clerk")
    unit_merge(actor=users["city_office"], source=source, target=target)
    source.refresh_from_db()
    assert not source.is_active and source.merged_into == target
    assert Assignment.objects.filter(unit=source).count() == 0
    assert Assignment.objects.filter(unit=target).count() == before
    assert Membership.objects.filter(unit=target, user=users["dept_clerk"]).exists()
    assert "市能源局" in target.aliases


def test_a_county_office_may_not_change_the_directory(users: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    with pytest.raises(Forbidden):
        unit_rename(actor=users["county_office"], unit=unit, name="x", version=unit.version)


def test_a_deadline_correction_is_audited_and_shown_in_the_timeline(users: Any) -> None:
    problem = Problem.objects.get(number="五")
    problem_update_deadline(actor=users["city_office"], problem=problem, raw="2022年12月底", version=problem.version)
    problem.refresh_from_db()
    assert (problem.deadline_kind, str(problem.due_on)) == ("date", "2022-12-31")
    assert set(problem.measures.values_list("deadline_raw", flat=True)) == {"2022年12月底"}
    events = list(audit_timeline(problem))
    assert events[0].action == "problem.imported"
    last = events[-1]
    assert last.action == "problem.deadline_changed"
    assert last.before["kind"] == "external" and last.after["due"] == "2022-12-31"
    assert last.actor == users["city_office"]


def test_an_external_deadline_takes_the_date_the_coordinator_enters(users: Any) -> None:
    import datetime as dt

    problem = Problem.objects.get(number="五")
    problem_update_deadline(
        actor=users["city_office"],
        problem=problem,
        raw=problem.deadline_raw,
        version=problem.version,
        due=dt.date(2023, 3, 31),
    )
    problem.refresh_from_db()
    assert problem.deadline_kind == "external" and str(problem.due_on) == "2023-03-31"


def test_two_coordinators_editing_the_same_deadline_get_one_success(users: Any) -> None:
    problem = Problem.objects.get(number="二")
    version = problem.version
    problem_update_deadline(actor=users["city_office"], problem=problem, raw="2023年1月底", version=version)
    with pytest.raises(DomainError, match="已被他人修改"):
        problem_update_deadline(actor=users["city_office"], problem=problem, raw="2023年2月底", version=version)


def test_an_unreadable_deadline_is_refused_without_a_date(users: Any) -> None:
    problem = Problem.objects.get(number="二")
    with pytest.raises(DomainError, match="无法识别"):
        problem_update_deadline(actor=users["city_office"], problem=problem, raw="尽快", version=problem.version)


def test_confirming_a_pending_phrase_creates_concrete_assignments(users: Any) -> None:
    pending = Assignment.objects.get(problem__number="一", needs_confirmation=True)
    units = list(OrgUnit.objects.filter(name__in=["市生态环境局", "市能源局"]))
    assignment_confirm(actor=users["city_office"], assignment=pending, units=units)
    assert not Assignment.objects.filter(pk=pending.pk).exists()
    problem = pending.problem
    measure_count = problem.measures.count()
    assert (
        Assignment.objects.filter(problem=problem, unit__name="市能源局", measure__isnull=False).count()
        == measure_count
    )
    with pytest.raises(DomainError, match="已被他人确认"):
        assignment_confirm(actor=users["city_office"], assignment=pending, units=units)


def test_a_clerk_may_not_confirm_units(users: Any) -> None:
    pending = Assignment.objects.get(problem__number="一", needs_confirmation=True)
    with pytest.raises(Forbidden):
        assignment_confirm(actor=users["county_clerk"], assignment=pending, units=[])


def test_a_county_office_edits_only_problems_wholly_in_its_county(users: Any) -> None:
    from django.contrib.auth.models import User

    huairen_office, _ = User.objects.get_or_create(username="huairen_office")
    Membership.objects.create(user=huairen_office, unit=OrgUnit.objects.get(name="怀仁市整改办"), role="coordinator")
    own = Problem.objects.get(number="二十一")  # 怀仁市党委、政府 only
    problem_update_deadline(actor=huairen_office, problem=own, raw="2023年6月底", version=own.version)
    city_wide = Problem.objects.get(number="一")
    with pytest.raises(Forbidden):
        problem_update_deadline(actor=huairen_office, problem=city_wide, raw="2023年6月底", version=city_wide.version)


def test_a_county_office_cannot_assign_work_outside_its_county(users: Any) -> None:
    from rectify.plans.policies import can_assign_unit

    assert can_assign_unit(users["county_office"], OrgUnit.objects.get(name="朔城区政府").pk)
    assert not can_assign_unit(users["county_office"], OrgUnit.objects.get(name="平鲁区政府").pk)
    assert can_assign_unit(users["city_office"], OrgUnit.objects.get(name="平鲁区政府").pk)


def test_merging_two_units_on_the_same_task_keeps_one_assignment(users: Any) -> None:
    source = OrgUnit.objects.get(name="市能源局")
    target = OrgUnit.objects.get(name="市发改委")
    shared = Problem.objects.get(number="二")  # both are responsible units of （二）
    unit_merge(actor=users["city_office"], source=source, target=target)
    for measure in shared.measures.all():
        assert measure.assignments.filter(unit=target).count() == 1
    assert Assignment.objects.filter(problem=shared, measure__isnull=True, unit=target).count() == 1


def test_merging_into_an_inactive_unit_is_refused(users: Any) -> None:
    a = OrgUnit.objects.get(name="市水利局")
    b = OrgUnit.objects.get(name="市能源局")
    unit_merge(actor=users["city_office"], source=a, target=b)
    with pytest.raises(DomainError, match="目标单位已被合并"):
        unit_merge(actor=users["city_office"], source=OrgUnit.objects.get(name="市财政局"), target=a)
