"""Plans that are slow to read, read in the background: a .doc/.wps converted by LibreOffice, a scan
read by OCR page by page (docs/parsing.md).

`import_start` keeps the upload in storage, creates the ImportJob in READING and enqueues
`read_import` (a task on Django's Tasks framework, run by `rectify db_worker`). The task reads the
file with per-page progress on the job, keeps each scanned page as an image for the review page,
parses the text and moves the job to REVIEWING, or to FAILED with a message a user can act on.
A refusal known before reading (too large, an unsupported type, LibreOffice or the OCR package not
installed) is given at once, without a job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.files import stored_file_bytes
from rectify.core.filetypes import Rejected, sniff
from rectify.core.transitions import transition
from rectify.plans.policies import can_import_plan

from . import services
from .models import ImportJob
from .parsers import PlanReadError, read_plan_bytes
from .parsers.ocr import OCR_MISSING, ScanResult, is_scan, ocr_available, read_scan, scan_page_count
from .parsers.office_convert import NOT_INSTALLED_MESSAGE, libreoffice_available
from .parsers.readers import OLD_WORD_SUFFIXES, needs_background

log = logging.getLogger(__name__)

UPLOADS = "imports"
PAGE_WIDTH = 1240  # page images kept for the review page (about 150 dpi on A4)
INTERNAL_ERROR = "读取文件时发生内部错误，请重试；如仍失败，请在 Word/WPS 中另存为 .docx 后再导入。"
_SPACE = re.compile(r"\s+")


def reads_in_background(data: bytes, filename: str) -> bool:
    return needs_background(data, filename)


_TIFF_BMP = (b"II*\x00", b"MM\x00*", b"BM")


def check_scan_file(data: bytes) -> None:
    """A scan is kept only if its content is what evidence uploads accept (a PDF without scripts
    or launch actions, a real JPEG/PNG that is no decompression bomb) or a TIFF/BMP page."""
    if data.startswith(_TIFF_BMP):
        return  # Pillow opens it with a pixel limit when the pages are counted (ocr.scan_page_count)
    try:
        filetype = sniff(data)
    except Rejected as exc:
        raise DomainError(exc.message.replace("作为材料上传", "导入").replace("佐证材料", "方案")) from exc
    if filetype.kind not in ("pdf", "image"):
        raise DomainError("扫描件应为 PDF 或页面图片（JPG、PNG、TIFF），文件内容与扩展名不符。")


@transaction.atomic
def import_start(*, actor: Any, data: bytes, filename: str) -> ImportJob:
    """Keep the upload and queue its reading; the review page shows the progress. The job, its
    audit event and the queued task are written in one transaction: none without the others."""
    if not can_import_plan(actor):
        raise Forbidden("只有整改办可以导入整改方案。")
    services.check_upload(data, filename)
    suffix = PurePath(filename).suffix.lower()
    scan = is_scan(data, filename)
    if scan and not ocr_available():
        raise DomainError(OCR_MISSING)
    if suffix in OLD_WORD_SUFFIXES and not libreoffice_available():
        raise DomainError(NOT_INSTALLED_MESSAGE)
    total = 1
    if scan:
        check_scan_file(data)
        try:
            total = scan_page_count(data, filename)
        except PlanReadError as exc:
            raise DomainError(exc.message) from exc
    digest = hashlib.sha256(data).hexdigest()
    name = f"{UPLOADS}/{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
    job = ImportJob.objects.create(
        created_by=actor,
        filename=PurePath(filename).name[:255],
        sha256=digest,
        size=len(data),
        source_format=suffix.lstrip("."),
        status=ImportJob.Status.READING,
        start_on=clock.today(),
        upload_name=name,
        progress_total=total,
    )
    record(actor=actor, action="import.uploaded", obj=job, after={"filename": job.filename, "pages": total})
    # the database backend queues the task in this transaction: a worker sees it with the job
    result = read_import.enqueue(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)
    return job


class Cancelled(Exception):
    """The job was discarded while it was read: stop reading its pages."""


def _progress(job_id: int) -> Any:
    def update(done: int, total: int) -> None:
        # also the heartbeat by which a job whose worker died is recognised (expire_if_stale)
        moved = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.READING).update(
            progress_done=done, progress_total=total, updated_at=clock.now()
        )
        if not moved:
            raise Cancelled

    return update


def _keep_page(job_id: int, pages: list[dict[str, Any]]) -> Any:
    def keep(number: int, image: Any) -> None:
        copy = image.convert("RGB")
        if copy.width > PAGE_WIDTH:
            copy = copy.resize((PAGE_WIDTH, round(copy.height * PAGE_WIDTH / copy.width)))
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=70)
        content = buffer.getvalue()
        name = default_storage.save(f"{UPLOADS}/pages/{job_id}/{number}.jpg", ContentFile(content))
        pages.append({"number": number, "image": name, "sha256": hashlib.sha256(content).hexdigest()})

    return keep


def _norm(text: str) -> str:
    return _SPACE.sub("", text or "")


def problem_pages(parsed: dict[str, Any], scan: ScanResult) -> dict[str, list[int]]:
    """Each problem's first and last page in the scan: where its text and its last field are."""
    page_texts = [(page.number, _norm(page.text)) for page in scan.pages]

    def page_of(text: str, start: int) -> int | None:
        key = _norm(text)[:14]
        if len(key) < 4:
            return None
        for number, page_text in page_texts:
            if number >= start and key in page_text:
                return number
        return None

    result: dict[str, list[int]] = {}
    first_page = 1
    for problem in parsed.get("problems", []):
        first = page_of(problem.get("text") or "", first_page) or first_page
        last = first
        for measure in problem.get("measures", []):
            last = page_of(measure.get("text") or "", last) or last
        # the deadline closes a problem; its raw text is short, so look for it with its label
        for label in ("整改时限", "完成时限"):
            found = page_of(label + (problem.get("deadline") or {}).get("raw", ""), last)
            if found:
                last = found
                break
        result[str(problem["index"])] = [first, max(first, last)]
        first_page = first
    return result


@task()
def read_import(*, job_id: int) -> dict[str, Any]:
    """Read an uploaded plan that was queued by import_start; idempotent for a job not READING."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.READING:
        return {"job": job_id, "skipped": True}
    try:
        data = stored_file_bytes(job.upload_name, job.sha256)  # None when missing or changed
        if data is None:
            raise DomainError("上传的原件已损坏或被替换，请重新上传。")
        pages: list[dict[str, Any]] = []
        scan: ScanResult | None = None
        if is_scan(data, job.filename):
            scan = read_scan(data, job.filename, progress=_progress(job.pk), keep_image=_keep_page(job.pk, pages))
            text = scan.text
        else:
            text = read_plan_bytes(data, job.filename)
            _progress(job.pk)(1, 1)
        parsed = services.parse_text(text)
        services.job_parsed(job, parsed, text[:5000])
        ocr: dict[str, Any] = {}
        if scan is not None:
            seconds = {page.number: round(page.seconds, 2) for page in scan.pages}
            for page in pages:
                page["seconds"] = seconds.get(page["number"], 0)
            ocr = {"pages": pages, "problems": problem_pages(parsed, scan)}
        values = {
            "parsed": parsed,
            "start_on": job.start_on,
            "fingerprint": job.fingerprint,
            "duplicate_of": job.duplicate_of,
            "ocr": ocr,
        }
        if not _move(job, ImportJob.Status.REVIEWING, values):
            return {"job": job_id, "skipped": True}  # discarded while it was read
    except Cancelled:
        return {"job": job_id, "skipped": True}
    except (DomainError, PlanReadError) as exc:
        _fail(job, exc.message)
        return {"job": job_id, "failed": exc.message}
    except Exception:
        log.exception("reading import job %s failed", job_id)
        _fail(job, INTERNAL_ERROR)
        raise
    record(
        actor=job.created_by,
        action="import.parsed",
        obj=job,
        after={"filename": job.filename, "problems": len(parsed["problems"]), "ocr_pages": len(pages)},
    )
    return {"job": job_id, "problems": len(parsed["problems"])}


def _move(job: ImportJob, target: str, values: dict[str, Any]) -> bool:
    """Move a job out of READING; False when the user discarded it meanwhile."""
    try:
        transition(
            job,
            table=ImportJob.TRANSITIONS,
            target=target,
            source=ImportJob.Status.READING,
            message="该导入任务已被放弃。",
            values=values,
        )
    except ConcurrentChange:
        return False
    return True


def _fail(job: ImportJob, message: str) -> None:
    if _move(job, ImportJob.Status.FAILED, {"error": message}):
        record(actor=job.created_by, action="import.read_failed", obj=job, after={"error": message})


STALE = dt.timedelta(minutes=10)  # no page read for this long: the worker reading it is gone
STALE_MESSAGE = (
    "读取中断（后台任务已停止，可能是服务器重启或文件过大），请重新上传；如仍失败，请另存为 .docx 后再导入。"
)


def expire_if_stale(job: ImportJob) -> ImportJob:
    """A job still 读取中 whose task ended, or whose worker has read nothing for STALE, failed:
    say so instead of showing progress forever (a job still queued behind others is not stale)."""
    if job.status != ImportJob.Status.READING:
        return job
    result = DBTaskResult.objects.filter(pk=job.task_id).first() if job.task_id else None
    if result is not None and result.status == TaskResultStatus.READY:
        return job
    ended = result is not None and result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    if ended or clock.now() - job.updated_at > STALE:
        _fail(job, STALE_MESSAGE)
        job.refresh_from_db()
    return job


def page_image(job: ImportJob, number: int) -> bytes | None:
    """A scanned page's image kept for the review page, or None (missing, or changed since)."""
    for page in job.ocr.get("pages", []):
        if page.get("number") == number and page.get("sha256"):
            return stored_file_bytes(page["image"], page["sha256"])  # checked against its SHA-256
    return None
