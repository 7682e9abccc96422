"""What the daily commands share: an optional `--today YYYY-MM-DD` (the clock's today if absent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser


def add_today_argument(
    parser: CommandParser, help_text: str = "按此日期办理（YYYY-MM-DD），默认今天（北京时间）"
) -> None:
    parser.add_argument("--today", help=help_text)


def parse_today(options: dict[str, Any]) -> dt.date | None:
    raw = options.get("today")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{raw}") from exc
