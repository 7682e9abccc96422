"""Documents rendered in the background (docs/operations.md): a download that would take seconds
to render (月通报, the public 一览表 PDF, …) is a task on Django's Tasks framework (the
django-tasks backport; its database backend, run by `rectify db_worker` processes), never work
inside the request.

One URL does everything, so a download is scoped exactly like before: the view checks that the
viewer may have the object (its selector: 404/403 as always), then calls `document_response`,
which

- serves the stored file when one was rendered from the same data (the key is a fingerprint of
  everything printed: a second request for unchanged data is a file read, no task);
- otherwise enqueues one task for that fingerprint (none while one is waiting or running: a
  per-key lock in the database) and answers at once with a page that polls the same URL with
  `?job=status` every second (排队中 → 生成中 → 已完成 with the download link, or 失败 with
  重新生成: `?job=retry`).

Rendered files are stored content-addressed under `rendered/` (default storage: a shared volume
or an S3-compatible store serves every app machine and worker alike), with a small pointer per
key; a download re-hashes the bytes against the SHA-256 kept for them, and a damaged or missing
file is audited (audit.downloads) and rendered again.

Large files never sit whole in memory: a source that may be large (the ledger export, 一案一档,
the 交账 package) writes to a file path instead of returning bytes; the worker hashes that file in
chunks and copies it into the storage; a file over IN_MEMORY_MAX is served by a first pass that
hashes it in chunks, then a FileResponse that streams it. Smaller ones are read once, checked and
answered as plain responses (which the public site's page cache can keep).

A source is a function `(pk, fmt) -> Source` marked with `@job_source`, named by its dotted path
so a lower app never imports a higher one (the portal's sources live in the portal)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from rectify.audit.downloads import file_refusal
from rectify.core.files import file_sha256, stored_file_bytes, stored_file_open

SOURCE_MARK = "_rectify_job_source"
RESULTS = "rendered"
EXTENSIONS = {"pdf", "docx", "xlsx", "csv", "json", "zip"}
CODE = Path(__file__).resolve().parent.parent  # the rectify package
# Files up to this size are served from one read (checked, then answered whole); larger ones are
# hashed in chunks first and then streamed, so serving a 500 MB package keeps memory flat.
IN_MEMORY_MAX = 8 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """What a job renders: a fingerprint of the data it is made from (equal fingerprints, equal
    files), the download's names, and the rendering itself (called in the worker): `render`
    returns the bytes of a small document; `write` writes a large one to the path it is given."""

    fingerprint: str
    filename: str  # shown to the user (Chinese)
    fallback: str  # ASCII, for clients that do not read filename*
    content_type: str
    render: Callable[[], bytes] | None = None
    write: Callable[[Path], None] | None = None

    def store(self, key: str, ext: str) -> Stored:
        """Render and keep the file under `key` (in the worker)."""
        if self.write is None:
            assert self.render is not None, "a source renders bytes or writes a file"
            return result_put(key, self.render(), ext)
        with tempfile.TemporaryDirectory(prefix="rectify-job-") as folder:
            path = Path(folder) / f"document.{ext}"
            self.write(path)
            return result_put_file(key, path, ext)


SourceFunction = Callable[[int, str], Source]


def job_source(fn: SourceFunction) -> SourceFunction:
    """Mark a function as a source a task may call by its dotted path."""
    setattr(fn, SOURCE_MARK, True)
    return fn


def source_load(path: str) -> SourceFunction:
    """The source named by `path`; only functions marked @job_source inside rectify (a task's
    arguments come from the database, so they never name arbitrary code)."""
    if not path.startswith("rectify."):
        raise SuspiciousOperation(f"not a document source: {path}")
    fn = import_string(path)
    if not getattr(fn, SOURCE_MARK, False):
        raise SuspiciousOperation(f"not a document source: {path}")
    return fn  # type: ignore[no-any-return]


@functools.cache
def code_version() -> str:
    """A digest of the application's code (once per process, ~40 ms): a release that prints or
    masks differently renders again instead of serving a file the old code made."""
    digest = hashlib.sha256()
    for path in sorted(CODE.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def job_key(source: str, pk: int, fmt: str, fingerprint: str) -> str:
    """The key a rendered file is kept under: the source, the object, the format, the data's
    fingerprint and the code."""
    parts = f"{source}\x00{pk}\x00{fmt}\x00{fingerprint}\x00{code_version()}"
    return hashlib.sha256(parts.encode()).hexdigest()


def text_fingerprint(*parts: Any) -> str:
    """A fingerprint of values printed as text (for sources without a renderer's own)."""
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()


# --- stored results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    storage_name: str
    sha256: str
    size: int


def _pointer(key: str) -> str:
    return f"{RESULTS}/keys/{key[:2]}/{key}.json"


def result_get(key: str) -> Stored | None:
    """The file rendered for `key`, or None."""
    try:
        with default_storage.open(_pointer(key), "rb") as f:
            data = json.loads(f.read())
        return Stored(str(data["storage_name"]), str(data["sha256"]), int(data["size"]))
    except (OSError, ValueError, KeyError, TypeError, SuspiciousOperation):
        return None


def result_put(key: str, content: bytes, ext: str) -> Stored:
    """Keep `content` content-addressed (never overwritten) and point `key` at it."""
    return _keep(key, ContentFile(content), hashlib.sha256(content).hexdigest(), len(content), ext)


def result_put_file(key: str, path: Path, ext: str) -> Stored:
    """`result_put` for a file written to `path`: hashed in chunks, then copied in chunks."""
    digest = file_sha256(path)
    with path.open("rb") as f:
        return _keep(key, File(f), digest, path.stat().st_size, ext)


def _keep(key: str, content: File, digest: str, size: int, ext: str) -> Stored:
    if ext not in EXTENSIONS:
        raise ValueError(f"unexpected extension: {ext}")
    name = f"{RESULTS}/{digest[:2]}/{digest}.{ext}"
    if not default_storage.exists(name):
        default_storage.save(name, content)
    stored = Stored(name, digest, size)
    pointer = _pointer(key)
    if not default_storage.exists(pointer):
        # Two workers rendering the same key write the same pointer: the first one stays.
        default_storage.save(pointer, ContentFile(json.dumps(stored.__dict__).encode()))
    return stored


def source_result(source: str, pk: int, fmt: str, src: Source) -> Stored | None:
    """The file rendered for `src` as it is now, or None (to read a served file's details)."""
    return result_get(job_key(source, pk, fmt, src.fingerprint))


def stored_zip_names(stored: Stored) -> list[str]:
    """The entries of a stored .zip (its central directory only, not the whole file)."""
    with default_storage.open(stored.storage_name, "rb") as f:
        return zipfile.ZipFile(f).namelist()


def result_drop(key: str) -> None:
    default_storage.delete(_pointer(key))


# --- the task ----------------------------------------------------------------------------------


@task()
def render_document(*, source: str, pk: int, fmt: str, key: str) -> dict[str, Any]:
    """Render the source's document as it is now and store it under its fingerprint (which is
    `key` unless the data changed since the request; the next poll then asks for the new one)."""
    src = source_load(source)(pk, fmt)
    actual = job_key(source, pk, fmt, src.fingerprint)
    stored = result_get(actual) or src.store(actual, fmt)
    return {"key": actual, "requested": key, "sha256": stored.sha256, "size": stored.size}


# --- job states --------------------------------------------------------------------------------

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LABELS = {QUEUED: "排队中", RUNNING: "生成中", DONE: "已完成", FAILED: "失败"}
# Why a task failed, in words a user can act on; anything else is an internal error.
FAILURES = {
    "django.http.response.Http404": "所依据的文件或数据已不存在或已撤回公开",
    "django.core.exceptions.ObjectDoesNotExist": "所依据的数据已不存在",
}


@dataclass(frozen=True)
class JobStatus:
    state: str
    since: dt.datetime | None = None
    reason: str = ""
    asked: dict[str, Any] = field(default_factory=dict, compare=False)  # the task's keyword arguments

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def pending(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def seconds(self) -> int:
        # The library's own timestamps are real time (timezone.now), not the instance's clock.
        return max(0, int((timezone.now() - self.since).total_seconds())) if self.since else 0

    @property
    def message(self) -> str:
        if self.state == QUEUED:
            text = f"已加入后台生成队列，等待处理（已等待 {self.seconds} 秒）。"
            if self.seconds >= 60:
                text += "长时间没有开始时，请联系系统管理员确认后台任务进程（rectify db_worker）在运行。"
            return text
        if self.state == RUNNING:
            return f"正在生成文件，请稍候（已用时 {self.seconds} 秒）。生成完成后此处会出现下载链接。"
        if self.state == DONE:
            return "文件已生成，可以下载。"
        return f"文件生成失败：{self.reason or '系统内部错误'}。请点击“重新生成”；如仍失败，请联系系统管理员。"


def _failure_reason(exception_class_path: str) -> str:
    if exception_class_path.endswith("DoesNotExist"):
        return FAILURES["django.core.exceptions.ObjectDoesNotExist"]
    return FAILURES.get(exception_class_path, "")


def queued_in_database() -> bool:
    return isinstance(render_document.get_backend(), DatabaseBackend)


def job_status(key: str, task: Task[Any, Any] | None = None) -> JobStatus | None:
    """The state of the newest task for `key` (of `task`, a render by default: any task taking a
    `key` argument); None when there is none (or it was lost: running longer than
    RECTIFY_JOB_STALE_SECONDS, its worker killed)."""
    if not queued_in_database():
        return None
    task_path = (task or render_document).module_path
    row = (
        DBTaskResult.objects.filter(task_path=task_path, args_kwargs__kwargs__key=key)
        .order_by("-enqueued_at")
        .values("status", "enqueued_at", "started_at", "exception_class_path", "args_kwargs")
        .first()
    )
    if row is None:
        return None
    status = row["status"]
    if status == TaskResultStatus.READY:
        return JobStatus(QUEUED, row["enqueued_at"])
    if status == TaskResultStatus.RUNNING:
        stale = timezone.now() - dt.timedelta(seconds=settings.RECTIFY_JOB_STALE_SECONDS)
        if row["started_at"] and row["started_at"] < stale:
            return None
        return JobStatus(RUNNING, row["started_at"])
    if status == TaskResultStatus.FAILED:
        asked = (row["args_kwargs"] or {}).get("kwargs") or {}
        return JobStatus(FAILED, row["enqueued_at"], _failure_reason(row["exception_class_path"]), asked)
    return None  # succeeded: its result is stored under the key the data had then


def key_lock(key: str) -> None:
    """Serialise job starts for one key inside the transaction: SQLite's IMMEDIATE transactions
    already take the write lock at BEGIN; PostgreSQL takes an advisory lock on the key (any
    string: a render's hex key or a named task's, such as the 交账 package's)."""
    if connection.vendor == "postgresql":
        number = int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def job_start(*, source: str, pk: int, fmt: str, key: str) -> JobStatus:
    """Enqueue the render of `key` unless one is waiting or running; with the immediate backend
    (tests) it runs here and now."""
    if not queued_in_database():
        result = render_document.enqueue(source=source, pk=pk, fmt=fmt, key=key)
        if result.status == TaskResultStatus.FAILED:
            path = result.errors[-1].exception_class_path if result.errors else ""
            return JobStatus(FAILED, result.finished_at, _failure_reason(path))
        return JobStatus(DONE, result.finished_at)
    with transaction.atomic():
        key_lock(key)
        current = job_status(key)
        if current is not None and current.pending:
            return current
        if result_get(key) is not None:
            return JobStatus(DONE)
        render_document.enqueue(source=source, pk=pk, fmt=fmt, key=key)
    return JobStatus(QUEUED, timezone.now())


# --- the one view helper -----------------------------------------------------------------------


def content_disposition(filename: str, fallback: str) -> str:
    """RFC 6266/5987: the Chinese name in filename*, an ASCII one for clients that do not read it."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _serve(actor: Any, src: Source, stored: Stored, obj: models.Model) -> HttpResponseBase | None:
    """The stored file if its bytes still give their SHA-256; None (refusal audited) otherwise.
    A large file is hashed in chunks and then streamed; a small one is read once."""
    response: HttpResponseBase
    if stored.size > IN_MEMORY_MAX:
        opened = stored_file_open(stored.storage_name, stored.sha256)
        if opened is None:
            file_refusal(actor=actor, obj=obj, storage_name=stored.storage_name, sha256=stored.sha256)
            return None
        response = FileResponse(opened, content_type=src.content_type)
        response.block_size = 1024 * 1024
    else:
        content = stored_file_bytes(stored.storage_name, stored.sha256)
        if content is None:
            file_refusal(actor=actor, obj=obj, storage_name=stored.storage_name, sha256=stored.sha256)
            return None
        response = HttpResponse(content, content_type=src.content_type)
    response["Content-Disposition"] = content_disposition(src.filename, src.fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_job(
    *, actor: Any, source: str, pk: int, fmt: str, obj: models.Model, mode: str = ""
) -> tuple[Source, JobStatus, HttpResponseBase | None]:
    """The source, the state of its job and, when the file is rendered, its download. `mode` is
    "" (a download: a failed job is started again), "status" (a poll: never serves the file) or
    "retry" (start again). A job is started when there is none. Shared by the pages
    (document_response, dossier_views) and the API (documents.api, api.export_views); call it only after
    checking that `actor` may have `obj`."""
    src = source_load(source)(pk, fmt)
    key = job_key(source, pk, fmt, src.fingerprint)
    stored = result_get(key)
    if stored is not None and mode != "status":
        served = _serve(actor, src, stored, obj)
        if served is not None:
            return src, JobStatus(DONE), served
        result_drop(key)  # damaged: render it again
        stored = None
    status = JobStatus(DONE) if stored is not None else job_status(key)
    if status is None or mode == "retry" or (mode == "" and status.state == FAILED):
        status = job_start(source=source, pk=pk, fmt=fmt, key=key)
        if status.state == DONE and mode != "status" and (stored := result_get(key)) is not None:
            served = _serve(actor, src, stored, obj)
            if served is not None:
                return src, status, served
    return src, status, None


def document_response(
    request: HttpRequest,
    *,
    source: str,
    pk: int,
    fmt: str,
    obj: models.Model,
    page_template: str = "documents/job_page.html",
    page_context: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """The download of `source`'s document for `pk`, or a page showing its progress. Call it only
    after the view has checked that the viewer may have `obj`: the same check guards the status
    and the retry, which are this URL with `?job=status` / `?job=retry`."""
    mode = request.GET.get("job", "")
    src, status, served = document_job(actor=request.user, source=source, pk=pk, fmt=fmt, obj=obj, mode=mode)
    if served is not None:
        return served
    context = {
        **(page_context or {}),
        "job": status,
        "filename": src.filename,
        "download_url": request.path,
        "status_url": f"{request.path}?job=status",
        "retry_url": f"{request.path}?job=retry",
    }
    # 202 Accepted: the file is not there yet. (Also keeps the portal's page cache, which stores
    # only 200 answers, from storing a progress page under the file's address.)
    if mode == "status" or getattr(request, "htmx", False):
        return render(request, "documents/_job.html", context, status=202)
    return render(request, page_template, context, status=202)
