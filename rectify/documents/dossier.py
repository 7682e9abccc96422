"""一案一档: one problem's whole file as a .zip.

`00_封面与目录` (.docx and .pdf: the problem's particulars and an index of every file),
`01_问题与整改措施.docx`, then in the order things happened one numbered folder per progress
report (one .txt summary per unit and period, with its evidence), supervision notice (the document,
the reply and its attachments), on-site visit (the record and its photos) and close-out
application (statement, evidence, decisions), then `90_验收与销号记录.docx` and `99_留痕.csv`
(the problem's audit trail).

Stored files go in byte for byte. A file missing from storage (or whose bytes no longer give its
SHA-256) does not stop the dossier: it is left out and the index lists it as 文件缺失. Given a
viewer, the dossier holds what the pages show that viewer (a
county clerk gets its own unit's reports, notices and applications); without one it is whole
(the 交账 package).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage

from rectify.core import clock
from rectify.core.files import stored_file_damage
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Measure, Problem

from .dossier_parts import (
    AUTHOR,
    INDEX_CSS,
    INDEX_HEADERS,
    MISSING,
    STORED_SUFFIXES,
    DossierFile,
    DossierItem,
    Placed,
    _application_items,
    _applications,
    _field,
    _heading,
    _notice_items,
    _notices,
    _problem_doc,
    _problem_fields,
    _record_doc,
    _report_items,
    _safe,
    _title,
    _trail,
    _unique,
    _visit_items,
    _visits,
)
from .renderers.docx_writer import to_docx
from .renderers.gbt9704 import Blank, Block, Grid, Meta
from .renderers.pdf_writer import to_pdf

__all__ = ["INDEX_HEADERS", "MISSING", "build_dossier", "dossier_filename", "write_dossier", "write_zip"]

# An entry's content: bytes made here, a local file written here (a Path: a dossier inside the
# 交账 package) or None for the stored file named beside it.
Entry = tuple[str, dt.date, bytes | Path | None, str]


def dossier_filename(problem: Problem) -> str:
    return f"问题（{problem.number}）一案一档.zip"


# --- the cover and the zip ---------------------------------------------------------------------


def _cover_blocks(problem: Problem, placed: Sequence[Placed], *, today: dt.date, partial: bool) -> list[Block]:
    blocks: list[Block] = [
        *_title(f"问题（{problem.number}）一案一档"),
        *_problem_fields(problem),
        *_field("档案生成日期", f"{today:%Y-%m-%d}"),
    ]
    if partial:
        blocks += _field(
            "说明", "本档案按下载人的查看范围生成，仅含其范围内单位的进展报告、督办文书、现场督办记录和销号申请。"
        )
    missing = sum(1 for p in placed if p.file.missing)
    if missing:
        blocks += _field("缺失文件", f"{missing}个（见目录备注）")
    blocks += [Blank(), _heading("档案目录"), Grid(headers=INDEX_HEADERS, rows=[p.index_row for p in placed])]
    return blocks


def _width(chronological: int) -> int:
    """Digits of the folder numbers: 10… for the chronology, then 90 and 99 — three digits (and
    990, 999) when there are more than 80 folders, and so on."""
    width = 2
    while 10 + chronological - 1 >= 10**width - 10:
        width += 1
    return width


def _available(storage_name: str) -> bool:
    try:
        return bool(storage_name) and stored_file_damage(storage_name) is None
    except (OSError, SuspiciousOperation):
        return False


def _place(
    problem_doc: DossierFile, items: Sequence[DossierItem], tail: Sequence[DossierFile], width: int
) -> list[Placed]:
    def num(n: int) -> str:
        return f"{n:0{width}d}"

    placed = [Placed(num(1), f"{num(1)}_{problem_doc.name}", problem_doc)]
    for n, item in enumerate(items, start=10):
        folder = f"{num(n)}_{_safe(item.label)}"
        used: set[str] = set()
        for k, f in enumerate(item.files, start=1):
            placed.append(Placed(f"{num(n)}-{k}", f"{folder}/{_unique(f.name, used)}", f))
    tail_numbers = [10**width - 10, 10**width - 1]
    for n, f in zip(tail_numbers, tail, strict=True):
        placed.append(Placed(num(n), f"{num(n)}_{f.name}", f))
    for p in placed:
        if p.file.content is None:
            p.file.missing = not _available(p.file.storage_name)
    return placed


def _zip_info(path: str, day: dt.date) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=(max(day.year, 1980), day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if path.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_zip(entries: Iterable[Entry], target: Path) -> None:
    """(path, date, content, storage_name) in order, written entry by entry to the file `target`:
    stored files and local files are copied in chunks, never held whole. A stored file that
    vanished since it was checked is left out."""
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for path, day, content, storage_name in entries:
            info = _zip_info(path, day)
            if isinstance(content, bytes):
                archive.writestr(info, content)
                continue
            try:
                source = content.open("rb") if content is not None else default_storage.open(storage_name, "rb")
            except (OSError, SuspiciousOperation):
                continue
            with source, archive.open(info, "w", force_zip64=True) as out:
                shutil.copyfileobj(source, out, 1024 * 1024)


def build_dossier(problem: Problem, *, viewer: Any = None) -> bytes:
    """`write_dossier` as bytes, for a small dossier read at once (tests, a single problem)."""
    with tempfile.TemporaryDirectory(prefix="rectify-dossier-") as folder:
        path = Path(folder) / "dossier.zip"
        write_dossier(problem, path, viewer=viewer)
        return path.read_bytes()


def write_dossier(problem: Problem, target: Path, *, viewer: Any = None) -> None:
    """The problem's 一案一档 written as a .zip to `target` (see the module docstring). The caller
    checks that the viewer may see the problem (plans.selectors.problem_get)."""
    today = clock.today()
    partial = viewer is not None and not viewer_scope(viewer).everything
    measures = list(
        Measure.objects.filter(problem=problem).prefetch_related("milestones", "assignments__unit").order_by("seq")
    )
    notices, visits, apps = _notices(problem, viewer), _visits(problem, viewer), _applications(problem, viewer)
    items = sorted(
        [*_report_items(problem, viewer), *_notice_items(notices), *_visit_items(visits), *_application_items(apps)],
        key=lambda i: (i.day, i.rank, i.pk),
    )
    problem_doc = DossierFile("问题与整改措施", "问题与整改措施.docx", today, _problem_doc(problem, measures, today))
    tail = [
        DossierFile("验收与销号记录", "验收与销号记录.docx", today, _record_doc(problem, apps, today)),
        DossierFile("留痕记录", "留痕.csv", today, _trail(problem, [*notices, *visits, *apps], viewer)),
    ]
    width = _width(len(items))
    cover_name = f"{0:0{width}d}_封面与目录"
    cover_docx = DossierFile("封面与目录", f"{cover_name}.docx", today)
    cover_pdf = DossierFile("封面与目录（PDF）", f"{cover_name}.pdf", today)
    placed = [
        Placed(f"{0:0{width}d}", cover_docx.name, cover_docx),
        Placed(f"{0:0{width}d}", cover_pdf.name, cover_pdf),
        *_place(problem_doc, items, tail, width),
    ]
    blocks = _cover_blocks(problem, placed, today=today, partial=partial)
    meta = Meta(title=f"问题（{problem.number}）一案一档", author=AUTHOR, date=today, subject="一案一档")
    cover_docx.content = to_docx(blocks, meta)
    cover_pdf.content = to_pdf(blocks, meta, INDEX_CSS)
    write_zip(
        [(p.path, p.file.day or today, p.file.content, p.file.storage_name) for p in placed if not p.file.missing],
        target,
    )
