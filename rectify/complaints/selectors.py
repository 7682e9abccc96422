"""Complaint-case reads, scoped: the office sees every case; a unit's clerk the cases its unit
leads or supports; county coordinators their county's. Personal data is read only through
`complainant_for`, and unit-facing views get the masked text (`CaseView`)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.scope import viewer_scope

from . import policies, privacy
from .models import CaseImport, CaseStatus, Complainant, ComplaintBatch, ComplaintCase, Verdict


def _business(viewer: Any) -> Any:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


@dataclasses.dataclass
class CaseFilters:
    batch: int | None = None
    statuses: tuple[str, ...] = ()
    region: int | None = None
    unit: int | None = None
    overdue: bool = False
    q: str = ""
    problem: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> CaseFilters:
        def num(name: str) -> int | None:
            text = str(params.get(name) or "")
            return int(text) if text.isascii() and text.isdigit() else None

        raw = [v for value in params.getlist("status") for v in str(value).split(",")]
        return cls(
            batch=num("batch"),
            statuses=tuple(v for v in raw if v in CaseStatus.values),
            region=num("region"),
            unit=num("unit"),
            overdue=str(params.get("overdue") or "") in ("1", "true"),
            q=str(params.get("q") or "").strip()[:100],
            problem=num("problem"),
        )


def case_list(*, viewer: Any, filters: CaseFilters | None = None) -> QuerySet[ComplaintCase]:
    scope = _business(viewer)
    qs = ComplaintCase.objects.all()
    if not scope.everything:
        qs = qs.filter(
            Q(lead_unit_id__in=scope.unit_ids) | Q(support_units__in=scope.unit_ids) | Q(region_id__in=scope.unit_ids)
        ).distinct()
    f = filters or CaseFilters()
    if f.batch:
        qs = qs.filter(batch_id=f.batch)
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.region:
        qs = qs.filter(region_id=f.region)
    if f.unit:
        qs = qs.filter(lead_unit_id=f.unit)
    if f.problem:
        qs = qs.filter(problem_id=f.problem)
    if f.overdue:
        qs = qs.filter(warning_level="red")
    if f.q:
        qs = qs.filter(Q(code__icontains=f.q) | Q(content__icontains=f.q))
    return qs.select_related("batch", "lead_unit", "region").order_by("batch__batch_no", "pk")


def case_get(*, viewer: Any, pk: int) -> ComplaintCase:
    case = case_list(viewer=viewer).filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def complainant_for(*, viewer: Any, case: ComplaintCase) -> Complainant | None:
    """The only way to the complainant's personal data: the roles that need it."""
    if not policies.can_see_complainant(viewer):
        return None
    return Complainant.objects.filter(case=case).first()


@dataclasses.dataclass(frozen=True)
class CaseView:
    """A case as a page, API answer or export shows it to `viewer`: masked unless the viewer may
    see personal data (free text can carry a phone number or a name)."""

    content: str
    investigation: str
    handling: str
    accountability: str
    next_step: str = ""
    revisit_result: str = ""  # the 回访 note: the office writes down whom it called


def case_view(*, viewer: Any, case: ComplaintCase) -> CaseView:
    if policies.can_see_complainant(viewer):
        return CaseView(
            case.content,
            case.investigation,
            case.handling,
            case.accountability,
            case.next_step,
            case.revisit_result,
        )
    return masked_view(case)


def masked_view(case: ComplaintCase) -> CaseView:
    from .services import NOTE_FIELDS, PUBLIC_FIELDS, public_fields

    complainant = Complainant.objects.filter(case=case).first()
    return CaseView(**public_fields(case, complainant, (*PUBLIC_FIELDS, *NOTE_FIELDS)))


def batch_list(*, viewer: Any) -> QuerySet[ComplaintBatch]:
    _business(viewer)
    return (
        ComplaintBatch.objects.annotate(
            total=Count("cases"), closed=Count("cases", filter=Q(cases__status=CaseStatus.CLOSED))
        )
        .select_related("problem")
        .order_by("-batch_no", "-pk")
    )


def batch_get(*, viewer: Any, pk: int) -> ComplaintBatch:
    batch = batch_list(viewer=viewer).filter(pk=pk).first()
    if batch is None:
        raise NotFound()
    return batch


def import_get(*, viewer: Any, pk: int) -> CaseImport:
    if not policies.can_manage(viewer):
        raise Forbidden("只有市整改办可以导入交办件。")
    job = CaseImport.objects.filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job


# --- public list and statistics ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PublicRow:
    code: str
    region: str
    types: str
    content: str
    verdict: str
    handling: str
    accountability: str
    status: str


def published_batches() -> QuerySet[ComplaintBatch]:
    return ComplaintBatch.objects.filter(cases__public_text__has_key="content").distinct().order_by("-batch_no")


def public_rows(batch: ComplaintBatch) -> list[PublicRow]:
    """The 一览表 the city must publish — only what was frozen, masked, at publication."""
    rows = []
    for c in batch.cases.exclude(public_text={}).order_by("pk"):
        p = c.public_text
        rows.append(
            PublicRow(
                code=c.code,
                region=c.region_text,
                types=c.types_text,
                content=privacy.mask_text(p.get("content", "")),
                verdict=c.get_verdict_display() if c.verdict else "核查中",
                handling=privacy.mask_text(p.get("handling", "")),
                accountability=privacy.mask_text(p.get("accountability", "")),
                status=c.get_status_display(),
            )
        )
    return rows


@dataclasses.dataclass(frozen=True)
class Stats:
    received: int
    closed: int
    substantiated: int
    substantiated_rate: str
    by_region: list[tuple[str, int, int]]
    by_type: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    filed: int
    fine: Decimal
    detained: int
    interviewed: int
    held_accountable: int


def batch_stats(cases: QuerySet[ComplaintCase]) -> Stats:
    from rectify.core.formats import format_percent

    total = cases.count()
    decided = cases.exclude(verdict="").count()
    true = cases.filter(verdict__in=[Verdict.SUBSTANTIATED, Verdict.PARTLY]).count()
    sums = cases.aggregate(
        filed=Sum("filed"), fine=Sum("fine"), detained=Sum("detained"), interviewed=Sum("interviewed"),
        held=Sum("held_accountable"),
    )  # fmt: skip
    regions = (
        cases.order_by()
        .values("region_text")
        .annotate(n=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)))
        .order_by("-n", "region_text")
    )
    types: Counter[str] = Counter()
    for values in cases.values_list("types", flat=True):
        types.update(values or ["其他"])
    statuses = dict(cases.order_by().values_list("status").annotate(n=Count("pk")))
    return Stats(
        received=total,
        closed=statuses.get(CaseStatus.CLOSED, 0),
        substantiated=true,
        substantiated_rate=format_percent(true * 100 / decided) if decided else "—",
        by_region=[(r["region_text"] or "未注明", r["n"], r["closed"]) for r in regions],
        by_type=types.most_common(),
        by_status=[(label, statuses.get(value, 0)) for value, label in CaseStatus.choices],
        filed=sums["filed"] or 0,
        fine=sums["fine"] or Decimal(0),
        detained=sums["detained"] or 0,
        interviewed=sums["interviewed"] or 0,
        held_accountable=sums["held"] or 0,
    )
