"""Word's automatic list numbering reaches the parser as the numbers the reader of the document sees."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from rectify.ingestion.parsers import PlanReadError, parse_plan_bytes, plan_to_dict, read_plan_bytes
from rectify.ingestion.parsers.docx_numbering import ListNumbering, format_number

from .numbered_docx import (
    SEED_NUM_ID,
    Lvl,
    NumStyle,
    P,
    abstract_num,
    build_numbered_docx,
    num,
    seed_numbered,
)

# problems "（%1）" in chineseCounting, measures "%2." restarting under each problem
PLAN_LIST = [
    abstract_num(20, [Lvl("chineseCounting", "（%1）"), Lvl("decimal", "%2.")]),
    num(21, 20),
]


def _text(blocks: list[Any], definitions: list[str] | None = None, styles: list[NumStyle] | None = None) -> list[str]:
    data = build_numbered_docx(blocks, definitions if definitions is not None else PLAN_LIST, styles or ())
    return read_plan_bytes(data, "plan.docx").splitlines()


def _summary(data: bytes) -> list[tuple[str, list[str | None]]]:
    plan = plan_to_dict(parse_plan_bytes(data, "plan.docx"))
    return [(p["number"], [m["number"] for m in p["measures"]]) for p in plan["problems"]]


# --- number formats -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("decimal", 7, "7"),
        ("chineseCounting", 1, "一"),
        ("chineseCounting", 10, "十"),
        ("chineseCounting", 11, "十一"),
        ("chineseCounting", 20, "二十"),
        ("chineseCounting", 21, "二十一"),
        ("chineseCounting", 99, "九十九"),
        ("chineseCounting", 100, "一百"),
        ("chineseCountingThousand", 34, "三十四"),
        ("japaneseCounting", 12, "十二"),
        ("ideographTraditional", 1, "甲"),
        ("ideographTraditional", 10, "癸"),
        ("ideographTraditional", 11, "甲"),
        ("ideographZodiac", 12, "亥"),
        ("upperLetter", 1, "A"),
        ("upperLetter", 27, "AA"),
        ("lowerLetter", 3, "c"),
        ("upperRoman", 14, "XIV"),
        ("lowerRoman", 4, "iv"),
        ("decimalEnclosedCircle", 1, "①"),
        ("decimalEnclosedCircle", 20, "⑳"),
        ("decimalEnclosedCircle", 21, "㉑"),
        ("decimalFullWidth", 12, "１２"),
        ("decimalZero", 3, "03"),
        ("decimalZero", 12, "12"),
        ("bullet", 1, ""),
        ("none", 1, ""),
        ("someFormatWordAddsLater", 5, "5"),
    ],
)
def test_a_counter_is_rendered_in_its_number_format(fmt: str, value: int, expected: str) -> None:
    assert format_number(value, fmt) == expected


# --- counting -----------------------------------------------------------------------------------


def test_problems_and_measures_numbered_by_word_are_read_with_their_numbers() -> None:
    lines = _text(
        [
            "整改措施清单",
            P("问题甲。", 21, 0),
            P("措施甲一。", 21, 1),
            P("措施甲二。", 21, 1),
            "责任单位：右玉县",
            P("问题乙。", 21, 0),
            P("措施乙一。", 21, 1),
        ]
    )
    assert lines == [
        "整改措施清单",
        "（一）问题甲。",
        "1. 措施甲一。",
        "2. 措施甲二。",
        "责任单位：右玉县",
        "（二）问题乙。",
        "1. 措施乙一。",
    ]


def test_chinese_counting_goes_past_ten() -> None:
    lines = _text([P(f"问题{i}。", 21, 0) for i in range(1, 23)])
    assert lines[9] == "（十）问题10。"
    assert lines[10] == "（十一）问题11。"
    assert lines[19] == "（二十）问题20。"
    assert lines[21] == "（二十二）问题22。"


def test_a_deeper_level_restarts_only_after_the_level_its_lvl_restart_names() -> None:
    definitions = [
        abstract_num(
            20,
            [Lvl("chineseCounting", "%1、"), Lvl("chineseCounting", "（%2）"), Lvl("decimal", "%3.", restart=1)],
        ),
        num(21, 20),
    ]
    blocks = [P("甲", 21, 0), P("乙", 21, 1), P("丙", 21, 2), P("丁", 21, 1), P("戊", 21, 2), P("己", 21, 0)]
    blocks += [P("庚", 21, 1), P("辛", 21, 2)]
    assert _text(blocks, definitions) == [
        "一、甲",
        "（一）乙",
        "1. 丙",
        "（二）丁",
        "2. 戊",
        "二、己",
        "（一）庚",
        "1. 辛",
    ]


def test_a_multi_level_text_shows_the_numbers_of_the_levels_above() -> None:
    definitions = [abstract_num(20, [Lvl("decimal", "%1."), Lvl("decimal", "%1.%2")]), num(21, 20)]
    blocks = [P("甲", 21, 0), P("乙", 21, 1), P("丙", 21, 1), P("丁", 21, 0), P("戊", 21, 1)]
    assert _text(blocks, definitions) == ["1. 甲", "1.1 乙", "1.2 丙", "2. 丁", "2.1 戊"]


def test_legal_numbering_shows_every_level_in_arabic_digits() -> None:
    definitions = [
        abstract_num(20, [Lvl("chineseCounting", "%1、"), Lvl("decimal", "%1.%2", legal=True)]),
        num(21, 20),
    ]
    assert _text([P("甲", 21, 0), P("乙", 21, 1), P("丙", 21, 0), P("丁", 21, 1)], definitions) == [
        "一、甲",
        "1.1 乙",
        "二、丙",
        "2.1 丁",
    ]


def test_lists_sharing_an_abstract_num_count_on_until_a_start_override_restarts_them() -> None:
    definitions = [
        abstract_num(20, [Lvl("chineseCounting", "（%1）")]),
        num(21, 20),
        num(22, 20),  # another instance of the same list: counts on
        num(23, 20, {0: 1}),  # 重新开始编号
        num(24, 20, {0: 5}),  # 起始编号 5
    ]
    blocks = [P("甲", 21, 0), P("乙", 21, 0), "正文", P("丙", 22, 0), P("丁", 23, 0), P("戊", 23, 0)]
    blocks += [P("己", 21, 0), P("庚", 24, 0), P("辛", 24, 0)]
    assert _text(blocks, definitions) == [
        "（一）甲",
        "（二）乙",
        "正文",
        "（三）丙",
        "（一）丁",
        "（二）戊",
        "（三）己",
        "（五）庚",
        "（六）辛",
    ]


def test_a_level_overridden_in_one_list_changes_only_that_list() -> None:
    override = '<w:lvlOverride w:ilvl="0"><w:lvl w:ilvl="0"><w:lvlText w:val="问题%1："/></w:lvl></w:lvlOverride>'
    definitions = [
        abstract_num(20, [Lvl("chineseCounting", "（%1）")]),
        num(21, 20),
        f'<w:num w:numId="22"><w:abstractNumId w:val="20"/>{override}</w:num>',
    ]
    assert _text([P("甲", 21, 0), P("乙", 22, 0)], definitions) == ["（一）甲", "问题二：乙"]


def test_number_texts_offices_use_are_rendered_as_written() -> None:
    definitions = [
        abstract_num(20, [Lvl("chineseCounting", "第%1条")]),
        abstract_num(30, [Lvl("ideographTraditional", "%1．")]),
        abstract_num(40, [Lvl("decimalEnclosedCircle", "%1")]),
        abstract_num(50, [Lvl("decimal", "%1.", suff="nothing")]),
        abstract_num(60, [Lvl("upperRoman", "%1.", suff="space")]),
        num(21, 20),
        num(31, 30),
        num(41, 40),
        num(51, 50),
        num(61, 60),
    ]
    blocks = [P("甲", 21, 0), P("乙", 21, 0), P("丙", 31, 0), P("丁", 41, 0), P("戊", 51, 0), P("己", 61, 0)]
    assert _text(blocks, definitions) == ["第一条甲", "第二条乙", "甲．丙", "①丁", "1.戊", "I. 己"]


def test_a_list_given_by_a_numbering_style_uses_that_style_s_levels() -> None:
    definitions = [
        abstract_num(20, [Lvl("chineseCounting", "（%1）")]),  # the list style's own definition
        abstract_num(30, [], style_link="PlanList"),  # a list that only points at the list style
        num(21, 20),
        num(31, 30),
    ]
    styles = [NumStyle("PlanList", num_id=21)]
    assert _text([P("甲", 31, 0), P("乙", 21, 0)], definitions, styles) == ["（一）甲", "（二）乙"]


# --- which paragraphs are numbered --------------------------------------------------------------


def test_numbering_set_on_a_paragraph_style_and_the_styles_based_on_it_counts() -> None:
    styles = [
        NumStyle("ProblemHeading", num_id=21, ilvl=0),
        NumStyle("ProblemHeadingRed", based_on="ProblemHeading"),  # inherits the numbering
        NumStyle("MeasureItem", num_id=21, ilvl=1),
    ]
    blocks = [
        P("问题甲。", style="ProblemHeading"),
        P("措施。", style="MeasureItem"),
        P("问题乙。", style="ProblemHeadingRed"),
        P("措施。", style="MeasureItem"),
        P("措施。", style="MeasureItem"),
        P("不编号的标题。", num_id=0, style="ProblemHeading"),  # numId 0 undoes the style's numbering
        P("问题丙。", style="ProblemHeading"),
    ]
    assert _text(blocks, styles=styles) == [
        "（一）问题甲。",
        "1. 措施。",
        "（二）问题乙。",
        "1. 措施。",
        "2. 措施。",
        "不编号的标题。",
        "（三）问题丙。",
    ]


def test_word_s_own_list_number_and_list_bullet_styles_are_read() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("强化理论学习。", style="List Number")
    document.add_paragraph("压实各方责任。", style="List Number")
    document.add_paragraph("一项要点。", style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    assert read_plan_bytes(out.getvalue(), "plan.docx").splitlines() == [
        "1. 强化理论学习。",
        "2. 压实各方责任。",
        "一项要点。",
    ]


def test_num_id_zero_means_not_numbered_and_does_not_count() -> None:
    lines = _text([P("问题甲。", 21, 0), P("说明。", 0, 0), P("问题乙。", 21, 0)])
    assert lines == ["（一）问题甲。", "说明。", "（二）问题乙。"]


def test_a_bullet_adds_no_symbol_to_the_text() -> None:
    definitions = [abstract_num(20, [Lvl("bullet", "\uf0b7"), Lvl("bullet", "●")]), num(21, 20)]
    assert _text([P("要点一。", 21, 0), P("要点二。", 21, 1)], definitions) == ["要点一。", "要点二。"]


def test_numbered_paragraphs_in_table_cells_count_with_the_body_in_document_order() -> None:
    def fields(goal: str, measures: list[P]) -> list[list[list[Any]]]:
        return [
            [["整改目标"], [goal]],
            [["整改措施"], measures],
            [["责任单位"], ["右玉县"]],
            [["整改时限"], ["2022年12月底"]],
        ]

    blocks: list[Any] = [
        P("右玉县部分企业扬尘问题。", 21, 0),
        fields("扬尘得到控制。", [P("开展专项检查。", 21, 1), P("依法处罚。", 21, 1)]),
        P("右玉县河道采砂问题。", 21, 0),
        fields("采砂点全部取缔。", [P("取缔采砂点。", 21, 1)]),
    ]
    data = build_numbered_docx(blocks, PLAN_LIST)
    lines = read_plan_bytes(data, "plan.docx").splitlines()
    assert "（二）右玉县河道采砂问题。" in lines
    assert "整改措施：1. 开展专项检查。" in lines and "2. 依法处罚。" in lines
    assert _summary(data) == [("一", ["1", "2"]), ("二", ["1"])]


# --- what cannot be read ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "definitions",
    [
        [num(21, 99)],  # a w:num whose abstractNum is missing
        [
            '<w:abstractNum w:abstractNumId="20"><w:lvl w:ilvl="x"><w:start w:val="一"/></w:lvl></w:abstractNum>',
            num(21, 20),
        ],
        ['<w:abstractNum w:abstractNumId="20"><w:lvl w:ilvl="0"/></w:abstractNum>', num(21, 20)],  # no lvlText
        [abstract_num(20, [], style_link="NoSuchStyle"), num(21, 20)],  # a link to no style, no levels
        ['<w:num w:numId="abc"><w:abstractNumId w:val="?"/></w:num>'],
    ],
)
def test_numbering_definitions_that_make_no_sense_leave_the_text_as_it_is(definitions: list[str]) -> None:
    assert _text([P("问题甲。", 21, 0), P("问题乙。", 21, 7), "正文"], definitions) == ["问题甲。", "问题乙。", "正文"]


def test_a_circular_style_link_or_base_style_gives_no_number_and_no_error() -> None:
    definitions = [abstract_num(20, [Lvl("decimal", "%1.")], style_link="Looped"), num(21, 20)]
    styles = [NumStyle("Looped", num_id=21), NumStyle("Child", based_on="Looped")]
    data = build_numbered_docx([P("甲", style="Child"), P("乙", 21, 0)], definitions, styles)
    # make Looped based on Child: a cycle python-docx cannot write itself
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "word/styles.xml":
                body = re.sub(
                    rb'(<w:style [^>]*w:styleId="Looped"[^>]*>)', rb'\1<w:basedOn w:val="Child"/>', body, count=1
                )
            target.writestr(item, body)
    # the link leads back to the list itself: its own levels number it
    assert read_plan_bytes(out.getvalue(), "plan.docx").splitlines() == ["1. 甲", "2. 乙"]


def test_numbering_on_paragraphs_that_cannot_be_read_never_stops_the_reading() -> None:
    numbering = ListNumbering()  # a package without a numbering part
    from docx.oxml import parse_xml

    paragraph = parse_xml(
        '<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr></w:pPr></w:p>'
    )
    assert numbering.prefix(paragraph) == ""


def test_a_numbering_part_that_is_not_xml_is_a_broken_package_as_before() -> None:
    data = build_numbered_docx([P("问题甲。", 21, 0)], PLAN_LIST)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item)
            target.writestr(item, b"<w:numbering>not closed" if item.filename == "word/numbering.xml" else body)
    with pytest.raises(PlanReadError, match="Word 文件已损坏"):
        read_plan_bytes(out.getvalue(), "plan.docx")


# --- the seed plan ------------------------------------------------------------------------------

_TYPED_MARKER_RE = re.compile(r"^(?:[（(]\s*[一二三四五六七八九十]+\s*[）)]|\d{1,3}\s*[.．])")


@pytest.fixture(scope="module")
def lines(seed_text: str) -> list[str]:
    return seed_text.splitlines()


def test_the_seed_numbered_by_word_gives_the_same_json(lines: list[str], seed_dict: dict[str, Any]) -> None:
    paragraphs = seed_numbered(lines)
    numbered = [p for p in paragraphs if isinstance(p, P)]
    assert sum(p.ilvl == 0 for p in numbered) == 34  # （一）…（三十四）
    assert sum(p.ilvl == 1 for p in numbered) == 91  # measures 1–91, counting on through the list
    data = build_numbered_docx(paragraphs)

    import docx

    document = docx.Document(io.BytesIO(data))
    numbered_texts = [p.text for p in document.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None]
    assert len(numbered_texts) == len(numbered)
    assert not any(_TYPED_MARKER_RE.match(text) for text in numbered_texts)  # the numbers are Word's alone

    text = read_plan_bytes(data, "plan.docx")
    assert "（三十四）危废管理不规范。抽查的 6 家企业危废管理不规范。" in text.splitlines()
    assert plan_to_dict(parse_plan_bytes(data, "plan.docx")) == seed_dict


def test_the_seed_with_its_main_text_items_numbered_and_restarted_by_word_gives_the_same_json(
    lines: list[str], seed_dict: dict[str, Any]
) -> None:
    paragraphs = seed_numbered(lines, main_text=True)
    assert sum(isinstance(p, P) and p.num_id != SEED_NUM_ID for p in paragraphs) == 12  # 3 + 5 + 4
    data = build_numbered_docx(paragraphs)
    text = read_plan_bytes(data, "plan.docx").splitlines()
    assert [line[:4] for line in text if line.startswith("（") and "坚持" in line[:6]] == [
        "（一）坚",
        "（二）坚",
        "（三）坚",
    ]
    assert any(line.startswith("（四）加强宣传") for line in text)  # 保障措施 restarted at （一）
    assert plan_to_dict(parse_plan_bytes(data, "plan.docx")) == seed_dict
