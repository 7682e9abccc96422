"""rectify audit_verify: re-hash the whole audit chain, name the first broken link, keep the
result for the audit admin's page. Read-only on the chain (idempotent); exit code 1 on a break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.audit.services import audit_verify_run


class Command(BaseCommand):
    help = "校验审计日志（留痕）哈希链：发现被修改、删除、插入或调换顺序的记录，报告第一个断点"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--trigger", default="命令行", help="记入校验结果的发起方式（默认：命令行）")

    def handle(self, *args: Any, **options: Any) -> None:
        run = audit_verify_run(trigger=options["trigger"])
        self.stdout.write(run.message)
        self.stdout.write(f"用时 {run.seconds:.2f} 秒；链头：第 {run.head_seq} 条 {run.head_hash}")
        if not run.ok:
            raise CommandError("审计日志校验未通过，请立即报告审计管理员并保全数据库与备份。", returncode=1)
