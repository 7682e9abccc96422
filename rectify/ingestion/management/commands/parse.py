"""rectify parse PATH --json: read a plan without a database and print the parse contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.ingestion.parsers import PlanReadError, parse_plan_bytes, plan_to_dict


class Command(BaseCommand):
    help = "解析整改方案文件（.txt/.docx/.pdf/.html/.xlsx），输出 JSON"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", help="输出 JSON（默认即为 JSON）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{path}（{exc.strerror}）") from exc
        try:
            parsed = parse_plan_bytes(data, path.name)
        except (PlanReadError, ValueError) as exc:
            raise CommandError(getattr(exc, "message", None) or str(exc)) from exc
        self.stdout.write(json.dumps(plan_to_dict(parsed), ensure_ascii=False, indent=2))
