"""rectify run_scheduler: runs scan_deadlines every day at RECTIFY_SCAN_TIME (Asia/Shanghai).

A small loop rather than a queue: it needs nothing but the database (SQLite or PostgreSQL), runs
a catch-up scan when it starts (a restart or a missed night loses nothing: the scan itself walks
the dates it skipped), and stops cleanly on SIGTERM/SIGINT. Several copies are harmless: the
scan is idempotent.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from rectify.core import clock
from rectify.progress.periods import SHANGHAI
from rectify.supervision.services import deadlines_scan


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The next daily run time strictly after `now`."""
    local = now.astimezone(SHANGHAI)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=SHANGHAI)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def _refresh_connections() -> None:
    """A long-lived process drops connections the server may have closed overnight; not inside
    a transaction someone else holds open (a test, a caller's atomic block)."""
    if not connection.in_atomic_block:
        close_old_connections()


class Command(BaseCommand):
    help = "常驻进程：每天定时运行预警扫描（启动时先补扫一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="只补扫一次后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        at = dt.time.fromisoformat(settings.RECTIFY_SCAN_TIME)
        self._scan()
        if options["once"]:
            return
        while not stop.is_set():
            wake = next_run(clock.now(), at)
            self.stdout.write(f"下次扫描：{wake:%Y-%m-%d %H:%M}")
            self.stdout.flush()
            # Sleep in short steps so a clock change or a stop signal is noticed promptly.
            while not stop.is_set() and clock.now() < wake:
                stop.wait(min(60.0, max(1.0, (wake - clock.now()).total_seconds())))
            if not stop.is_set():
                self._scan()
        self.stdout.write("预警扫描调度已停止。")

    def _scan(self) -> None:
        _refresh_connections()
        try:
            run = deadlines_scan()
        except Exception as exc:
            self.stderr.write(f"扫描失败：{exc}")
            return
        finally:
            _refresh_connections()
        self.stdout.write(
            f"{run.today:%Y-%m-%d} 扫描完成：新预警 {run.raised} 条，新增未报送 {run.missed}，提醒 {run.reminders} 条。"
        )
        # The other daily jobs (销号 at the end of 公示, 交账 packages), named in settings so this
        # command does not import the apps above it; each is idempotent and catches up by itself.
        for path, label in settings.RECTIFY_DAILY_JOBS:
            try:
                done = import_string(path)(today=run.today)
            except Exception as exc:
                self.stderr.write(f"{label}失败：{exc}")
                continue
            finally:
                _refresh_connections()
            self.stdout.write(f"{label}：{len(done)} 项。")
        self.stdout.flush()
