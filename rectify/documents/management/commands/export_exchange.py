"""rectify export_exchange PATH: the whole ledger as an exchange file ("rectify-ledger", format
version 1) for the level above to load as a read-only mirror (docs/exchange.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.audit.services import export_record
from rectify.documents.exchange import exchange_build, exchange_bytes


class Command(BaseCommand):
    help = "导出全市整改台账对账文件（JSON，供上级平台导入镜像）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="输出文件（.json）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.suffix.lower() != ".json":
            raise CommandError("对账文件的扩展名应为 .json")
        doc = exchange_build(viewer=None)
        try:
            path.write_bytes(exchange_bytes(doc))
        except OSError as exc:
            raise CommandError(f"无法写入文件：{path}（{exc.strerror}）") from exc
        t = doc["totals"]
        export_record(actor="命令行", what="对账文件 .json", rows=t["shares"], detail=str(path)[:500])
        self.stdout.write(
            f"已导出{doc['city']['name']}的 {t['plans']} 个方案、{t['problems']} 个问题、{t['measures']} 项措施、"
            f"{t['shares']} 项单位任务到 {path}（数据截至 {doc['as_of']}）"
        )
