"""Unit phrases → unit names: brackets protect, bare organ suffixes take the stem before them."""

from __future__ import annotations

import pytest

from rectify.ingestion.parsers import split_units
from rectify.ingestion.parsers.units import UnitRef, assign_roles, split_unit_refs


@pytest.mark.parametrize(
    ("phrase", "units"),
    [
        ("朔州经济开发区党工委、管委会", ["朔州经济开发区党工委", "朔州经济开发区管委会"]),
        ("各县（市、区）党委、政府", ["各县（市、区）党委", "各县（市、区）政府"]),
        ("各相关县（市、区）党委、政府。", ["各相关县（市、区）党委", "各相关县（市、区）政府"]),
        ("各县(市、区)党委、政府", ["各县（市、区）党委", "各县（市、区）政府"]),
        ("朔城区党委、政府，市工信局", ["朔城区党委", "朔城区政府", "市工信局"]),
        ("市工信局、市规划和自然资源局", ["市工信局", "市规划和自然资源局"]),
        ("县（市、区）党委、人民政府", ["县（市、区）党委", "县（市、区）人民政府"]),
        ("某县人大、政协、纪委监委", ["某县人大", "某县政协", "某县纪委监委"]),
        ("市委办公室、市政府办公室；市直相关部门", ["市委办公室", "市政府办公室", "市直相关部门"]),
        ("市能源局, 市发改委", ["市能源局", "市发改委"]),
        ("政府", ["政府"]),
        ("", []),
        ("市能源局、市能源局", ["市能源局"]),
    ],
)
def test_split_units(phrase: str, units: list[str]) -> None:
    assert split_units(phrase) == units


def test_role_markers() -> None:
    refs = split_unit_refs("市发改委（牵头）、市能源局(配合)、市工信局")
    assert refs == [UnitRef("市发改委", "lead"), UnitRef("市能源局", "support"), UnitRef("市工信局", None)]
    assert assign_roles(refs) == (["市发改委", "市能源局", "市工信局"], ["市发改委", "市工信局"], ["市能源局"])


def test_role_prefixes_hold_until_the_next_one() -> None:
    refs = split_unit_refs("牵头单位：市住建局；配合单位：市城管局、各县（市、区）党委、政府")
    names, lead, support = assign_roles(refs)
    assert lead == ["市住建局"]
    assert support == ["市城管局", "各县（市、区）党委", "各县（市、区）政府"]
    assert names == ["市住建局", *support]


def test_only_lead_marked_makes_the_rest_support() -> None:
    assert assign_roles(split_unit_refs("市教育局、市发改委牵头")) == (
        ["市教育局", "市发改委"],
        ["市发改委"],
        ["市教育局"],
    )


def test_no_markers_means_everyone_leads() -> None:
    assert assign_roles(split_unit_refs("市能源局、市发改委")) == (
        ["市能源局", "市发改委"],
        ["市能源局", "市发改委"],
        [],
    )
