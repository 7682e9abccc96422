"""Official letters: balanced title lines, the 附件 (措施清单) after the 成文日期, 抄送 in the 版记,
fonts of the 仿宋/小标宋 class (RECTIFY_FONT_DIR, Fandol, Noto), column widths, and the issuing
body's full name."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import docx
import pdfplumber
import pytest

from rectify.documents.renderers import fonts
from rectify.documents.renderers.gbt9704 import Grid, Group, Para, text_em
from rectify.documents.renderers.official import (
    TITLE_MAX_CHARS,
    Appendix,
    OfficialDocument,
    Table,
    balanced_title,
    blocks,
    column_widths,
    render_docx,
    render_pdf,
)

TITLES = [
    "关于右玉县政府督察整改任务推进滞后的提醒函",
    "关于朔城区人民政府督察整改任务推进滞后的督办通知",
    "关于约谈朔州市规划和自然资源局主要负责同志的通知",
    "关于朔州经济开发区管委会督察整改工作不力问题线索的移交函",
    "中央第二生态环境保护督察组第3批交办件（群众举报）办理情况一览表",
    "关于2022年9月全市生态环境保护督察反馈问题整改情况的通报",
]
HEADERS = ["问题编号", "整改措施", "本单位整改时限", "本单位进度", "预警"]
LONG = "严格落实朔州市空气质量保障方案和保障工作手册要求，各有关部门成立保障工作领导小组，结合分工细化方案。" * 3


def letter(**kwargs: Any) -> OfficialDocument:
    rows = [[f"（{n}）", f"措施{n}：{LONG}第{n}项", "2022年12月底", "30%", "黄色"] for n in range(1, 8)]
    values: dict[str, Any] = {
        "issuer": "朔州市生态环境保护督察整改工作领导小组办公室",
        "number": "朔整改办督〔2022〕3号",
        "title": TITLES[1],
        "recipients": ["朔城区人民政府"],
        "paragraphs": ["你单位牵头负责的7项督察整改任务（见附件）经提醒后仍推进滞后，现予以督办。"],
        "signature": "朔州市生态环境保护督察整改工作领导小组办公室",
        "date": dt.date(2022, 9, 5),
        "appendices": [Appendix("涉及的整改任务清单", Table(HEADERS, rows, fit_widths=True))],
        "copy_to": ["市委督查室", "市政府督查室"],
    }
    values.update(kwargs)
    return OfficialDocument(**values)


@pytest.mark.parametrize("title", TITLES)
def test_a_title_breaks_into_balanced_lines_and_never_leaves_a_lone_character(title: str) -> None:
    out = balanced_title(title)
    parts = out.split("\n")
    assert "".join(parts) == title
    assert all(text_em(p) <= TITLE_MAX_CHARS for p in parts)
    assert all(len(p) >= 4 for p in parts), parts
    if len(parts) > 1:
        assert max(map(len, parts)) - min(map(len, parts)) <= 4, parts  # 梯形 or 菱形, not a tail


def test_a_short_title_stays_on_one_line() -> None:
    assert balanced_title("关于加强督察整改的通知") == "关于加强督察整改的通知"


def test_a_title_keeps_the_recipients_name_whole() -> None:
    out = balanced_title("关于朔州市规划和自然资源局督察整改任务推进滞后的提醒函", keep=["朔州市规划和自然资源局"])
    assert "朔州市规划和自然资源局" in out.split("\n")[0]


def test_the_letter_names_its_appendix_before_the_signature_and_prints_it_after_the_date() -> None:
    out = blocks(letter())
    roles = [b.role for b in out if isinstance(b, Para | Group)]
    assert roles.index("attachment") < roles.index("signature") < roles.index("date") < roles.index("appendix")
    assert roles[-1] == "banji"
    note = next(b for b in out if isinstance(b, Para) and b.role == "attachment")
    assert note.text == "附件：涉及的整改任务清单"
    appendix = next(b for b in out if isinstance(b, Group) and b.role == "appendix")
    assert next(b.text for b in appendix.blocks if isinstance(b, Para)) == "附件"
    grid = next(b for b in appendix.blocks if isinstance(b, Grid))
    assert all(LONG in row[1] and "…" not in row[1] for row in grid.rows)  # full text, never cut


def test_copy_to_is_printed_in_the_banji() -> None:
    banji = blocks(letter())[-1]
    assert isinstance(banji, Group) and banji.role == "banji"
    texts = [b.text for b in banji.blocks if isinstance(b, Para)]
    assert texts[0] == "抄送：市委督查室，市政府督查室。"


def test_no_copy_to_line_without_copy_to() -> None:
    banji = blocks(letter(copy_to=[]))[-1]
    assert isinstance(banji, Group)
    assert not any(isinstance(b, Para) and b.role == "copy-to" for b in banji.blocks)


def test_the_docx_breaks_the_title_starts_the_appendix_on_a_new_page_and_copies() -> None:
    document = docx.Document(io.BytesIO(render_docx(letter())))
    texts = [p.text for p in document.paragraphs]
    title = balanced_title(TITLES[1], keep=["朔城区人民政府", "朔州市生态环境保护督察整改工作领导小组办公室"])
    assert title in texts  # the line break is a w:br inside the title paragraph
    assert "抄送：市委督查室，市政府督查室。" in texts
    label = texts.index("附件")
    assert texts.index("2022年9月5日") < label
    page_break = document.paragraphs[label - 1]._p.xml
    assert 'w:type="page"' in page_break
    fonts_named = {r.font.name for p in document.paragraphs for r in p.runs if r.text.strip()}
    assert {"仿宋_GB2312", "方正小标宋简体"} <= fonts_named
    assert len(document.tables) == 1 and len(document.tables[0].rows) == 8


def test_a_draft_is_marked_and_a_final_unnumbered_document_is_not() -> None:
    draft = letter(number="")
    final = letter(number="", draft=False)
    assert draft.is_draft and not final.is_draft
    numbers = [b.text for b in blocks(final) if isinstance(b, Para) and b.role == "number"]
    assert numbers == []
    assert [b.text for b in blocks(draft) if isinstance(b, Para) and b.role == "number"] == ["（草稿）"]


def test_column_widths_fill_the_width_and_keep_headers_and_codes_whole() -> None:
    rows = [["D14000018111200001", "朔城区", "大气", LONG, "属实", LONG, "约谈1人", "办结"]] * 5
    headers = ["编号", "区域", "类型", "问题", "是否属实", "处理和整改情况", "问责情况", "状态"]
    widths = column_widths(headers, rows, 10.5, 700)
    assert abs(sum(widths) - 700) < 1
    assert widths[0] >= text_em("D14000018111200001") * 10.5  # the code never wraps
    assert widths[3] > widths[1] and widths[5] > widths[4]  # long text gets the room
    assert all(w >= 2 * 10.5 for w in widths)


def pdf_fonts(data: bytes) -> dict[str, set[str]]:
    """Font names used per character size: {"16": {...}, "22": {...}}."""
    out: dict[str, set[str]] = {}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for c in page.chars:
                out.setdefault(str(round(c["size"])), set()).add(c["fontname"].split("+")[-1])
    return out


def test_the_pdf_body_is_in_a_fangsong_face_when_one_is_installed() -> None:
    used = pdf_fonts(render_pdf(letter()))
    body_file = fonts.face_file(fonts.FANGSONG)
    if body_file is None:
        assert any("Noto-Serif" in n for n in used["16"])
    else:
        assert "rectify-fangsong" in used["16"], used["16"]  # the @font-face of the file found
    assert any("Noto-Serif" in n or "XBS" in n or "XiaoBiao" in n for n in used["22"]), used["22"]


def test_the_font_folder_setting_wins_over_the_system_fonts(tmp_path: Path, settings: Any) -> None:
    source = fonts.face_file(fonts.FANGSONG) or next(iter(fonts.noto_cjk_paths().values()))
    shutil.copy(source, tmp_path / "simfang.ttf")
    settings.RECTIFY_FONT_DIR = str(tmp_path)
    assert fonts.face_file(fonts.FANGSONG) == tmp_path / "simfang.ttf"
    assert f"url('{(tmp_path / 'simfang.ttf').as_uri()}')" in fonts.font_face_css()
    settings.RECTIFY_FONT_DIR = ""
    assert fonts.face_file(fonts.FANGSONG) != tmp_path / "simfang.ttf"


# --- the issuing body's name ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_document_names_the_city_office_in_full(users: Any) -> None:
    from rectify.documents import compose
    from rectify.documents import services as documents
    from rectify.documents.notice_docs import notice_document
    from rectify.orgs.models import OrgUnit
    from rectify.plans.models import Assignment
    from rectify.supervision import notices
    from rectify.supervision.issuer import city_office, city_office_name, official_name

    office = city_office()
    assert office is not None and office.name == "市生态环境保护督察整改工作领导小组办公室"
    full = "朔州市生态环境保护督察整改工作领导小组办公室"
    assert official_name(office) == city_office_name() == full
    county = OrgUnit.objects.get(name="朔城区整改办")
    assert official_name(county) == "朔城区整改办"  # already names its county

    share = Assignment.objects.filter(unit__depth=1, measure__isnull=False).select_related("unit", "measure").first()
    assert share is not None and share.measure is not None
    data = notices.NoticeInput(kind="reminder", unit=share.unit, measures=[share.measure], copy_to=["市委督查室"])
    notice = notices.notice_draft(actor=users["city_office"], data=data)
    letter_doc = notice_document(notice)
    assert letter_doc.issuer == letter_doc.signature == full
    assert letter_doc.copy_to == ["市委督查室"]

    circular, _ = documents.circular_generate(actor=users["city_office"], year=2022, month=9)
    assert compose.circular_document(circular).issuer == full
