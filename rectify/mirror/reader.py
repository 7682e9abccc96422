"""Reading an exchange file (documents.exchange, docs/exchange.md) into flat share rows. Pure: bytes
in, a `ReadFile` out, or a DomainError whose Chinese message names what is wrong and where.

Every value a mirror row keeps is checked here (type, allowed values, dates), and the file's
totals against its own rows: a truncated or hand-edited file is refused, not half-loaded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from rectify.core.errors import DomainError
from rectify.documents.exchange import COUNTED, FORMAT, FORMAT_VERSION, totals
from rectify.plans.models import Assignment, DeadlineKind, ShareStatus, WarningLevel

ROLES = set(Assignment.RoleKind.values)
STATUSES = set(ShareStatus.values)
LEVELS = set(WarningLevel.values)
KINDS = set(DeadlineKind.values)
YEARS = (2000, 2100)  # a date or time outside these years is a damaged (or crafted) file
HINT = "请上传由 rectify export_exchange（或 GET /api/v1/exchange/ledger/）导出的对账文件。"


@dataclass
class ReadFile:
    city: str
    doc_abbr: str
    format_version: int
    exported_at: dt.datetime
    as_of: dt.date
    sha256: str
    size: int
    totals: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)


class _Walk:
    """Type checks with the path of the value in the message (plans[0].chapters[2]…)."""

    def __init__(self) -> None:
        self.path: list[str] = []

    def where(self, key: str | int | None = None) -> str:
        parts = [*self.path, *([] if key is None else [str(key)])]
        text = ""
        for p in parts:
            text += f"[{p}]" if p.isdigit() else (f".{p}" if text else p)
        return text or "（文件顶层）"

    def fail(self, key: str | int | None, what: str) -> DomainError:
        return DomainError(f"对账文件的 {self.where(key)} {what}，未导入。{HINT}")

    def get(self, obj: dict[str, Any], key: str, kind: type | tuple[type, ...], *, null: bool = False) -> Any:
        if key not in obj:
            raise self.fail(key, "缺失")
        value = obj[key]
        if value is None and null:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, "类型有误")
        return value

    def choice(self, obj: dict[str, Any], key: str, allowed: set[str], *, null: bool = False) -> Any:
        value = self.get(obj, key, str, null=null)
        if value is not None and value not in allowed:
            raise self.fail(key, f"取值“{str(value)[:40]}”无法识别")
        return value

    def date(self, obj: dict[str, Any], key: str) -> dt.date | None:
        value = self.get(obj, key, str, null=True)
        if value is None:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, "不是 YYYY-MM-DD 格式的日期") from None
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise self.fail(key, f"的年份 {day.year} 不在 {YEARS[0]} 至 {YEARS[1]} 年之间")
        return day

    def moment(self, obj: dict[str, Any], key: str, *, null: bool = True) -> dt.datetime | None:
        value = self.get(obj, key, str, null=null)
        if value is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(key, "不是带时区的时间（ISO 8601）") from None
        if moment.tzinfo is None:
            raise self.fail(key, "不是带时区的时间（ISO 8601）")
        # 0001-01-01T00:00+14:00 parses, but is before the first moment a database can store.
        if not YEARS[0] <= moment.year <= YEARS[1]:
            raise self.fail(key, f"的年份 {moment.year} 不在 {YEARS[0]} 至 {YEARS[1]} 年之间")
        return moment

    def items(self, obj: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
        value = self.get(obj, key, list)
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(key, f"的第 {i + 1} 项不是对象")
        return list(enumerate(value))


def _decode(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DomainError(f"对账文件不是 UTF-8 编码的 JSON，未导入。{HINT}") from None
    except json.JSONDecodeError as exc:
        raise DomainError(
            f"对账文件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有误），文件可能不完整，未导入。{HINT}"
        ) from None
    except RecursionError:  # [[[[… nested deeper than any export: not ours, and not a crash
        raise DomainError(f"对账文件的 JSON 嵌套层数过多，不是整改台账对账文件，未导入。{HINT}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DomainError(f'这不是整改台账对账文件（缺少 "format": "{FORMAT}"），未导入。{HINT}')
    version = data.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        shown = json.dumps(version, ensure_ascii=False)[:20]
        raise DomainError(
            f"对账文件的格式版本为 {shown}，本系统只能读取版本 {FORMAT_VERSION}。"
            "请城市一方用与本系统相同版本的平台重新导出，未导入。"
        )
    return data


def _share_row(w: _Walk, s: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    progress = w.get(s, "progress", int, null=True)
    if progress is not None and not 0 <= progress <= 100:
        raise w.fail("progress", "应为 0 到 100 之间的整数")
    reopened = w.get(s, "reopened_count", int)
    if not 0 <= reopened <= 32767:
        raise w.fail("reopened_count", "超出范围")
    return {
        **base,
        "unit": w.get(s, "unit", str)[:120],
        "region": (w.get(s, "region", str, null=True) or "")[:120],
        "role": w.choice(s, "role", ROLES),
        "status": w.choice(s, "status", STATUSES),
        "progress": progress,
        "warning_level": w.choice(s, "warning_level", LEVELS, null=True) or "",
        "due_on": w.date(s, "due_on"),
        "due_extended": w.get(s, "due_extended", bool),
        "overdue": w.get(s, "overdue", bool),
        "closed_on": w.date(s, "closed_on"),
        "reopened_count": reopened,
        "last_report_at": w.moment(s, "last_report_at"),
    }


def _rows(w: _Walk, data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, plan in w.items(data, "plans"):
        w.path = ["plans", str(i)]
        title = w.get(plan, "title", str)
        for j, chapter in w.items(plan, "chapters"):
            w.path = ["plans", str(i), "chapters", str(j)]
            chapter_number = w.get(chapter, "number", str)
            for k, problem in w.items(chapter, "problems"):
                at_problem = ["plans", str(i), "chapters", str(j), "problems", str(k)]
                w.path = at_problem
                problem_base = {
                    "plan_title": title[:300],
                    "chapter_number": chapter_number[:10],
                    "problem_number": w.get(problem, "number", str)[:10],
                    "problem_text": w.get(problem, "text", str),
                }
                for m, measure in w.items(problem, "measures"):
                    at_measure = [*at_problem, "measures", str(m)]
                    w.path = at_measure
                    seq = w.get(measure, "seq", int)
                    if not 0 <= seq <= 32767:
                        raise w.fail("seq", "超出范围")
                    base = {
                        **problem_base,
                        "measure_number": (w.get(measure, "number", str, null=True) or "")[:10],
                        "measure_seq": seq,
                        "measure_text": w.get(measure, "text", str),
                    }
                    deadline = w.get(measure, "deadline", dict)
                    w.path = [*at_measure, "deadline"]
                    base["deadline_kind"] = w.choice(deadline, "kind", KINDS)
                    base["deadline_raw"] = (w.get(deadline, "raw", str, null=True) or "")[:300]
                    w.path = at_measure
                    for n, share in w.items(measure, "shares"):
                        w.path = [*at_measure, "shares", str(n)]
                        rows.append(_share_row(w, share, base))
    return rows


def read_exchange(content: bytes) -> ReadFile:
    """The file's city, dates, totals and share rows; DomainError when anything is off."""
    data = _decode(content)
    w = _Walk()
    city = w.get(data, "city", dict)
    w.path = ["city"]
    name = w.get(city, "name", str).strip()
    if not name:
        raise w.fail("name", "为空（导出方的单位目录没有市级单位）")
    abbr = w.get(city, "doc_abbr", str, null=True) or ""
    w.path = []
    exported_at = w.moment(data, "exported_at", null=False)
    as_of = w.date(data, "as_of")
    if exported_at is None or as_of is None:
        raise w.fail("exported_at", "缺失")
    stated = w.get(data, "totals", dict)
    rows = _rows(w, data)
    w.path = []
    counted = totals(data)
    for key in COUNTED:
        if stated.get(key) != counted[key]:
            raise DomainError(
                f"对账文件的合计与明细不符（{key}：合计 {json.dumps(stated.get(key))[:20]}，明细 {counted[key]}），"
                "文件可能不完整或被改动过，未导入。"
            )
    return ReadFile(
        city=name[:120],
        doc_abbr=str(abbr)[:30],
        format_version=FORMAT_VERSION,
        exported_at=exported_at,
        as_of=as_of,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        totals={key: stated.get(key) for key in (*COUNTED, "unassessed", "rate", "progress")},
        rows=rows,
    )
