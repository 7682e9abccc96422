"""Evidence file types, decided by content (magic bytes and structure), never by the name.

Pure: bytes in, a FileType out, or Rejected with a message in Chinese. Images are opened with
Pillow so a renamed or truncated file is refused, and one declaring more pixels than a camera
takes (a decompression bomb) is refused before it is decoded; Office files are zip archives whose
member names tell Word from Excel, checked for what they declare they expand to, read only with
deflate (other methods inflate without bound) and CRC-checked so lying sizes show; a PDF that
runs JavaScript or launches a program, or needs a password to open, is refused. `display_name`
makes the name an upload carries safe to show and to download under (docs/security.md).
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

ALLOWED_TEXT = "照片（JPG/PNG/GIF/WEBP）、PDF、Word（.docx/.doc）、Excel（.xlsx/.xls）、PowerPoint（.pptx）"


class Rejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FileType:
    kind: str  # image, pdf, word, excel, slides, office97
    label: str
    mime: str
    extension: str

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


_IMAGES = [
    (b"\xff\xd8\xff", "JPEG", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "image/png", ".png"),
    (b"GIF87a", "GIF", "image/gif", ".gif"),
    (b"GIF89a", "GIF", "image/gif", ".gif"),
]
_OFFICE = [
    (
        "word/document.xml",
        FileType(
            "word", "Word 文档", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"
        ),
    ),
    (
        "xl/workbook.xml",
        FileType("excel", "Excel 表格", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ),
    (
        "ppt/presentation.xml",
        FileType(
            "slides",
            "PowerPoint 演示文稿",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ".pptx",
        ),
    ),
]
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(data: bytes, filename: str = "") -> FileType:
    if not data:
        raise Rejected("文件为空。")
    for magic, label, mime, ext in _IMAGES:
        if data.startswith(magic):
            return _image(data, FileType("image", f"照片（{label}）", mime, ext))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _image(data, FileType("image", "照片（WEBP）", "image/webp", ".webp"))
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise Rejected("PDF 文件不完整（可能上传中断），请重新导出后上传。")
        _pdf(data)
        return FileType("pdf", "PDF 文档", "application/pdf", ".pdf")
    if data.startswith(b"PK\x03\x04"):
        names = _office_zip(data)
        for member, filetype in _OFFICE:
            if member in names:
                return filetype
        raise Rejected(f"压缩包不能作为佐证材料上传，请上传{ALLOWED_TEXT}。")
    if data.startswith(_OLE):
        # Word 97 and Excel 97 share one container; the name only picks the label.
        is_excel = filename.lower().endswith((".xls", ".et"))
        if is_excel:
            return FileType("office97", "Excel 97-2003 表格", "application/vnd.ms-excel", ".xls")
        return FileType("office97", "Word 97-2003 文档", "application/msword", ".doc")
    raise Rejected(f"不支持的文件类型（按文件内容识别），请上传{ALLOWED_TEXT}。")


# A 108-megapixel phone photo is 12000×9000; Pillow's own bomb check refuses above 2×89 M pixels.
MAX_IMAGE_PIXELS = 120_000_000


def _image(data: bytes, filetype: FileType) -> FileType:
    from PIL import Image, UnidentifiedImageError

    damaged = "图片文件已损坏或不完整，请重新拍摄或导出后上传。"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                image.verify()
            # verify() reads a PNG's chunks but decodes nothing and barely reads a JPEG: decode
            # it (a JPEG at 1/8 scale, cheap) so a truncated or corrupt picture is refused too.
            with Image.open(io.BytesIO(data)) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                if image.format != "PNG":
                    image.load()
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(*_declared_size(data)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Rejected(damaged) from exc
    return filetype


def _too_many_pixels(width: int, height: int) -> Rejected:
    size = f"（{width}×{height} 像素）" if width and height else ""
    return Rejected(f"图片尺寸异常{size}，超过 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素的上限，疑似恶意文件，已拒绝。")


def _declared_size(data: bytes) -> tuple[int, int]:
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"GIF") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return 0, 0


# --- Office files: zip archives --------------------------------------------------------------

# What a real Word or Excel file expands to stays far below these; document XML compresses 5–30×.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 1_000  # as the plan and batch readers
# Office writes members stored or deflated. Python inflates bzip2 and LZMA members in one call
# however large the result, whatever size the header declares: refused outright.
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


def _office_zip(data: bytes) -> set[str]:
    """The member names of an Office zip, after checking that it is not a zip bomb: the declared
    sizes and ratios, the compression methods, and the CRC of every member (read up to its
    declared size only), so a member inflating beyond what its header says is caught."""
    bomb = "文件疑似压缩炸弹（{}），已拒绝。请用 Word/Excel/WPS 打开后重新保存再上传。"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Rejected("文件已损坏，无法打开。") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise Rejected(bomb.format(f"内含 {len(members)} 个部件"))
    total = sum(info.file_size for info in members)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise Rejected(bomb.format(f"解压后达 {total / 1024 / 1024:.0f} MB"))
    for info in members:
        if info.compress_type not in ZIP_METHODS:
            raise Rejected(bomb.format(f"部件 {info.filename[:60]} 使用了 Office 不使用的压缩方式"))
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise Rejected(
                bomb.format(f"部件 {info.filename[:60]} 压缩比 {info.file_size // max(info.compress_size, 1)} 倍")
            )
    try:
        for info in members:
            with archive.open(info) as member:
                while member.read(1024 * 1024):
                    pass
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise Rejected("文件已损坏（内部数据与记录的大小或校验值不符），无法打开。") from exc
    return {info.filename for info in members}


# --- PDF ---------------------------------------------------------------------------------------

# Actions a PDF reader runs on its own: JavaScript, launching a program, importing data.
_PDF_ACTIONS = {"JavaScript", "Launch", "ImportData"}
_PDF_ACTION_KEYS = {"JS", "JavaScript"}


def _pdf(data: bytes) -> None:
    """Refuse a PDF that needs a password to open (the reviewers could not read it) or that
    carries JavaScript or a launch action — looked for in every object, object streams included,
    as the parser reads names (so "/J#61vaScript" is JavaScript too)."""
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFObjRef, PDFStream
    from pdfminer.psparser import PSLiteral

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect as exc:
        raise Rejected("PDF 设有打开密码，审核人无法查看，请取消密码后重新导出再上传。") from exc
    except Exception as exc:  # pdfminer raises many kinds on a broken file
        raise Rejected("PDF 文件已损坏或格式异常，无法打开，请重新导出后上传。") from exc

    def acts(value: object, depth: int = 0) -> bool:
        if depth > 20:
            return False
        if isinstance(value, PDFStream):
            value = value.attrs
        if isinstance(value, dict):
            if _PDF_ACTION_KEYS & set(value):
                return True
            kind = value.get("S")
            if isinstance(kind, PSLiteral) and kind.name in _PDF_ACTIONS:
                return True
            return any(acts(v, depth + 1) for v in value.values() if not isinstance(v, PDFObjRef))
        if isinstance(value, list):
            return any(acts(v, depth + 1) for v in value if not isinstance(v, PDFObjRef))
        return False

    try:
        ids = {objid for xref in document.xrefs for objid in xref.get_objids()}
        found = False
        for objid in sorted(ids)[:200_000]:
            try:
                obj = document.getobj(objid)
            except Exception:  # noqa: S112 - a broken object cannot act; the others are still looked at
                continue
            if acts(obj):
                found = True
                break
    except Exception as exc:
        raise Rejected("PDF 文件已损坏或格式异常，无法打开，请重新导出后上传。") from exc
    if found:
        raise Rejected("PDF 含有脚本（JavaScript）或启动程序的动作，不能作为材料上传。请用“打印为 PDF”另存后再上传。")


# --- names -------------------------------------------------------------------------------------

_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
_EXTENSIONS = {
    ".jpg": {".jpg", ".jpeg", ".jfif", ".jpe"},
    ".png": {".png"},
    ".gif": {".gif"},
    ".webp": {".webp"},
    ".pdf": {".pdf"},
    ".docx": {".docx"},
    ".xlsx": {".xlsx", ".xlsm"},
    ".pptx": {".pptx"},
    ".doc": {".doc", ".wps"},
    ".xls": {".xls", ".et"},
}
MAX_NAME_CHARS = 120


def display_name(filename: str, filetype: FileType, default: str = "佐证材料") -> str:
    """The name a stored file is shown and downloaded under: the last part of any path (either
    slash), without control, bidirectional-override or zero-width characters, leading dots or a
    Windows device name, at most MAX_NAME_CHARS characters, and ending in the extension of what
    the file really is ("照片\u202egnp.exe" holding a PNG becomes "照片gnp.png"). The name is never
    used as a path: files are stored under their SHA-256."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
    name = re.sub(r"\s+", " ", name).strip(" .")
    path = PurePath(name or "x")
    is_extension = bool(re.fullmatch(r"\.[A-Za-z0-9]{1,5}", path.suffix))
    stem, suffix = (path.stem, path.suffix.lower()) if is_extension else (name, "")
    if suffix not in _EXTENSIONS.get(filetype.extension, {filetype.extension}) | (
        _EXTENSIONS[".doc"] | _EXTENSIONS[".xls"] if filetype.kind == "office97" else set()
    ):
        # A misleading extension is replaced (a PNG named .exe); a name without one gets it.
        suffix = filetype.extension
    stem = stem.strip(" .")
    if stem.split(".")[0].strip().upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    stem = stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") or default
    return stem + suffix
