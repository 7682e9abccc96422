import datetime as dt
from collections import Counter
import pytest
from rectify.plans.models import Assignment, Measure, Plan
from rectify.orgs.models import OrgUnit
from rectify.progress.models import ProgressReport, MissedReport, ReportingCalendar
from rectify.supervision.models import Warning

pytestmark = pytest.mark.django_db

def test_peek():
    print("plans", list(Plan.objects.values_list("title", "start_on")))
    print("calendar", list(ReportingCalendar.objects.values()))
    print("reports", ProgressReport.objects.count(), "missed", MissedReport.objects.count(), "warnings", Warning.objects.count())
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    print("shares", shares.count(), Counter(shares.values_list("status", flat=True)), Counter(shares.values_list("role", flat=True)))
    print("kinds vs due", Counter((k, d is None) for k, d in Measure.objects.values_list("deadline_kind", "due_on")))
    print("share due null", Counter((k, d is None) for k, d in shares.values_list("measure__deadline_kind", "due_on")))
    units = Counter(shares.values_list("unit__name", "unit__path", "unit__depth"))
    for k, v in sorted(units.items(), key=lambda x: x[0][1]): print(k, v)
    for u in OrgUnit.objects.filter(depth__lte=1).order_by("path"): print(u.path, u.name, u.kind, u.depth)
    print("due dates", Counter(Measure.objects.values_list("due_on", flat=True)).most_common(20))
