"""rectify reindex_search [--check]: rebuild the ledger's text index (plans.search_index) from the
measures' and problems' texts, or with --check only compare it with them (exit status 1 when they
differ). Safe to run at any time; the migration that adds the index runs it once."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rectify.plans import search_index

LABELS = {search_index.MEASURES: "整改措施", search_index.PROBLEMS: "问题"}
KINDS = {"missing": "缺少", "stale": "过期", "extra": "多余"}


class Command(BaseCommand):
    help = "重建台账全文检索索引（--check 只核对，不一致时退出码为 1）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="只核对索引与台账文字是否一致，不重建")

    def handle(self, *args: Any, **options: Any) -> None:
        if not search_index.supported():
            self.stdout.write("当前数据库不支持全文检索索引，台账检索使用逐行匹配，无需重建。")
            return
        if options["check"]:
            self._check()
            return
        started = time.perf_counter()
        with transaction.atomic():
            done = search_index.reindex()
        counts = "，".join(f"{LABELS[t]} {n} 条" for t, n in done.items())
        self.stdout.write(f"检索索引已重建：{counts}（{time.perf_counter() - started:.1f} 秒）。")

    def _check(self) -> None:
        if not search_index.ready():
            raise CommandError("检索索引尚未建立，请运行 rectify reindex_search。")
        found = search_index.differences()
        problems = [
            f"{LABELS[t]}：" + "，".join(f"{KINDS[k]} {n} 条" for k, n in counter.items())
            for t, counter in found.items()
            if counter
        ]
        if problems:
            raise CommandError("检索索引与台账不一致（" + "；".join(problems) + "），请运行 rectify reindex_search。")
        self.stdout.write("检索索引与台账一致。")
