"""Every responsible unit answers for its own share: one county's report greens its own share only,
on the board, the unit pages, the problem page and the export; proposals go to the others."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from rectify.core.errors import DomainError
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.plans.rollup import mean_progress
from rectify.progress import periods, services
from rectify.supervision.proposals import proposals
from rectify.supervision.selectors import LedgerFilters, warning_counts
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 9) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SH), tick=False)


def shared_measure() -> Measure:
    """A dated seed measure shared by many lead units, 朔城区政府 among them."""
    mine = Assignment.objects.filter(unit__name="朔城区政府").values("measure_id")
    return (
        Measure.objects.filter(deadline_kind="date", due_on=dt.date(2022, 12, 31), pk__in=mine)
        .annotate(n=Count("assignments", filter=Q(assignments__unit__isnull=False)))
        .filter(n__gte=13)
        .order_by("problem__index", "seq")
        .first()
    )


def report_full(users: Any, measure: Measure, day: dt.date) -> Assignment:
    share = Assignment.objects.get(measure=measure, unit__name="朔城区政府")
    with at(day, 10):
        period = periods.week_of(day, services.calendar_rule())
        data = services.ReportInput(progress_text="全部完成", next_plan="巩固成效", percent=100)
        services.report_save(actor=users["county_clerk"], assignment=share, period=period, data=data, submit=True)
    return share


def test_one_countys_full_report_greens_its_own_share_and_no_other(users: Any, client_for: Any, tmp_path: Path) -> None:
    measure = shared_measure()
    assert measure is not None
    share = report_full(users, measure, dt.date(2022, 10, 12))
    with at(dt.date(2022, 10, 14)):
        deadlines_scan(send_mail=False)
    shares = Assignment.objects.filter(measure=measure, unit__isnull=False)
    assert shares.count() >= 13
    share.refresh_from_db()
    assert share.warning_level == "green" and share.progress == 100 and share.status == "in_progress"
    others = shares.exclude(pk=share.pk)
    assert set(others.values_list("warning_level", flat=True)) <= {"yellow", "red"}
    # The measure's figures are the roll-up of its lead shares (docs/rollup.md), from an independent query.
    measure.refresh_from_db()
    lead = shares.filter(role="lead")
    assert measure.progress == mean_progress(list(lead.values_list("progress", flat=True)))
    assert measure.warning_level == ("red" if lead.filter(warning_level="red").exists() else "yellow")

    # The board: one row per share; the county's share is green, the others are listed as warned.
    with at(dt.date(2022, 10, 14)):
        office = client_for("city_office")
        page = office.get(reverse("supervision:board") + f"?problem={measure.problem_id}").content.decode()
        assert f'data-share="{share.pk}"' not in page  # the board opens on red and yellow
        for other in others:
            assert f'data-share="{other.pk}"' in page
        green = office.get(reverse("supervision:board") + f"?problem={measure.problem_id}&warning=green")
        assert f'data-share="{share.pk}"' in green.content.decode()
        counts = warning_counts(viewer=users["city_office"], filters=LedgerFilters(problem=measure.problem_id))
        problem_shares = Assignment.objects.filter(measure__problem=measure.problem, unit__isnull=False)
        for level in ("red", "yellow", "green"):
            assert counts[level] == problem_shares.filter(warning_level=level).count()

        # The unit pages: the county's own page shows its share green at 100 %, another unit's shows its own.
        mine = office.get(reverse("plans:unit", args=[share.unit_id])).content.decode()
        row = mine.split(f'data-share="{share.pk}"')[1].split("</tr>")[0]
        assert 'data-level="green"' in mine.split(f'data-share="{share.pk}"')[1][:40] and "100%" in row
        other = others.select_related("unit").first()
        theirs = office.get(reverse("plans:unit", args=[other.unit_id])).content.decode()
        assert f'data-share="{other.pk}" data-level="{other.warning_level}"' in theirs
        assert "100%" not in theirs.split(f'data-share="{other.pk}"')[1].split("</tr>")[0]
        summary = theirs.split('id="sum-red">')[1].split("<")[0]
        assert int(summary) == Assignment.objects.filter(unit=other.unit, warning_level="red").count()

        # The problem page shows the per-unit breakdown under the measure.
        problem_page = office.get(reverse("plans:problem", args=[measure.problem_id])).content.decode()
        block = problem_page.split(f'id="measure-{measure.pk}"')[1]
        assert f'<tr data-share="{share.pk}">' in block and "分单位情况" in block

    # The export: each share carries its own level; the county's is green, the others are not.
    out = tmp_path / "ledger.json"
    call_command("export_ledger", str(out), "--as-of", "2022-10-14")
    data = json.loads(out.read_text(encoding="utf-8"))
    exported = next(
        m
        for p in data["plans"][0]["problems"]
        if p["number"] == measure.problem.number
        for m in p["measures"]
        if m["number"] == measure.number
    )
    levels = {a["unit"]: a["warning"]["level"] for a in exported["assignments"] if a.get("status")}
    assert levels["朔城区政府"] == "green"
    assert {lv for unit, lv in levels.items() if unit != "朔城区政府"} <= {"yellow", "red"}
    assert exported["warning"]["level"] in {"yellow", "red"}
    county = next(a for a in exported["assignments"] if a["unit"] == "朔城区政府")
    assert county["progress"] == 100 and county["due"] == "2022-12-31"


def test_the_next_proposal_goes_to_the_units_that_are_red_and_never_to_the_one_that_reported(users: Any) -> None:
    measure = shared_measure()
    share = report_full(users, measure, dt.date(2022, 12, 28))
    # The deadline passes with no close-out applied for: every lead share is overdue, but the county
    # reported its part done (100 %), so no letter is proposed to it.
    for day in (dt.date(2023, 1, 2), dt.date(2023, 1, 20)):
        with at(day):
            deadlines_scan(send_mail=False)
    share.refresh_from_db()
    assert share.progress == 100
    with at(dt.date(2023, 1, 20)):
        proposed = proposals(viewer=users["city_office"])
    reminded = {p.unit.pk for p in proposed if measure in p.measures}
    red_leads = set(
        Assignment.objects.filter(measure=measure, role="lead", warning_level="red").values_list("unit_id", flat=True)
    )
    assert share.unit_id not in reminded
    assert reminded and reminded <= red_leads - {share.unit_id}


def test_the_board_counts_shares_by_county(users: Any, client_for: Any) -> None:
    with at(dt.date(2022, 10, 8)):
        deadlines_scan(send_mail=False)
        page = client_for("city_office").get(reverse("supervision:board")).content.decode()
    county = OrgUnit.objects.get(name="朔城区")
    row = page.split(f'data-county="{county.name}"')[1].split("</tr>")[0]
    red = row.split('data-county-level="red">')[1].split("<")[0]
    in_county = Assignment.objects.filter(
        measure__isnull=False, unit__path__startswith=county.path, warning_level="red"
    ).count()
    assert int(red) == in_county


def test_an_anonymous_visitor_never_sees_the_board() -> None:
    assert Client().get(reverse("supervision:board")).status_code == 302


def test_the_city_office_moves_a_measures_deadline_for_all_units_but_keeps_a_later_extension(
    users: Any, client_for: Any
) -> None:
    from rectify.accounts.services import token_issue

    measure = shared_measure()
    extended = Assignment.objects.filter(measure=measure, unit__isnull=False).exclude(unit__name="朔城区政府").first()
    Assignment.objects.filter(pk=extended.pk).update(due_on=dt.date(2023, 9, 30), due_extended=True)
    _, raw = token_issue(actor=users["county_office"], name="测试")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/measures/{measure.pk}/deadline/",
        {"raw": "2023年6月底", "version": measure.version},
        content_type="application/json",
    )
    assert refused.status_code == 403
    _, raw = token_issue(actor=users["city_office"], name="测试")
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/measures/{measure.pk}/deadline/",
        {"raw": "2023年6月底", "version": measure.version},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["due_on"] == "2023-06-30"
    dues = dict(Assignment.objects.filter(measure=measure, unit__isnull=False).values_list("pk", "due_on"))
    assert dues.pop(extended.pk) == dt.date(2023, 9, 30)
    assert set(dues.values()) == {dt.date(2023, 6, 30)}
    # A stale version is a conflict, not a silent overwrite.
    stale = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/measures/{measure.pk}/deadline/",
        {"raw": "2023年7月底", "version": measure.version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    page = client_for("city_office").get(reverse("plans:problem", args=[measure.problem_id])).content.decode()
    assert 'data-testid="deadline-changed"' in page and "原：2022年12月底" in page


def test_the_clerks_to_do_lists_its_own_warned_shares_not_the_measures_roll_up(users: Any) -> None:
    from rectify.progress.selectors import unit_warnings

    measure = shared_measure()
    share = report_full(users, measure, dt.date(2022, 10, 12))
    with at(dt.date(2022, 10, 14)):
        deadlines_scan(send_mail=False)
    measure.refresh_from_db()
    assert measure.warning_level in {"yellow", "red"}
    listed = {a.pk for a in unit_warnings(share.unit)}
    assert share.pk not in listed
    own_warned = Assignment.objects.filter(unit=share.unit, warning_level__in=["red", "yellow"])
    assert listed == set(own_warned.values_list("pk", flat=True))


def test_moving_the_deadline_for_all_units_reassesses_at_once_and_overtakes_a_shorter_extension(users: Any) -> None:
    from rectify.supervision import extensions
    from rectify.supervision.services import measure_deadline_change

    measure = shared_measure()
    share = Assignment.objects.get(measure=measure, unit__name="朔城区政府")
    with at(dt.date(2022, 12, 20)):
        ext = extensions.extension_request(
            actor=users["county_clerk"],
            measure=measure,
            unit=share.unit,
            reason="施工季节受限",
            requested_due=dt.date(2023, 3, 31),
        )
    with at(dt.date(2023, 1, 5)):
        deadlines_scan(send_mail=False)
        assert Assignment.objects.filter(measure=measure, warning_level="red").exists()
        measure.refresh_from_db()
        measure_deadline_change(actor=users["city_office"], measure=measure, raw="2023年6月底", version=measure.version)
    # No share is still "overdue since 2022-12-31": each was re-assessed on the spot.
    shares = Assignment.objects.filter(measure=measure, unit__isnull=False)
    assert set(shares.values_list("due_on", flat=True)) == {dt.date(2023, 6, 30)}
    assert not shares.filter(warning_level="red").exists()
    assert not shares.filter(warnings__code="overdue", warnings__resolved_on__isnull=True).exists()
    # The old request would now shorten the county's deadline: it is refused.
    with at(dt.date(2023, 1, 6)), pytest.raises(DomainError, match="批准的日期须晚于"):
        extensions.extension_decide(actor=users["city_office"], ext=ext, approve=True, note="同意")
    share.refresh_from_db()
    assert share.due_on == dt.date(2023, 6, 30)
