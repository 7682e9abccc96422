"""The 工作简报 renderer (seed 004 layout): a section heading or a headline is never the last line
of a page (it keeps with the first lines of its article), photos print in the PDF and the .docx,
and the 版记 carries 报/送/发."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import pdfplumber
import pytest
from PIL import Image as PILImage

from rectify.documents.renderers import briefing
from rectify.documents.renderers.briefing import Briefing, BriefingItem, BriefingSection
from rectify.documents.renderers.gbt9704 import Image

HEADING = "◆县区动态"
HEADLINE = "平鲁区区长深入现场督导交办案件整改工作"


def photo() -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 300), "green").save(buffer, format="JPEG")
    return Image(data=buffer.getvalue(), mime="image/jpeg", width_pt=240, height_pt=180)


def bulletin(lead_chars: int, photos: bool = False) -> Briefing:
    lead = "市整改办督导清洁取暖改造工作进展情况" * (lead_chars // 18 + 1)
    return Briefing(
        series_title="朔州市生态环境保护督察整改",
        name="工作简报",
        issue_no=29,
        issuer="朔州市生态环境保护督察整改工作领导小组办公室",
        date=datetime.date(2022, 10, 8),
        sections=[
            BriefingSection("", [BriefingItem("头条", [lead[:lead_chars]], [photo()] if photos else [])]),
            BriefingSection("县区动态", [BriefingItem(HEADLINE, ["11月26日，马占文带队深入现场。" * 6])]),
        ],
        distribution=["报：省督察整改办", "送：市委、市政府领导", "发：各县（市、区）整改办"],
    )


def page_lines(pdf: bytes) -> list[list[str]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [(p.extract_text() or "").splitlines() for p in document.pages]
    # Drop the page number line ("— 1 —") at the foot of each page.
    return [[re.sub(r"\s+", "", line) for line in page if not re.fullmatch(r"[—\s\d]+", line)] for page in pages]


@pytest.mark.parametrize("lines_of_lead", range(9, 15))
def test_no_heading_or_headline_ends_a_page(lines_of_lead: int) -> None:
    """Lead articles of 9–14 lines put ◆ 县区动态 at every position near the foot of page 1."""
    pdf = briefing.render_pdf(bulletin(lines_of_lead * 28))
    pages = page_lines(pdf)
    assert len(pages) >= 2 or HEADLINE in "".join(pages[0])
    for page in pages[:-1]:
        assert page[-1] not in (HEADING, HEADLINE), page[-3:]
    text = "".join("".join(p) for p in pages)
    assert HEADING in text and HEADLINE in text


def test_photos_and_the_lines_print_in_pdf_and_docx() -> None:
    doc = bulletin(100, photos=True)
    pdf = briefing.render_pdf(doc)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert sum(len(p.images) for p in document.pages) == 1
    text = "".join("".join(p) for p in page_lines(pdf))
    assert "报：省督察整改办" in text and "发：各县（市、区）整改办" in text
    with zipfile.ZipFile(io.BytesIO(briefing.render_docx(doc))) as z:
        xml = z.read("word/document.xml").decode()
        assert [n for n in z.namelist() if n.startswith("word/media/")] and "<pic:pic" in xml
    assert "送：市委、市政府领导" in xml
    # The heading keeps with the next paragraph in Word too.
    heading = xml[xml.index("◆ 县区动态") - 900 : xml.index("◆ 县区动态")]
    assert "<w:keepNext/>" in heading
