"""Old Word (.doc) and WPS Office (.wps) plans → .docx bytes, through LibreOffice in headless mode.

Owns `convert_to_docx(data, suffix, *, timeout=None)`, `needs_conversion(data)` and
`libreoffice_available()`. LibreOffice is an optional dependency (Debian's
libreoffice-writer-nogui): `soffice` or `libreoffice` on PATH, or the program the environment
variable RECTIFY_SOFFICE names. Without it a .doc/.wps is refused with a message saying what to
install, or to save the file as .docx.

What the bytes are decides, not the name: a .docx renamed .doc is returned as it is; an OLE
compound file holding a WordDocument stream (Word 97–2003, and Kingsoft WPS's .wps, which is the
same binary format) or an RTF saved as .doc goes to LibreOffice, with that import filter named
(LibreOffice would otherwise read a file it does not recognise as plain text, without an
error); anything else is refused. Each conversion runs in a fresh
temporary directory with its own LibreOffice profile (concurrent conversions do not share a
profile, which LibreOffice locks), in its own process group, killed as a whole when the time
limit (RECTIFY_CONVERT_TIMEOUT seconds, default 120) runs out. Every failure is a PlanReadError
with a Chinese message.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from .errors import PlanReadError
from .readers import MAX_PLAN_BYTES

ENV_BINARY = "RECTIFY_SOFFICE"
ENV_TIMEOUT = "RECTIFY_CONVERT_TIMEOUT"
DEFAULT_TIMEOUT = 120.0
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RTF_MAGIC = b"{\\rtf"
ZIP_MAGIC = b"PK\x03\x04"
# OLE directory entries name their streams in UTF-16LE
WORD_STREAM = "WordDocument".encode("utf-16-le")
WORD_FILTER = "MS Word 97"  # Word 97–2003 and Kingsoft WPS
RTF_FILTER = "Rich Text Format"
DOCX_FILTER = "docx:MS Word 2007 XML"

NOT_INSTALLED_MESSAGE = (
    "服务器未安装 LibreOffice，无法读取 .doc/.wps 文件。请系统管理员安装 libreoffice-writer-nogui"
    "（见 README），或在 Word/WPS 中另存为 .docx 后再导入。"
)
_SAVE_AS = "请在 Word/WPS 中打开后另存为 .docx 再导入。"
ENCRYPTED_MESSAGE = "{kind} 文件设有打开密码（已加密），无法读取。请在 Word/WPS 中取消密码后另存为 .docx 再导入。"
TIMEOUT_MESSAGE = "{kind} 文件转换超时（超过 {seconds:g} 秒），文件可能过大或已损坏。" + _SAVE_AS
FAILED_MESSAGE = "{kind} 文件转换失败：文件可能已损坏或不是有效的 Word/WPS 文档。" + _SAVE_AS
NOT_WORD_MESSAGE = "文件扩展名为 {kind}，但内容不是 Word/WPS 文档（可能是改了扩展名的其他文件）。" + _SAVE_AS
TOO_LARGE_MESSAGE = "{kind} 文件转换后超过 {limit} MB 的上限，请删去图片或拆分后再导入。"


def find_soffice() -> str | None:
    """The LibreOffice program to run: RECTIFY_SOFFICE when set (and only it), else PATH."""
    configured = os.environ.get(ENV_BINARY, "").strip()
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_available() -> bool:
    return find_soffice() is not None


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    try:
        value = float(os.environ.get(ENV_TIMEOUT, ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value < math.inf else DEFAULT_TIMEOUT


def _is_docx(data: bytes) -> bool:
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _import_filter(data: bytes) -> str | None:
    """LibreOffice's import filter for these bytes, or None when they are no Word/WPS document."""
    if data.startswith(OLE_MAGIC):
        return WORD_FILTER if WORD_STREAM in data else None
    if data[:64].lstrip().startswith(RTF_MAGIC):
        return RTF_FILTER
    return None


def needs_conversion(data: bytes) -> bool:
    """True when the bytes are a document only LibreOffice reads (Word 97–2003/WPS binary or RTF)."""
    return _import_filter(data) is not None


def _ole_encrypted(data: bytes) -> bool:
    """Best effort: an encrypted Office file as an OLE compound file, without parsing the directory.

    A password-protected .docx is an OLE file holding an "EncryptedPackage" stream; a
    password-protected Word 97–2003 file keeps its WordDocument stream but sets fEncrypted in the
    FIB, which begins a sector (wIdent 0xA5EC, then nFib) and carries the flag at byte 11.
    """
    if "EncryptedPackage".encode("utf-16-le") in data:
        return True
    shift = struct.unpack_from("<H", data, 30)[0] if len(data) >= 32 else 9
    sector = 1 << shift if shift in (9, 12) else 512
    for offset in range(sector, len(data) - 12, sector):
        ident, version = struct.unpack_from("<HH", data, offset)
        if ident == 0xA5EC and 0x65 <= version <= 0x1FF:  # Word 6 … 2007 write 0x65 … 0x112
            return bool(data[offset + 11] & 0x01)
    return False


_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "SAL_USE_VCLPLUGIN")
# A crafted file must not take the machine with it: address space, CPU seconds and file size.
MEMORY_LIMIT = 4 * 1024 * 1024 * 1024
FILE_LIMIT = 256 * 1024 * 1024


def _limits(seconds: float) -> Any:
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        cpu = int(seconds) + 10
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    return apply


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _run(binary: str, workdir: Path, source: Path, import_filter: str, seconds: float, kind: str) -> Path:
    """Run soffice on `source` in `workdir` (its profile and output there too); the output's path."""
    outdir = workdir / "out"
    outdir.mkdir()
    args = [
        binary,
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
        f"--infilter={import_filter}",
        "--convert-to",
        DOCX_FILTER,
        "--outdir",
        str(outdir),
        str(source),
    ]
    # An untrusted file is converted with none of the server's secrets (database URL, secret key,
    # mail or storage credentials live in its environment): only what soffice needs. HOME is the
    # private directory too (a service account's home may not be writable).
    env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    env.update({"HOME": str(workdir), "TMPDIR": str(workdir)})
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
        args,
        stdin=quiet,
        stdout=quiet,
        stderr=quiet,
        env=env,
        start_new_session=True,
        preexec_fn=_limits(seconds),  # only setrlimit before exec (the converting process has one thread)
    )
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired as exc:
        raise PlanReadError(TIMEOUT_MESSAGE.format(kind=kind, seconds=seconds)) from exc
    finally:
        # on time-out soffice and all it started, else whatever it left behind in its group
        _kill_group(process)
    return outdir / f"{source.stem}.docx"


def convert_to_docx(data: bytes, suffix: str, *, timeout: float | None = None) -> bytes:
    """The bytes of a .doc/.wps (`suffix`, with its dot) → the same document as .docx bytes.

    `timeout` in seconds; by default RECTIFY_CONVERT_TIMEOUT, else 120. Raises PlanReadError.
    """
    kind = suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix.lower()) else ".doc"
    if _is_docx(data):
        return data  # a .docx renamed .doc
    if data.startswith(OLE_MAGIC) and _ole_encrypted(data):
        raise PlanReadError(ENCRYPTED_MESSAGE.format(kind=kind))
    import_filter = _import_filter(data)
    if import_filter is None:
        raise PlanReadError(NOT_WORD_MESSAGE.format(kind=kind))
    binary = find_soffice()
    if binary is None:
        raise PlanReadError(NOT_INSTALLED_MESSAGE)
    seconds = _timeout(timeout)
    with tempfile.TemporaryDirectory(prefix="rectify-convert-") as tmp:
        workdir = Path(tmp)
        source = workdir / f"in{kind}"
        source.write_bytes(data)
        target = _run(binary, workdir, source, import_filter, seconds, kind)
        # soffice exits 0 even when it could not load the file: only the output file tells
        if not target.is_file() or target.stat().st_size == 0:
            raise PlanReadError(FAILED_MESSAGE.format(kind=kind))
        if target.stat().st_size > MAX_PLAN_BYTES:
            raise PlanReadError(TOO_LARGE_MESSAGE.format(kind=kind, limit=MAX_PLAN_BYTES // 1024 // 1024))
        return target.read_bytes()
