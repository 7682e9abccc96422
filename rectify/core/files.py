"""The content-addressed file store every upload goes through (progress evidence, notice replies,
on-site photos, close-out evidence): checked by content (`filetypes`) and size, stored once under
its SHA-256 (`evidence/ab/<sha256><ext>`) and never overwritten.

Integrity: `stored_file_damage` re-hashes a stored file against the SHA-256 kept for it (a row's
`sha256`, or the name of a content-addressed file) before it is served; `stored_files_verify`
does it for every file the database names and every content-addressed file on disk
(`rectify verify_files`)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
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
    # Shown and downloaded under a safe name (no path, no bidi or control characters, its true extension).
    name = filetypes.display_name(filename, kind)
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


# --- integrity ---------------------------------------------------------------------------------

CONTENT_ADDRESSED_RE = re.compile(r"(?:^|/)evidence/[0-9a-f]{2}/([0-9a-f]{64})(?:\.[A-Za-z0-9]{1,10})?$")
CHUNK = 1024 * 1024


def named_sha256(storage_name: str) -> str:
    """The SHA-256 a content-addressed file's name promises, or ""."""
    m = CONTENT_ADDRESSED_RE.search(storage_name or "")
    return m.group(1) if m else ""


def stored_sha256(storage_name: str) -> str | None:
    """The SHA-256 of the stored bytes now, or None when the file is missing."""
    try:
        with default_storage.open(storage_name, "rb") as f:
            digest = hashlib.sha256()
            while chunk := f.read(CHUNK):
                digest.update(chunk)
            return digest.hexdigest()
    except (OSError, SuspiciousOperation):
        return None


@dataclass(frozen=True)
class FileDamage:
    """A stored file that is missing or whose bytes no longer give the SHA-256 kept for it."""

    storage_name: str
    kind: str  # missing, mismatch
    expected: str
    actual: str = ""

    @property
    def status(self) -> int:
        """The HTTP answer to a download: 410 Gone for a missing file, 409 for changed bytes."""
        return 410 if self.kind == "missing" else 409

    @property
    def message(self) -> str:
        if self.kind == "missing":
            return "该文件在存储中已缺失，无法下载。已记录在审计日志中，请联系系统管理员从备份恢复。"
        return (
            "该文件自上传后已被改动（SHA-256 校验值与上传时记录的不符），为防止使用被篡改的材料，"
            "已拒绝下载并记录在审计日志中。请联系系统管理员核查并从备份恢复。"
        )


def stored_file_damage(storage_name: str, sha256: str = "") -> FileDamage | None:
    """None when the file is there and its bytes give `sha256` (or the hash its content-addressed
    name promises); otherwise what is wrong. The one check every download goes through."""
    expected = sha256 or named_sha256(storage_name)
    actual = stored_sha256(storage_name) if storage_name else None
    if actual is None:
        return FileDamage(storage_name, "missing", expected)
    if expected and actual != expected:
        return FileDamage(storage_name, "mismatch", expected, actual)
    return None


def stored_file_bytes(storage_name: str, sha256: str = "") -> bytes | None:
    """A small stored file's bytes (a photo to embed in a document), read once and checked
    against `sha256` (or the hash its name promises); None when missing or changed."""
    expected = sha256 or named_sha256(storage_name)
    try:
        with default_storage.open(storage_name, "rb") as f:
            data: bytes = f.read()
    except (OSError, SuspiciousOperation):
        return None
    if expected and hashlib.sha256(data).hexdigest() != expected:
        return None
    return data


def stored_file_open(storage_name: str, sha256: str = "") -> Any:
    """A large stored file opened for streaming (a FileResponse reads it in chunks), once a first
    pass reading it in chunks, never whole, found that its bytes give `sha256` (or the hash its
    name promises); None when missing or changed. The hash comes first because the headers (the
    200) go out before the body: a check while streaming could no longer refuse the download."""
    if stored_file_damage(storage_name, sha256) is not None:
        return None
    try:
        return default_storage.open(storage_name, "rb")
    except (OSError, SuspiciousOperation):
        return None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a local file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileReference:
    """A row that names a stored file: model label, primary key, the field, the expected hash."""

    model: str
    pk: Any
    field: str
    storage_name: str
    sha256: str


def stored_file_references() -> Iterator[FileReference]:
    """Every stored file a row names, found by shape so core imports no app above it: a
    `storage_name` field (with `sha256` beside it) or a `…_storage` field naming a
    content-addressed file."""
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        columns = [n for n in names if n == "storage_name" or n.endswith("_storage")]
        for column in sorted(columns):
            has_hash = column == "storage_name" and "sha256" in names
            values = ["pk", column, "sha256"] if has_hash else ["pk", column]
            for row in model._default_manager.exclude(**{column: ""}).values_list(*values).order_by("pk"):
                expected = row[2] if has_hash else ""
                yield FileReference(model._meta.label, row[0], column, row[1], expected or named_sha256(row[1]))


@dataclass
class FilesReport:
    checked: int = 0  # distinct stored files hashed
    references: int = 0  # rows naming a stored file
    damaged: list[tuple[FileDamage, list[FileReference]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged


def _media_files(top: str = "evidence") -> Iterator[str]:
    root = Path(settings.MEDIA_ROOT)
    for folder, _dirs, files in os.walk(root / top):
        for name in files:
            yield (Path(folder) / name).relative_to(root).as_posix()


def stored_files_verify() -> FilesReport:
    """Re-hash every file the database names (each once) and every content-addressed file on
    disk, against the SHA-256 kept for it."""
    report = FilesReport()
    by_name: dict[str, list[FileReference]] = {}
    for ref in stored_file_references():
        by_name.setdefault(ref.storage_name, []).append(ref)
        report.references += 1
    for name in sorted(_media_files()):
        by_name.setdefault(name, [])
    for name, refs in sorted(by_name.items()):
        expected = {r.sha256 for r in refs if r.sha256} or {named_sha256(name)} - {""}
        actual = stored_sha256(name)
        report.checked += 1
        if actual is None:
            report.damaged.append((FileDamage(name, "missing", ",".join(sorted(expected))), refs))
        elif (expected and actual not in expected) or len(expected) > 1:
            report.damaged.append((FileDamage(name, "mismatch", ",".join(sorted(expected)), actual), refs))
    return report
