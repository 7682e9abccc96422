"""rectify load_directory [PATH]: load a unit directory file (the Shuozhou one by default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.orgs.services import directory_load

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "shuozhou.json"


class Command(BaseCommand):
    help = "加载单位目录（默认：朔州市单位目录）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(Path(options["path"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取单位目录文件：{exc}") from exc
        result = directory_load(actor="命令行", data=data)
        self.stdout.write(f"单位目录已加载：新增 {result['created']} 个单位，{result['groups']} 个组合称谓。")
