"""rectify verify_files: re-hash every stored file against the SHA-256 kept for it; exit 1 when
one is missing or changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rectify.core.files import stored_files_verify


class Command(BaseCommand):
    help = "校验全部存储文件（佐证材料、附件、交账包）的 SHA-256，报告缺失或被改动的文件"

    def handle(self, *args: Any, **options: Any) -> None:
        report = stored_files_verify()
        for damage, refs in report.damaged:
            where = "、".join(f"{r.model}#{r.pk}" for r in refs[:5]) or "（无记录引用）"
            more = f" 等 {len(refs)} 条" if len(refs) > 5 else ""
            problem = "缺失" if damage.kind == "missing" else f"内容被改动（现 SHA-256 {damage.actual[:16]}…）"
            self.stdout.write(
                f"{damage.storage_name}：{problem}；应为 {damage.expected[:16] or '—'}…；引用：{where}{more}"
            )
        self.stdout.write(
            f"共校验 {report.checked} 个存储文件（被 {report.references} 条记录引用），"
            f"{'全部完好' if report.ok else f'{len(report.damaged)} 个缺失或被改动'}。"
        )
        if not report.ok:
            raise CommandError(
                "存储文件校验未通过：请从备份恢复上述文件（rectify restore 或按清单逐个复制）。", returncode=1
            )
