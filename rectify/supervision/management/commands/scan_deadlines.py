"""rectify scan_deadlines [--today YYYY-MM-DD] [--full]: the daily warning and reminder scan (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rectify.core.commands import add_today_argument, parse_today
from rectify.supervision.services import deadlines_scan


class Command(BaseCommand):
    help = "计算预警等级、记录未按时报送并发送提醒（可重复运行，漏跑后自动补扫）"

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser, "按此日期扫描（YYYY-MM-DD），默认今天（北京时间）")
        parser.add_argument("--no-mail", action="store_true", help="只生成站内通知，不发送邮件")
        parser.add_argument("--full", action="store_true", help="评估全部措施（默认只评估上次扫描以来可能变化的措施）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = parse_today(options)
        run = deadlines_scan(today=today, send_mail=not options["no_mail"], full=options["full"])
        self.stdout.write(
            f"{run.today:%Y-%m-%d} 扫描完成：{run.assessed_words}，新预警 {run.raised} 条，解除 {run.resolved} 条，"
            f"新增未报送 {run.missed} 个单位次，提醒 {run.reminders} 条。"
        )
