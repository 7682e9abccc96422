"""Complainants' personal data: found where it is, masked, and ordinary numbers left alone."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify.complaints.parsers import parse_batch
from rectify.complaints.privacy import (
    find_personal,
    is_valid_id,
    mask_address,
    mask_id,
    mask_landline,
    mask_name,
    mask_phone,
    mask_text,
)
from rectify.complaints.synthetic import batch_file, random_id_number

VALID_ID = "11010519491231002X"  # the GB 11643 example
MOBILE = re.compile(r"(?<![0-9A-Z.])1[3-9][0-9]{9}(?![0-9])")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("联系人王某某，电话13912345678", [("name", "王某某"), ("phone", "13912345678")]),
        ("电话：139-1234-5678。", [("phone", "139-1234-5678")]),
        ("手机139 1234 5678，", [("phone", "139 1234 5678")]),
        ("+86 13912345678", [("phone", "+86 13912345678")]),
        ("电话１３９１２３４５６７８", [("phone", "１３９１２３４５６７８")]),
        ("座机0349-2021234", [("landline", "0349-2021234")]),
        ("（0349）2021234", [("landline", "（0349）2021234")]),
        ("010-62345678", [("landline", "010-62345678")]),
        ("联系电话：5021234", [("landline", "5021234")]),
        (f"身份证号{VALID_ID}，", [("id_number", VALID_ID)]),
        (f"证件{VALID_ID.lower()}", [("id_number", VALID_ID.lower())]),
        ("老身份证140602650101123", [("id_number", "140602650101123")]),
        ("举报人：王小明反映", [("name", "王小明")]),
        ("投诉人欧阳明明称", [("name", "欧阳明明")]),
        ("住址：朔城区神头镇马跳庄村5号，", [("address", "朔城区神头镇马跳庄村5号")]),
    ],
)
def test_each_kind_of_personal_data_is_found(text: str, found: list[tuple[str, str]]) -> None:
    assert find_personal(text) == found


def test_an_id_number_needs_a_valid_check_digit_unless_it_is_labelled() -> None:
    assert is_valid_id(VALID_ID)
    assert not is_valid_id("110105194912310021")  # wrong check digit
    assert not is_valid_id("110105194913310028")  # month 13
    assert find_personal("编号110105194912310021") == []
    assert find_personal("身份证号：110105194912310021") == [("id_number", "110105194912310021")]
    rng = random.Random(3)
    assert all(is_valid_id(random_id_number(rng)) for _ in range(200))


@pytest.mark.parametrize(
    "text",
    [
        "对该企业立案处罚，罚款50000元，罚款1350000元",
        "2018年11月20日、2018-11-20、20181120交办",
        "交办编号D1406000123、X14000018111400003、D14000018111300004",
        "朔环罚〔2018〕12号、晋环函〔2018〕1234号",
        "坐标东经112.432156，北纬39.331261；112.4321,39.3312",
        "统一社会信用代码91140600MA0K12345X",
        "林地内130多株杨树，煤炭消费总量2864万吨，面积13.5平方公里",
        "举报人反映该企业夜间生产",
        "举报人：匿名；联系人：某某",
        "金额13912345678.50元",
    ],
)
def test_ordinary_numbers_and_words_are_not_personal(text: str) -> None:
    assert find_personal(text) == []
    assert mask_text(text) == text


def test_mask_text_masks_every_kind_in_place() -> None:
    text = (
        f"举报人：王小明，身份证号{VALID_ID}，住址朔城区神头镇马跳庄村5号，电话139-1234-5678，"
        "座机0349-2021234。联系人欧阳明明称该企业罚款50000元。"
    )
    assert mask_text(text) == (
        "举报人：王**，身份证号1101**********002X，住址朔城区神头镇***，电话139****5678，"
        "座机0349-****234。联系人欧阳**称该企业罚款50000元。"
    )
    assert mask_text("") == ""


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王小明", "王**"), ("王明", "王*"), ("欧阳明", "欧阳*"), ("司马相如", "司马**"), ("欧阳", "欧*"), ("王", "*")],
)
def test_mask_name_keeps_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13912345678", "139****5678"),
        ("139-1234-5678", "139****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("0349-2021234", "0349-****234"),
        ("03492021234", "0349-****234"),
        ("010-62345678", "010-****5678"),
        ("5021234", "****234"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_landline_and_mask_id() -> None:
    assert mask_landline("(0349)2021234") == "0349-****234"
    assert mask_id("140602199001011234") == "1406**********1234"
    assert mask_id("140602650101123") == "1406*******1123"
    assert mask_id("12345") == "*****"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("朔城区神头镇马跳庄村5号", "朔城区神头镇***"),
        ("平鲁区向阳堡乡东平太村", "平鲁区向阳堡乡***"),
        ("朔州经济开发区北旺庄街道幸福里3号", "朔州经济开发区北旺庄街道***"),
        ("朔城区民福小区3号楼2单元", "朔城区民福小***"),
        ("马跳庄村", "马跳***"),
        ("", ""),
    ],
)
def test_mask_address_keeps_up_to_the_township(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_masked_generated_cases_show_no_phone_or_id_number() -> None:
    batch = parse_batch(batch_file(120)[1], "第3批.xlsx")
    embedded = [r for r in batch.rows if find_personal(r.content)]
    assert embedded, "the generator puts personal data in some complaints"
    for row in batch.rows:
        masked = mask_text(row.content)
        assert find_personal(masked) == []
        assert not MOBILE.search(masked)
        for value in row.personal.values():
            if len(value) >= 7 and value not in ("匿名",):
                assert value not in masked


_FILLER = st.text(alphabet="朔城区煤场扬尘举报人电话联系，。：、 -0123456789ABC", max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    before=_FILLER,
    after=_FILLER,
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    sep=st.sampled_from(["", "-", " "]),
)
def test_mask_text_never_leaves_a_mobile_number(before: str, after: str, phone: str, sep: str) -> None:
    written = f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}"
    text = f"{before}，电话{written}。{after}"
    masked = mask_text(text)
    assert not MOBILE.search(masked)
    assert written not in masked
    assert phone[-4:] in masked  # the last four stay, as the mask promises


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789013-  .（）()电话身份证号住址镇村X举报人联系人王欧阳明：，。*", max_size=60))
def test_masked_text_holds_nothing_more_to_mask(text: str) -> None:
    masked = mask_text(text)
    assert find_personal(masked) == []
    assert mask_text(masked) == masked
