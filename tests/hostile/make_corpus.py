"""Builds the hostile-input corpus (issue 14): files an attacker or a careless user uploads.

    .venv/bin/python -m tests.hostile.make_corpus      # rewrites tests/hostile/corpus/ (≈1 min)

Every case is a small file under corpus/ (a safe name on disk) and a line of corpus/manifest.json
giving the name it is uploaded under (path traversal, RTL override, Windows device names… live
only there), its category and whether a checker must refuse it as evidence (`evidence`: refuse /
accept / either). tests/web/test_hostile_inputs.py uploads each one through every upload entry
point; the builders are in blocks.py. Zip bombs are small files that declare or inflate to
gigabytes; nothing here is large.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.hostile.blocks import (
    BILLION_DOCX,
    BILLION_HTML,
    BILLION_SHARED,
    COMPLAINTS_CSV,
    ELF,
    GIB,
    MIB,
    PE,
    PLAN_TEXT,
    SCRIPT,
    SVG,
    XXE_DOCX,
    XXE_DTD_DOCX,
    XXE_HTML,
    XXE_SHARED,
    docx,
    gif_declaring,
    jpeg_declaring,
    lying_sizes,
    nested_zip,
    pdf_encrypted,
    pdf_js,
    pdf_js_hidden,
    pdf_launch,
    pdf_plain,
    png,
    png_bomb,
    png_chunks,
    replace_member,
    streamed_member,
    tiny_jpeg,
    xlsx,
)

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


@dataclass(frozen=True)
class Case:
    file: str  # the name on disk, under corpus/
    upload_name: str  # the name the upload carries
    category: str
    what: str
    evidence: str  # refuse / accept / either, as an evidence file (progress, close-out, visit, reply)


# --- the cases -----------------------------------------------------------------------------------

CASES: list[tuple[Case, Callable[[], bytes]]] = []


def add(file: str, upload_name: str, category: str, what: str, evidence: str, content: Callable[[], bytes]) -> None:
    CASES.append((Case(file, upload_name, category, what, evidence), content))


# Zip bombs: declared, honest and lying sizes, other compression methods, nesting.
add(
    "bomb_deflate.docx",
    "整改方案.docx",
    "zip bomb",
    "word/document.xml: 200 MiB of spaces, deflated (ratio ≈1000)",
    "refuse",
    lambda: streamed_member(docx(), "word/document.xml", 200 * MIB, method=zipfile.ZIP_DEFLATED),
)
add(
    "bomb_deflate.xlsx",
    "台账.xlsx",
    "zip bomb",
    "xl/worksheets/sheet1.xml: 200 MiB, deflated",
    "refuse",
    lambda: streamed_member(xlsx([["交办编号"]]), "xl/worksheets/sheet1.xml", 200 * MIB, method=zipfile.ZIP_DEFLATED),
)
add(
    "bomb_bzip2.docx",
    "整改方案.docx",
    "zip bomb",
    "word/document.xml: 2 GiB, bzip2 (a 1 KB file)",
    "refuse",
    lambda: streamed_member(docx(), "word/document.xml", 2 * GIB, method=zipfile.ZIP_BZIP2),
)
add(
    "bomb_lying.docx",
    "整改方案.docx",
    "zip bomb",
    "word/document.xml: 64 MiB deflated, both headers declaring 2,000 bytes",
    "refuse",
    lambda: lying_sizes(
        streamed_member(docx(), "word/document.xml", 64 * MIB, method=zipfile.ZIP_DEFLATED), "word/document.xml", 2000
    ),
)
add(
    "bomb_bzip2_lying.xlsx",
    "交办件.xlsx",
    "zip bomb",
    "xl/sharedStrings.xml: 1 GiB bzip2, headers declaring 2,000 bytes (zipfile inflates bzip2 in one call)",
    "refuse",
    lambda: lying_sizes(
        streamed_member(xlsx([["交办编号"], ["D1"]]), "xl/sharedStrings.xml", GIB, method=zipfile.ZIP_BZIP2),
        "xl/sharedStrings.xml",
        2000,
    ),
)
add(
    "bomb_lzma.xlsx",
    "台账.xlsx",
    "zip bomb",
    "xl/worksheets/sheet1.xml: 1 GiB, LZMA",
    "refuse",
    lambda: streamed_member(xlsx([["交办编号"]]), "xl/worksheets/sheet1.xml", GIB, method=zipfile.ZIP_LZMA),
)
add(
    "nested.zip",
    "佐证材料.zip",
    "zip bomb",
    "42.zip in small: 3 levels × 10 copies of 10 MiB zeros (10 GiB)",
    "refuse",
    nested_zip,
)
add("nested_as_docx.docx", "整改报告.docx", "zip bomb", "the nested zip renamed .docx", "refuse", nested_zip)

# XML external entities and billion laughs in Office XML and HTML.
add(
    "xxe.docx",
    "整改方案.docx",
    "XXE",
    "a plan whose problem text holds an entity reading file:///etc/passwd",
    "either",
    lambda: docx(XXE_DOCX),
)
add(
    "bomb_bzip2_lying.docx",
    "整改方案.docx",
    "zip bomb",
    "word/document.xml: 1 GiB bzip2, headers declaring 2,000 bytes",
    "refuse",
    lambda: lying_sizes(
        streamed_member(docx(), "word/document.xml", GIB, method=zipfile.ZIP_BZIP2), "word/document.xml", 2000
    ),
)
add(
    "xxe_dtd.docx",
    "整改方案.docx",
    "XXE",
    "document.xml: an external DTD at http://127.0.0.1:9/",
    "either",
    lambda: docx(XXE_DTD_DOCX),
)
add(
    "xxe.xlsx",
    "交办件.xlsx",
    "XXE",
    "sharedStrings.xml: an entity reading file:///etc/passwd",
    "either",
    lambda: replace_member(xlsx([["交办编号"], ["D1"]]), "xl/sharedStrings.xml", XXE_SHARED.encode()),
)
add(
    "billion_laughs.docx",
    "整改方案.docx",
    "billion laughs",
    "document.xml: 10 levels × 10 (10¹⁰ lol)",
    "either",
    lambda: docx(BILLION_DOCX),
)
add(
    "billion_laughs.xlsx",
    "交办件.xlsx",
    "billion laughs",
    "sharedStrings.xml: 10 levels × 10",
    "either",
    lambda: replace_member(xlsx([["交办编号"], ["D1"]]), "xl/sharedStrings.xml", BILLION_SHARED.encode()),
)
add(
    "xxe.html",
    "整改方案.html",
    "XXE",
    "HTML: an entity, a <script>, an onerror handler",
    "refuse",
    lambda: XXE_HTML.encode(),
)
add(
    "billion_laughs.html",
    "整改方案.html",
    "billion laughs",
    "HTML with a billion-laughs DOCTYPE",
    "refuse",
    lambda: BILLION_HTML.encode(),
)

# Disguised executables and scripts.
add("elf_as_docx.docx", "整改方案.docx", "disguised executable", "an ELF binary renamed .docx", "refuse", lambda: ELF)
add("elf_as_pdf.pdf", "整改报告.pdf", "disguised executable", "an ELF binary renamed .pdf", "refuse", lambda: ELF)
add("pe_as_jpg.jpg", "现场照片.jpg", "disguised executable", "a Windows PE (MZ) renamed .jpg", "refuse", lambda: PE)
add("pe_as_png.png", "现场照片.png", "disguised executable", "a Windows PE renamed .png", "refuse", lambda: PE)
add(
    "script_as_pdf.pdf", "整改报告.pdf", "disguised executable", "a shell script renamed .pdf", "refuse", lambda: SCRIPT
)
add(
    "script_as_txt.txt",
    "整改方案.txt",
    "disguised executable",
    "a shell script as a text plan",
    "refuse",
    lambda: SCRIPT,
)
add(
    "html_as_png.png",
    "现场照片.png",
    "disguised executable",
    "an HTML page with script renamed .png",
    "refuse",
    lambda: b"<html><script>alert(document.domain)</script></html>",
)
add(
    "svg_script.svg",
    "现场照片.svg",
    "SVG with script",
    "an SVG whose script posts the API's data away",
    "refuse",
    lambda: SVG,
)
add("svg_as_png.png", "现场照片.png", "SVG with script", "the same SVG renamed .png", "refuse", lambda: SVG)

# Decompression-bomb images.
add(
    "png_50000.png",
    "现场照片.png",
    "decompression bomb",
    "a PNG declaring 50000×50000 (2.5 G pixels)",
    "refuse",
    lambda: png_chunks(50000, 50000, 2, zlib.compress(b"\x00" * 1000)),
)
add(
    "png_bomb_real.png",
    "现场照片.png",
    "decompression bomb",
    "a real 20000×20000 1-bit PNG (400 M pixels, 50 KB)",
    "refuse",
    lambda: png_bomb(20000, 20000),
)
add(
    "gif_65535.gif",
    "现场照片.gif",
    "decompression bomb",
    "a GIF with a 65535×65535 logical screen",
    "refuse",
    lambda: gif_declaring(65535, 65535),
)
add(
    "jpeg_65000.jpg",
    "现场照片.jpg",
    "decompression bomb",
    "a JPEG whose frame header says 65000×65000",
    "refuse",
    lambda: jpeg_declaring(65000, 65000),
)

# Formula cells.
add(
    "formulas_ledger.xlsx",
    "整改台账.xlsx",
    "formula cells",
    "a ledger with =HYPERLINK, =cmd|' /C calc'!A0 and formulas without cached values",
    "either",
    lambda: xlsx(
        [["序号", "问题", "整改措施", "责任单位", "整改时限"], [1, "", "", "市委办公室", "2022年12月底"]],
        formulas={"B2": '=HYPERLINK("http://evil.example/c","点击查看")', "C2": "=cmd|' /C calc'!A0"},
    ),
)
add(
    "formulas_complaints.xlsx",
    "交办件.xlsx",
    "formula cells",
    "complaint rows whose cells are formulas",
    "either",
    lambda: xlsx(
        [["交办编号", "行政区域", "举报内容", "是否属实"], ["D1", "朔城区", "", "属实"]],
        formulas={"C2": "=cmd|' /C calc'!A0", "B3": '=HYPERLINK("http://evil.example/","x")'},
    ),
)
add(
    "formulas.csv",
    "交办件.csv",
    "formula cells",
    "a CSV whose cells start with = + - @",
    "refuse",
    lambda: "交办编号,行政区域,举报内容,是否属实\n=cmd|' /C calc'!A0,+朔城区,-2+3,@SUM(1)\n".encode(),
)

# Odd encodings.
add(
    "utf16le_nobom.txt",
    "整改方案.txt",
    "odd encoding",
    "a plan in UTF-16 LE without a BOM",
    "refuse",
    lambda: PLAN_TEXT.encode("utf-16-le"),
)
add(
    "utf16be_nobom.csv",
    "交办件.csv",
    "odd encoding",
    "a complaint CSV in UTF-16 BE without a BOM",
    "refuse",
    lambda: COMPLAINTS_CSV.encode("utf-16-be"),
)
add("gb18030.txt", "整改方案.txt", "odd encoding", "a plan in GB18030", "refuse", lambda: PLAN_TEXT.encode("gb18030"))
add(
    "big5.txt",
    "整改方案.txt",
    "odd encoding",
    "a plan in Big5 (traditional characters)",
    "refuse",
    lambda: PLAN_TEXT.encode("big5", "replace"),
)
add(
    "big5.csv",
    "交办件.csv",
    "odd encoding",
    "a complaint CSV in Big5",
    "refuse",
    lambda: COMPLAINTS_CSV.encode("big5", "replace"),
)
add(
    "mixed_utf8_gbk.txt",
    "整改方案.txt",
    "odd encoding",
    "half the lines UTF-8, half GBK",
    "refuse",
    lambda: PLAN_TEXT[:60].encode("utf-8") + PLAN_TEXT[60:].encode("gbk"),
)
add(
    "nul_bytes.txt",
    "整改方案.txt",
    "odd encoding",
    "a plan with NUL bytes between the characters",
    "refuse",
    lambda: PLAN_TEXT.encode("utf-8").replace(b"\n", b"\x00\n\x00"),
)
add(
    "nul_bytes.csv",
    "交办件.csv",
    "odd encoding",
    "a complaint CSV with NUL bytes",
    "refuse",
    lambda: COMPLAINTS_CSV.encode("utf-8").replace(b",", b",\x00"),
)

# Odd names on a real photo (the content is fine; the name must not be).
for file, name, what in [
    ("name_long.png", "很长的文件名" * 41 + ".png", "a 250-character name (Windows allows 255)"),
    ("name_traversal.png", "../../../../etc/passwd", "path traversal, no extension"),
    ("name_traversal_win.png", "..\\..\\..\\windows\\system32\\drivers\\etc\\hosts.png", "Windows path traversal"),
    ("name_absolute.png", "/etc/cron.d/evil.png", "an absolute path"),
    ("name_rtl.png", "整改照片\u202egnp.exe", "an RTL override: shows as 整改照片exe.png"),
    ("name_emoji.png", "现场😀🔥照片.png", "emoji"),
    ("name_con.png", "CON.png", "a Windows device name"),
    ("name_nul.png", "nul.txt.png", "a Windows device name with two extensions"),
    ("name_dotfile.png", ".htaccess", "a leading dot, no extension"),
    ("name_control.png", "a\tb\x01c\x7f.png", "control characters"),
    ("name_zero_width.png", "照\u200b片\ufeff.png", "zero-width characters"),
]:
    add(file, name, "odd name", what, "accept", png)

add(
    "name_too_long.png",
    "很长的文件名" * 60 + ".png",
    "odd name",
    "a 364-character name: beyond Django's 1 KB multipart header limit (refused with a message)",
    "refuse",
    png,
)

# Empty and truncated files.
for ext, name in [
    ("docx", "整改方案.docx"),
    ("png", "现场照片.png"),
    ("pdf", "整改报告.pdf"),
    ("xlsx", "交办件.xlsx"),
    ("csv", "交办件.csv"),
]:
    add(f"empty.{ext}", name, "empty", f"0 bytes named .{ext}", "refuse", lambda: b"")
add("truncated.png", "现场照片.png", "truncated", "the first half of a PNG", "refuse", lambda: png(64, 64)[:60])
add(
    "truncated.jpg",
    "现场照片.jpg",
    "truncated",
    "the first half of a JPEG",
    "refuse",
    lambda: tiny_jpeg(64, 64)[: len(tiny_jpeg(64, 64)) // 2],
)
add(
    "truncated.pdf",
    "整改报告.pdf",
    "truncated",
    "the first half of a PDF",
    "refuse",
    lambda: pdf_plain()[: len(pdf_plain()) // 2],
)
add(
    "truncated.docx",
    "整改方案.docx",
    "truncated",
    "the first half of a Word file",
    "refuse",
    lambda: docx()[: len(docx()) // 2],
)
add(
    "truncated.xlsx",
    "交办件.xlsx",
    "truncated",
    "the first half of an Excel file",
    "refuse",
    lambda: xlsx([["交办编号"], ["D1"]])[:3000],
)

# PDFs that act.
add("pdf_javascript.pdf", "整改报告.pdf", "PDF with JavaScript", "/OpenAction running JavaScript", "refuse", pdf_js)
add(
    "pdf_javascript_hidden.pdf",
    "整改报告.pdf",
    "PDF with JavaScript",
    "the JavaScript action in a compressed object stream, its name #-escaped",
    "refuse",
    pdf_js_hidden,
)
add("pdf_launch.pdf", "整改报告.pdf", "PDF with JavaScript", "/OpenAction launching cmd.exe", "refuse", pdf_launch)
add(
    "pdf_encrypted.pdf",
    "整改报告.pdf",
    "encrypted PDF",
    "RC4-encrypted with an open (user) password",
    "refuse",
    pdf_encrypted,
)

# Controls: ordinary files every evidence entry point must keep accepting.
add("ok_photo.png", "现场照片.png", "control", "an ordinary PNG photo", "accept", lambda: png(32, 24))
add("ok_photo.jpg", "现场照片.jpg", "control", "an ordinary JPEG photo", "accept", lambda: tiny_jpeg(32, 24))
add("ok_report.pdf", "整改报告.pdf", "control", "an ordinary PDF", "accept", pdf_plain)
add("ok_report.docx", "整改报告.docx", "control", "an ordinary Word file", "accept", docx)


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.iterdir():
        old.unlink()
    manifest = []
    for c, build in CASES:
        content = build()
        (CORPUS / c.file).write_bytes(content)
        manifest.append({**asdict(c), "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
        print(f"{c.file:32} {len(content):>9,} B  {c.category}: {c.what}")
    (CORPUS / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    hostile = sum(1 for c, _ in CASES if c.category != "control")
    print(f"{len(CASES)} files ({hostile} hostile), {sum(m['size'] for m in manifest):,} bytes in all")


if __name__ == "__main__":
    main()
