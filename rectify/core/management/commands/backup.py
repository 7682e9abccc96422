"""rectify backup DIR: the database (consistent while in use), every stored file and a manifest
with their SHA-256 — see rectify/core/backup.py and docs/operations.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库与全部存储文件到一个新目录（含 manifest.json：文件 SHA-256、各表行数、版本与时间）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="备份目录（不存在或为空）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["directory"]), log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        chain = manifest.get("audit_chain") or {}
        if chain:
            # Kept outside the database (in this output and the manifest): a later audit_verify can
            # be compared with it even if the database and its verification records were rewritten.
            self.stdout.write(f"审计链头：第 {chain['seq']} 条 {chain['hash']}")
