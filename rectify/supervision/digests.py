"""Digests: one short message instead of a flood — counts by level and by unit, each count a link
to the warning board (or the 未报送 page) filtered to exactly the rows it counts.

A warning digest's table is the reader's own board at the moment it is sent: the shares (措施 ×
责任单位) in red and yellow within the reader's scope, by unit, worst first — so following a link
shows exactly the shares counted (until the next report or scan changes them). The lead sentence
says how many warnings the scan has just raised.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.urls import reverse

from rectify.core import clock
from rectify.core.errors import Forbidden
from rectify.core.formats import format_cn_date
from rectify.notifications.digest import Figure, Row, Table
from rectify.notifications.services import Message
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, WarningLevel
from rectify.plans.selectors import LedgerFilters
from rectify.progress.periods import Period

from . import rules

LEVELS = ((WarningLevel.RED, "红色", "danger"), (WarningLevel.YELLOW, "黄色", "warning"))


def board_url(**params: Any) -> str:
    return _with_query(reverse("supervision:board"), params)


def _with_query(base: str, params: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return base + (f"?{query}" if query else "")


def board_table(viewer: Any) -> Table:
    """The viewer's red and yellow shares by level and unit, as the warning board counts them."""
    from . import selectors  # selectors imports services, which imports this module

    try:
        shares = selectors.share_list(viewer=viewer, filters=LedgerFilters())
    except Forbidden:  # no business scope: nothing to count
        shares = Assignment.objects.none()
    by_unit = _by_unit(shares)
    return _table(by_unit, _units(by_unit))


def board_tables(viewers: Iterable[Any], *, everything: Collection[int] = ()) -> dict[int, Table]:
    """`board_table` of many viewers (by user id) from one count of every unit's red and yellow
    shares: a viewer's board with no other filter is the shares of the units in its scope
    (selectors.share_list; a test compares the two). `everything`: ids of viewers the caller knows
    to see every unit (a coordinator of the city: `viewer_scope` would say so), not read again."""
    viewers = list(viewers)
    if not viewers:
        return {}
    everyone = _by_unit(Assignment.objects.filter(measure__isnull=False, unit__isnull=False))
    units = _units(everyone)
    tables = {}
    for viewer in viewers:
        if viewer.pk in everything:
            tables[viewer.pk] = _table(everyone, units)
            continue
        scope = viewer_scope(viewer)
        if not scope.is_business_user:
            mine: dict[int, dict[str, int]] = {}
        elif scope.everything:
            mine = everyone
        else:
            mine = {u: counts for u, counts in everyone.items() if u in scope.unit_ids}
        tables[viewer.pk] = _table(mine, units)
    return tables


def _by_unit(shares: QuerySet[Assignment]) -> dict[int, dict[str, int]]:
    by_unit: dict[int, dict[str, int]] = defaultdict(dict)
    for r in (
        shares.filter(warning_level__in=[level for level, _, _ in LEVELS])
        .order_by()
        .values("unit_id", "warning_level")
        .annotate(n=Count("pk"))
    ):
        by_unit[r["unit_id"]][r["warning_level"]] = r["n"]
    return by_unit


def _units(by_unit: dict[int, dict[str, int]]) -> dict[int, OrgUnit]:
    return {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(by_unit)).only("pk", "name", "path")}


def _table(by_unit: dict[int, dict[str, int]], units: dict[int, OrgUnit]) -> Table:
    board = reverse("supervision:board")  # once: a table has two links per unit

    def link(**params: Any) -> str:
        return _with_query(board, params)

    order = sorted(by_unit, key=lambda u: (*(-by_unit[u].get(lv, 0) for lv, _, _ in LEVELS), units[u].path))
    rows = [
        Row(
            label=units[u].name,
            cells=tuple(
                Figure(label, n, link(unit=u, warning=level) if n else "", tone)
                for level, label, tone in LEVELS
                for n in [by_unit[u].get(level, 0)]
            ),
        )
        for u in order
    ]
    totals = [
        Figure(f"{label}预警", sum(v.get(level, 0) for v in by_unit.values()), link(warning=level), tone)
        for level, label, tone in LEVELS
    ]
    return Table(
        note=f"截至{format_cn_date(clock.today())}，您负责范围内处于预警的措施分工",
        totals=totals,
        columns=[Figure(label, 0, "", tone) for _, label, tone in LEVELS],
        rows=rows,
        more_url=link(warning="red,yellow"),
    )


def warning_digest(
    items: Sequence[tuple[Assignment | int, rules.Reason]],
    *,
    to_coordinator: bool,
    viewer: Any = None,
    table: Table | None = None,
) -> Message:
    """Many new warnings (share or share id, reason) for one person as one short message: how
    many were raised, and the reader's board by level and unit (top rows, "等 N 个单位"), each
    figure a board link. `table`: the reader's board_table when the caller counted it already."""
    # Counted as the board counts: shares (措施 × 单位), each at the worst of its new warnings.
    pairs = [(a if isinstance(a, int) else a.pk, r) for a, r in items]
    red_shares = {pk for pk, r in pairs if r.level == rules.Level.RED}
    red, yellow = len(red_shares), len({pk for pk, _ in pairs} - red_shares)
    counts = [f"{label}预警 {n} 项" for label, n in (("红色", red), ("黄色", yellow)) if n]
    keys = "|".join(sorted(f"{pk}:{r.key}" for pk, r in pairs))
    if table is None and viewer is not None:
        table = board_table(viewer)
    lead = "本次扫描新增" + "、".join(counts) + "。"
    ask = "请在预警看板逐项查看，督促责任单位按时整改。" if to_coordinator else "请及时报送整改进展。"
    url = reverse("supervision:board") if to_coordinator else reverse("progress:todo")
    return Message(
        kind="warning",
        subject="【预警汇总】新增" + "、".join(counts),
        body=table.text(lead=lead, ask=ask) if table else f"{lead}\n{ask}",
        url=url,
        dedupe_key=f"warning-digest:{hashlib.sha256(keys.encode()).hexdigest()[:32]}",
        category="info",
        data={"lead": lead, **table.as_data()} if table else {"lead": lead},
    )


def missed_summary(period: Period, rows: list[Any], names: dict[int, str], url: str) -> Message:
    """A coordinator's list of the units that missed a reporting deadline, worst first."""
    kind = "周报" if period.kind == "weekly" else "月度总结"
    ordered = sorted(rows, key=lambda r: (-r.missing, names[r.unit_id]))
    table = Table(
        note=f"截止时间 {period.due_at:%Y年%m月%d日 %H:%M}",
        totals=[
            Figure("未按时报送单位", len(rows), url, "danger"),
            Figure("未报送措施", sum(r.missing for r in rows), url, "secondary"),
        ],
        columns=[Figure("未报送", 0, "", "danger"), Figure("应报", 0, "", "secondary")],
        rows=[
            Row(
                names[r.unit_id], (Figure("未报", r.missing, "", "danger"), Figure("应报", r.required, "", "secondary"))
            )
            for r in ordered
        ],
        more_url=url,
    )
    return Message(
        kind="missing_report",
        subject=f"【未报送汇总】{period.label}{kind}：{len(rows)} 个单位未按时报送",
        body=table.text(ask="请督促上述单位尽快补报。"),
        url=url,
        dedupe_key=f"missed-summary:{period.kind}:{period.key}",
        category="info",
        data=table.as_data(),
    )
