"""rectify scan_deadlines [--today YYYY-MM-DD]: the daily warning and reminder scan (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.supervision.services import deadlines_scan


class Command(BaseCommand):
    help = "计算预警等级、记录未按时报送并发送提醒（可重复运行，漏跑后自动补扫）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按此日期扫描（YYYY-MM-DD），默认今天（北京时间）")
        parser.add_argument("--no-mail", action="store_true", help="只生成站内通知，不发送邮件")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{options['today']}") from exc
        run = deadlines_scan(today=today, send_mail=not options["no_mail"])
        self.stdout.write(
            f"{run.today:%Y-%m-%d} 扫描完成：措施 {run.measures} 项，新预警 {run.raised} 条，解除 {run.resolved} 条，"
            f"新增未报送 {run.missed} 个单位次，提醒 {run.reminders} 条。"
        )
