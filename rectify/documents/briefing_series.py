"""An office's 工作简报 series: where its numbering stands (上一期为第N期, so the next issued is
第N+1期) and the 报/送/发 lines it uses (remembered from the last saved draft, offered on the next).

The 期数 are the office's gapless counter (core.numbering, scope "<issuer>:briefing", per year):
setting "上一期为第28期" sets that counter to 28 in one guarded UPDATE, so the next issue (which
increments it inside its own transaction) is 第29期. The counter never goes below a number this
office has already issued that year: no 期数 is ever given twice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from rectify.audit.services import record
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.models import Counter
from rectify.orgs.models import OrgUnit
from rectify.supervision.notices import issuer_for

from . import policies
from .models import Briefing, BriefingSeries

MAX_ISSUE_NO = 9999
LINE_FIELDS = ("report_to", "copy_to", "send_to")


def scope(issuer: OrgUnit | int) -> str:
    return f"{issuer if isinstance(issuer, int) else issuer.pk}:briefing"


def last_issue_no(issuer: OrgUnit, year: int) -> int:
    value = Counter.objects.filter(scope=scope(issuer), year=year).values_list("value", flat=True).first()
    return value or 0


def issued_max(issuer: OrgUnit, year: int) -> int:
    top = Briefing.objects.filter(issuer=issuer, year=year, issue_no__isnull=False).aggregate(n=Max("issue_no"))
    return int(top["n"] or 0)


def series_get(issuer: OrgUnit) -> BriefingSeries:
    """The office's settings (unsaved defaults when it has none yet)."""
    return BriefingSeries.objects.filter(issuer=issuer).first() or BriefingSeries(issuer=issuer)


def _office(actor: Any) -> OrgUnit:
    if not policies.can_compile(actor):
        raise Forbidden("只有整改办可以设置工作简报期数。")
    return issuer_for(actor)


@transaction.atomic
def briefing_series_set(*, actor: Any, year: int, last_no: int) -> int:
    """ "上一期为第{last_no}期" for the actor's office and `year`: the next issued is last_no + 1.
    Refused below the highest 期数 the office already issued this year. Returns last_no."""
    issuer = _office(actor)
    if not 2000 <= year <= 2100:
        raise DomainError("请填写有效的年度。")
    if not 0 <= last_no <= MAX_ISSUE_NO:
        raise DomainError(f"期数应在0到{MAX_ISSUE_NO}之间。")
    top = issued_max(issuer, year)
    if last_no < top:
        raise DomainError(f"本系统已印发{year}年第{top}期，上一期不能设为第{last_no}期（期数不能重复）。")
    Counter.objects.bulk_create([Counter(scope=scope(issuer), year=year)], ignore_conflicts=True)
    before = last_issue_no(issuer, year)
    # Guarded: an issue that took a number meanwhile makes this fail rather than repeat its number.
    updated = Counter.objects.filter(scope=scope(issuer), year=year, value=before).update(value=last_no)
    if updated != 1:
        raise ConcurrentChange("期数刚刚被他人更新（可能有简报正在印发），请刷新页面后重试。")
    series, _ = BriefingSeries.objects.get_or_create(issuer=issuer)
    record(
        actor=actor,
        action="briefing.series_set",
        obj=series,
        before={"year": year, "last_issue_no": before},
        after={"year": year, "last_issue_no": last_no},
    )
    return last_no


def remember_lines(briefing: Briefing) -> None:
    """Keep the draft's 报/送/发 as the office's defaults (inside the saving transaction)."""
    values = {f: getattr(briefing, f) for f in LINE_FIELDS}
    BriefingSeries.objects.update_or_create(issuer_id=briefing.issuer_id, defaults=values)


def default_lines(issuer: OrgUnit) -> dict[str, str]:
    series = series_get(issuer)
    return {f: getattr(series, f) for f in LINE_FIELDS}
