"""The one write of the mirror: load a city's exchange file, replacing that city's rows.

Atomic: the city's source row is locked, its old rows deleted and the new ones written in one
transaction, so a reader sees the old file or the new one, never a mix. Only a newer export of a
city replaces it; the same file again changes nothing; an older one is refused."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden

from .models import MirrorShare, MirrorSource
from .policies import can_import_mirror
from .reader import ReadFile, read_exchange

BATCH = 1000


def _stamp(source: MirrorSource | ReadFile) -> str:
    return source.exported_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _snap(source: MirrorSource) -> dict[str, Any]:
    return {
        "exported_at": _stamp(source),
        "as_of": source.as_of.isoformat(),
        "sha256": source.sha256,
        "shares": source.totals.get("shares"),
    }


def mirror_import(*, actor: Any, content: bytes, filename: str = "") -> tuple[MirrorSource, str]:
    """Load one exchange file. Returns the city's source and what happened: "created" (a city seen
    for the first time), "replaced" (a newer export of a known city) or "unchanged" (this very
    file was loaded before). Refuses an export older than the one loaded, and any bad file
    (mirror.reader), with nothing changed. `actor` a label (the command line) is the operator."""
    if not isinstance(actor, str) and not can_import_mirror(actor):
        raise Forbidden("只有整改办可以导入各市的对账文件。")
    read = read_exchange(content)
    try:
        with transaction.atomic():
            return _replace(actor=actor, read=read, filename=filename)
    except IntegrityError as exc:
        # Two first loads of the same city at once: the other one created the city's row first.
        raise ConcurrentChange("该市的对账文件正由他人导入，请刷新页面后查看或重试。") from exc


def _replace(*, actor: Any, read: ReadFile, filename: str) -> tuple[MirrorSource, str]:
    source = MirrorSource.objects.select_for_update().filter(city=read.city).order_by("pk").first()
    before = _snap(source) if source else None
    if source is not None:
        if source.sha256 == read.sha256:
            return source, "unchanged"
        if read.exported_at <= source.exported_at:
            raise DomainError(
                f"{read.city}已导入 {_stamp(source)} 导出的数据，这份文件导出于 {_stamp(read)}，"
                "不比已导入的新，未导入。请上传该市最新导出的对账文件。"
            )
        MirrorShare.objects.filter(source=source).delete()
    else:
        source = MirrorSource(city=read.city)
    source.doc_abbr = read.doc_abbr
    source.format_version = read.format_version
    source.exported_at = read.exported_at
    source.as_of = read.as_of
    source.sha256 = read.sha256
    source.size = read.size
    source.filename = filename[:255]
    source.totals = read.totals
    source.imported_by = actor if getattr(actor, "pk", None) else None
    source.imported_at = clock.now()
    created = source.pk is None
    source.save()
    MirrorShare.objects.bulk_create((MirrorShare(source=source, **row) for row in read.rows), batch_size=BATCH)
    record(actor=actor, action="mirror.imported", obj=source, before=before, after=_snap(source), note=filename[:200])
    return source, "created" if created else "replaced"
