"""Formula cells of an .xlsx that carry no cached value (pure: bytes in, cell names out).

A workbook written by a program (or edited so that Excel never recalculated it) may hold formulas
whose last result was never stored. A reader such as python-calamine then sees an empty cell, so a
problem's text or a measure would silently go missing. The importer names these cells on the
review page instead (rectify.ingestion.parsers.ledger_xlsx). Read with regular expressions over
the sheet XML, never an XML parser that could expand entities.
"""

from __future__ import annotations

import io
import re
import zipfile

_SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]+)"', re.S)
_REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"', re.S)
_REL_REVERSED = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"', re.S)
# A cell, self-closing or with content; its reference and its inner XML.
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(r'\br="([A-Z]{1,3}[0-9]{1,7})"')
_VALUE = re.compile(r"<v>(.+?)</v>|<is>.*?<t[^>]*>(.+?)</t>", re.S)
LIMIT = 50


def _unescape(name: str) -> str:
    return (
        name.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _sheet_names(book: zipfile.ZipFile) -> dict[str, str]:
    """xl/worksheets/sheetN.xml → the sheet's name as the reader sees it."""
    try:
        workbook = book.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(_REL.findall(rels)) | {rid: target for target, rid in _REL_REVERSED.findall(rels)}
    names: dict[str, str] = {}
    for name, rid in _SHEET.findall(workbook):
        target = targets.get(rid, "").lstrip("/")
        if target and not target.startswith("xl/"):
            target = "xl/" + target
        names[target] = _unescape(name)
    return names


def uncached_formulas(data: bytes, *, limit: int = LIMIT) -> list[str]:
    """Up to `limit` cells as "工作表 B5", in sheet order, whose formula has no stored value."""
    if data[:2] != b"PK":
        return []
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return []
    with book:
        names = _sheet_names(book)
        sheets = sorted(
            (n for n in book.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")),
            key=lambda n: (len(n), n),
        )
        found: list[str] = []
        for member in sheets:
            xml = book.read(member).decode("utf-8", "replace")
            if "<f" not in xml:
                continue
            for attrs, inner in _CELL.findall(xml):
                if not inner or "<f" not in inner or _VALUE.search(inner):
                    continue
                ref = _REF.search(attrs)
                found.append(f"{names.get(member, member.rsplit('/', 1)[-1])} {ref.group(1) if ref else '?'}")
                if len(found) >= limit:
                    return found
        return found
