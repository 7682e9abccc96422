"""Writes to the unit directory: load, add, rename, merge. Each writes its audit row."""

from __future__ import annotations

from typing import Any, cast

from django.db import IntegrityError, models, transaction

from rectify.audit.services import record
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import versioned_update

from .models import Membership, OrgUnit, UnitGroup, UnitKind
from .normalize import normalize_unit_name
from .policies import can_manage_units

PATH_WIDTH = 4


def _next_path(parent: OrgUnit | None) -> tuple[str, int]:
    prefix = parent.path if parent else ""
    depth = parent.depth + 1 if parent else 0
    siblings = OrgUnit.objects.filter(parent=parent) if parent else OrgUnit.objects.filter(parent__isnull=True)
    last = siblings.order_by("-path").values_list("path", flat=True).first()
    number = int(last[len(prefix) : len(prefix) + PATH_WIDTH]) + 1 if last else 1
    return f"{prefix}{number:0{PATH_WIDTH}d}.", depth


def _check_name_free(name: str, *, exclude: OrgUnit | None = None) -> None:
    key = normalize_unit_name(name)
    others = OrgUnit.objects.exclude(pk=exclude.pk) if exclude else OrgUnit.objects.all()
    for unit in others.only("name", "aliases"):
        if normalize_unit_name(unit.name) == key or key in {normalize_unit_name(a) for a in unit.aliases}:
            raise DomainError(f"单位名称“{name}”已被“{unit.name}”使用。")


def _create(*, name: str, kind: str, parent: OrgUnit | None, aliases: list[str]) -> OrgUnit:
    path, depth = _next_path(parent)
    return OrgUnit.objects.create(name=name, kind=kind, parent=parent, path=path, depth=depth, aliases=aliases)


@transaction.atomic
def directory_load(*, actor: Any, data: dict[str, Any]) -> dict[str, int]:
    """Load a directory file (idempotent: existing units are kept, new ones added)."""
    created = 0

    def walk(node: dict[str, Any], parent: OrgUnit | None) -> None:
        nonlocal created
        unit = OrgUnit.objects.filter(name=node["name"]).first()
        if unit is None:
            unit = _create(name=node["name"], kind=node["kind"], parent=parent, aliases=list(node.get("aliases", [])))
            created += 1
        else:
            merged = sorted(set(unit.aliases) | set(node.get("aliases", [])))
            if merged != sorted(unit.aliases):
                unit.aliases = merged
                unit.save(update_fields=["aliases"])
        if node.get("doc_abbr") and not unit.doc_abbr:
            unit.doc_abbr = node["doc_abbr"]
            unit.save(update_fields=["doc_abbr"])
        for child in node.get("children", []):
            walk(child, unit)

    walk(data["root"], None)
    groups = 0
    for spec in data.get("groups", []):
        group, _ = UnitGroup.objects.update_or_create(
            phrase=spec["phrase"], defaults={"exact": bool(spec.get("exact", True))}
        )
        group.members.set(OrgUnit.objects.filter(name__in=spec["members"]))
        groups += 1
    root = OrgUnit.objects.get(name=data["root"]["name"])
    record(actor=actor, action="directory.loaded", obj=root, after={"created": created, "groups": groups})
    return {"created": created, "groups": groups}


@transaction.atomic
def unit_create(*, actor: Any, name: str, kind: str, parent: OrgUnit, aliases: list[str] | None = None) -> OrgUnit:
    if not can_manage_units(actor):
        raise Forbidden("只有市整改办可以维护单位目录。")
    name = name.strip()
    if not name:
        raise DomainError("请填写单位名称。")
    if kind not in UnitKind.values:
        raise DomainError("单位类型无效。")
    _check_name_free(name)
    try:
        unit = _create(name=name, kind=kind, parent=parent, aliases=[a for a in (aliases or []) if a])
    except IntegrityError as exc:
        raise DomainError("单位已存在，请刷新后重试。") from exc
    record(actor=actor, action="unit.created", obj=unit, after={"name": name, "kind": kind, "parent": parent.name})
    return unit


@transaction.atomic
def unit_rename(*, actor: Any, unit: OrgUnit, name: str, version: int) -> OrgUnit:
    """Rename; the old name becomes an alias so plans written with it still resolve."""
    if not can_manage_units(actor):
        raise Forbidden("只有市整改办可以维护单位目录。")
    name = name.strip()
    if not name:
        raise DomainError("请填写单位名称。")
    if name == unit.name:
        return unit
    _check_name_free(name, exclude=unit)
    old = unit.name
    aliases = sorted(set(unit.aliases) | {old})
    versioned_update(
        unit,
        version=version,
        values={"name": name, "aliases": aliases},
        message="该单位已被他人修改，请刷新页面后重试。",
    )
    record(actor=actor, action="unit.renamed", obj=unit, before={"name": old}, after={"name": name})
    return unit


@transaction.atomic
def unit_merge(*, actor: Any, source: OrgUnit, target: OrgUnit) -> OrgUnit:
    """Merge `source` into `target`: everything that points at source now points at target.

    The directory does not know the apps above it, so it follows every foreign key to OrgUnit
    generically; memberships (its own table) are merged without duplicates.
    """
    if not can_manage_units(actor):
        raise Forbidden("只有市整改办可以维护单位目录。")
    if source.pk == target.pk:
        raise DomainError("不能把单位并入其自身。")
    if target.path.startswith(source.path):
        raise DomainError("不能把单位并入其下级单位。")
    if not source.is_active:
        raise DomainError("该单位已被合并或停用。")
    if not target.is_active:
        raise DomainError("目标单位已被合并或停用，请选择有效的单位。")
    # Lock both rows so two merges of the same unit cannot interleave.
    list(OrgUnit.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk"))
    if OrgUnit.objects.filter(parent=source, is_active=True).exists():
        raise DomainError("该单位还有下级单位，请先迁移或合并下级单位。")
    moved: dict[str, int] = {}
    for membership in Membership.objects.filter(unit=source):
        if Membership.objects.filter(user=membership.user, unit=target, role=membership.role).exists():
            membership.delete()
        else:
            membership.unit = target
            membership.save(update_fields=["unit"])
    for relation in OrgUnit._meta.related_objects:
        model = cast(type[models.Model], relation.related_model)
        if model in (OrgUnit, Membership) or relation.many_to_many or not relation.field.concrete:
            continue
        count = model._default_manager.filter(**{relation.field.name: source}).update(**{relation.field.name: target})
        if count:
            moved[model._meta.label_lower] = count
            duplicates = _dedupe_after_merge(model, relation.field.name, target)
            if duplicates:
                moved[f"{model._meta.label_lower}.duplicates_removed"] = duplicates
    for group in source.groups.all():
        group.members.remove(source)
        group.members.add(target)
    target.aliases = sorted(set(target.aliases) | {source.name} | set(source.aliases))
    target.save(update_fields=["aliases"])
    source.is_active = False
    source.merged_into = target
    source.save(update_fields=["is_active", "merged_into"])
    record(
        actor=actor,
        action="unit.merged",
        obj=target,
        before={"source": source.name},
        after={"target": target.name, "moved": moved},
    )
    return target


def _dedupe_after_merge(model: type[models.Model], field: str, target: OrgUnit) -> int:
    """Rows that now say the same thing twice (both units held the same task) keep one copy.

    Two rows are the same when every concrete field but the key, the timestamps and the
    version agree."""
    ignore = {"id", "created_at", "updated_at", "version", "phrase"}
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in ignore]
    seen: set[tuple[Any, ...]] = set()
    doomed: list[Any] = []
    for row in model._default_manager.filter(**{field: target}).order_by("pk").values("pk", *names):
        key = tuple(str(row[n]) for n in names)
        if key in seen:
            doomed.append(row["pk"])
        else:
            seen.add(key)
    if doomed:
        model._default_manager.filter(pk__in=doomed).delete()
    return len(doomed)
