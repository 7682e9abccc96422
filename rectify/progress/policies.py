"""Who may file, review and see progress reports (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.policies import can_read_report_text
from rectify.orgs.scope import viewer_scope


def can_file_for_unit(user: Any, unit: OrgUnit) -> bool:
    """A unit's clerk (or a clerk of a unit above it) files its reports; coordinators review
    them and so do not write them."""
    return any(m.role == Role.CLERK and unit.path.startswith(m.unit.path) for m in viewer_scope(user).memberships)


def can_review_unit(user: Any, unit_id: int) -> bool:
    """The coordinator of the unit's region (the city office for every unit)."""
    scope = viewer_scope(user)
    return Role.COORDINATOR in scope.region_roles and scope.covers_unit(unit_id)


def can_view_unit_reports(user: Any, unit_id: int) -> bool:
    """The same rule that lets other pages (a problem's timeline, the dossier's 留痕) show a
    unit's report text: whoever may open the report may read its words, and no one else."""
    return can_read_report_text(user, unit_id)


def can_set_calendar(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).city_roles


def filing_units(user: Any) -> list[OrgUnit]:
    """The units the viewer files reports for (its clerk memberships)."""
    return [m.unit for m in viewer_scope(user).memberships if m.role == Role.CLERK]
