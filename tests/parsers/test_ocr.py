"""Scanned plans read through OCR (parsers/ocr.py): the seed's scan reaches the golden file field by
field, and what is not plan text (seal, masthead, page numbers, 版记) is left out."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers import PlanReadError, ocr, parse_plan, plan_to_dict, read_plan_bytes
from rectify.ingestion.parsers.ocr import Row, ScanPage, join_rows

from .builders import build_docx, build_image_only_pdf, build_pdf
from .field_accuracy import field_accuracy
from .scan_builder import CC_LINE, MASTHEAD, build_official_pdf, image_pdf, official_font, scan_pages

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="the OCR package is not installed (pip install .[ocr])")
CHAR = 38.0  # a 三号 character at 170 dpi, in pixels
LEFT, RIGHT = 200.0, 1230.0


def row(text: str, indent: float = 0.0, right: float | None = None, y: float = 0.0) -> Row:
    x0 = LEFT + indent * CHAR
    x1 = right if right is not None else min(RIGHT, x0 + len(text) * CHAR)
    return Row(text, x0, x1, y, y + CHAR)


def test_lines_that_reach_the_right_edge_are_glued_and_an_indent_starts_a_paragraph() -> None:
    page = ScanPage(
        1,
        [
            row("坚持以习近平生态文明思想为指导，全面贯彻党的十九大和", indent=2, right=RIGHT),
            row("十九届历次全会精神，深入贯彻落实。", right=LEFT + 17 * CHAR),
            row("整改目标：完成。", indent=2, right=LEFT + 10 * CHAR),
        ],
    )
    assert join_rows([page]).splitlines() == [
        "坚持以习近平生态文明思想为指导，全面贯彻党的十九大和十九届历次全会精神，深入贯彻落实。",
        "整改目标：完成。",
    ]


def test_a_wrap_across_pages_is_glued_and_a_structure_marker_is_never_glued() -> None:
    first = ScanPage(1, [row("一二三四五六七八九十一二三四五六七八九十一二三四五六七八", right=RIGHT)])
    second = ScanPage(2, [row("九十。", right=LEFT + 3 * CHAR), row("（二）问题。", right=RIGHT), row("3.措施。")])
    lines = join_rows([first, second]).splitlines()
    assert lines[0].endswith("八九十。") and lines[1] == "（二）问题。" and lines[2] == "3.措施。"


def test_a_title_centred_over_two_lines_is_one_line() -> None:
    centre = (LEFT + RIGHT) / 2
    title1 = Row("朔州市贯彻落实省生态环境保护督察", centre - 8 * CHAR, centre + 8 * CHAR, 0, CHAR)
    title2 = Row("反馈意见整改方案", centre - 4 * CHAR, centre + 4 * CHAR, CHAR, 2 * CHAR)
    body = row("2021年11月30日至12月28日，省第三生态环境保护督察组对我市开展", right=RIGHT)
    assert join_rows([ScanPage(1, [title1, title2, body])]).splitlines()[0] == (
        "朔州市贯彻落实省生态环境保护督察反馈意见整改方案"
    )


def test_page_numbers_are_not_plan_text() -> None:
    boxes = [
        ocr.Box("— 3 —", 600, 700, 10, 40),
        ocr.Box("整改时限：2022年12月底。", 200, 700, 100, 140),
        ocr.Box("一 4 一", 600, 700, 1900, 1930),
    ]
    assert [r.text for r in ocr._page_rows(boxes)] == ["整改时限：2022年12月底。"]


def test_the_print_record_is_not_plan_text_even_across_two_pages() -> None:
    first = ScanPage(
        1,
        [
            row("整改时限：2022年12月底。"),
            row("抄送：市委各部门，市人大常委会办公室，市政协办公室，", right=RIGHT),
        ],
    )
    second = ScanPage(2, [row("市检察院。"), row("朔州市人民政府办公室 2022年7月1日印发", right=RIGHT)])
    ocr.drop_print_record([first, second])
    assert join_rows([first, second]) == "整改时限：2022年12月底。"
    # a sentence of the plan that ends in 印发 is kept
    page = ScanPage(1, [row("《方案》于2022年7月1日印发。"), row("方案已于2022年7月1日印发")])
    ocr.drop_print_record([page])
    assert len(page.rows) == 2


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("(三）坚决完成整改。", "（三）坚决完成整改。"),
        ("（十二)问题。", "（十二）问题。"),
        ("全面落实·《推进朔州工业固废综合利用》", "全面落实《推进朔州工业固废综合利用》"),
        ("清查煤研石堆放", "清查煤矸石堆放"),
        ("《通知》（晋政发[2019]3号）", "《通知》（晋政发〔2019〕3号）"),
        ("朔政办发【2019］27号", "朔政办发〔2019〕27号"),
        ("均值为73.93μg/m~3。", "均值为73.93μg/m³。"),
        ("2021年[2019]", "2021年[2019]"),  # no document number: kept
        ("县(市、区)", "县(市、区)"),  # a bracket inside the text is kept as printed
    ],
)
def test_what_ocr_misreads_in_a_known_way_is_mended(read: str, meant: str) -> None:
    assert ocr._tidy(read) == meant


def test_red_ink_is_whitened_and_black_ink_over_it_is_kept() -> None:
    import numpy as np
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (200, 100), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 99, 99), fill=(215, 25, 30))  # the seal's red
    draw.rectangle((40, 40, 60, 60), fill=(20, 20, 20))  # text printed under the seal
    grey = np.asarray(ocr.clean_page(page))
    assert grey[10, 10] == 255 and grey[50, 50] < 60 and grey[50, 150] == 255


def test_what_counts_as_a_scan(cjk_font: Path) -> None:
    assert ocr.is_scan(build_image_only_pdf(), "scan.pdf")
    assert not ocr.is_scan(build_pdf(["（一）问题。整改目标：完成整改。"], cjk_font), "plan.pdf")
    assert ocr.is_scan(b"any bytes", "page.JPG")
    assert not ocr.is_scan(build_docx(["（一）问题。"]), "plan.docx")
    assert not ocr.is_scan(b"%PDF-1.7 broken", "broken.pdf")  # the PDF reader says it is damaged


def test_a_damaged_image_and_too_many_pages_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PlanReadError, match="图片文件已损坏"):
        ocr.scan_page_count(b"\x89PNG not really", "page.png")
    monkeypatch.setattr(ocr, "MAX_SCAN_PAGES", 0)
    with pytest.raises(PlanReadError, match="超过 0 页的上限"):
        ocr.scan_page_count(build_image_only_pdf(), "scan.pdf")


def test_without_the_ocr_package_a_scan_gets_a_message_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    ocr._engine.cache_clear()
    try:
        assert not ocr.ocr_available()
        with pytest.raises(PlanReadError, match="rapidocr-onnxruntime") as info:
            read_plan_bytes(build_image_only_pdf(), "scan.pdf")
        assert "Word 文件" in info.value.message
    finally:
        ocr._engine.cache_clear()


@needs_ocr
def test_a_blank_scan_says_no_text_was_found() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buffer, "PNG")
    with pytest.raises(PlanReadError, match="没有识别出文字"):
        read_plan_bytes(buffer.getvalue(), "page.png")


# OCR of the seed's 42 pages takes a minute and a half and reads no database: it runs in the
# SQLite pass only (the PostgreSQL pass of .ci/run keeps the short scans)
ONCE_ONLY = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the seed's whole scan is read in the SQLite pass"
)


@pytest.fixture(scope="module")
def seed_scan(seed_text: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Any]:
    if not ocr.ocr_available():
        pytest.skip("the OCR package is not installed (pip install .[ocr])")
    font = official_font(seed_text, tmp_path_factory.mktemp("font") / "fang.ttf")
    pages = scan_pages(build_official_pdf(seed_text.splitlines(), font))
    data = image_pdf(pages)
    done: list[tuple[int, int]] = []
    result = ocr.read_scan(data, "scan.pdf", progress=lambda d, t: done.append((d, t)))
    assert done == [(n, len(pages)) for n in range(1, len(pages) + 1)]  # progress after every page
    return data, result


@ONCE_ONLY
@needs_ocr
def test_the_seed_scan_reaches_95_percent_of_the_golden_fields(
    seed_scan: tuple[bytes, Any], seed_dict: dict[str, Any]
) -> None:
    _data, result = seed_scan
    parsed = plan_to_dict(parse_plan(result.text))
    accuracy = field_accuracy(seed_dict, parsed)
    assert accuracy.total > 500
    assert accuracy.ratio >= 0.95, "\n".join(accuracy.wrong)
    assert len(parsed["problems"]) == 34 and sum(len(p["measures"]) for p in parsed["problems"]) == 92
    assert parsed["title"].replace(" ", "") == seed_dict["title"].replace(" ", "")


@ONCE_ONLY
@needs_ocr
def test_the_seal_masthead_page_numbers_and_print_record_are_left_out(seed_scan: tuple[bytes, Any]) -> None:
    _data, result = seed_scan
    text = result.text
    assert MASTHEAD not in text and "抄送" not in text and "印发" not in text.splitlines()[-1]
    assert CC_LINE[3:12] not in text
    assert not any(ocr._PAGE_NUMBER_RE.match(line) for line in text.splitlines())
    # the last lines of the plan, under the seal, are read
    assert text.replace(" ", "").rstrip().endswith("整改时限：2022年12月底。")
