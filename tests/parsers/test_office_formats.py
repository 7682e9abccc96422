"""Old Word (.doc) and WPS (.wps) plans are read through LibreOffice and give the seed's JSON.

The .doc copy of the seed is made here, from the .docx builder's file, by LibreOffice's "MS Word
97" export. LibreOffice cannot write a WPS file: neither Kingsoft's .wps nor Microsoft Works'
(its Works filter is import-only). Kingsoft WPS Office saves a .wps in the Word 97–2003 binary
format (an OLE compound file with a WordDocument stream), so the .wps copy is that same .doc
under a .wps name, and the tests check that LibreOffice reads it back under that name.

Tests that run the real LibreOffice are skipped where it is not installed; the others use a fake
`soffice` script (RECTIFY_SOFFICE) or need none.
"""

from __future__ import annotations

import io
import os
import subprocess
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers import PlanReadError, office_convert, parse_plan_bytes, plan_to_dict, read_plan_bytes
from rectify.ingestion.parsers.office_convert import OLE_MAGIC, convert_to_docx, libreoffice_available
from rectify.ingestion.parsers.readers import needs_background

from .builders import build_docx, export_doc

needs_libreoffice = pytest.mark.skipif(
    not libreoffice_available(),
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui): cannot convert .doc/.wps",
)
# an OLE compound file header and a WordDocument stream's name: all that is checked before LibreOffice runs
FAKE_OLE = OLE_MAGIC + b"\x00" * 1024 + "WordDocument".encode("utf-16-le")
SHORT_PLAN = [
    "（一）问题。",
    "整改目标：完成整改。",
    "整改措施：1.开展排查。",
    "责任单位：市生态环境局",
    "整改时限：2022年12月底",
]


def _parse(data: bytes, filename: str) -> dict[str, Any]:
    return plan_to_dict(parse_plan_bytes(data, filename))


@pytest.fixture(scope="module")
def seed_doc(seed_text: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if not libreoffice_available():
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui): cannot build a .doc")
    return export_doc(build_docx(seed_text.splitlines()), tmp_path_factory.mktemp("doc"))


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Install a shell script as the LibreOffice program; it gets soffice's arguments as "$@"."""

    def install(body: str) -> Path:
        script = tmp_path / "fake-soffice"
        script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
        script.chmod(0o755)
        monkeypatch.setenv(office_convert.ENV_BINARY, str(script))
        return script

    return install


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --- the seed plan as .doc and .wps (real LibreOffice)


@needs_libreoffice
def test_doc_gives_the_same_json(seed_doc: bytes, seed_dict: dict[str, Any]) -> None:
    assert _parse(seed_doc, "plan.doc") == seed_dict


@needs_libreoffice
def test_wps_gives_the_same_json_read_under_its_own_name(
    seed_doc: bytes, seed_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources: list[str] = []
    popen = subprocess.Popen

    def spy(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        sources.append(args[-1])
        return popen(args, **kwargs)

    monkeypatch.setattr(office_convert.subprocess, "Popen", spy)
    assert _parse(seed_doc, "方案.WPS") == seed_dict
    assert [Path(s).name for s in sources] == ["in.wps"]


@needs_libreoffice
def test_two_conversions_at_once_do_not_collide(seed_doc: bytes) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(lambda name: read_plan_bytes(seed_doc, name), ["a.doc", "b.wps"]))
    assert texts[0] == texts[1]
    assert "整改时限" in texts[0]


@needs_libreoffice
def test_an_rtf_saved_as_doc_is_converted() -> None:
    body = r"\par ".join("".join(f"\\u{ord(ch)}?" if ord(ch) > 127 else ch for ch in line) for line in SHORT_PLAN)
    rtf = ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Noto Sans CJK SC;}}\\uc1 " + body + "\\par}").encode("ascii")
    assert [line for line in read_plan_bytes(rtf, "plan.doc").splitlines() if line] == SHORT_PLAN
    assert _parse(rtf, "plan.doc")["problems"][0]["deadline"]["due"] == "2022-12-31"


@needs_libreoffice
def test_a_damaged_doc_is_refused() -> None:
    # LibreOffice would read it as plain text (and exit 0) if the Word filter were not named
    data = FAKE_OLE + bytes(range(256)) * 64
    with pytest.raises(PlanReadError, match=r"\.doc 文件转换失败") as info:
        read_plan_bytes(data, "plan.doc")
    assert "另存为 .docx" in info.value.message


@needs_libreoffice
def test_a_password_protected_doc_is_refused_before_conversion(seed_doc: bytes) -> None:
    # Word marks an encrypted .doc with fEncrypted in the FIB (the WordDocument stream's header)
    fib = seed_doc.index(b"\xec\xa5")
    assert fib % 512 == 0
    data = bytearray(seed_doc)
    data[fib + 11] |= 0x01
    with pytest.raises(PlanReadError, match="设有打开密码"):
        read_plan_bytes(bytes(data), "plan.wps")


# --- without LibreOffice, or with a fake one


def test_a_password_protected_docx_saved_as_doc_is_refused() -> None:
    data = OLE_MAGIC + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    with pytest.raises(PlanReadError, match=r"\.doc 文件设有打开密码"):
        read_plan_bytes(data, "plan.doc")


@pytest.mark.parametrize("filename", ["plan.doc", "plan.wps"])
def test_without_libreoffice_the_message_says_what_to_install(
    filename: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(office_convert.ENV_BINARY, str(tmp_path / "no-such-soffice"))
    assert not libreoffice_available()
    with pytest.raises(PlanReadError) as info:
        read_plan_bytes(FAKE_OLE, filename)
    message = info.value.message
    assert "未安装 LibreOffice" in message and "libreoffice-writer-nogui" in message and "另存为 .docx" in message


def test_without_soffice_on_the_path_libreoffice_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(office_convert.ENV_BINARY, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not libreoffice_available()
    with pytest.raises(PlanReadError, match="libreoffice-writer-nogui"):
        convert_to_docx(FAKE_OLE, ".doc")


def test_a_conversion_over_the_time_limit_is_killed_with_all_it_started(
    fake_soffice: Callable[[str], Path], tmp_path: Path
) -> None:
    fake_soffice(f'echo $$ > "{tmp_path}/soffice.pid"\nsleep 300 &\necho $! > "{tmp_path}/child.pid"\nwait')
    with pytest.raises(PlanReadError, match=r"转换超时（超过 1 秒）"):
        convert_to_docx(FAKE_OLE, ".doc", timeout=1)
    pids = [int((tmp_path / name).read_text()) for name in ("soffice.pid", "child.pid")]
    # SIGKILL is delivered at once but a process takes a moment to die: wait for it, bounded
    for _ in range(100):
        if not any(_alive(pid) for pid in pids):
            break
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def test_the_time_limit_comes_from_the_environment(
    fake_soffice: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_soffice("sleep 300")
    monkeypatch.setenv(office_convert.ENV_TIMEOUT, "0.5")
    with pytest.raises(PlanReadError, match=r"\.wps 文件转换超时（超过 0.5 秒）"):
        read_plan_bytes(FAKE_OLE, "plan.wps")


def test_each_conversion_has_a_private_profile_and_leaves_nothing_behind(
    fake_soffice: Callable[[str], Path], tmp_path: Path
) -> None:
    fake_soffice(f'echo "$@" >> "{tmp_path}/args"')
    for _ in range(2):
        with pytest.raises(PlanReadError, match="转换失败"):  # exit 0 and no output: what soffice does on a bad file
            convert_to_docx(FAKE_OLE, ".doc")
    calls = [line.split() for line in (tmp_path / "args").read_text().splitlines()]
    assert len(calls) == 2
    for args in calls:
        assert args[:5] == ["--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"]
        # one argument each, split by echo
        assert args[6:13] == ["--infilter=MS", "Word", "97", "--convert-to", "docx:MS", "Word", "2007"]
    profiles = [next(a for a in args if a.startswith("-env:UserInstallation=file://")) for args in calls]
    assert profiles[0] != profiles[1]
    workdirs = [Path(args[-1]).parent for args in calls]
    assert all(not d.exists() for d in workdirs)


def test_a_conversion_larger_than_the_limit_is_refused(fake_soffice: Callable[[str], Path]) -> None:
    fake_soffice(
        'while [ $# -gt 0 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
        'head -c 21000000 /dev/zero > "$out/in.docx"'
    )
    with pytest.raises(PlanReadError, match="转换后超过 20 MB"):
        convert_to_docx(FAKE_OLE, ".doc")


# --- what the bytes are decides, not the name


def test_a_docx_renamed_doc_is_read_as_docx_without_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(office_convert.ENV_BINARY, str(tmp_path / "no-such-soffice"))
    data = build_docx(SHORT_PLAN)
    assert read_plan_bytes(data, "plan.doc") == read_plan_bytes(data, "plan.docx")
    assert _parse(data, "plan.wps") == _parse(data, "plan.docx")
    assert not needs_background(data, "plan.doc")


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        ("（一）问题。\n整改时限：2022年12月底".encode(), "plan.doc"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", "plan.wps"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "plan.doc"),  # half an OLE signature
    ],
)
def test_a_file_named_doc_that_is_no_word_document_is_refused(data: bytes, filename: str) -> None:
    with pytest.raises(PlanReadError, match="内容不是 Word/WPS 文档") as info:
        read_plan_bytes(data, filename)
    assert "另存为 .docx" in info.value.message


def test_an_old_excel_file_renamed_doc_is_refused() -> None:
    xls = OLE_MAGIC + b"\x00" * 1024 + "Workbook".encode("utf-16-le")
    with pytest.raises(PlanReadError, match="内容不是 Word/WPS 文档"):
        read_plan_bytes(xls, "plan.doc")
    assert not needs_background(xls, "plan.doc")


def test_an_excel_file_renamed_doc_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PlanReadError, match="内容不是 Word/WPS 文档"):
        read_plan_bytes(out.getvalue(), "plan.doc")


def test_only_files_that_need_libreoffice_are_read_in_the_background() -> None:
    assert needs_background(FAKE_OLE, "plan.doc")
    assert needs_background(FAKE_OLE, "PLAN.WPS")
    assert needs_background(b"{\\rtf1 hello}", "plan.doc")
    assert not needs_background(b"junk", "plan.doc")
    for filename in ("plan.docx", "plan.txt", "plan.pdf", "plan.html", "plan.xlsx"):
        assert not needs_background(FAKE_OLE, filename)


def test_the_unknown_format_message_lists_doc_and_wps() -> None:
    with pytest.raises(PlanReadError, match="不支持的文件类型") as info:
        read_plan_bytes(b"MZ", "plan.exe")
    assert ".doc、.wps" in info.value.message


def test_the_time_limit_falls_back_to_the_default_on_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "abc", "-5", "0", "nan", "inf"):
        monkeypatch.setenv(office_convert.ENV_TIMEOUT, value)
        assert office_convert._timeout(None) == office_convert.DEFAULT_TIMEOUT
    monkeypatch.setenv(office_convert.ENV_TIMEOUT, "30")
    assert office_convert._timeout(None) == 30
    assert office_convert._timeout(5) == 5
    assert os.environ[office_convert.ENV_TIMEOUT] == "30"


def test_libreoffice_gets_none_of_the_servers_secrets_and_runs_under_limits(
    fake_soffice: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an untrusted file is converted without the database URL, the secret key or any credential
    monkeypatch.setenv("DATABASE_URL", "postgres://user:secret@db/rectify")
    monkeypatch.setenv("RECTIFY_SECRET_KEY", "not-for-soffice")
    fake_soffice(f'env > "{tmp_path}/env"; ulimit -v > "{tmp_path}/vmem"; ulimit -t > "{tmp_path}/cpu"')
    with pytest.raises(PlanReadError, match="转换失败"):
        convert_to_docx(FAKE_OLE, ".doc", timeout=30)
    seen = (tmp_path / "env").read_text()
    assert "secret" not in seen and "RECTIFY_SECRET_KEY" not in seen and "DATABASE_URL" not in seen
    assert "PATH=" in seen
    assert int((tmp_path / "vmem").read_text()) == office_convert.MEMORY_LIMIT // 1024  # KiB
    assert int((tmp_path / "cpu").read_text()) == 40
