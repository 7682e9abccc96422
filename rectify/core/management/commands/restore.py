"""rectify restore DIR: check the backup against its manifest, restore the database and the
stored files, check the result against the manifest again. Stop the web and scheduler first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "从 rectify backup 生成的目录恢复数据库与存储文件（恢复前后均按清单核对 SHA-256 与各表行数）"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="备份目录")
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然覆盖")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(Path(options["directory"]), force=options["force"], log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        tables = manifest["database"]["tables"]
        self.stdout.write(
            f"恢复完成：{len(tables)} 张表共 {sum(tables.values())} 行、{len(manifest['files'])} 个文件，"
            "均与备份清单一致。建议接着运行 rectify audit_verify 与 rectify verify_files。"
        )
