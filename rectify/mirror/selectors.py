"""Scoped reads of the mirror: each city's figures counted from its mirror rows (the same
definitions as the city's own 领导驾驶舱, documents.exchange.tally), and one city's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from rectify.core.errors import Forbidden, NotFound
from rectify.documents.exchange import ACCEPTED, CLOSED, DONE

from .models import MirrorShare, MirrorSource
from .policies import can_view_mirrors

FIGURES = ("shares", "done", "closed", "overdue", "red", "yellow", "green", "unassessed", "rate", "progress")


@dataclass
class CityFigures:
    """One mirrored city: its source (which file, when) and its figures counted here."""

    source: MirrorSource
    figures: dict[str, Any]

    @property
    def matches_file(self) -> bool:
        """对账: the figures counted from the mirror rows equal the totals the city's file stated."""
        return all(self.figures[k] == self.source.totals.get(k) for k in FIGURES)


def _allowed(viewer: Any) -> None:
    if not can_view_mirrors(viewer):
        raise Forbidden("只有整改办和领导可以查看各市的对账数据。")


def _aggregates() -> dict[str, Any]:
    return {
        "shares": Count("pk"),
        "done": Count("pk", filter=Q(status__in=sorted(DONE))),
        "closed": Count("pk", filter=Q(status__in=sorted(CLOSED))),
        "overdue": Count("pk", filter=Q(overdue=True)),
        "red": Count("pk", filter=Q(warning_level="red")),
        "yellow": Count("pk", filter=Q(warning_level="yellow")),
        "green": Count("pk", filter=Q(warning_level="green")),
        "progress_sum": Sum(
            Case(
                When(status__in=sorted(ACCEPTED), then=Value(100)),
                default=Coalesce("progress", Value(0)),
                output_field=IntegerField(),
            )
        ),
        "reported": Count("pk", filter=Q(progress__isnull=False) | Q(status__in=sorted(ACCEPTED))),
    }


def _figures(row: dict[str, Any], source: MirrorSource) -> dict[str, Any]:
    n = row.get("shares") or 0
    counts = {k: row.get(k) or 0 for k in ("done", "closed", "overdue", "red", "yellow", "green")}
    return {
        "plans": source.totals.get("plans"),
        "problems": source.totals.get("problems"),
        "measures": source.totals.get("measures"),
        "shares": n,
        **counts,
        "unassessed": n - counts["red"] - counts["yellow"] - counts["green"],
        "rate": round(counts["done"] * 100 / n, 1) if n else None,
        "progress": round((row.get("progress_sum") or 0) / n, 1) if n and row.get("reported") else None,
    }


def mirror_list(*, viewer: Any) -> list[CityFigures]:
    """Every mirrored city with its figures, in one grouped query."""
    _allowed(viewer)
    sources = list(MirrorSource.objects.select_related("imported_by").order_by("city"))
    rows = {
        row.pop("source_id"): row
        for row in MirrorShare.objects.order_by().values("source_id").annotate(**_aggregates())
    }
    return [CityFigures(s, _figures(rows.get(s.pk, {}), s)) for s in sources]


def mirror_get(*, viewer: Any, pk: int) -> CityFigures:
    _allowed(viewer)
    source = MirrorSource.objects.select_related("imported_by").filter(pk=pk).first()
    if source is None:
        raise NotFound()
    row = MirrorShare.objects.filter(source=source).order_by().aggregate(**_aggregates())
    return CityFigures(source, _figures(row, source))


@dataclass(frozen=True)
class ShareFilters:
    status: str = ""
    level: str = ""
    overdue: bool = False
    region: str = ""


def mirror_shares(*, viewer: Any, source: MirrorSource, filters: ShareFilters | None = None) -> QuerySet[MirrorShare]:
    """A city's mirror rows in the file's order, narrowed by status, level, overdue or region."""
    _allowed(viewer)
    qs = MirrorShare.objects.filter(source=source).order_by("id")
    f = filters or ShareFilters()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.level:
        qs = qs.filter(warning_level="" if f.level == "none" else f.level)
    if f.overdue:
        qs = qs.filter(overdue=True)
    if f.region:
        qs = qs.filter(region=f.region)
    return qs
