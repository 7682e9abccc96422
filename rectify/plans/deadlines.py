"""The deadline grammar: 整改时限 wording → a kind and an optional date.

Owns `parse_deadline`, the date-expression scanner shared with the plan parser's milestone finder
(`find_dates` / `date_bounds`), `last_day_of_month`, the Chinese-numeral reader `cn_to_int` and the
recurrence words (`Recurrence`, `recurrence_of`: 每月 / 每季度 / 每半年 / 每年; their periods and
due dates are `rectify.plans.recurrence`). Pure Python, importable without Django: no clock, no
ORM. 月底 is the last day of the month, 年底 is 12-31, a month alone means its last day and a year
alone means 12-31 — a plan that says "2022年3月" has until the end of March.

A recurring deadline (kind RECURRING) carries its `recurrence` and, as `start`, the first day its
periods run from when the text names one: "2023年起每季度…" → 2023-01-01; "2022年底前完成，此后
每季度开展一次" → 2023-01-01 (the date before the recurrence is the first due date, and the periods
follow it). Its `due` is None: the due date is the end of the current period, which needs a clock.
Any clause with a recurrence makes the whole deadline RECURRING (立行立改 / 长期坚持 / a date /
a range beside it only describe how it starts); the other clauses stay in `parts`. 按年度完成任务
stays ANNUAL (a yearly target with 序时进度 inside each year); only 每年 and 按年度报送/开展… are
RECURRING yearly (a yearly obligation to act and report, no 序时进度).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class DeadlineKind(StrEnum):
    DATE = "date"
    IMMEDIATE_ONGOING = "immediate_ongoing"
    IMMEDIATE = "immediate"
    ONGOING = "ongoing"
    ANNUAL = "annual"
    SCHEDULED = "scheduled"
    EXTERNAL = "external"
    RANGE = "range"
    COMPOUND = "compound"
    # Only ever a part of a compound in the seeds ("…问题已完成整改，…2024年10月底"), but a whole
    # deadline may say 已完成 too.
    COMPLETED = "completed"
    # 每月 / 每季度 / 每半年 / 每年: due at the end of every period (rectify.plans.recurrence).
    RECURRING = "recurring"
    UNKNOWN = "unknown"


class Recurrence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


RECURRENCE_LABELS: dict[str, str] = {
    Recurrence.MONTHLY: "每月",
    Recurrence.QUARTERLY: "每季度",
    Recurrence.HALF_YEARLY: "每半年",
    Recurrence.YEARLY: "每年",
}
# Months in one period; when a text names two recurrences the more frequent one governs.
RECURRENCE_MONTHS: dict[str, int] = {
    Recurrence.MONTHLY: 1,
    Recurrence.QUARTERLY: 3,
    Recurrence.HALF_YEARLY: 6,
    Recurrence.YEARLY: 12,
}


KIND_LABELS: dict[str, str] = {
    DeadlineKind.DATE: "限定日期",
    DeadlineKind.IMMEDIATE_ONGOING: "立行立改、长期坚持",
    DeadlineKind.IMMEDIATE: "立行立改",
    DeadlineKind.ONGOING: "长期坚持",
    DeadlineKind.ANNUAL: "按年度完成",
    DeadlineKind.SCHEDULED: "按序时进度",
    DeadlineKind.EXTERNAL: "按上级方案时间",
    DeadlineKind.RANGE: "时间段",
    DeadlineKind.COMPOUND: "分项时限",
    DeadlineKind.COMPLETED: "已完成",
    DeadlineKind.RECURRING: "周期性（每月/每季度/每半年/每年）",
    DeadlineKind.UNKNOWN: "待确认",
}

PRECISION_DAY = "day"
PRECISION_MONTH = "month"
PRECISION_YEAR = "year"


@dataclass(frozen=True, slots=True)
class DeadlinePart:
    scope: str | None
    raw: str
    kind: DeadlineKind
    due: date | None
    start: date | None = None
    recurrence: Recurrence | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    raw: str
    kind: DeadlineKind
    due: date | None
    start: date | None = None
    # Filled for COMPOUND, and for a RECURRING deadline written in several clauses; else empty.
    parts: list[DeadlinePart] = field(default_factory=list)
    # Only for RECURRING.
    recurrence: Recurrence | None = None

    @property
    def recurrence_label(self) -> str:
        return RECURRENCE_LABELS.get(self.recurrence or "", "")


# --- numerals --------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_to_int(text: str) -> int | None:
    """三十四 → 34, 十二 → 12, 一百零二 → 102, 12 → 12; None when it is not a numeral."""
    text = text.strip().translate(_FULLWIDTH_DIGITS)
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    total = 0
    current = 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# --- date expressions ------------------------------------------------------------------------

_CN = "一二三四五六七八九十"
_MONTH = rf"(?:1[0-2]|0?[1-9]|十[一二]?|[{_CN[:9]}])"
_DAY = rf"(?:3[01]|[12]\d|0?[1-9]|[二三]?十[{_CN[:9]}]?|[{_CN[:9]}])"
_SUFFIX = r"(?P<suf>以前|之前|前)?"

# One scanner for every form the plans use; the caller decides what a match means.
_DATE_RE = re.compile(
    rf"(?<![\d.．])(?:"
    # 2022-12-31 / 2022.12 / 2022/12/31 (ledgers and Excel cells write dates this way)
    rf"(?P<ny>(?:19|20)\d\d)[./\-](?P<nm>1[0-2]|0?[1-9])(?:[./\-](?P<nd>3[01]|[12]\d|0?[1-9]))?"
    rf"(?![\d.])"
    rf"|(?P<y>(?:19|20)\d\d)年(?:"
    rf"(?P<yend>年?[底末])"
    rf"|(?P<half>[上下])半年"
    rf"|第?(?P<q>[一二三四1-4])季度[末底]?"
    rf"|(?P<m>{_MONTH})月份?(?:(?P<mend>[底末]|下旬)|(?P<d>{_DAY})[日号])?"
    rf")?"
    # a month without a year: "5月底前" takes the year last mentioned
    rf"|(?<![{_CN}])(?P<m2>{_MONTH})月份?(?:(?P<mend2>[底末]|下旬)|(?P<d2>{_DAY})[日号])?"
    rf"){_SUFFIX}"
)
_CN_YEAR_RE = re.compile(r"[〇○零一二三四五六七八九]{4}(?=年)")


@dataclass(frozen=True, slots=True)
class DateMatch:
    """One date expression found in a text; `year` is None when the text gave no year."""

    raw: str
    begin: int
    end: int
    year: int | None
    month: int | None
    day: int | None
    # year | year_end | half1 | half2 | quarter | month | month_end | day
    form: str
    quarter: int | None = None
    before: bool = False  # followed by 前/以前/之前


def compact(text: str) -> str:
    """Full-width digits → ASCII, 二〇二二年 → 2022年, whitespace removed (2022 年 12 月 → 2022年12月)."""
    text = text.translate(_FULLWIDTH_DIGITS)
    text = _CN_YEAR_RE.sub(lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group()), text)
    return re.sub(r"\s+", "", text)


def find_dates(text: str) -> list[DateMatch]:
    """Every date expression in `text` (expected compact: see `compact`), in order."""
    found: list[DateMatch] = []
    for m in _DATE_RE.finditer(text):
        before = bool(m.group("suf"))
        if m.group("ny"):
            nd = m.group("nd")
            found.append(
                DateMatch(
                    m.group(),
                    m.start(),
                    m.end(),
                    int(m.group("ny")),
                    int(m.group("nm")),
                    int(nd) if nd else None,
                    "day" if nd else "month",
                    before=before,
                )
            )
            continue
        year = int(m.group("y")) if m.group("y") else None
        month_text = m.group("m") or m.group("m2")
        day_text = m.group("d") or m.group("d2")
        mend = m.group("mend") or m.group("mend2")
        month = cn_to_int(month_text) if month_text else None
        day = cn_to_int(day_text) if day_text else None
        if month_text and not month:
            continue
        if m.group("yend"):
            dm = DateMatch(m.group(), m.start(), m.end(), year, 12, None, "year_end", before=before)
        elif m.group("half"):
            form = "half1" if m.group("half") == "上" else "half2"
            dm = DateMatch(m.group(), m.start(), m.end(), year, None, None, form, before=before)
        elif m.group("q"):
            q = cn_to_int(m.group("q"))
            dm = DateMatch(m.group(), m.start(), m.end(), year, None, None, "quarter", q, before)
        elif month is not None:
            form = "day" if day else ("month_end" if mend else "month")
            dm = DateMatch(m.group(), m.start(), m.end(), year, month, day, form, before=before)
        else:
            dm = DateMatch(m.group(), m.start(), m.end(), year, None, None, "year", before=before)
        found.append(dm)
    return found


def date_bounds(match: DateMatch, year: int | None = None) -> tuple[date, date, str] | None:
    """(start, due, precision) of a match; `year` fills in a yearless one. None if impossible."""
    y = match.year if match.year is not None else year
    if y is None:
        return None
    try:
        if match.form == "year":
            return date(y, 1, 1), date(y, 12, 31), PRECISION_YEAR
        if match.form == "year_end":
            return date(y, 12, 1), date(y, 12, 31), PRECISION_MONTH
        if match.form in ("half1", "half2"):
            first = 1 if match.form == "half1" else 7
            return date(y, first, 1), last_day_of_month(y, first + 5), PRECISION_MONTH
        if match.form == "quarter" and match.quarter and 1 <= match.quarter <= 4:
            first = match.quarter * 3 - 2
            return date(y, first, 1), last_day_of_month(y, first + 2), PRECISION_MONTH
        if match.month is None:
            return None
        if match.form == "day" and match.day:
            day = date(y, match.month, match.day)
            return day, day, PRECISION_DAY
        return date(y, match.month, 1), last_day_of_month(y, match.month), PRECISION_MONTH
    except ValueError:  # 2月30日 and the like
        return None


def resolve_dates(text: str, year: int | None = None) -> list[tuple[DateMatch, date, date, str]]:
    """Dates in `text` with yearless months taking the year last mentioned before them.

    `year` is the year in force before `text` starts (an earlier clause named it).
    """
    out: list[tuple[DateMatch, date, date, str]] = []
    for match in find_dates(text):
        bounds = date_bounds(match, year)
        if match.year is not None:
            year = match.year
        if bounds:
            out.append((match, *bounds))
    return out


# --- deadlines -------------------------------------------------------------------------------

_SPLIT_RE = re.compile(r"[，,；;]")
_RANGE_JOIN_RE = re.compile(r"^(?:至|到|[-—–~～])+$")
_DONE_RE = re.compile(r"已(?:全部|基本)?(?:完成整改|整改完成|整改到位|完成|整改|办结|销号)")
_IMMEDIATE_RE = re.compile(r"立行立改|立即整改|即知即改")
_ONGOING_RE = re.compile(r"长期坚持|长期推进|持续推进|常态化|持续整改")
_ANNUAL_RE = re.compile(r"按年度|每年|逐年|年度任务")
_SCHEDULED_RE = re.compile(r"序时进度")
_EXTERNAL_RE = re.compile(r"要求(?:的)?时间|按照?(?:省|中央|国家|上级|市)[^，,；;]{0,12}(?:要求|方案|时限)|同步完成")
_TRIM = "。．.，,；;、：: \t\n"

# The words of a recurrence (on compact text). Half-yearly first: 每半年 is not 每年. 按年度 alone is
# ANNUAL (按年度完成任务); followed by an act of reporting or checking it is a yearly recurrence.
_RECURRENCE_RES: tuple[tuple[Recurrence, re.Pattern[str]], ...] = (
    (Recurrence.HALF_YEARLY, re.compile(r"每半年|按半年|半年一次")),
    (Recurrence.MONTHLY, re.compile(r"每个?月|按月|逐月|一月一次|月度(?=报送|上报|调度|通报|总结)")),
    (
        Recurrence.QUARTERLY,
        re.compile(r"每个?季度?|按季度|按季(?!节)|逐季度?|一季度一次|季度(?=报送|上报|调度|通报|总结)"),
    ),
    (
        Recurrence.YEARLY,
        re.compile(
            r"每一?年|一年一次|按年度?(?:[（(])?(?=报送|上报|报告|开展|组织|评估|复查|核查|检查|通报|总结|考核|排查)"
        ),
    ),
)
# "2023年起每季度…", "自2023年1月起": the date is where the periods begin, not a due date.
_FROM_AFTER_RE = re.compile(r"^(?:起|开始|以来|始)")
_FROM_BEFORE_RE = re.compile(r"(?:自|从|由)$")


def recurrence_of(text: str) -> Recurrence | None:
    """The most frequent recurrence `text` names (每月 over 每季度 …), None when it names none."""
    text = compact(text)
    found = [rec for rec, pattern in _RECURRENCE_RES if pattern.search(text)]
    return min(found, key=lambda r: RECURRENCE_MONTHS[r]) if found else None


def _scope(text: str, spans: list[tuple[int, int]]) -> str | None:
    for begin, end in sorted(spans, reverse=True):
        text = text[:begin] + text[end:]
    for pattern in (_DONE_RE, _IMMEDIATE_RE, _ONGOING_RE):
        text = pattern.sub("", text)
    text = text.strip(_TRIM)
    text = re.sub(r"(?:于|在|到|截至|截止)$", "", text).strip(_TRIM)
    # "自2023年1月起" leaves 自起: words that only framed the date
    text = re.sub(r"^(?:自|从|由)?(?:起|开始)?$", "", text)
    return text or None


def _recurring_start(text: str, dates: list[tuple[DateMatch, date, date, str]]) -> date | None:
    """Where the periods of a recurring clause begin: a range's start, a date followed by 起 (its
    first day), or the day after a date it must first be done by; None without a dated year."""
    dated = [d for d in dates if d[0].year is not None]  # 每年12月底前: the yearly day, not a start
    if not dated:
        return None
    if len(dated) >= 2:
        (m1, start1, _, _), (m2, _, due2, _) = dated[0], dated[1]
        if _RANGE_JOIN_RE.match(text[m1.end : m2.begin]) and start1 <= due2:
            return start1
    match, start, due, _ = dated[-1]
    if _FROM_AFTER_RE.match(text[match.end :]) or _FROM_BEFORE_RE.search(text[: match.begin]):
        return start
    return due + timedelta(days=1)


def _part(text: str, year: int | None = None) -> DeadlinePart:
    """One clause: a recurrence, a date, a range, a keyword kind, or unknown."""
    dates = resolve_dates(text, year)
    spans = [(m.begin, m.end) for m, *_ in dates]
    scope = _scope(text, spans)
    recurrence = recurrence_of(text)
    if recurrence is not None:
        start = _recurring_start(text, dates)
        return DeadlinePart(scope, text, DeadlineKind.RECURRING, None, start, recurrence)
    if len(dates) == 2:
        (m1, start1, _, _), (m2, _, due2, _) = dates
        if _RANGE_JOIN_RE.match(text[m1.end : m2.begin]) and start1 <= due2:
            return DeadlinePart(scope, text, DeadlineKind.RANGE, due2, start1)
    if _DONE_RE.search(text):
        due = max((d for _, _, d, _ in dates), default=None)
        return DeadlinePart(scope, text, DeadlineKind.COMPLETED, due)
    if dates:
        return DeadlinePart(scope, text, DeadlineKind.DATE, max(d for _, _, d, _ in dates))
    immediate = bool(_IMMEDIATE_RE.search(text))
    ongoing = bool(_ONGOING_RE.search(text))
    if immediate and ongoing:
        return DeadlinePart(scope, text, DeadlineKind.IMMEDIATE_ONGOING, None)
    if immediate:
        return DeadlinePart(scope, text, DeadlineKind.IMMEDIATE, None)
    if ongoing:
        return DeadlinePart(scope, text, DeadlineKind.ONGOING, None)
    if _SCHEDULED_RE.search(text):
        return DeadlinePart(scope, text, DeadlineKind.SCHEDULED, None)
    if _ANNUAL_RE.search(text):
        return DeadlinePart(scope, text, DeadlineKind.ANNUAL, None)
    if _EXTERNAL_RE.search(text):
        return DeadlinePart(scope, text, DeadlineKind.EXTERNAL, None)
    return DeadlinePart(scope, text, DeadlineKind.UNKNOWN, None)


_KEYWORD_KINDS = {DeadlineKind.IMMEDIATE, DeadlineKind.ONGOING, DeadlineKind.IMMEDIATE_ONGOING, DeadlineKind.COMPLETED}


def parse_deadline(raw: str) -> Deadline:
    """整改时限 text → Deadline. Never raises: what it cannot read is UNKNOWN with the raw kept."""
    raw = (raw or "").strip()
    text = compact(raw).strip(_TRIM)
    if not text:
        return Deadline(raw, DeadlineKind.UNKNOWN, None)
    clauses = [c.strip(_TRIM) for c in _SPLIT_RE.split(text)]
    clauses = [c for c in clauses if c]
    if len(clauses) > 1:
        parts = []
        year: int | None = None
        for clause in clauses:
            parts.append(_part(clause, year))
            years = [m.year for m in find_dates(clause) if m.year is not None]
            year = years[-1] if years else year
        if any(p.kind is DeadlineKind.RECURRING for p in parts):
            return _recurring_whole(raw, parts)
        known = [p for p in parts if p.kind is not DeadlineKind.UNKNOWN]
        kinds = {p.kind for p in known}
        # 立行立改，长期坚持 / 已完成，长期坚持: one kind written in two clauses
        if kinds and kinds <= _KEYWORD_KINDS and not any(p.due for p in known):
            if DeadlineKind.ONGOING in kinds and len(kinds) > 1:
                return Deadline(raw, DeadlineKind.IMMEDIATE_ONGOING, None)
            if len(kinds) == 1:
                return Deadline(raw, known[0].kind, None)
        if len(known) >= 2:
            merged = _merge_unknown(parts)
            dues = [p.due for p in merged if p.due]
            return Deadline(raw, DeadlineKind.COMPOUND, max(dues) if dues else None, None, merged)
        if len(known) == 1:
            only = known[0]
            return Deadline(raw, only.kind, only.due, only.start)
        # fall through: no clause is readable alone; try the whole text at once
    whole = _part(text)
    if whole.kind is DeadlineKind.COMPLETED and _ONGOING_RE.search(text):
        return Deadline(raw, DeadlineKind.IMMEDIATE_ONGOING, None)
    return Deadline(raw, whole.kind, whole.due, whole.start, [], whole.recurrence)


def _recurring_whole(raw: str, parts: list[DeadlinePart]) -> Deadline:
    """Clauses one of which recurs: the whole recurs, at the most frequent recurrence named. The
    periods begin where a recurring clause says, else after the latest date stated before the
    first recurring clause ("2022年底前完成，此后每季度…": the first due date, then every quarter);
    a range before it gives its start. Dates after the recurrence are kept in the parts only."""
    parts = _merge_unknown(parts)
    recurring = [i for i, p in enumerate(parts) if p.kind is DeadlineKind.RECURRING]
    named = [r for r in (parts[i].recurrence for i in recurring) if r is not None]
    recurrence = min(named, key=lambda r: RECURRENCE_MONTHS[r])
    starts = [s for s in (parts[i].start for i in recurring) if s is not None]
    for part in parts[: recurring[0]]:
        if part.kind is DeadlineKind.RANGE and part.start:
            starts.append(part.start)
        elif part.due is not None:
            # "自2023年1月起，每月…" begins with its month; "2022年底前完成，此后…" after its date.
            starts.append(_recurring_start(part.raw, resolve_dates(part.raw)) or part.due + timedelta(days=1))
    return Deadline(raw, DeadlineKind.RECURRING, None, max(starts, default=None), parts, recurrence)


def _merge_unknown(parts: list[DeadlinePart]) -> list[DeadlinePart]:
    """A clause with no kind of its own ("完成初步整改") belongs to the clause before it."""
    merged: list[DeadlinePart] = []
    pending: list[str] = []
    for part in parts:
        if part.kind is DeadlineKind.UNKNOWN:
            if merged:
                prev = merged[-1]
                scope = "，".join(s for s in (prev.scope, part.scope) if s) or None
                merged[-1] = DeadlinePart(scope, f"{prev.raw}，{part.raw}", prev.kind, prev.due, prev.start)
            else:
                pending.append(part.raw)
            continue
        if pending:
            raw = "，".join([*pending, part.raw])
            scope = "，".join(s for s in (*pending, part.scope) if s) or None
            part = DeadlinePart(scope, raw, part.kind, part.due, part.start)
            pending = []
        merged.append(part)
    return merged
