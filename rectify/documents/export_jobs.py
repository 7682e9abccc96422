"""Downloads whose content depends on who asked, as background jobs (documents.jobs): the ledger
export (整改台账, the viewer's scope and filters, dated the day it was asked for) and a problem's
一案一档 (what the pages show its viewer). The pages (documents:ledger_export,
documents:dossier_problem → documents:export_job) and the API (rectify.api.export_views) share it.

A job's source is called with a key only, so each request is kept as a small JSON record in the
default storage (the one every app machine and worker shares) under an id: the job's key is that
id, its source reads the record and renders as that viewer would see it. The record names its
viewer; anyone else gets "not found" for it (`request_owned`).

Files are kept until the data changes: the id is derived from everything the file is made of —
the viewer, the format, the filters or the problem, the day, the warning thresholds and the
audit trail's newest change (audit.selectors.data_version; every write is audited) — so asking
again for the same thing while nothing changed finds the same record and its stored file, with
no new task. The first change (a report filed, a status moved, a scan) gives a new id and a new
file. Both files may be large:
their sources write to a file (documents.jobs streams what is over IN_MEMORY_MAX). The export is
audited (export.downloaded) when the file leaves the system (`export_audit`)."""

from __future__ import annotations

import datetime as dt
import hashlib
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

from rectify.audit.selectors import SIGN_IN_ACTIONS, data_version
from rectify.audit.services import export_record
from rectify.core import clock
from rectify.core.errors import NotFound
from rectify.core.files import stored_file_bytes
from rectify.plans.models import Problem
from rectify.plans.selectors import LedgerFilters, measure_list, problem_get
from rectify.supervision.assessing import thresholds

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


ID_BITS = 52  # ids below 2**52 are exact in any JSON client


def _save(request: ExportRequest) -> ExportRequest | None:
    """Store `request` under its id; None when a record with that id was stored first."""
    name = _record_name(request.id)
    stored = default_storage.save(name, ContentFile(json.dumps(asdict(request), ensure_ascii=False).encode()))
    if stored != name:  # the storage gave another name: the id was taken meanwhile
        default_storage.delete(stored)
        return None
    return request


def request_save(**fields: Any) -> ExportRequest:
    """Keep a new request under a fresh random id."""
    while True:
        pk = secrets.randbits(ID_BITS) or 1
        if not default_storage.exists(_record_name(pk)):
            saved = _save(ExportRequest(id=pk, requested_at=clock.now().isoformat(), **fields))
            if saved is not None:
                return saved


def _same(found: ExportRequest, fields: dict[str, Any]) -> bool:
    return all(getattr(found, name) == value for name, value in fields.items() if name != "rows")


def request_keep(identity: dict[str, Any], fields: dict[str, Any], rows: Any = None) -> ExportRequest:
    """The request for a file made of `identity` (what `fields` ask for and the data's version):
    the one kept already when it was asked for before and nothing changed since, else a new one
    under the id derived from it (`rows`, called only then, counts the rows asked for). Two
    identities sharing an id (a 52-bit clash) fall back to a random id."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).digest()
    pk = int.from_bytes(digest[:8], "big") % 2**ID_BITS or 1
    for _attempt in range(2):
        found = request_load(pk)
        if found is not None:
            return found if _same(found, fields) else request_save(**fields, rows=rows() if rows else 0)
        counted = {"rows": rows()} if rows else {}
        saved = _save(ExportRequest(id=pk, requested_at=clock.now().isoformat(), **fields, **counted))
        if saved is not None:
            return saved
    return request_save(**fields, rows=rows() if rows else 0)


def request_load(pk: int) -> ExportRequest | None:
    if not 0 < pk < 2**52:
        return None
    try:
        data = stored_file_bytes(_record_name(pk))
        return ExportRequest(**json.loads(data)) if data is not None else None
    except (ValueError, TypeError, SuspiciousOperation):
        return None


def ledger_request(*, viewer: Any, fmt: str, query: QueryDict) -> ExportRequest:
    """A ledger export of what `query`'s filters select for `viewer`, as of today: the same
    request (and so the same file) while nothing it is made of has changed."""
    fields = {"kind": LEDGER, "fmt": fmt, "viewer": viewer.pk, "as_of": clock.today().isoformat()}
    fields["query"] = query.urlencode()
    # The rows' levels are the rules' as of the day, under the thresholds of this configuration.
    identity = {**fields, "data": data_version(), "thresholds": repr(thresholds())}
    filters = LedgerFilters.from_query(query)
    return request_keep(identity, fields, rows=lambda: measure_list(viewer=viewer, filters=filters).count())


def dossier_request(*, viewer: Any, problem: Problem) -> ExportRequest:
    """The dossier of `problem` as `viewer` sees it (the caller checked that they may): the same
    request while nothing changed. Its 留痕.csv lists the problem's downloads too, so only signing
    in leaves it as it was; its cover is dated the day it is made."""
    fields = {"kind": DOSSIER, "fmt": "zip", "viewer": viewer.pk, "problem": problem.pk}
    identity = {**fields, "day": clock.today().isoformat(), "data": data_version(ignore=SIGN_IN_ACTIONS)}
    return request_keep(identity, fields)


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
