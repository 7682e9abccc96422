"""Evidence file types, decided by content (magic bytes and structure), never by the name.

Pure: bytes in, a FileType out, or Rejected with a message in Chinese. Images are opened with
Pillow so a renamed or truncated file is refused; Office files are zip archives whose member
names tell Word from Excel (the archive is listed, never extracted).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

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
        return FileType("pdf", "PDF 文档", "application/pdf", ".pdf")
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Rejected("文件已损坏，无法打开。") from exc
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


def _image(data: bytes, filetype: FileType) -> FileType:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise Rejected("图片文件已损坏或不完整，请重新拍摄或导出后上传。") from exc
    return filetype
