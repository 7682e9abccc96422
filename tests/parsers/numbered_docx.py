"""Word documents numbered by Word's list feature, built at test time (python-docx + numbering XML).

`build_numbered_docx(blocks, …)` writes paragraphs that carry w:numPr (directly or through a
paragraph style) and the w:abstractNum / w:num definitions they point to, as Word saves them: the
numbers are not in the paragraph text. `seed_numbered(lines)` turns the seed plan into such
paragraphs: its problem headings （一）… and measure numbers 1. … are removed from the text and
given to Word's numbering instead (one two-level list: problems "（%1）" in chineseCounting,
measures "%2." counting on through the whole list, as the seed numbers them).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass(frozen=True)
class Lvl:
    """One w:lvl; `restart` is w:lvlRestart (0: never), None leaves it out."""

    fmt: str
    text: str
    start: int = 1
    restart: int | None = None
    legal: bool = False
    suff: str | None = None
    style: str | None = None

    def xml(self, ilvl: int) -> str:
        parts = [f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{self.start}"/><w:numFmt w:val="{self.fmt}"/>']
        if self.restart is not None:
            parts.append(f'<w:lvlRestart w:val="{self.restart}"/>')
        if self.style:
            parts.append(f'<w:pStyle w:val="{self.style}"/>')
        if self.legal:
            parts.append("<w:isLgl/>")
        if self.suff:
            parts.append(f'<w:suff w:val="{self.suff}"/>')
        parts.append(f'<w:lvlText w:val="{escape(self.text)}"/><w:lvlJc w:val="left"/></w:lvl>')
        return "".join(parts)


def abstract_num(abstract_id: int, levels: Sequence[Lvl], *, style_link: str | None = None) -> str:
    link = f'<w:numStyleLink w:val="{style_link}"/>' if style_link else ""
    lvls = "".join(lvl.xml(i) for i, lvl in enumerate(levels))
    kind = '<w:multiLevelType w:val="multilevel"/>'
    return f'<w:abstractNum w:abstractNumId="{abstract_id}">{kind}{link}{lvls}</w:abstractNum>'


def num(num_id: int, abstract_id: int, start_overrides: dict[int, int] | None = None) -> str:
    overrides = "".join(
        f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
        for ilvl, start in (start_overrides or {}).items()
    )
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'


@dataclass(frozen=True)
class P:
    """A paragraph with w:numPr (num_id 0 is "not numbered") and/or a paragraph style."""

    text: str
    num_id: int | None = None
    ilvl: int | None = None
    style: str | None = None


@dataclass(frozen=True)
class NumStyle:
    """A paragraph style whose w:pPr carries w:numPr; `based_on` another style of the document."""

    style_id: str
    num_id: int | None = None
    ilvl: int | None = None
    based_on: str | None = None


Para = str | P
NumberedBlock = Para | list[list[list[Para]]]  # a paragraph, or a table: rows of cells of paragraphs

# the seed: one list, problems （一） at level 0 and measures 1. at level 1, never restarted
SEED_NUM_ID = 41
# the main text's sections of （一）… items: one list each, the second and third restarted at 1
SEED_SECTION_NUM_IDS = (51, 52, 53)
SEED_NUMBERING = [
    abstract_num(40, [Lvl("chineseCounting", "（%1）"), Lvl("decimal", "%2.", restart=0)]),
    abstract_num(50, [Lvl("chineseCounting", "（%1）")]),
    num(SEED_NUM_ID, 40),
    num(SEED_SECTION_NUM_IDS[0], 50),
    *(num(num_id, 50, {0: 1}) for num_id in SEED_SECTION_NUM_IDS[1:]),
]


def _num_pr(num_id: int | None, ilvl: int | None) -> str:
    if num_id is None and ilvl is None:
        return ""
    inner = (f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else "") + (
        f'<w:numId w:val="{num_id}"/>' if num_id is not None else ""
    )
    return f"<w:numPr>{inner}</w:numPr>"


def _install(document: object, definitions: Sequence[str], styles: Sequence[NumStyle]) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml

    numbering = document.part.numbering_part.element  # type: ignore[attr-defined]
    first_num = numbering.find(f"{{{W_NS}}}num")
    fragment = parse_xml(f'<w:numbering xmlns:w="{W_NS}">{"".join(definitions)}</w:numbering>')
    taken = {(e.tag, e.get(f"{{{W_NS}}}abstractNumId") or e.get(f"{{{W_NS}}}numId")) for e in numbering}
    for element in list(fragment):
        # python-docx's template defines abstractNum 0–8 and num 1–9 (its List Number/Bullet styles)
        key = (element.tag, element.get(f"{{{W_NS}}}abstractNumId") or element.get(f"{{{W_NS}}}numId"))
        assert key not in taken, f"id {key[1]} is taken by python-docx's template: use 20 and up"
        # the schema keeps every w:abstractNum before the first w:num
        if element.tag == f"{{{W_NS}}}abstractNum" and first_num is not None:
            first_num.addprevious(element)
        else:
            numbering.append(element)
    for spec in styles:
        style = document.styles.add_style(spec.style_id, WD_STYLE_TYPE.PARAGRAPH)  # type: ignore[attr-defined]
        style.element.set(f"{{{W_NS}}}styleId", spec.style_id)
        if spec.based_on:
            style.base_style = document.styles[spec.based_on]  # type: ignore[attr-defined]
        num_pr = _num_pr(spec.num_id, spec.ilvl)
        if num_pr:
            style.element.get_or_add_pPr().append(parse_xml(num_pr.replace("<w:numPr>", f'<w:numPr xmlns:w="{W_NS}">')))


def _write(paragraph: object, para: Para) -> None:
    from docx.oxml import parse_xml

    if isinstance(para, str):
        paragraph.text = para  # type: ignore[attr-defined]
        return
    paragraph.text = para.text  # type: ignore[attr-defined]
    p_pr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    if para.style:
        p_pr.style = para.style
    num_pr = _num_pr(para.num_id, para.ilvl)
    if num_pr:
        element = parse_xml(num_pr.replace("<w:numPr>", f'<w:numPr xmlns:w="{W_NS}">'))
        style = p_pr.find(f"{{{W_NS}}}pStyle")
        if style is not None:  # w:pStyle comes first in w:pPr
            style.addnext(element)
        else:
            p_pr.insert(0, element)


def build_numbered_docx(
    blocks: Sequence[NumberedBlock],
    definitions: Sequence[str] = tuple(SEED_NUMBERING),
    styles: Sequence[NumStyle] = (),
) -> bytes:
    import docx

    document = docx.Document()
    _install(document, definitions, styles)
    for block in blocks:
        if isinstance(block, list):
            table = document.add_table(rows=0, cols=max(len(row) for row in block))
            for row in block:
                for cell, paras in zip(table.add_row().cells, row, strict=False):
                    for i, para in enumerate(paras):
                        _write(cell.paragraphs[0] if i == 0 else cell.add_paragraph(), para)
            continue
        _write(document.add_paragraph(), block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_PROBLEM_RE = re.compile(r"^[（(]\s*([一二三四五六七八九十]+)\s*[）)]\s*")
_MEASURE_RE = re.compile(r"^(\d{1,3})\s*[.．]\s*")


def _main_text(lines: Sequence[str]) -> list[Para]:
    """The main text's （一）… items numbered by Word, each section restarting at （一）."""
    from rectify.core.formats import int_to_cn

    out: list[Para] = []
    section = -1
    count = 0
    for line in lines:
        item = _PROBLEM_RE.match(line)
        if item and item.group(1) == "一":
            section, count = section + 1, 0
        if item and item.group(1) == int_to_cn(count + 1):
            count += 1
            out.append(P(line[item.end() :], SEED_SECTION_NUM_IDS[section], 0))
        else:
            out.append(line)
    return out


def seed_numbered(lines: Sequence[str], *, main_text: bool = False) -> list[Para]:
    """The seed with its list's typed （一） and 1. replaced by Word numbering, in sequence only.

    The chapters 一、… stay typed, and so do the main text's own （一）坚持… items unless
    `main_text`. A marker is taken only when it is the next number of its kind, so a wrapped line
    that starts with digits stays text.
    """
    from rectify.core.formats import int_to_cn

    start = lines.index("附件")  # the list itself; what comes before is the main text
    problems = measures = 0
    out: list[Para] = _main_text(lines[:start]) if main_text else list(lines[:start])
    for line in lines[start:]:
        problem = _PROBLEM_RE.match(line)
        measure = _MEASURE_RE.match(line)
        if problem and problem.group(1) == int_to_cn(problems + 1):
            problems += 1
            out.append(P(line[problem.end() :], SEED_NUM_ID, 0))
        elif measure and int(measure.group(1)) == measures + 1:
            measures += 1
            out.append(P(line[measure.end() :], SEED_NUM_ID, 1))
        else:
            out.append(line)
    return out
