"""rectify load_demo_history [--weeks 11] [--seed 2022] [--start 2022-06-20] [--reporting-weeks 4]
[--password P] [--print-date]: play weeks of the seed plan's life through the real services, once
per database (after load_demo and load_demo_complaints). The instance then lives on the history's
last day: set RECTIFY_TODAY to the date printed (scripts/start does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.core.errors import DomainError
from rectify.core.formats import format_cn_date
from rectify.demo.history import (
    DEFAULT_REPORTING_WEEKS,
    DEFAULT_SEED,
    DEFAULT_START,
    DEFAULT_WEEKS,
    Options,
    history_load,
)

WEEKDAYS = "一二三四五六日"


class Command(BaseCommand):
    help = "加载演示历史：按真实业务流程回放方案若干周的整改工作（只加载一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help=f"回放周数（默认 {DEFAULT_WEEKS}）")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
        parser.add_argument("--start", default=DEFAULT_START.isoformat(), help="起始日（星期一，YYYY-MM-DD）")
        parser.add_argument(
            "--reporting-weeks",
            type=int,
            default=DEFAULT_REPORTING_WEEKS,
            help=f"最后若干周全部责任单位在平台报送周报（默认 {DEFAULT_REPORTING_WEEKS}；越多越慢）",
        )
        parser.add_argument("--password", help="新建的联络员账号使用该密码（默认不可登录）")
        parser.add_argument(
            "--print-date", action="store_true", help="只在标准输出打印实例日期（YYYY-MM-DD），其余信息写到标准错误"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            start = dt.date.fromisoformat(options["start"])
        except ValueError as exc:
            raise CommandError(f"起始日格式应为 YYYY-MM-DD：{options['start']}") from exc
        opts = Options(
            weeks=options["weeks"],
            seed=options["seed"],
            start=start,
            reporting_weeks=options["reporting_weeks"],
            password=options.get("password"),
        )
        try:
            outcome = history_load(opts)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out = self.stdout
        if options["print_date"]:
            self.stderr.style_func = None  # plain text: it is information, not an error
            out = self.stderr
        out.write(outcome.message + "\n")
        if outcome.start and outcome.end:
            out.write(
                f"演示历史：{format_cn_date(outcome.start)} 至 {format_cn_date(outcome.end)}；"
                f"实例日期 {outcome.end}（星期{WEEKDAYS[outcome.end.weekday()]}），"
                f"请以 RECTIFY_TODAY={outcome.end} 运行。\n"
            )
        if outcome.loaded:
            out.write(f"用时 {outcome.seconds:.1f} 秒。\n")
            for key, value in outcome.counts.items():
                out.write(f"  {key}: {value}\n")
        for note in outcome.notes:
            out.write(f"  未执行：{note}\n")
        if options["print_date"]:
            self.stdout.write(outcome.end.isoformat() if outcome.end else "")
