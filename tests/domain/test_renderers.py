"""Official documents (GB/T 9704-2012) and 工作简报 rendered as .docx and .pdf: structure, fonts,
page geometry and text, checked by reading the files back (python-docx, pdfplumber/pdfminer).

The 提醒函 fixture also has a golden structure file (paragraph texts with their font, size and
alignment). Regenerate it after a deliberate layout change with
`UPDATE_GOLDEN=1 pytest tests/domain/test_renderers.py`, then read the diff before committing.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
import re
import struct
from pathlib import Path
from typing import Any

import docx
import pdfplumber
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from pdfminer.pdftypes import resolve1

from rectify.documents.renderers import briefing, official
from rectify.documents.renderers.briefing import Briefing, BriefingItem, BriefingSection
from rectify.documents.renderers.gbt9704 import fit_size, heading_level, split_heading
from rectify.documents.renderers.official import OfficialDocument, Table, format_cn_date
from rectify.documents.renderers.raster import pdf_page_count, pdf_page_png

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "renderers"
ISSUER = "朔州市生态环境保护督察整改工作领导小组办公室"
NUMBER = "朔整改办函〔2022〕12号"
TITLE = "关于朔城区政府整改任务逾期未完成的提醒函"


def reminder(**changes: Any) -> OfficialDocument:
    """A 提醒函 to 朔城区政府 about a measure in red."""
    doc = OfficialDocument(
        issuer=ISSUER,
        number=NUMBER,
        title=TITLE,
        recipients=["朔城区政府"],
        paragraphs=[
            "你单位牵头的第（十二）项整改任务“城区清洁取暖改造”整改时限为2022年9月30日，"
            "截至2022年10月8日仍未完成，已亮红灯预警。",
            "一、存在的问题",
            "（一）整改进度滞后。序时进度应达100%，实际完成65%。\n（二）佐证材料不全。未报送<A&B>阶段性材料。",
            "二、工作要求",
            "请于10个工作日内完成整改，并将整改情况书面报送市整改办。",
        ],
        signature=ISSUER,
        date=datetime.date(2022, 10, 8),
        kind_label="提醒函",
        tables=[
            Table(
                headers=["序号", "整改任务", "责任单位", "整改时限"],
                rows=[["1", "城区清洁取暖改造", "朔城区政府", "2022年9月30日"]],
                caption="附表：逾期整改任务",
            )
        ],
        attachments=["整改任务清单", "佐证材料报送要求"],
        copy_to=["市委办公室", "市政府办公室"],
        contact="联系人：王某某，电话：0349-1234567",
    )
    return dataclasses.replace(doc, **changes)


def bulletin() -> Briefing:
    """The layout of seed 004 (工作简报 第28期), with shortened articles."""
    return Briefing(
        series_title="中央生态环境保护督察“回头看”朔州市协调联络",
        name="工作简报",
        issue_no=28,
        issuer="中央生态环境保护督察“回头看”朔州市协调联络领导小组",
        date=datetime.date(2018, 11, 27),
        editor="李某某",
        sections=[
            BriefingSection(
                "",
                [
                    BriefingItem(
                        "朔州市政府秘书长、市协调联络领导小组组长张祥在朔城区现场督查清洁供暖工作",
                        ["11月27日，张祥带领市环委办及相关部门在朔城区西兴街社区现场督查煤改气工作。"],
                    )
                ],
            ),
            BriefingSection(
                "县区动态",
                [
                    BriefingItem(
                        "强化责任落实 坚持问题导向 全力抓好中央环保督察交办问题整改",
                        ["文建华副主任要求，**一要强化责任落实**。实行一个问题、一个牵头部门、一套整改措施。"],
                    )
                ],
            ),
        ],
        distribution=["报：省协调联络组", "送：各县（市、区）党委、政府"],
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def open_docx(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def paragraph(document: Any, text: str) -> Any:
    """The paragraph saying `text` (a balanced title's line breaks aside)."""
    return next(p for p in document.paragraphs if p.text.replace("\n", "") == text)


def east_asia(run: Any) -> str | None:
    rfonts = run._element.rPr.find(qn("w:rFonts"))
    return None if rfonts is None else rfonts.get(qn("w:eastAsia"))


def pdf_text(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


@pytest.fixture(scope="module")
def reminder_docx() -> Any:
    return open_docx(official.render_docx(reminder()))


@pytest.fixture(scope="module")
def reminder_pdf() -> bytes:
    return official.render_pdf(reminder())


# ---------------------------------------------------------------- dates and text rules


@pytest.mark.parametrize(
    ("day", "printed"),
    [
        (datetime.date(2022, 1, 5), "2022年1月5日"),
        (datetime.date(2022, 10, 8), "2022年10月8日"),
        (datetime.date(2018, 11, 27), "2018年11月27日"),
        (datetime.date(2000, 12, 31), "2000年12月31日"),
    ],
)
def test_dates_are_printed_in_arabic_digits_without_leading_zeros(day: datetime.date, printed: str) -> None:
    assert format_cn_date(day) == printed


def test_numbered_paragraphs_are_headings_of_two_levels() -> None:
    assert heading_level("一、存在的问题") == 1
    assert heading_level("十二、其他") == 1
    assert heading_level("（三）佐证材料不全。") == 2
    assert heading_level("根据方案，一、二项已完成。") == 0
    assert heading_level("(一)半角括号不算") == 0


def test_a_heading_runs_to_its_first_full_stop_when_text_follows() -> None:
    assert split_heading("（一）整改进度滞后。序时进度应达100%。") == ("（一）整改进度滞后。", "序时进度应达100%。")
    assert split_heading("一、存在的问题") == ("一、存在的问题", "")


def test_a_long_issuer_is_shrunk_to_fit_one_line_but_not_below_the_minimum() -> None:
    assert fit_size("朔州市人民政府", 26, 18) == 26
    assert fit_size(ISSUER, 26, 18) == 20  # 22 characters in 156 mm
    assert fit_size(ISSUER * 3, 26, 18) == 18


# ---------------------------------------------------------------- official document: .docx


def test_the_docx_prints_the_issuer_in_red_and_the_number_below_it(reminder_docx: Any) -> None:
    texts = [p.text.replace("\n", "") for p in reminder_docx.paragraphs]
    assert texts.index(ISSUER) < texts.index(NUMBER) < texts.index(TITLE)
    issuer_run = paragraph(reminder_docx, ISSUER).runs[0]
    assert str(issuer_run.font.color.rgb) == "FF0000"
    assert east_asia(issuer_run) == "方正小标宋简体"


def test_the_docx_draws_the_red_rule_under_the_number(reminder_docx: Any) -> None:
    texts = [p.text.replace("\n", "") for p in reminder_docx.paragraphs]
    rule = reminder_docx.paragraphs[texts.index(NUMBER) + 1]
    bottom = rule._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"


def test_the_docx_centres_the_title_in_xiaobiaosong_erhao(reminder_docx: Any) -> None:
    title = paragraph(reminder_docx, TITLE)
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert {east_asia(r) for r in title.runs} == {"方正小标宋简体"}
    assert {r.font.size for r in title.runs} == {Pt(22)}


def test_the_docx_addresses_the_recipients_on_their_own_line(reminder_docx: Any) -> None:
    recipients = paragraph(reminder_docx, "朔城区政府：")
    assert recipients.paragraph_format.first_line_indent is None


def test_the_docx_names_the_official_fonts(reminder_docx: Any) -> None:
    body = next(p for p in reminder_docx.paragraphs if p.text.startswith("你单位牵头"))
    assert {east_asia(r) for r in body.runs} == {"仿宋_GB2312"}
    assert {r.font.name for r in body.runs} == {"仿宋_GB2312"}
    h1 = paragraph(reminder_docx, "一、存在的问题")
    assert {east_asia(r) for r in h1.runs} == {"黑体"}
    h2 = next(p for p in reminder_docx.paragraphs if p.text.startswith("（一）"))
    assert [east_asia(r) for r in h2.runs] == ["楷体_GB2312", "仿宋_GB2312"]
    assert h2.runs[0].text == "（一）整改进度滞后。"
    footer_runs = reminder_docx.sections[0].footer.paragraphs[0].runs
    assert {east_asia(r) for r in footer_runs} == {"宋体"}
    assert {r.font.size for r in footer_runs} == {Pt(14)}


def test_the_docx_body_is_sanhao_with_a_fixed_pitch_and_a_two_character_indent(reminder_docx: Any) -> None:
    body = next(p for p in reminder_docx.paragraphs if p.text.startswith("你单位牵头"))
    assert {r.font.size for r in body.runs} == {Pt(16)}
    fmt = body.paragraph_format
    assert fmt.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    assert abs(fmt.line_spacing.pt - 28.95) < 0.05
    assert abs(fmt.first_line_indent.pt - 32) < 0.1
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"


def test_the_docx_splits_paragraphs_at_newlines(reminder_docx: Any) -> None:
    texts = [p.text.replace("\n", "") for p in reminder_docx.paragraphs]
    assert "（二）佐证材料不全。未报送<A&B>阶段性材料。" in texts


def test_the_docx_page_is_a4_with_the_gbt9704_margins(reminder_docx: Any) -> None:
    section = reminder_docx.sections[0]
    tolerance = Mm(0.1)
    for actual, expected in [
        (section.page_width, Mm(210)),
        (section.page_height, Mm(297)),
        (section.top_margin, Mm(37)),
        (section.bottom_margin, Mm(35)),
        (section.left_margin, Mm(28)),
        (section.right_margin, Mm(26)),
    ]:
        assert abs(actual - expected) <= tolerance
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars" and grid.get(qn("w:linePitch")) == "579"


def test_the_docx_footer_numbers_pages_with_a_page_field(reminder_docx: Any) -> None:
    footer = reminder_docx.sections[0].footer.paragraphs[0]
    instructions = [el.text for el in footer._p.iter(qn("w:instrText"))]
    assert [i.strip() for i in instructions] == ["PAGE"]
    assert footer.text == "— 1 —"


def test_the_docx_signs_and_dates_at_the_right(reminder_docx: Any) -> None:
    texts = [p.text.replace("\n", "") for p in reminder_docx.paragraphs]
    signature_index = max(i for i, t in enumerate(texts) if t == ISSUER)
    assert texts[signature_index + 1] == "2022年10月8日"
    assert texts[signature_index + 2] == "（联系人：王某某，电话：0349-1234567）"
    date = reminder_docx.paragraphs[signature_index + 1]
    assert date.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT


def test_the_docx_has_the_table_with_its_headers_after_the_body(reminder_docx: Any) -> None:
    (table,) = reminder_docx.tables
    assert [c.text for c in table.rows[0].cells] == ["序号", "整改任务", "责任单位", "整改时限"]
    assert [c.text for c in table.rows[1].cells] == ["1", "城区清洁取暖改造", "朔城区政府", "2022年9月30日"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    assert paragraph(reminder_docx, "附表：逾期整改任务")


def test_the_docx_lists_attachments_and_the_banji(reminder_docx: Any) -> None:
    texts = [p.text.replace("\n", "") for p in reminder_docx.paragraphs]
    assert "附件：1. 整改任务清单" in texts and "2. 佐证材料报送要求" in texts
    assert "抄送：市委办公室，市政府办公室。" in texts
    assert f"{ISSUER}\t2022年10月8日印发" in texts


def test_the_docx_metadata_names_the_title_and_the_date(reminder_docx: Any) -> None:
    props = reminder_docx.core_properties
    assert props.title == TITLE
    assert props.author == ISSUER
    assert props.created == props.modified == datetime.datetime(2022, 10, 8, tzinfo=datetime.UTC)


def test_the_docx_is_the_same_bytes_every_time() -> None:
    assert official.render_docx(reminder()) == official.render_docx(reminder())


def test_the_docx_of_a_draft_prints_caogao_in_place_of_the_number() -> None:
    document = open_docx(official.render_docx(reminder(number="")))
    assert "（草稿）" in [p.text for p in document.paragraphs]
    assert document.sections[0].header.paragraphs[0].text == "草稿"


def test_the_reminder_matches_its_golden_structure(reminder_docx: Any) -> None:
    structure: dict[str, Any] = {
        "paragraphs": [
            [
                p.text,
                east_asia(p.runs[0]),
                p.runs[0].font.size.pt,
                p.alignment.name if p.alignment is not None else None,
            ]
            for p in reminder_docx.paragraphs
            if p.text
        ],
        "tables": [[[c.text for c in row.cells] for row in t.rows] for t in reminder_docx.tables],
    }
    golden = GOLDEN / "reminder_docx.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        rows = {
            key: ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in value)
            for key, value in structure.items()
        }
        body = ",\n".join(f' "{key}": [\n{text}\n ]' for key, text in rows.items())
        golden.write_text("{\n" + body + "\n}\n", encoding="utf-8")  # one paragraph a line: readable diffs
    assert json.loads(golden.read_text(encoding="utf-8")) == json.loads(json.dumps(structure))


# ---------------------------------------------------------------- official document: .pdf


def test_the_pdf_is_a4(reminder_pdf: bytes) -> None:
    with pdfplumber.open(io.BytesIO(reminder_pdf)) as pdf:
        for page in pdf.pages:
            assert abs(page.width - 595.28) < 1 and abs(page.height - 841.89) < 1


def test_the_pdf_has_extractable_chinese_text(reminder_pdf: bytes) -> None:
    text = squash("".join(pdf_text(reminder_pdf)))
    for expected in [ISSUER, NUMBER, TITLE, "朔城区政府：", "已亮红灯预警。", "2022年10月8日", "附表：逾期整改任务"]:
        assert squash(expected) in text
    assert "<A&B>" in text


def test_the_pdf_embeds_subsets_of_its_fonts(reminder_pdf: bytes) -> None:
    with pdfplumber.open(io.BytesIO(reminder_pdf)) as pdf:
        names = {c["fontname"] for page in pdf.pages for c in page.chars}
        # Noto CJK, or the face found for an official font (rectify-fangsong: FandolFang …, fonts.py).
        assert names and all(re.match(r"^[A-Z]{6}\+(Noto-(Serif|Sans)-CJK-SC|rectify-)", n) for n in names), names
        embedded = 0
        for page in pdf.pages:
            for ref in resolve1(page.page_obj.resources["Font"]).values():
                font = resolve1(ref)
                if font.get("DescendantFonts"):
                    font = resolve1(resolve1(font["DescendantFonts"])[0])
                descriptor = resolve1(font["FontDescriptor"])
                assert {"FontFile", "FontFile2", "FontFile3"} & set(descriptor), descriptor
                embedded += 1
        assert embedded >= 2  # 仿宋 and 小标宋 stand-ins at least


def test_the_pdf_is_titled_after_the_document(reminder_pdf: bytes) -> None:
    with pdfplumber.open(io.BytesIO(reminder_pdf)) as pdf:
        assert pdf.metadata["Title"] == TITLE
        assert pdf.metadata["Author"] == ISSUER


def test_the_pdf_sets_28_characters_a_line_and_22_lines_a_page() -> None:
    doc = reminder(paragraphs=["整改" * 800], tables=[], attachments=[], copy_to=[])
    with pdfplumber.open(io.BytesIO(official.render_pdf(doc))) as pdf:
        body_lines = [line["text"] for line in pdf.pages[1].extract_text_lines() if line["text"].startswith("整改")]
    assert len(body_lines) == 22
    assert {len(squash(line)) for line in body_lines[:-1]} == {28}


def test_a_long_pdf_numbers_its_pages() -> None:
    pdf = official.render_pdf(reminder(paragraphs=["整改任务按序时进度推进。" * 40] * 4))
    pages = pdf_text(pdf)
    assert len(pages) >= 3
    assert "— 1 —" in pages[0] and "— 2 —" in pages[1]
    assert squash("抄送：市委办公室，市政府办公室。") in squash(pages[-1])  # 版记 on the last page


def test_a_draft_pdf_says_caogao() -> None:
    text = squash("".join(pdf_text(official.render_pdf(reminder(number="")))))
    assert "（草稿）" in text and NUMBER not in text


# ---------------------------------------------------------------- 工作简报


@pytest.fixture(scope="module")
def bulletin_docx() -> Any:
    return open_docx(briefing.render_docx(bulletin()))


def test_the_briefing_docx_has_the_seed_004_masthead(bulletin_docx: Any) -> None:
    texts = [p.text for p in bulletin_docx.paragraphs]
    assert texts[:3] == ["中央生态环境保护督察“回头看”朔州市协调联络", "工作简报", "第 28 期"]
    name = paragraph(bulletin_docx, "工作简报").runs[0]
    assert str(name.font.color.rgb) == "FF0000" and east_asia(name) == "方正小标宋简体"
    assert "中央生态环境保护督察“回头看”朔州市协调联络领导小组\t2018年11月27日" in texts


def test_the_briefing_docx_has_headlines_sections_and_bold_lead_ins(bulletin_docx: Any) -> None:
    texts = [p.text for p in bulletin_docx.paragraphs]
    lead = "朔州市政府秘书长、市协调联络领导小组组长张祥在朔城区现场督查清洁供暖工作"
    assert texts.index(lead) < texts.index("◆ 县区动态")
    assert texts.index("◆ 县区动态") < texts.index("强化责任落实 坚持问题导向 全力抓好中央环保督察交办问题整改")
    assert east_asia(paragraph(bulletin_docx, "◆ 县区动态").runs[0]) == "黑体"
    body = next(p for p in bulletin_docx.paragraphs if p.text.startswith("文建华副主任要求"))
    assert [(r.text, bool(r.bold)) for r in body.runs][:2] == [
        ("文建华副主任要求，", False),
        ("一要强化责任落实", True),
    ]
    assert "编辑：李某某" in texts and "报：省协调联络组" in texts


def test_the_briefing_docx_is_a4_with_page_numbers(bulletin_docx: Any) -> None:
    section = bulletin_docx.sections[0]
    assert abs(section.page_width - Mm(210)) <= Mm(0.1) and abs(section.page_height - Mm(297)) <= Mm(0.1)
    assert "PAGE" in section.footer.paragraphs[0]._p.xml


def test_the_briefing_pdf_has_the_same_text_on_a4() -> None:
    pdf = briefing.render_pdf(bulletin())
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert all(abs(p.width - 595.28) < 1 and abs(p.height - 841.89) < 1 for p in document.pages)
        assert document.metadata["Title"].endswith("工作简报（第 28 期）")
    text = squash("".join(pdf_text(pdf)))
    for expected in [
        "工作简报",
        "第28期",
        "中央生态环境保护督察“回头看”朔州市协调联络领导小组",
        "2018年11月27日",
        "◆县区动态",
        "全力抓好中央环保督察交办问题整改",
        "一要强化责任落实",
        "编辑：李某某",
    ]:
        assert squash(expected) in text


def test_a_draft_briefing_says_caogao() -> None:
    draft = dataclasses.replace(bulletin(), draft=True, distribution=[], editor="")
    document = open_docx(briefing.render_docx(draft))
    assert "（草稿）" in [p.text for p in document.paragraphs]
    assert "（草稿）" in squash("".join(pdf_text(briefing.render_pdf(draft))))


# ---------------------------------------------------------------- rasterising


def test_a_pdf_page_rasterises_to_a_png_of_a4_proportions(reminder_pdf: bytes) -> None:
    png = pdf_page_png(reminder_pdf, 0, scale=1.5)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (893, 1263)
    assert pdf_page_count(reminder_pdf) == 2
    with pytest.raises(IndexError):
        pdf_page_png(reminder_pdf, 5)
