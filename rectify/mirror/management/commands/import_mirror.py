"""rectify import_mirror FILE...: load cities' exchange files (rectify export_exchange) into the
read-only mirror, each replacing that city's earlier rows (docs/exchange.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.core.errors import DomainError
from rectify.mirror.services import mirror_import

OUTCOMES = {"created": "已导入", "replaced": "已更新", "unchanged": "未变化（同一文件已导入过）"}


class Command(BaseCommand):
    help = "导入各市的整改台账对账文件（只读镜像；同一城市以较新的导出替换）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for name in options["paths"]:
            path = Path(name)
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"无法读取文件：{path}（{exc.strerror}）") from exc
            try:
                source, outcome = mirror_import(actor="命令行", content=content, filename=path.name)
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{path}：{exc.message}")
                continue
            shares = source.totals.get("shares")
            self.stdout.write(
                f"{path}：{source.city}，{OUTCOMES[outcome]}（数据截至 {source.as_of}，单位任务 {shares} 项）"
            )
        if failed:
            raise CommandError(f"{failed} 个文件未导入（原因见上）。")
