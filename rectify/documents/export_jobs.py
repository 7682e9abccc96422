"""Downloads whose content depends on who asked, as background jobs (documents.jobs): the ledger
export (整改台账, the viewer's scope and filters, dated the day it was asked for) and a problem's
一案一档 (what the pages show its viewer). The pages (documents:ledger_export,
documents:dossier_problem → documents:export_job) and the API (rectify.api.export_views) share it.

A job's source is called with a key only, so each request is kept as a small JSON record in the
default storage (the one every app machine and worker shares) under a random id: the job's key
is that id, its source reads the record and renders as that viewer would see it. The record
names its viewer; anyone else gets "not found" for it (`request_owned`). Both files may be large:
their sources write to a file (documents.jobs streams what is over IN_MEMORY_MAX). The export is
audited (export.downloaded) when the file leaves the system (`export_audit`)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.http import QueryDict

from rectify.audit.services import export_record
from rectify.core import clock
from rectify.core.errors import NotFound
from rectify.core.files import stored_file_bytes
from rectify.plans.models import Problem
from rectify.plans.selectors import LedgerFilters, measure_list, problem_get

from . import jobs
from .dossier import dossier_filename, write_dossier
from .ledger import FORMATS, export_stream
from .ledger_writers import write_export

REQUESTS = "api-exports"  # the folder's name predates the pages using it too
LEDGER, DOSSIER = "ledger", "dossier"
LEDGER_SOURCE = "rectify.documents.export_jobs.ledger_source"
DOSSIER_SOURCE = "rectify.documents.export_jobs.dossier_source"
SOURCES = {LEDGER: LEDGER_SOURCE, DOSSIER: DOSSIER_SOURCE}
ZIP = "application/zip"


@dataclass(frozen=True)
class ExportRequest:
    id: int
    kind: str  # LEDGER or DOSSIER
    fmt: str
    viewer: int
    requested_at: str
    as_of: str = ""  # the ledger's date (the day it was asked for)
    query: str = ""  # the ledger's filters, as a query string
    rows: int = 0  # the ledger's measures when it was asked for
    problem: int = 0  # the dossier's problem

    @property
    def source(self) -> str:
        return SOURCES[self.kind]


def _record_name(pk: int) -> str:
    return f"{REQUESTS}/{pk % 256:02x}/{pk}.json"


def request_save(**fields: Any) -> ExportRequest:
    """Keep a new request under a fresh random id (below 2**52: exact in any JSON client)."""
    while True:
        pk = secrets.randbits(52) or 1
        if not default_storage.exists(_record_name(pk)):
            break
    request = ExportRequest(id=pk, requested_at=clock.now().isoformat(), **fields)
    default_storage.save(_record_name(pk), ContentFile(json.dumps(asdict(request), ensure_ascii=False).encode()))
    return request


def request_load(pk: int) -> ExportRequest | None:
    if not 0 < pk < 2**52:
        return None
    try:
        data = stored_file_bytes(_record_name(pk))
        return ExportRequest(**json.loads(data)) if data is not None else None
    except (ValueError, TypeError, SuspiciousOperation):
        return None


def ledger_request(*, viewer: Any, fmt: str, query: QueryDict) -> ExportRequest:
    """A ledger export of what `query`'s filters select for `viewer`, as of today."""
    rows = measure_list(viewer=viewer, filters=LedgerFilters.from_query(query)).count()
    return request_save(
        kind=LEDGER, fmt=fmt, viewer=viewer.pk, as_of=clock.today().isoformat(), query=query.urlencode(), rows=rows
    )


def dossier_request(*, viewer: Any, problem: Problem) -> ExportRequest:
    """The dossier of `problem` as `viewer` sees it (the caller checked that they may)."""
    return request_save(kind=DOSSIER, fmt="zip", viewer=viewer.pk, problem=problem.pk)


def request_owned(viewer: Any, pk: int) -> tuple[ExportRequest, models.Model]:
    """The viewer's own export request and the object a refused file is recorded against (the
    problem, checked again: a viewer who lost it no longer downloads its dossier); NotFound for
    anyone else's."""
    req = request_load(pk)
    if req is None or req.viewer != viewer.pk or req.kind not in SOURCES:
        raise NotFound()
    if req.kind == DOSSIER:
        return req, problem_get(viewer=viewer, problem_id=req.problem)
    assert isinstance(viewer, models.Model)  # signed in
    return req, viewer


def _request_or_gone(pk: int) -> ExportRequest:
    found = request_load(pk)
    if found is None:
        # "所依据的数据已不存在" (documents.jobs.FAILURES) for a job whose record is gone.
        raise ObjectDoesNotExist(f"export request {pk}")
    return found


def _fingerprint(req: ExportRequest) -> str:
    return jobs.text_fingerprint(json.dumps(asdict(req), sort_keys=True))


# --- the sources (called by the request to learn the key, by the worker to render) --------------


@jobs.job_source
def ledger_source(pk: int, fmt: str) -> jobs.Source:
    """The ledger as the viewer's filters selected it, dated the day it was asked for."""
    req = _request_or_gone(pk)

    def write(path: Path) -> None:
        viewer = get_user_model().objects.get(pk=req.viewer)
        filters = LedgerFilters.from_query(QueryDict(req.query))
        export = export_stream(measure_list(viewer=viewer, filters=filters), as_of=dt.date.fromisoformat(req.as_of))
        write_export(export, fmt, path)  # written as it is read (flat memory for the rows)

    day = req.as_of.replace("-", "")
    return jobs.Source(
        fingerprint=_fingerprint(req),
        filename=f"整改台账_{day}.{fmt}",
        fallback=f"ledger-{day}.{fmt}",
        content_type=FORMATS[fmt],
        write=write,
    )


@jobs.job_source
def dossier_source(pk: int, fmt: str) -> jobs.Source:
    """The problem's 一案一档 holding what the pages show its viewer (documents.dossier)."""
    req = _request_or_gone(pk)
    problem = Problem.objects.get(pk=req.problem)

    def write(path: Path) -> None:
        viewer = get_user_model().objects.get(pk=req.viewer)
        write_dossier(Problem.objects.get(pk=req.problem), path, viewer=viewer)

    return jobs.Source(
        fingerprint=_fingerprint(req),
        filename=dossier_filename(problem),
        fallback=f"problem-{problem.pk}-dossier.zip",
        content_type=ZIP,
        write=write,
    )


# --- the audit when the file leaves ---------------------------------------------------------------


def export_audit(*, actor: Any, req: ExportRequest, src: jobs.Source, obj: models.Model) -> None:
    """export.downloaded, as the pages always recorded it: the ledger with its rows and filters,
    the dossier with its number of files (read from the stored zip's directory, not the whole)."""
    if req.kind == LEDGER:
        export_record(actor=actor, what=f"整改台账 .{req.fmt}", rows=req.rows, detail=req.query[:500])
        return
    stored = jobs.source_result(req.source, req.id, req.fmt, src)
    files = len(jobs.stored_zip_names(stored)) if stored is not None else 0
    export_record(actor=actor, what="一案一档", rows=files, obj=obj)
