"""Reads of the unit directory, and resolution of unit names and group phrases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from rectify.core.errors import NotFound

from .models import Membership, OrgUnit, UnitGroup
from .normalize import normalize_unit_name
from .scope import viewer_scope


def unit_list(*, viewer: Any, query: str = "", kind: str = "") -> QuerySet[OrgUnit]:
    scope = viewer_scope(viewer)
    qs = OrgUnit.objects.select_related("parent", "merged_into")
    if not scope.everything:
        qs = qs.filter(id__in=scope.unit_ids)
    if query:
        qs = qs.filter(name__icontains=query)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(member_count=Count("memberships")).order_by("path")


def unit_get(*, viewer: Any, unit_id: int) -> OrgUnit:
    scope = viewer_scope(viewer)
    if not scope.is_business_user or not scope.covers_unit(unit_id):
        raise NotFound()
    try:
        return OrgUnit.objects.select_related("parent").get(pk=unit_id)
    except OrgUnit.DoesNotExist as exc:
        raise NotFound() from exc


def counties() -> QuerySet[OrgUnit]:
    """The regions directly under the root (县（市、区）and 开发区), for filters."""
    return OrgUnit.objects.filter(kind="region", depth=1, is_active=True).order_by("path")


def unit_memberships(unit: OrgUnit) -> QuerySet[Membership]:
    return Membership.objects.filter(unit=unit).select_related("user")


@dataclass
class Resolution:
    """What a unit name from a plan stands for."""

    phrase: str
    units: list[OrgUnit] = field(default_factory=list)
    # True when the units are certain; False means "to confirm" (candidates or nothing known).
    exact: bool = True
    group: bool = False

    @property
    def known(self) -> bool:
        return bool(self.units)


class UnitIndex:
    """An in-memory index of the directory, built once for a whole import (no query per name)."""

    def __init__(self) -> None:
        self.by_name: dict[str, OrgUnit] = {}
        for unit in OrgUnit.objects.filter(is_active=True):
            self.by_name[normalize_unit_name(unit.name)] = unit
            for alias in unit.aliases or []:
                self.by_name.setdefault(normalize_unit_name(alias), unit)
        # Merged units still resolve: to the unit they were merged into.
        for unit in OrgUnit.objects.filter(is_active=False, merged_into__isnull=False).select_related("merged_into"):
            self.by_name.setdefault(normalize_unit_name(unit.name), unit.merged_into)  # type: ignore[arg-type]
        self.groups: dict[str, tuple[bool, list[OrgUnit]]] = {}
        for group in UnitGroup.objects.prefetch_related("members"):
            members = sorted((m for m in group.members.all() if m.is_active), key=lambda u: u.path)
            self.groups[normalize_unit_name(group.phrase)] = (group.exact, members)

    def resolve(self, phrase: str) -> Resolution:
        key = normalize_unit_name(phrase)
        if key in self.by_name:
            return Resolution(phrase=phrase, units=[self.by_name[key]], exact=True)
        if key in self.groups:
            exact, members = self.groups[key]
            return Resolution(phrase=phrase, units=members, exact=exact, group=True)
        return Resolution(phrase=phrase, units=[], exact=False)
