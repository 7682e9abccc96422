"""rectify run_scheduler: enqueues the day's daily jobs (the deadline scan, then
settings.RECTIFY_DAILY_JOBS) at RECTIFY_SCAN_TIME (Asia/Shanghai); `rectify db_worker` runs them.

It only enqueues: the task (supervision.daily) claims each job of the day in the database, so
any number of schedulers on any number of hosts run each job once per day. It enqueues a
catch-up run when it starts (a restart or a missed night loses nothing: the scan itself walks
the dates it skipped), then looks every RECTIFY_SCHEDULER_TICK_SECONDS whether the day's run is
due and not done (a failed job is tried again, a run whose worker died is taken over), and stops
cleanly on SIGTERM/SIGINT. With the immediate task backend the run happens inside the command.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django_tasks.base import TaskResultStatus

from rectify.core import clock
from rectify.progress.periods import SHANGHAI
from rectify.supervision.daily import FAILED, daily_enqueue


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The next daily run time strictly after `now`."""
    local = now.astimezone(SHANGHAI)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=SHANGHAI)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def catch_up_day(now: dt.datetime, at: dt.time) -> dt.date:
    """The day whose run a scheduler starting at `now` owes: today once `at` has passed; before
    it, yesterday's (started at 02:00, today's jobs wait for `at` rather than run in the night)."""
    local = now.astimezone(SHANGHAI)
    return local.date() if local.time() >= at else local.date() - dt.timedelta(days=1)


def _refresh_connections() -> None:
    """A long-lived process drops connections the server may have closed overnight; not inside
    a transaction someone else holds open (a test, a caller's atomic block)."""
    if not connection.in_atomic_block:
        close_old_connections()


class Command(BaseCommand):
    help = "常驻进程：每天定时把每日任务（预警扫描等）加入后台任务队列（启动时先补一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="只补一次（加入队列；立即执行的后端下当场运行）后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        at = dt.time.fromisoformat(settings.RECTIFY_SCAN_TIME)
        if options["once"]:
            self._enqueue(clock.today())
            return
        self._enqueue(catch_up_day(clock.now(), at))
        announced: dt.datetime | None = None
        while not stop.is_set():
            wake = next_run(clock.now(), at)
            if wake != announced:
                self.stdout.write(f"下次扫描：{wake:%Y-%m-%d %H:%M}")
                self.stdout.flush()
                announced = wake
            # Short steps, so a clock change or a stop signal is noticed promptly.
            until = min(wake, clock.now() + dt.timedelta(seconds=settings.RECTIFY_SCHEDULER_TICK_SECONDS))
            while not stop.is_set() and clock.now() < until:
                stop.wait(min(60.0, max(1.0, (until - clock.now()).total_seconds())))
            if stop.is_set():
                break
            local = clock.now().astimezone(SHANGHAI)
            if local.time() >= at:
                # Due today: nothing happens when the day's jobs are done or a run is queued.
                self._enqueue(local.date(), quiet=True)
        self.stdout.write("每日任务调度已停止。")

    def _enqueue(self, day: dt.date, *, quiet: bool = False) -> None:
        _refresh_connections()
        try:
            result = daily_enqueue(day=day)
        except Exception as exc:
            self.stderr.write(f"每日任务加入队列失败：{exc}")
            return
        finally:
            _refresh_connections()
        if result is None:
            if quiet:
                return
            self.stdout.write(f"{day:%Y-%m-%d} 的每日任务已完成或已在队列中。")
        elif result.status == TaskResultStatus.SUCCESSFUL:
            # The immediate backend: the run happened here; say what each job did.
            for outcome in result.return_value or []:
                target = self.stderr if outcome["state"] == FAILED else self.stdout
                target.write(outcome["message"])
        elif result.status == TaskResultStatus.FAILED:
            self.stderr.write(f"{day:%Y-%m-%d} 的每日任务运行失败。")
        else:
            self.stdout.write(
                f"{day:%Y-%m-%d} 的每日任务已加入后台队列（任务 {result.id}），由 rectify db_worker 运行。"
            )
        self.stdout.flush()
