"""rectify import_plan PATH [--commit]: show what an import would create; write only with --commit."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.core.errors import DomainError
from rectify.ingestion.services import build_review, guess_start_on, parse_upload, plan_commit, text_hint


class Command(BaseCommand):
    help = "导入整改方案：默认只预览（不写数据库），加 --commit 才写入台账"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--commit", action="store_true", help="确认写入台账")
        parser.add_argument("--start-on", dest="start_on", help="整改起始日 YYYY-MM-DD（序时进度起点）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{path}（{exc.strerror}）") from exc
        try:
            parsed = parse_upload(data, path.name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        review = build_review(parsed)
        self._print_review(review)
        if review.duplicate_of is not None:
            raise CommandError(f"该方案已导入（“{review.duplicate_of.title}”），不会重复创建。")
        if not options["commit"]:
            self.stdout.write(self.style.WARNING("以上为预览，未写入数据库。确认无误后加 --commit 导入。"))
            return
        try:
            start_on = dt.date.fromisoformat(options["start_on"]) if options["start_on"] else None
        except ValueError as exc:
            raise CommandError("--start-on 的格式应为 YYYY-MM-DD") from exc
        if start_on is None:
            start_on = guess_start_on(text_hint(data, path.name))

        def progress(n: int, total: int, problem: Any) -> None:
            self.stdout.write(f"  [{n}/{total}] 已写入问题（{problem.number}）")

        try:
            plan = plan_commit(
                actor="命令行",
                parsed=parsed,
                overrides=None,
                start_on=start_on,
                source_name=path.name,
                source_sha256=hashlib.sha256(data).hexdigest(),
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已导入“{plan.title}”（整改起始日 {plan.start_on}）。"))

    def _print_review(self, review: Any) -> None:
        c = review.counts
        self.stdout.write(f"方案：{review.title}")
        self.stdout.write(
            f"章节 {c['chapters']}，问题 {c['problems']}，措施 {c['measures']}（有编号 {c['numbered_measures']}，"
            f"无编号 {c['unnumbered_measures']}），阶段节点 {c['milestones']}，责任分工 {c['assignments']}"
        )
        for p in review.problems:
            due = f" → {p.deadline.due}" if p.deadline.due else ""
            self.stdout.write(
                f"（{p.number}）时限：{p.deadline.raw} [{p.deadline.kind}]{due}；措施 {p.measure_count} 项"
            )
            for u in p.units:
                if u.units and u.exact:
                    names = "、".join(x.name for x in u.units)
                    self.stdout.write(f"    {u.phrase} → {names}")
                elif u.units:
                    self.stdout.write(f"    {u.phrase} → 待确认（候选 {len(u.units)} 个）")
                else:
                    self.stdout.write(f"    {u.phrase} → 未知单位（导入后待确认）")
        if review.unknown_phrases:
            self.stdout.write("未知单位：" + "、".join(review.unknown_phrases))
        if review.pending_phrases:
            self.stdout.write("待确认的组合称谓：" + "、".join(review.pending_phrases))
        for w in review.warnings:
            self.stdout.write(f"提示：第 {w['line']} 行：{w['message']}")
