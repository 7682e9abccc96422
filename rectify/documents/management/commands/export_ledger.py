"""rectify export_ledger PATH [--as-of YYYY-MM-DD]: the whole ledger as .json, .csv or .xlsx.

Written as it is read (documents.ledger.export_stream), so memory stays flat at any size;
bench/bench_export.py measures it at 100,000 measures."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rectify.audit.services import export_record
from rectify.core import clock
from rectify.documents.ledger import FORMATS, export_stream
from rectify.documents.ledger_writers import write_export
from rectify.plans.models import Measure


class Command(BaseCommand):
    help = "导出整改台账（按扩展名选择 .json/.csv/.xlsx）"
    # A job, not a deployment step: Django's system checks (about a second of CPU, loading every URL
    # and template) belong to `rectify check` at deploy time, not to each export.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--as-of", dest="as_of", help="以该日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError("导出文件的扩展名应为 .json、.csv 或 .xlsx")
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else clock.today()
        except ValueError as exc:
            raise CommandError("--as-of 的格式应为 YYYY-MM-DD") from exc
        measures = Measure.objects.all().order_by("problem__plan_id", "problem__index", "seq")
        export = export_stream(measures, as_of=as_of)
        # The cyclic collector off for the run (a process of its own, gone when the file is written):
        # the export's entries are trees freed by reference counting as each problem is written, and
        # the collections their millions of small objects set off cost ~10 % of the time, for nothing
        # (the same peak RSS; bench/bench_export.py).
        enabled = gc.isenabled()
        gc.disable()
        try:
            write_export(export, fmt, path)
        finally:
            if enabled:
                gc.enable()
        export_record(actor="命令行", what=f"整改台账 .{fmt}", rows=export.measures, detail=str(path)[:500])
        self.stdout.write(f"已导出 {len(export.plans)} 个方案、{export.problems_read} 个问题到 {path}")
