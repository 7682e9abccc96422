"""The 月通报's scoring rule: a responsible unit's (or a county's) month, as counted by figures.py
from its own shares, → a score, a rank, and whether it is named (点名). Pure: no ORM and no
settings; figures.py passes the configured weights (settings.RECTIFY_CIRCULAR_WEIGHTS) and the
naming settings (RECTIFY_CIRCULAR_LAGGARDS, RECTIFY_CIRCULAR_LAGGARD_BELOW).

The rule (`rule_text` prints it in Chinese as the circular's footnote; docs/rollup.md says the same):

* A *task* (责任单位任务) is one unit's share of one measure; every count below counts shares.
* R, the on-time reporting rate: (reports filed by their deadline + `late` × reports filed after
  it) ÷ reports owed, over the reporting periods whose deadline fell in the month up to the
  cutoff. 1 when the unit owed no report.
* C, the completion rate of tasks whose time limit has passed: tasks due before the cutoff that
  are done ÷ tasks due before the cutoff. 1 when none was due.
* G, the share of tasks not in red: 1 − tasks in red at the cutoff ÷ tasks. A task is in red when
  it had an open red warning at the cutoff or is overdue (by the warning rules an overdue open
  task is red, so every overdue task is counted red even if no scan ran that day).
* N, supervision notices (督办文书) issued to the unit in the month; P, its tasks reopened on
  relapse (反弹重开) in the month, including its tasks of a problem closed in an earlier 督察轮次
  and found again in a later one (反弹 across rounds, linked in the month), each task once.
* score = report × R + max(0, complete × C + green × G − notice × N − reopen × P), except that a
  unit that owed reports, filed none of them (neither on time nor late) and has no completed task
  (零报送、零完成) gets the reporting part only, i.e. 0. Rounded *up* to one decimal, so any
  positive score is at least 0.1.
* Guarantee: with report > 0 and late > 0 (enforced by `Weights`), a unit that filed any report
  has R > 0 and so a score > 0, while a unit with no report and nothing completed scores 0: it
  ranks below every unit that reported (tests/domain/test_circulars.py checks it by property).
* Equal scores share a rank (1, 2, 2, 4); within a tie the directory order lists them.
* Named (点名): the lowest `n` scores among units below full marks (units tied with the n-th
  lowest are named too) and every unit scoring below `below`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from decimal import ROUND_CEILING, Decimal
from typing import Any

from rectify.core.formats import format_percent

NOTICE_LABELS = {
    "reminder": "提醒函",
    "urge": "督办通知",
    "circular": "通报",
    "report": "专题报告",
    "accountability": "问责移交",
    "interview": "约谈",
}


def _number(value: float) -> str:
    """40, 0.5 (no ".0")."""
    return f"{value:g}"


@dataclass(frozen=True)
class Weights:
    """The weights of the score (settings.RECTIFY_CIRCULAR_WEIGHTS, keys as these fields)."""

    report: float = 40  # points for an on-time reporting rate of 100%
    complete: float = 30  # points for completing every task whose time limit has passed
    green: float = 30  # points for having no task in red
    late: float = 0.5  # a late report counts as this fraction of an on-time one
    notice: float = 5  # deducted per supervision notice received in the month
    reopen: float = 5  # deducted per task reopened on relapse in the month

    def __post_init__(self) -> None:
        if not self.report > 0:
            raise ValueError(
                "RECTIFY_CIRCULAR_WEIGHTS['report'] must be positive (it ranks reporters above idle units)"
            )
        if not 0 < self.late <= 1:
            raise ValueError("RECTIFY_CIRCULAR_WEIGHTS['late'] must be in (0, 1]")
        for name in ("complete", "green", "notice", "reopen"):
            if getattr(self, name) < 0:
                raise ValueError(f"RECTIFY_CIRCULAR_WEIGHTS['{name}'] must not be negative")

    @property
    def full(self) -> float:
        return self.report + self.complete + self.green

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Weights:
        known = {f.name for f in fields(cls)}
        unknown = set(data or {}) - known
        if unknown:
            raise ValueError(f"unknown RECTIFY_CIRCULAR_WEIGHTS keys: {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in (data or {}).items()})

    def as_json(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class UnitFigures:
    """One responsible unit's month (or a county's, summed over the units of its subtree)."""

    unit_id: int
    unit: str
    path: str = ""
    units: int = 1  # responsible units counted (more than 1 for a county as a whole)
    shares: int = 0  # tasks (责任单位任务) the unit carries
    completed: int = 0  # done at the cutoff
    on_time: int = 0  # done, and by their time limit
    due: int = 0  # time limit before the cutoff
    due_done: int = 0  # of those, done
    overdue: int = 0  # of those, not done (due − due_done)
    red: int = 0  # in red at the cutoff (an open red warning, or overdue)
    reports_owed: int | None = 0  # None: not counted (a circular made before reports were counted)
    reports_on_time: int = 0
    reports_late: int = 0
    reports_missing: int = 0  # not filed at all by the cutoff
    missed_periods: int = 0  # reporting periods with a report not filed by its deadline
    notices: dict[str, int] = field(default_factory=dict)
    reopened: int = 0
    idle: bool = False  # owed reports, filed none, completed nothing (零报送、零完成)
    score: float = 0.0
    rank: int = 0

    @property
    def reports_filed(self) -> int:
        return self.reports_on_time + self.reports_late

    @property
    def notices_total(self) -> int:
        return sum(self.notices.values())

    @property
    def completion_rate(self) -> float | None:
        return self.completed * 100 / self.shares if self.shares else None

    @property
    def completion_text(self) -> str:
        return format_percent(self.completion_rate)

    @property
    def report_rate(self) -> float | None:
        """Reports filed by their deadline ÷ reports owed, in %; None when none was owed."""
        return self.reports_on_time * 100 / self.reports_owed if self.reports_owed else None

    @property
    def report_rate_text(self) -> str:
        if self.reports_owed is None:
            return "—"
        return format_percent(self.report_rate) if self.reports_owed else "无应报"

    @property
    def score_text(self) -> str:
        return format_score(self.score)

    @property
    def notices_text(self) -> str:
        """ "提醒函2、督办通知1" in ladder order; "—" for none."""
        parts = [f"{label}{self.notices[k]}" for k, label in NOTICE_LABELS.items() if self.notices.get(k)]
        return "、".join(parts) or "—"

    def add(self, other: UnitFigures) -> None:
        """Sum `other`'s counts into this one (a county as a whole)."""
        for name in (
            "shares",
            "completed",
            "on_time",
            "due",
            "due_done",
            "overdue",
            "red",
            "reports_on_time",
            "reports_late",
            "reports_missing",
            "missed_periods",
            "reopened",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reports_owed = (self.reports_owed or 0) + (other.reports_owed or 0)
        for kind, n in other.notices.items():
            self.notices[kind] = self.notices.get(kind, 0) + n

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitFigures:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def format_score(score: float) -> str:
    """86.3, 100 (no ".0")."""
    return f"{score:.1f}".removesuffix(".0")


def ceil_tenth(value: float) -> float:
    """Up to one decimal; a positive value never becomes 0."""
    rounded = float(Decimal(repr(round(value, 9))).quantize(Decimal("0.1"), rounding=ROUND_CEILING))
    return 0.1 if value > 0 and rounded <= 0 else max(rounded, 0.0)


def is_idle(f: UnitFigures) -> bool:
    return bool(f.reports_owed) and f.reports_filed == 0 and f.completed == 0


def parts(f: UnitFigures, w: Weights) -> tuple[float, float, float]:
    """(R, C, G) of the rule, each in [0, 1]."""
    owed = f.reports_owed or 0
    r = min(1.0, (f.reports_on_time + w.late * f.reports_late) / owed) if owed else 1.0
    c = f.due_done / f.due if f.due else 1.0
    g = 1 - min(f.red, f.shares) / f.shares if f.shares else 1.0
    return r, c, g


def score_of(f: UnitFigures, w: Weights) -> float:
    r, c, g = parts(f, w)
    raw = w.report * r
    if not is_idle(f):
        raw += max(0.0, w.complete * c + w.green * g - w.notice * f.notices_total - w.reopen * f.reopened)
    return ceil_tenth(raw)


def rank(rows: list[UnitFigures], w: Weights) -> list[UnitFigures]:
    """Scores, then order (score, then directory order) and shared ranks (1, 2, 2, 4)."""
    for f in rows:
        f.idle = is_idle(f)
        f.score = score_of(f, w)
    rows.sort(key=lambda f: (-f.score, f.path, f.unit))
    previous: float | None = None
    for position, f in enumerate(rows, start=1):
        if f.score != previous:
            f.rank = position
            previous = f.score
        else:
            f.rank = rows[position - 2].rank
    return rows


def named_ids(rows: Sequence[UnitFigures], *, n: int, below: float, full: float) -> list[int]:
    """The units the rule names, in ranking order: the `n` lowest scores among units below full
    marks (ties with the n-th lowest included), and every unit scoring below `below`."""
    lost = sorted(f.score for f in rows if f.score < full)
    cut = lost[min(n, len(lost)) - 1] if n > 0 and lost else None
    return [f.unit_id for f in rows if (cut is not None and f.score <= cut) or f.score < below]


def notices_phrase(notices: Mapping[str, int]) -> str:
    """ "提醒函2份、督办通知1份" in ladder order."""
    return "、".join(f"{label}{notices[k]}份" for k, label in NOTICE_LABELS.items() if notices.get(k))


def rule_text(w: Weights, *, n: int, below: float) -> str:
    """The scoring rule as printed under the ranking (the footnote)."""
    num = _number
    naming = []
    if n > 0:
        naming.append(f"得分排名倒数{n}位的单位（满分单位除外，与第{n}位同分的一并点名）")
    if below > 0:
        naming.append(f"得分低于{num(below)}分的单位")
    named = "点名通报" + "及".join(naming) + "。" if naming else "不点名通报单位。"
    return (
        f"评分办法：得分＝按时报送率×{num(w.report)}＋到期任务完成率×{num(w.complete)}＋非红色预警任务占比×{num(w.green)}"
        f"－当月收到督办文书份数×{num(w.notice)}－当月反弹重开任务数×{num(w.reopen)}，"
        f"其中后四项合计最低计0分，不抵扣报送得分；满分{num(w.full)}分，向上保留一位小数，得分相同的并列。"
        f"任务指责任单位任务（一个单位承担的一项整改措施），均按数据截止日统计。"
        f"按时报送率＝（按期报送份数＋逾期补报份数×{num(w.late)}）÷当月截止的应报送份数，无应报送的计满；"
        f"到期任务完成率＝整改时限在截止日之前且已完成的任务数÷整改时限在截止日之前的任务数，无到期任务的计满；"
        f"已完成指状态为申请销号、已完成、已销号、长期坚持，或截止日前已报送完成进度100%；"
        f"非红色预警任务占比＝1－截止日处于红色预警（含逾期未完成）的任务数÷承担任务数。"
        f"反弹重开任务含前一督察轮次已销号、当月在后续轮次再次发现（关联为反弹）的问题的任务，每项任务只计一次。"
        f"当月应报送工作进展而一份未报、且没有已完成任务的单位，只计报送得分（0分），排在所有报送过工作进展的单位之后。"
        f"县（市、区）整体得分按辖区内全部责任单位的任务、报送和督办合并计算，办法相同。{named}"
    )
