"""Scoping without leaks (issue 14, point 5): on a problem many units share, a unit clerk reads its
OWN unit's report text (进展, 下周计划), evidence names, close-out files and visit titles on the
problem page, the history page and the dossier's 留痕.csv — other units' appear as counts only;
the offices, leaders and acceptance group read what their scope holds. The reports themselves
answer 404 to the same viewers, so the three pages now agree with them.

The counts are checked against an independent ORM query."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from PIL import Image

from rectify.closeout import services as closeout
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.models import ProgressReport
from rectify.progress.periods import SHANGHAI
from rectify.supervision import visits

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 10, 10)


@dataclass(frozen=True)
class Words:
    """What one unit wrote: every string must stay with that unit."""

    progress: str
    next_plan: str
    evidence: str
    visit: str
    closeout_file: str

    def all(self) -> list[str]:
        return [self.progress, self.next_plan, self.evidence, self.visit, self.closeout_file]


SHUOCHENG = Words(
    "朔城区本周进展甲一", "朔城区下周计划甲二", "朔城区佐证甲三.png", "朔城区现场督办甲四", "朔城区销号材料甲五.png"
)
PINGLU = Words(
    "平鲁区本周进展乙一", "平鲁区下周计划乙二", "平鲁区佐证乙三.png", "平鲁区现场督办乙四", "平鲁区销号材料乙五.png"
)


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Shared:
    problem: Problem
    reports: dict[str, ProgressReport]


def _share(unit: str) -> Assignment:
    return (
        Assignment.objects.filter(unit__name=unit, problem__number="一", measure__isnull=False)
        .select_related("unit", "measure")
        .order_by("measure__seq")
        .first()
    )


def _file(user: User, words: Words, unit: str, color: str) -> ProgressReport:
    share = _share(unit)
    data = progress.ReportInput(
        progress_text=words.progress, next_plan=words.next_plan, percent=40, files=[(words.evidence, png(color))]
    )
    period = periods.week_of(DAY, progress.calendar_rule())
    return progress.report_save(actor=user, assignment=share, period=period, data=data, submit=True)


def _visit(office: User, region: str, unit: str, title: str, problem: Problem) -> None:
    visits.visit_record(
        actor=office,
        data=visits.VisitInput(
            visited_on=DAY,
            region=OrgUnit.objects.get(name=region),
            title=title,
            leaders="区领导",
            places="现场",
            findings="要求加快整改。",
            problems=[problem],
            tasks=[(OrgUnit.objects.get(name=unit), "建立长效机制", None)],
        ),
    )


@pytest.fixture
def shared(users: dict[str, User]) -> Shared:
    """Problem （一）: 朔城区政府 (county_clerk) and 平鲁区政府 (a clerk made here) each file a
    report with evidence, each region has an on-site visit, each unit applies to close its share."""
    plq = User.objects.create(username="clerk_plq", first_name="梁艳")
    Membership.objects.create(user=plq, unit=OrgUnit.objects.get(name="平鲁区政府"), role=Role.CLERK)
    users["clerk_plq"] = plq
    problem = Problem.objects.get(number="一")
    with time_machine.travel(dt.datetime.combine(DAY, dt.time(10), tzinfo=SHANGHAI), tick=False):
        reports = {
            "county_clerk": _file(users["county_clerk"], SHUOCHENG, "朔城区政府", "green"),
            "clerk_plq": _file(plq, PINGLU, "平鲁区政府", "blue"),
        }
        _visit(users["city_office"], "朔城区", "朔城区政府", SHUOCHENG.visit, problem)
        _visit(users["city_office"], "平鲁区", "平鲁区政府", PINGLU.visit, problem)
        for user, words, unit in ((users["county_clerk"], SHUOCHENG, "朔城区政府"), (plq, PINGLU, "平鲁区政府")):
            closeout.closeout_apply(
                actor=user,
                statement="已完成整改。",
                assignment=_share(unit),
                files=[(words.closeout_file, png("white"))],
            )
    return Shared(problem, reports)


def _dossier_trail(client: Any, problem: Problem) -> str:
    response = client.get(reverse("documents:dossier_problem", args=[problem.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    [name] = [n for n in archive.namelist() if n.endswith("_留痕.csv")]
    return archive.read(name).decode("utf-8-sig")


def _pages(client: Any, problem: Problem) -> dict[str, str]:
    return {
        "problem": client.get(reverse("plans:problem", args=[problem.pk])).content.decode(),
        "history": client.get(reverse("plans:problem_history", args=[problem.pk])).content.decode(),
        "trail": _dossier_trail(client, problem),
    }


# Who reads whose words: the clerks their own unit's, 朔城区's office its region's, the city all.
READS = {
    "county_clerk": {"shuocheng"},
    "clerk_plq": {"pinglu"},
    "county_office": {"shuocheng"},
    "city_office": {"shuocheng", "pinglu"},
    "leader": {"shuocheng", "pinglu"},
    "acceptance": {"shuocheng", "pinglu"},
}
WORDS = {"shuocheng": SHUOCHENG, "pinglu": PINGLU}


@pytest.mark.parametrize("role", sorted(READS))
def test_each_viewer_reads_only_the_units_its_scope_holds(
    shared: Shared, users: dict[str, User], role: str, client_for: Any
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(users[role])
    for where, text in _pages(client, shared.problem).items():
        for unit, words in WORDS.items():
            for word in words.all():
                if word == words.visit and where != "trail":
                    assert word not in text  # the pages show no visit titles at all (the 留痕 notes)
                elif unit in READS[role]:
                    assert word in text, (role, where, word)
                else:
                    assert word not in text, (role, where, word)


def _expected_counts(viewer: User, problem: Problem) -> tuple[int, int]:
    """Other units' filed reports and how many units filed them, counted without the code under test."""
    scope = viewer_scope(viewer)
    filed = ProgressReport.objects.filter(measure__problem=problem, first_submitted_at__isnull=False)
    others = [r for r in filed if not (scope.everything or r.unit_id in scope.unit_ids)]
    return len({r.unit_id for r in others}), len(others)


@pytest.mark.parametrize("role", ["county_clerk", "clerk_plq", "county_office"])
def test_other_units_appear_as_counts(shared: Shared, users: dict[str, User], role: str) -> None:
    from django.test import Client

    client = Client()
    client.force_login(users[role])
    units, reports = _expected_counts(users[role], shared.problem)
    assert (units, reports) == (1, 1)
    line = f"其他 {units} 个单位已报送进展 {reports} 份"
    for where, text in _pages(client, shared.problem).items():
        assert line in text, (role, where)


@pytest.mark.parametrize("role", ["city_office", "leader", "acceptance"])
def test_city_wide_viewers_see_no_count_line(shared: Shared, users: dict[str, User], role: str) -> None:
    from django.test import Client

    client = Client()
    client.force_login(users[role])
    for where, text in _pages(client, shared.problem).items():
        assert "只显示数量" not in text, (role, where)


def test_the_reports_themselves_answer_404_to_the_same_viewers(shared: Shared, client_for: Any) -> None:
    clerk = client_for("county_clerk")
    assert clerk.get(reverse("progress:report", args=[shared.reports["clerk_plq"].pk])).status_code == 404
    assert clerk.get(reverse("progress:report", args=[shared.reports["county_clerk"].pk])).status_code == 200


def test_a_clerk_reads_every_event_of_its_own_unit_on_the_history_page(
    shared: Shared, users: dict[str, User], client_for: Any
) -> None:
    from rectify.audit.selectors import audit_timeline

    own = shared.reports["county_clerk"]
    own_events = [
        e
        for e in audit_timeline(shared.problem)
        if e.object_type == "progress.progressreport" and e.object_id == str(own.pk)
    ]
    page = client_for("county_clerk").get(reverse("plans:problem_history", args=[shared.problem.pk])).content.decode()
    assert len(own_events) >= 3  # drafted, evidence added, submitted
    assert page.count(str(own)) >= len(own_events)


def test_extension_reasons_and_notice_replies_stay_with_their_unit(users: dict[str, User], client_for: Any) -> None:
    """Problem （二）: 平鲁区政府 asks for more time and answers a 提醒函; 朔城区政府's clerk reads
    neither the reason nor the reply in the dossier's 留痕, the city office reads both."""
    from rectify.supervision import extensions, notices
    from rectify.supervision.models import NoticeKind

    plq = User.objects.create(username="clerk_plq", first_name="梁艳")
    unit = OrgUnit.objects.get(name="平鲁区政府")
    Membership.objects.create(user=plq, unit=unit, role=Role.CLERK)
    measure = Assignment.objects.filter(problem__number="二", unit=unit, measure__due_on__isnull=False).first().measure
    with time_machine.travel(dt.datetime(2022, 10, 10, 10, tzinfo=SHANGHAI), tick=False):
        extensions.extension_request(
            actor=plq, measure=measure, unit=unit, reason="平鲁区延期理由丙一", requested_due=dt.date(2023, 3, 31)
        )
        draft = notices.notice_draft(
            actor=users["city_office"],
            data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=unit, measures=[measure]),
        )
        notice = notices.notice_issue(actor=users["city_office"], notice=draft)
        notices.notice_reply(actor=plq, notice=notice, text="平鲁区回复内容丙二")
    problem = measure.problem
    clerk = _dossier_trail(client_for("county_clerk"), problem)
    office = _dossier_trail(client_for("city_office"), problem)
    assert "平鲁区延期理由丙一" in office and "平鲁区回复内容丙二" in office
    assert "平鲁区延期理由丙一" not in clerk and "平鲁区回复内容丙二" not in clerk
    assert "其他单位的留痕" in clerk
