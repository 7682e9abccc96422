"""rectify closeout_finish [--today YYYY-MM-DD]: close (销号) every item whose 公示 period has
ended without objection. Idempotent and catch-up safe; run_scheduler runs it daily."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.closeout.services import closeouts_finish


class Command(BaseCommand):
    help = "公示期满无异议的事项予以销号"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按此日期办理（YYYY-MM-DD），默认今天（北京时间）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        done = closeouts_finish(today=today)
        for app in done:
            self.stdout.write(f"{app.item_label}：{app.closed_on:%Y-%m-%d} 销号")
        self.stdout.write(f"销号 {len(done)} 项。")
