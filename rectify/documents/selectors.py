"""Scoped reads of 月通报, 工作简报 and of the notices whose documents are downloaded. Outside the
viewer's scope a document is "not found"; a viewer without any business role is refused."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.scope import Scope, viewer_scope
from rectify.supervision.models import SupervisionNotice
from rectify.supervision.policies import can_view_notice

from . import policies
from .models import Briefing, Circular, DocStatus

M = TypeVar("M", bound=Model)


def _business(viewer: Any) -> Scope:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


def _visible(scope: Scope) -> Q:
    """The same rule as policies.can_view, as a filter."""
    if scope.everything:
        audience = Q()
    else:
        # Regions above the viewer's own units (path prefixes), and regions inside its scope.
        prefixes = {m.unit.path[: i + 5] for m in scope.memberships for i in range(0, len(m.unit.path), 5)}
        audience = Q(region__path__in=prefixes) | Q(region_id__in=scope.unit_ids)
    visible = Q(status=DocStatus.ISSUED) & audience
    if own := policies.draft_regions(scope):
        visible |= Q(status__in=[DocStatus.DRAFT, DocStatus.CANCELLED], region_id__in=own)
    return visible


def _list(model: type[M], viewer: Any) -> QuerySet[M]:
    scope = _business(viewer)
    return model._default_manager.filter(_visible(scope)).select_related("issuer", "region")


def _get(model: type[M], viewer: Any, pk: int) -> M:
    _business(viewer)
    obj = model._default_manager.select_related("issuer", "region").filter(pk=pk).first()
    if obj is None or not policies.can_view(viewer, obj):
        raise NotFound()
    return obj


def circular_list(*, viewer: Any) -> QuerySet[Circular]:
    return _list(Circular, viewer).select_related("issued_by").order_by("-year", "-month", "-id")


def circular_get(*, viewer: Any, circular_id: int) -> Circular:
    return _get(Circular, viewer, circular_id)


def briefing_list(*, viewer: Any) -> QuerySet[Briefing]:
    return _list(Briefing, viewer).order_by("-period_end", "-id")


def briefing_get(*, viewer: Any, briefing_id: int) -> Briefing:
    return _get(Briefing, viewer, briefing_id)


def notice_get(*, viewer: Any, notice_id: int) -> SupervisionNotice:
    """A notice for its .docx/.pdf: what the notice page would show, else not found."""
    _business(viewer)
    notice = SupervisionNotice.objects.select_related("issuer", "unit").filter(pk=notice_id).first()
    if notice is None or not can_view_notice(viewer, notice):
        raise NotFound()
    return notice
