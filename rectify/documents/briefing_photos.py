"""Photos in a 工作简报: from 现场督办 records (supervision.Attachment on a SiteVisit) and from the
县区动态 稿件 counties send (CountyItemPhoto). An item stores references {"source": "visit" |
"county", "id": n}; the server decides which photos a briefing may carry (those of its own region)
and reads their bytes only through the stored-file check (core.files.stored_file_bytes): a path
from the client is never used, a missing or changed file is left out."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse

from rectify.core.files import stored_file_bytes
from rectify.core.models import StoredFileFields
from rectify.supervision.models import Attachment

from .models import Briefing, CountyItem, CountyItemPhoto
from .renderers.gbt9704 import LINE_PITCH_PT, TEXT_WIDTH_PT, Image

SOURCES = ("visit", "county")
MAX_WIDTH_PT = round(TEXT_WIDTH_PT * 0.8, 1)  # 354 pt: four fifths of the type area
MAX_HEIGHT_PT = round(LINE_PITCH_PT * 9, 1)  # nine lines of text
MAX_PHOTOS_PER_ITEM = 6


@dataclass(frozen=True)
class PhotoChoice:
    """A photo the editor may keep in (or add to) an item."""

    source: str
    id: int
    name: str
    origin: str  # the visit or 稿件 it comes from

    @property
    def key(self) -> str:
        return f"{self.source}-{self.id}"


def ref_key(ref: dict[str, Any]) -> str:
    return f"{ref.get('source')}-{ref.get('id')}"


def parse_key(key: str) -> dict[str, Any] | None:
    source, _, number = str(key).partition("-")
    if source in SOURCES and number.isascii() and number.isdigit():
        return {"source": source, "id": int(number)}
    return None


def clean_refs(raw: Any) -> list[dict[str, Any]]:
    """References as stored: well formed, each once, at most MAX_PHOTOS_PER_ITEM."""
    out: list[dict[str, Any]] = []
    for ref in raw if isinstance(raw, list) else []:
        parsed = parse_key(ref_key(ref)) if isinstance(ref, dict) else parse_key(str(ref))
        if parsed and parsed not in out:
            out.append(parsed)
    return out[:MAX_PHOTOS_PER_ITEM]


def _visit_photos(region_path: str, ids: Iterable[int] | None = None) -> Any:
    qs = Attachment.objects.filter(visit__region__path__startswith=region_path).select_related("visit")
    qs = qs.filter(Q(content_type__startswith="image/"))
    return qs if ids is None else qs.filter(pk__in=list(ids))


def _county_photos(b: Briefing, ids: Iterable[int] | None = None) -> Any:
    qs = CountyItemPhoto.objects.filter(item__briefing=b, content_type__startswith="image/").select_related("item")
    return qs if ids is None else qs.filter(pk__in=list(ids))


def rows(b: Briefing, refs: list[dict[str, Any]]) -> list[StoredFileFields]:
    """The stored photos behind `refs` that `b` may carry, in the order of `refs`."""
    visit_ids = [r["id"] for r in refs if r["source"] == "visit"]
    county_ids = [r["id"] for r in refs if r["source"] == "county"]
    found: dict[str, StoredFileFields] = {}
    if visit_ids:
        found |= {f"visit-{p.pk}": p for p in _visit_photos(b.region.path, visit_ids)}
    if county_ids:
        found |= {f"county-{p.pk}": p for p in _county_photos(b, county_ids)}
    return [found[ref_key(r)] for r in refs if ref_key(r) in found]


def allowed(b: Briefing, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`refs` less those the briefing may not carry (another region's, not a photo, unknown)."""
    keep = {f"{'visit' if isinstance(p, Attachment) else 'county'}-{p.pk}" for p in rows(b, refs)}
    return [r for r in refs if ref_key(r) in keep]


def choices(b: Briefing) -> list[PhotoChoice]:
    """Photos the editor offers: of the region's visits in the period, and of the 稿件 picked."""
    out = [
        PhotoChoice("visit", p.pk, p.original_name, f"{p.visit.visited_on:%m-%d} {p.visit.title}")
        for p in _visit_photos(b.region.path).filter(
            visit__visited_on__gte=b.period_start, visit__visited_on__lte=b.period_end
        )
    ]
    out += [PhotoChoice("county", p.pk, p.original_name, p.item.title) for p in _county_photos(b)]
    return out


def get(b: Briefing, source: str, pk: int) -> StoredFileFields | None:
    found = rows(b, [{"source": source, "id": pk}])
    return found[0] if found else None


def url(b: Briefing, ref: dict[str, Any]) -> str:
    return reverse("documents:briefing_photo", args=[b.pk, ref_key(ref)])


def referenced(b: Briefing) -> set[str]:
    """Keys of every photo the briefing's items carry."""
    return {ref_key(r) for s in b.sections for i in s.get("items", []) for r in i.get("photos", [])}


def checked_bytes(photo: StoredFileFields) -> bytes | None:
    """The photo's bytes when they still give its SHA-256; None when missing or changed."""
    return stored_file_bytes(photo.storage_name, photo.sha256)


def image_block(photo: StoredFileFields) -> Image | None:
    """The photo as a renderer block, scaled to fit MAX_WIDTH × MAX_HEIGHT (JPEG/PNG only)."""
    data = checked_bytes(photo)
    if data is None:
        return None
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as im:
            width, height = im.size
            fmt = (im.format or "").upper()
    except (OSError, ValueError):
        return None
    if fmt not in ("JPEG", "PNG") or not width or not height:
        return None
    scale = min(MAX_WIDTH_PT / width, MAX_HEIGHT_PT / height)
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return Image(data=data, mime=mime, width_pt=round(width * scale, 1), height_pt=round(height * scale, 1))


def item_images(b: Briefing, item: dict[str, Any]) -> list[Image]:
    blocks = [image_block(p) for p in rows(b, clean_refs(item.get("photos", [])))]
    return [i for i in blocks if i is not None]


def county_item_photos(item: CountyItem) -> list[CountyItemPhoto]:
    return list(item.photos.all())
