"""rectify closeout_finish [--today YYYY-MM-DD]: close (销号) every item whose 公示 period has
ended without objection. Idempotent and catch-up safe; run_scheduler runs it daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rectify.closeout.services import closeouts_finish
from rectify.core.commands import add_today_argument, parse_today


class Command(BaseCommand):
    help = "公示期满无异议的事项予以销号"

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        today = parse_today(options)
        done = closeouts_finish(today=today)
        for app in done:
            self.stdout.write(f"{app.item_label}：{app.closed_on:%Y-%m-%d} 销号")
        self.stdout.write(f"销号 {len(done)} 项。")
