"""The ledger's and the warning board's counts kept until the data changes (rectify.audit.kept):
a count asked again while nothing changed is not counted again, and every count read is the
count of the data as it is — after a change through the API, on a new day, for another viewer,
and after the data went back to an earlier state (the trail's number comes again, its hash not)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rectify.audit.models import AuditEvent
from rectify.orgs.models import OrgUnit
from rectify.plans import services as plan_services
from rectify.plans.models import Assignment, Measure
from rectify.plans.selectors import measure_list, share_overdue_condition
from rectify.supervision.selectors import LedgerFilters, board_summary
from rectify.supervision.services import deadlines_scan, warnings_refresh

from .test_editing_api import JSON, problem_body

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2022, 9, 20, 2, tzinfo=dt.UTC)


class Rollback(Exception):
    pass


def unit_id(name: str) -> int:
    return OrgUnit.objects.get(name=name).pk


def measures_of(unit: int) -> int:
    """Independent: measures on which the unit has a share."""
    return Measure.objects.filter(assignments__unit_id=unit).distinct().count()


def shares_of(unit: int) -> int:
    return Assignment.objects.filter(unit_id=unit, measure__isnull=False).count()


def counted(client: Any, url: str) -> tuple[int, bool]:
    """The list's count (the summary's total), and whether answering it counted (a COUNT over
    the table) again."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return body.get("count", body.get("total")), any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_counts_are_kept_until_a_change_through_the_api(client_for: Any) -> None:
    office = client_for("city_office")
    industry = unit_id("市工信局")
    ledger, board = f"/api/v1/measures/?unit={industry}", f"/api/v1/warnings/summary/?unit={industry}"
    with time_machine.travel(DAY, tick=False):
        assert counted(office, ledger) == (measures_of(industry), True)
        assert counted(office, ledger) == (measures_of(industry), False)  # kept: not counted again
        assert counted(office, board) == (shares_of(industry), True)
        assert counted(office, board) == (shares_of(industry), False)
        before = measures_of(industry)
        # A problem whose second measure gives 市工信局 a share, created through the API (audited).
        assert office.post("/api/v1/problems/", problem_body(), content_type=JSON).status_code == 201
        assert measures_of(industry) == before + 1
        assert counted(office, ledger) == (before + 1, True)
        assert counted(office, board) == (shares_of(industry), True)


def test_each_viewer_and_filter_has_its_own_count(client_for: Any, users: Any) -> None:
    office, clerk = client_for("city_office"), client_for("county_clerk")
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    mine = shares.filter(unit__memberships__user=users["county_clerk"])
    warned = ["red", "yellow"]  # the board list's levels unless asked
    with time_machine.travel(DAY, tick=False):
        deadlines_scan()
        assert shares.filter(warning_level__in=warned).count() > mine.filter(warning_level__in=warned).count() > 0
        assert counted(office, "/api/v1/warnings/")[0] == shares.filter(warning_level__in=warned).count()
        assert counted(clerk, "/api/v1/warnings/")[0] == mine.filter(warning_level__in=warned).count()
        assert counted(clerk, "/api/v1/warnings/?warning=red")[0] == mine.filter(warning_level="red").count()
        assert counted(clerk, "/api/v1/warnings/summary/")[0] == mine.count()
        assert counted(office, "/api/v1/warnings/summary/")[0] == shares.count()
        assert counted(office, "/api/v1/measures/")[0] == Measure.objects.count()
        assert counted(clerk, "/api/v1/measures/")[0] == Measure.objects.filter(assignments__in=mine).distinct().count()


def test_a_new_day_counts_overdue_again(client_for: Any, users: Any) -> None:
    """Overdue depends on the day: the count kept late on 30 September is not 1 October's, an hour
    later (fresh querysets of the same conditions as the reference)."""
    office, seen = client_for("city_office"), []
    for moment in ("2022-09-30T23:30:00+08:00", "2022-10-01T00:30:00+08:00", "2023-03-01T10:00:00+08:00"):
        at = dt.datetime.fromisoformat(moment)
        with time_machine.travel(at, tick=False):
            fresh = measure_list(viewer=users["city_office"], filters=LedgerFilters(overdue=True)).count()
            assert counted(office, "/api/v1/measures/?overdue=1") == (fresh, True)
            shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
            summary = board_summary(viewer=users["city_office"], filters=LedgerFilters(share_overdue=True))
            assert summary.counts["total"] == shares.filter(share_overdue_condition(at.date())).count()
            seen.append((fresh, summary.counts["total"]))
    assert len({fresh for fresh, _ in seen}) == len({total for _, total in seen}) == 3, seen


def test_data_gone_back_to_an_earlier_state_is_counted_again(client_for: Any) -> None:
    """The audit trail's number comes again after the data went back (a restore from a backup;
    here a rolled-back transaction): the count kept under it for the other data is not read."""
    office = client_for("city_office")
    industry = unit_id("市工信局")
    ledger = f"/api/v1/measures/?unit={industry}"
    before = measures_of(industry)
    with time_machine.travel(DAY, tick=False):
        try:
            with transaction.atomic():
                assert office.post("/api/v1/problems/", problem_body(), content_type=JSON).status_code == 201
                assert counted(office, ledger) == (before + 1, True)  # kept under the new event
                raise Rollback
        except Rollback:
            pass
        # Another change gets the same number in the trail: a problem without 市工信局.
        body = problem_body(measures=[{"text": "立案查处。", "units": [{"unit": unit_id("市生态环境局")}]}])
        assert office.post("/api/v1/problems/", body, content_type=JSON).status_code == 201
        assert counted(office, ledger) == (before, True)


def test_switched_off_every_request_counts(client_for: Any, settings: Any) -> None:
    settings.RECTIFY_KEEP_FIGURES = False
    office = client_for("city_office")
    with time_machine.travel(DAY, tick=False):
        assert counted(office, "/api/v1/warnings/summary/")[1]
        assert counted(office, "/api/v1/warnings/summary/")[1]


def test_a_reassessment_after_a_change_is_counted(client_for: Any, users: Any) -> None:
    """A page asks between a change and the re-assessment that follows it (a view re-assesses
    after the service's transaction): the count kept then is not read once the levels moved, since
    the re-assessment is audited too."""
    office = client_for("city_office")
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    with time_machine.travel(DAY, tick=False):
        deadlines_scan()
        # A measure red for being overdue alone (not for its milestones): a later deadline greens it.
        red = shares.filter(warning_level="red", measure__deadline_kind="date").select_related("measure")
        measure = next(a.measure for a in red if {r["code"] for r in a.warning_reasons} == {"overdue"})
        plan_services.measure_update_deadline(
            actor=users["city_office"], measure=measure, raw="2030年12月底前", version=measure.version
        )
        red_before = shares.filter(warning_level="red").count()
        assert office.get("/api/v1/warnings/summary/").json()["red"] == red_before  # levels not re-assessed yet
        warnings_refresh(measure_ids=[measure.pk])
        red_after = shares.filter(warning_level="red").count()
        assert red_after < red_before
        assert office.get("/api/v1/warnings/summary/").json()["red"] == red_after
        event = AuditEvent.objects.filter(action="warnings.reassessed").order_by("-seq").first()
        assert event is not None and (event.object_type, event.object_id) == ("plans.measure", str(measure.pk))
        # Nothing changed by a second refresh: nothing audited.
        seq = event.seq
        warnings_refresh(measure_ids=[measure.pk])
        assert not AuditEvent.objects.filter(action="warnings.reassessed", seq__gt=seq).exists()
