"""The issuing body's full official name (发文机关全称), the same on every document: letters,
月通报, 工作简报 and the public PDFs.

An office's unit is often named the way people say it inside the city ("市生态环境保护督察整改工作
领导小组办公室"); a document needs the full name, with the city: the region the office belongs to
replaces the leading "市"/"县"/"区" ("朔州市生态环境保护督察整改工作领导小组办公室").
"""

from __future__ import annotations

from rectify.orgs.models import OrgUnit, UnitKind

# The city office's name when the directory has no office yet (after the city's name).
OFFICE_NAME = "生态环境保护督察整改工作领导小组办公室"
_LEVELS = ("市", "县", "区", "旗")


def _region(unit: OrgUnit) -> OrgUnit | None:
    """The nearest region above (or at) the unit: its county, else the city at the root."""
    prefixes = [unit.path[: i + 1] for i, ch in enumerate(unit.path) if ch == "."]
    ancestors = {u.path: u for u in OrgUnit.objects.filter(path__in=prefixes)}
    for path in reversed(prefixes):
        candidate = ancestors.get(path)
        if candidate is not None and (candidate.kind == UnitKind.REGION or candidate.depth == 0):
            return candidate
    return None


def official_name(unit: OrgUnit) -> str:
    """The full name of an issuing unit: "市…办公室" under 朔州市 → "朔州市…办公室"; a name that
    already starts with its region's name, or has no level word to replace, stays as it is."""
    name = unit.name
    region = _region(unit)
    if region is None or region.pk == unit.pk or name.startswith(region.name):
        return name
    level = name[:1]
    if level in _LEVELS and region.name.endswith(level):
        return region.name + name[1:]
    return name


def city_office() -> OrgUnit | None:
    """The city's own 整改办: the first office directly under the root of the unit tree."""
    return OrgUnit.objects.filter(kind=UnitKind.OFFICE, depth=1, is_active=True).order_by("path").first()


def city_office_name() -> str:
    """The city office's full name, for documents no single notice or circular issues (the public
    一览表): the office unit's full name, else the city's name and OFFICE_NAME."""
    office = city_office()
    if office is not None:
        return official_name(office)
    root = OrgUnit.objects.filter(depth=0).order_by("path").values_list("name", flat=True).first()
    return f"{root or '本市'}{OFFICE_NAME}"
