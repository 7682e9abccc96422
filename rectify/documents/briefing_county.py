"""县区动态 稿件: a county office (整改办 of a 县（市、区）) submits an item — title, text, photos —
for the city office's 工作简报; the city office sees the submitted items on its draft's edit page,
picks them in the order it wants into ◆ 县区动态 (已采用), or declines one (未采用). Taking a picked
item out of the draft gives it back (待采用). The county sees the state of each of its items.

Policies are pure functions of the viewer's memberships; services own their transaction and
write the audit event; selectors scope reads (outside the viewer's scope: not found).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden, NotFound
from rectify.core.files import file_store
from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import region_of, viewer_scope

from . import briefing_rich, policies, services
from .briefing_narrative import COUNTY_HEADING
from .models import Briefing, CountyItem, CountyItemPhoto, CountyItemStatus, DocStatus

MAX_PHOTOS = 6
RACE = "该稿件已被他人处理，请刷新页面后查看最新状态。"

# --- policies ----------------------------------------------------------------------------------


def county_office(user: Any) -> OrgUnit | None:
    """The county-level 整改办 the user coordinates (not the city's), or None."""
    for m in viewer_scope(user).memberships:
        if m.role == Role.COORDINATOR and m.unit.is_active and region_of(m.unit).depth > 0:
            return m.unit
    return None


def can_submit(user: Any) -> bool:
    return county_office(user) is not None


def can_pick(user: Any, briefing: Briefing) -> bool:
    """The office editing a draft of a region with counties below it (the city's)."""
    return briefing.status == DocStatus.DRAFT and briefing.region.depth == 0 and policies.can_edit(user, briefing)


# --- selectors ---------------------------------------------------------------------------------


def own_items(*, viewer: Any) -> QuerySet[CountyItem]:
    office = county_office(viewer)
    if office is None:
        raise Forbidden("只有县（市、区）整改办可以报送县区动态稿件。")
    return CountyItem.objects.filter(unit=office).select_related("briefing").prefetch_related("photos")


def offered_items(*, briefing: Briefing) -> list[CountyItem]:
    """What the city office may pick for this draft: submitted items of its counties, and those
    already picked into it."""
    qs = CountyItem.objects.filter(region__path__startswith=briefing.region.path).exclude(region=briefing.region)
    qs = qs.filter(Q(status=CountyItemStatus.SUBMITTED) | Q(briefing=briefing, status=CountyItemStatus.ADOPTED))
    return list(qs.select_related("unit", "region").prefetch_related("photos").order_by("created_at", "id"))


def item_get(*, viewer: Any, pk: int) -> CountyItem:
    """A 稿件 for its sender (the county office) or for a city office coordinator above it."""
    item = CountyItem.objects.select_related("unit", "region", "briefing").filter(pk=pk).first()
    if item is None:
        raise NotFound()
    scope = viewer_scope(viewer)
    own = any(m.role == Role.COORDINATOR and m.unit_id == item.unit_id for m in scope.memberships)
    above = any(
        m.role == Role.COORDINATOR
        and region_of(m.unit).depth == 0
        and item.region.path.startswith(region_of(m.unit).path)
        for m in scope.memberships
    )
    if not (own or above):
        raise NotFound()
    return item


# --- services ----------------------------------------------------------------------------------


@transaction.atomic
def county_item_submit(*, actor: Any, title: str, body: str, files: Sequence[tuple[str, bytes]] = ()) -> CountyItem:
    office = county_office(actor)
    if office is None:
        raise Forbidden("只有县（市、区）整改办可以报送县区动态稿件。")
    title = title.strip()
    clean = briefing_rich.sanitize(briefing_rich.from_form(body))
    paragraphs, _ = briefing_rich.read(clean)
    if not title or not paragraphs:
        raise DomainError("请填写稿件的标题和正文。")
    if len(files) > MAX_PHOTOS:
        raise DomainError(f"每篇稿件最多附{MAX_PHOTOS}张照片。")
    stored = [file_store(name, content) for name, content in files]
    if any(not s.content_type.startswith("image/") for s in stored):
        raise DomainError("稿件只能附照片（JPG、PNG）。")
    item = CountyItem.objects.create(
        unit=office, region=region_of(office), title=title[:200], body=clean, created_by=actor
    )
    for s in stored:
        CountyItemPhoto.objects.create(item=item, uploaded_by=actor, **s.fields())
    record(actor=actor, action="county_item.submitted", obj=item, after={"title": item.title, "photos": len(stored)})
    return item


def _as_briefing_item(item: CountyItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "html": item.body,
        "photos": [{"source": "county", "id": p.pk} for p in item.photos.all() if p.is_image],
        "source": {"kind": "county", "id": item.pk},
    }


@transaction.atomic
def county_items_pick(*, actor: Any, briefing: Briefing, version: int, item_ids: Sequence[int]) -> Briefing:
    """Add the chosen 稿件, in the given order, at the end of ◆ 县区动态 (已采用)."""
    if not can_pick(actor, briefing):
        raise Forbidden("只有市整改办可以在简报草稿中采用县区动态稿件。")
    offered = {i.pk: i for i in offered_items(briefing=briefing)}
    already = services.picked_county_ids(briefing.sections)
    chosen = [offered[pk] for pk in dict.fromkeys(item_ids) if pk in offered and pk not in already]
    if not chosen:
        raise DomainError("请选择要采用的稿件。")
    for item in chosen:
        updated = CountyItem.objects.filter(pk=item.pk, status=CountyItemStatus.SUBMITTED).update(
            status=CountyItemStatus.ADOPTED, briefing=briefing, version=F("version") + 1, updated_at=clock.now()
        )
        if updated != 1:
            raise ConcurrentChange(RACE)
        record(actor=actor, action="county_item.adopted", obj=item, after={"briefing": briefing.pk})
    sections = [dict(s) for s in briefing.sections]
    county = next((s for s in sections if s.get("heading") == COUNTY_HEADING), None)
    if county is None:
        county = {"heading": COUNTY_HEADING, "items": []}
        sections.insert(1 if sections else 0, county)
    county["items"] = list(county.get("items", [])) + [_as_briefing_item(i) for i in chosen]
    return services.briefing_update(actor=actor, briefing=briefing, version=version, sections=sections)


@transaction.atomic
def county_item_decline(*, actor: Any, briefing: Briefing, item: CountyItem, note: str = "") -> CountyItem:
    """未采用: the city office passes on a submitted item (with a short reason for the county)."""
    if not can_pick(actor, briefing) or not item.region.path.startswith(briefing.region.path):
        raise Forbidden("只有市整改办可以处理县区动态稿件。")
    updated = CountyItem.objects.filter(pk=item.pk, status=CountyItemStatus.SUBMITTED).update(
        status=CountyItemStatus.DECLINED, note=note.strip()[:200], version=F("version") + 1, updated_at=clock.now()
    )
    if updated != 1:
        raise ConcurrentChange(RACE)
    item.refresh_from_db()
    record(actor=actor, action="county_item.declined", obj=item, after={"note": item.note})
    return item
