"""The seed plan as .docx, .pdf, .html, GBK and UTF-8 with BOM parses to the same JSON as .txt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers import parse_plan_bytes, plan_to_dict, read_plan_bytes

from .builders import build_docx, build_html, build_pdf, with_fields_as_table

# （五） in the list, not the main text's （五）全面提高…
TABLE_PROBLEM = "（五）第二轮"


def _parse(data: bytes, filename: str) -> dict[str, Any]:
    return plan_to_dict(parse_plan_bytes(data, filename))


@pytest.fixture(scope="module")
def lines(seed_text: str) -> list[str]:
    return seed_text.splitlines()


def test_txt_as_gbk_gives_the_same_json(seed_text: str, seed_dict: dict[str, Any]) -> None:
    assert _parse(seed_text.encode("gbk"), "plan.txt") == seed_dict


def test_txt_as_gb18030_gives_the_same_json(seed_text: str, seed_dict: dict[str, Any]) -> None:
    assert _parse(seed_text.encode("gb18030"), "plan.TXT") == seed_dict


def test_txt_with_utf8_bom_gives_the_same_json(seed_text: str, seed_dict: dict[str, Any]) -> None:
    data = seed_text.encode("utf-8-sig")
    assert not read_plan_bytes(data, "plan.txt").startswith("\ufeff")
    assert _parse(data, "plan.txt") == seed_dict


def test_txt_with_windows_line_ends_gives_the_same_json(seed_text: str, seed_dict: dict[str, Any]) -> None:
    assert _parse(seed_text.replace("\n", "\r\n").encode(), "plan.txt") == seed_dict


def test_docx_one_paragraph_per_line_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    assert _parse(build_docx(lines), "plan.docx") == seed_dict


def test_docx_with_fields_in_a_key_value_table_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    blocks = with_fields_as_table(lines, TABLE_PROBLEM)
    table = next(b for b in blocks if isinstance(b, list))
    assert [row[0] for row in table] == ["整改目标", "整改措施", "责任单位", "责任人", "验收单位", "整改时限"]
    data = build_docx(blocks)
    text = read_plan_bytes(data, "plan.docx")
    assert "整改时限：按照省整改方案要求时间完成。" in text.splitlines()
    assert _parse(data, "plan.docx") == seed_dict


def test_html_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    data = build_html(lines)
    text = read_plan_bytes(data, "plan.html")
    assert "var ignored" not in text and "p { margin" not in text
    assert _parse(data, "plan.html") == seed_dict


def test_html_with_a_key_value_table_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    data = build_html(with_fields_as_table(lines, TABLE_PROBLEM))
    assert _parse(data, "plan.htm") == seed_dict


def test_html_declared_gbk_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    assert _parse(build_html(lines, charset="gbk"), "plan.html") == seed_dict


def test_pdf_with_wrapped_lines_gives_the_same_json(
    lines: list[str], seed_dict: dict[str, Any], cjk_font: Path
) -> None:
    data = build_pdf(lines, cjk_font)
    text = read_plan_bytes(data, "plan.pdf")
    # the layout wrapped long lines; the reader glued them back
    assert "PM10浓度范围在29.00-348.00" in text
    assert _parse(data, "plan.pdf") == seed_dict


def test_pdf_in_a_larger_font_wraps_elsewhere_and_still_agrees(
    lines: list[str], seed_dict: dict[str, Any], cjk_font: Path
) -> None:
    assert _parse(build_pdf(lines, cjk_font, font_size=15), "plan.pdf") == seed_dict


def test_pdf_page_numbers_are_layout_not_plan(lines: list[str], seed_dict: dict[str, Any], cjk_font: Path) -> None:
    data = build_pdf(lines, cjk_font, page_numbers=True)
    assert "- 3 -" not in read_plan_bytes(data, "plan.pdf")
    assert _parse(data, "plan.pdf") == seed_dict
