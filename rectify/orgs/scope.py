"""Access scoping: which units a viewer may see data of.

Coordinators, leaders and the acceptance group see the region their unit belongs to (the city
root means everything); a unit clerk sees its own unit and the units below it. System and audit
admins have no business scope at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Membership, OrgUnit, Role, UnitKind

REGION_WIDE_ROLES = {Role.COORDINATOR, Role.LEADER, Role.ACCEPTANCE}


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # Roles held with a region-wide (or wider) view, per role.
    region_roles: frozenset[str] = field(default_factory=frozenset)
    city_roles: frozenset[str] = field(default_factory=frozenset)
    # The viewer's active memberships (with their units), for the page header.
    memberships: tuple[Membership, ...] = ()

    @property
    def is_business_user(self) -> bool:
        return bool(self.roles)

    def covers_unit(self, unit_id: int | None) -> bool:
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def key(self) -> tuple[Any, ...]:
        """What the scope sees as plain values, the same for two viewers who see the same (the key
        of the figures kept until the data changes, audit.kept)."""
        return (
            self.everything,
            tuple(sorted(self.unit_ids)),
            tuple(sorted(self.roles)),
            tuple(sorted(self.region_roles)),
            tuple(sorted(self.city_roles)),
        )


def region_of(unit: OrgUnit) -> OrgUnit:
    """The nearest region (the unit itself when it is one) above `unit`."""
    if unit.kind == UnitKind.REGION:
        return unit  # no query: a region is its own nearest region (the city office's every call)
    prefixes = [unit.path[: i + 5] for i in range(0, len(unit.path), 5)]
    regions = OrgUnit.objects.filter(path__in=prefixes, kind=UnitKind.REGION).order_by("-depth")
    return regions.first() or unit


def subtree_ids(unit: OrgUnit) -> set[int]:
    return set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def viewer_scope(user: Any) -> Scope:
    """The viewer's scope, computed once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_rectify_scope", None)
    if cached is not None:
        return cached
    memberships = list(Membership.objects.filter(user=user).select_related("unit").order_by("pk"))
    everything = False
    unit_ids: set[int] = set()
    roles: set[str] = set()
    region_roles: set[str] = set()
    city_roles: set[str] = set()
    for m in memberships:
        if not m.unit.is_active:
            continue
        roles.add(m.role)
        if m.role in REGION_WIDE_ROLES:
            region = region_of(m.unit)
            region_roles.add(m.role)
            if region.depth == 0:
                everything = True
                city_roles.add(m.role)
            else:
                unit_ids |= subtree_ids(region)
        else:
            unit_ids |= subtree_ids(m.unit)
    scope = Scope(
        everything=everything,
        unit_ids=frozenset(unit_ids),
        roles=frozenset(roles),
        region_roles=frozenset(region_roles),
        city_roles=frozenset(city_roles),
        memberships=tuple(m for m in memberships if m.unit.is_active),
    )
    user._rectify_scope = scope
    return scope
