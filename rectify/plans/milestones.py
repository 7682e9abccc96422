"""A measure's 阶段性节点 (milestones) as the city office types them: checked, and written or replaced.

An import finds milestones in a measure's text (ingestion.parsers.find_milestones); a measure added
or edited by hand (plans.editing, the API) names them: each a text ("2023年6月底前完成排查") and a
date, the date read from the text when none is given. Replacing a measure's list keeps every node
that stays (same text and date: same row, so the units' 已完成节点 stay theirs) and refuses to drop
a node a unit has already reached — that is on record, like a share with a history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from . import deadlines, writer
from .models import Assignment, Measure, Milestone

RAW_LIMIT = Milestone._meta.get_field("raw").max_length or 100
MAX_MILESTONES = 20
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class MilestoneInput:
    raw: str
    due: dt.date | None = None  # None: read from `raw` ("2023年6月底前" → 2023-06-30)


def _read_date(raw: str) -> tuple[dt.date, str] | None:
    """The last date `raw` names and its precision, as a deadline's text is read."""
    found = deadlines.resolve_dates(deadlines.compact(raw))
    if not found:
        return None
    _, _, due, precision = found[-1]
    return due, precision


def milestones_check(items: Sequence[MilestoneInput], key: str, errors: dict[str, str]) -> list[writer.MilestoneRow]:
    """The rows for `items` in the order given (seq from 1); every problem goes to errors[key]."""
    problems: list[str] = []
    rows: list[writer.MilestoneRow] = []
    if len(items) > MAX_MILESTONES:
        problems.append(f"阶段性节点不能超过{MAX_MILESTONES}个（现{len(items)}个）")
    for n, item in enumerate(items, start=1):
        raw = (item.raw or "").strip()
        if not raw:
            problems.append(f"第{n}个节点请填写节点内容")
            continue
        if len(raw) > RAW_LIMIT:
            problems.append(f"第{n}个节点内容不能超过{RAW_LIMIT}字（现{len(raw)}字）")
            continue
        if item.due is not None:
            due, precision = item.due, deadlines.PRECISION_DAY
        elif (read := _read_date(raw)) is not None:
            due, precision = read
        else:
            problems.append(f"无法从第{n}个节点“{raw}”读出日期，请同时填写节点日期")
            continue
        if not FIRST_YEAR <= due.year <= LAST_YEAR:
            problems.append(f"第{n}个节点的日期{due:%Y-%m-%d}不在{FIRST_YEAR}—{LAST_YEAR}年之间")
            continue
        rows.append(writer.MilestoneRow(n, raw, due, precision))
    seen: set[tuple[str, dt.date]] = set()
    twice: list[str] = []
    for r in rows:
        if (r.raw, r.due_on) in seen:
            twice.append(r.raw)
        seen.add((r.raw, r.due_on))
    if twice:
        problems.append(f"节点重复：{'、'.join(dict.fromkeys(twice))}")
    if problems:
        errors[key] = "；".join(problems) + "。"
    return rows


def labels(rows: Sequence[writer.MilestoneRow] | Sequence[Milestone]) -> list[str]:
    """For the audit record: "2023年6月底前完成排查（2023-06-30）"."""
    return [f"{r.raw}（{r.due_on:%Y-%m-%d}）" for r in rows]


def milestones_replace(measure: Measure, rows: Sequence[writer.MilestoneRow]) -> tuple[list[str], list[str]] | None:
    """Make the measure's milestones `rows`: a node that stays (same text and date) keeps its row
    and renumbers, the others are added or removed. None when nothing changes; else the labels
    before and after. Raises ValueError naming the reached nodes a removal would lose."""
    current = list(Milestone.objects.filter(measure=measure).order_by("seq"))
    if [(m.raw, m.due_on) for m in current] == [(r.raw, r.due_on) for r in rows]:
        return None
    by_key = {(m.raw, m.due_on): m for m in current}
    wanted = {(r.raw, r.due_on) for r in rows}
    gone = [m for m in current if (m.raw, m.due_on) not in wanted]
    if gone:
        reached = reached_ids(measure)
        lost = [str(m) for m in gone if m.reached_on or m.pk in reached]
        if lost:
            raise ValueError(f"以下节点已有单位完成，不能删除或修改：{'、'.join(lost)}")
        Milestone.objects.filter(pk__in=[m.pk for m in gone]).delete()
    kept, new = [], []
    for r in rows:
        old = by_key.get((r.raw, r.due_on))
        if old is not None:
            if old.seq != r.seq:
                old.seq = r.seq
                kept.append(old)
        else:
            new.append(Milestone(measure=measure, seq=r.seq, raw=r.raw, due_on=r.due_on, precision=r.precision))
    Milestone.objects.bulk_update(kept, ["seq"])
    Milestone.objects.bulk_create(new)
    return labels(current), labels(rows)


def reached_ids(measure: Measure) -> set[int]:
    """Milestones of the measure some unit has reached (its share's 已完成节点)."""
    out: set[int] = set()
    for reached in Assignment.objects.filter(measure=measure).values_list("milestones_reached", flat=True):
        out.update(int(k) for k in (reached or {}) if str(k).isdigit())
    return out
