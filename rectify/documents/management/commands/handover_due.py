"""rectify handover_due [--today YYYY-MM-DD]: make the 交账 package of every scheduled day up to
today that has none yet (idempotent, catches up missed days); run_scheduler runs it daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rectify.core.commands import add_today_argument, parse_today
from rectify.documents.handover import handover_due


class Command(BaseCommand):
    help = "按交账日程生成交账包（补生成错过的交账日）"

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        today = parse_today(options)
        made = handover_due(today=today)
        for package in made:
            self.stdout.write(f"{package}：{package.items} 项")
        self.stdout.write(f"生成交账包 {len(made)} 个。")
