"""What every page shows about the instance itself: the banner of a demo or training instance
whose date is set (RECTIFY_TODAY), so nobody takes its dates for the real ones."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import clock
from .formats import format_cn_date

WEEKDAYS = "一二三四五六日"


def instance_banner_text() -> str:
    """The banner's text (演示/培训实例：系统日期为 2022年8月29日（星期一）); empty on a real instance."""
    fixed = clock.instance_date()
    if fixed is None:
        return ""
    return f"演示/培训实例：系统日期为 {format_cn_date(fixed)}（星期{WEEKDAYS[fixed.weekday()]}）"


def instance(request: HttpRequest) -> dict[str, Any]:
    return {"instance_banner": instance_banner_text()}
