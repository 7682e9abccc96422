"""信息公开 of 月通报 and 工作简报: the city office puts an issued document on the public portal
or takes it off (`published_on`). Only issued documents: a draft or a cancelled one never is.
Each change is audited and invalidates the portal's cached pages."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.plans.publishing import public_changed

from . import policies
from .models import Briefing, Circular, DocStatus

D = TypeVar("D", Circular, Briefing)

RACE = "该文件的公开状态已被他人修改，请刷新页面后查看。"


@transaction.atomic
def document_publish(*, actor: Any, doc: D, public: bool = True) -> D:
    """Put `doc` on the portal (public=True) or take it off; a no-op change is refused as a race."""
    if not policies.can_publish(actor):
        raise Forbidden("只有市整改办可以在门户网站公开月通报和工作简报。")
    if doc.status != DocStatus.ISSUED:
        raise DomainError("只有已印发的文件可以公开。")
    values = {"published_on": clock.today() if public else None}
    updated = (
        type(doc)
        ._default_manager.filter(pk=doc.pk, status=DocStatus.ISSUED, published_on__isnull=public)
        .update(**values, version=F("version") + 1, updated_at=clock.now())
    )
    if updated != 1:
        raise ConcurrentChange(RACE)
    doc.refresh_from_db()
    kind = "circular" if isinstance(doc, Circular) else "briefing"
    after = {"published_on": doc.published_on.isoformat() if doc.published_on else None}
    record(actor=actor, action=f"{kind}.{'published' if public else 'unpublished'}", obj=doc, after=after)
    public_changed()
    return doc
