"""The content-addressed file store every upload goes through (progress evidence, notice replies,
on-site photos, close-out evidence): checked by content (`filetypes`) and size, stored once under
its SHA-256 (`evidence/ab/<sha256><ext>`) and never overwritten."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from . import filetypes
from .errors import DomainError


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    type_label: str
    original_name: str
    storage_name: str

    def fields(self) -> dict[str, Any]:
        """The values of a `StoredFileFields` row."""
        return dict(self.__dict__)


def size_refusal(size: int) -> str | None:
    limit = settings.RECTIFY_MAX_EVIDENCE_BYTES
    if size > limit:
        return f"文件过大（{size / 1024 / 1024:.1f} MB），单个佐证材料上限为 {limit // 1024 // 1024} MB。"
    return None


def file_refusal(name: str, content: bytes) -> str | None:
    """Why `content` cannot be kept (too large, not an allowed type), or None."""
    if refusal := size_refusal(len(content)):
        return refusal
    try:
        filetypes.sniff(content, name)
    except filetypes.Rejected as exc:
        return exc.message
    return None


def file_store(filename: str, content: bytes) -> StoredFile:
    refusal = file_refusal(filename, content)
    if refusal:
        raise DomainError(refusal)
    kind = filetypes.sniff(content, filename)
    digest = hashlib.sha256(content).hexdigest()
    storage_name = f"evidence/{digest[:2]}/{digest}{kind.extension}"
    if not default_storage.exists(storage_name):
        saved = default_storage.save(storage_name, ContentFile(content))
        if saved != storage_name:
            raise DomainError("文件保存失败，请重试。")
    name = PurePath(filename.replace("\\", "/")).name[:200] or f"佐证材料{kind.extension}"
    return StoredFile(digest, len(content), kind.mime, kind.label, name, storage_name)


def uploaded_files(files: Any, field: str = "files", default_name: str = "佐证材料") -> list[tuple[str, bytes]]:
    """(name, bytes) of a form's uploads; one over the size limit is refused before it is read."""
    out = []
    for f in files.getlist(field):
        name = f.name or default_name
        if refusal := size_refusal(f.size or 0):
            raise DomainError(f"{name}：{refusal}")
        out.append((name, f.read()))
    return out
