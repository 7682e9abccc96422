"""The daily jobs, once per day however many app machines run (docs/operations.md).

`rectify run_scheduler` (any number of copies, on any hosts) only *enqueues* the day's run on
Django's Tasks framework (django-tasks, the database backend); a `rectify db_worker` runs the
task `daily_run`, which goes through the deadline scan and then each job named in
settings.RECTIFY_DAILY_JOBS (by dotted path, so this app never imports the apps above it).

Each job of each day is claimed before it runs by inserting its `DailyRun` row, unique on
(job, day): of two workers racing, one insert wins and the other gets an IntegrityError and
skips the job. The row then records done or failed, the number of items and the time taken. A
failed job is claimed again by a later run of the same day (up to RECTIFY_DAILY_JOB_ATTEMPTS
attempts); a job still "running" after RECTIFY_DAILY_JOB_STALE_SECONDS is taken as lost (its
worker was killed) and may be claimed again. Claims move a row with `UPDATE … WHERE` its
current state, so on SQLite and PostgreSQL alike only one claimant wins.

The jobs run in order, one day's run progressing in one worker at a time: a run that finds the
next job running elsewhere stops there (the other worker goes on through the rest), so the
scan is never running while the jobs after it do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .models import DailyRun
from .services import deadlines_scan

logger = logging.getLogger(__name__)

SCAN = "rectify.supervision.services.deadlines_scan"
SCAN_LABEL = "预警扫描"

# What a run did with one job.
RAN, FAILED, SKIPPED, BUSY = "ran", "failed", "skipped", "busy"


def jobs() -> list[tuple[str, str]]:
    """(dotted path, label) of every daily job, in the order they run: the scan first."""
    return [(SCAN, SCAN_LABEL), *[(str(path), str(label)) for path, label in settings.RECTIFY_DAILY_JOBS]]


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.RECTIFY_DAILY_JOB_STALE_SECONDS)


def _claimable() -> Q:
    """A row that may be claimed again, attempts left: failed, or running but lost (a job that
    kills its worker each time is not taken up again all day)."""
    attempts_left = Q(attempts__lt=settings.RECTIFY_DAILY_JOB_ATTEMPTS)
    return attempts_left & (
        Q(status=DailyRun.Status.FAILED) | Q(status=DailyRun.Status.RUNNING, claimed_at__lt=_stale_before())
    )


# --- the lock ----------------------------------------------------------------------------------


def run_claim(*, job: str, label: str, day: dt.date) -> DailyRun | None:
    """Claim `job` for `day`: its DailyRun row, now running under a new claim, or None when it
    is done, running elsewhere or out of attempts. Commits at once (outside a transaction), so
    every other worker sees the claim."""
    now, token, worker = timezone.now(), uuid.uuid4(), _worker()
    try:
        with transaction.atomic():
            return DailyRun.objects.create(
                job=job,
                label=label,
                day=day,
                status=DailyRun.Status.RUNNING,
                attempts=1,
                claim=token,
                worker=worker,
                claimed_at=now,
            )
    except IntegrityError:
        pass  # claimed before: by this day's earlier run, or by another worker just now
    taken = (
        DailyRun.objects.filter(job=job, day=day)
        .filter(_claimable())
        .update(
            status=DailyRun.Status.RUNNING,
            attempts=F("attempts") + 1,
            claim=token,
            worker=worker,
            claimed_at=now,
            finished_at=None,
            items=None,
            seconds=None,
            error="",
        )
    )
    return DailyRun.objects.get(job=job, day=day) if taken else None


def run_finish(run: DailyRun, *, items: int | None = None, error: str = "") -> bool:
    """Record the outcome of a claimed run; False when the claim was lost meanwhile (the run was
    taken as stale and claimed by another worker, whose outcome stands)."""
    finished = timezone.now()
    return bool(
        DailyRun.objects.filter(pk=run.pk, claim=run.claim, status=DailyRun.Status.RUNNING).update(
            status=DailyRun.Status.FAILED if error else DailyRun.Status.DONE,
            finished_at=finished,
            items=items,
            seconds=(finished - run.claimed_at).total_seconds(),
            error=error[:4000],
        )
    )


def runs_pending(day: dt.date) -> list[str]:
    """Labels of the jobs of `day` that a run would still claim (none yet, failed with attempts
    left, or lost)."""
    claimed = set(DailyRun.objects.filter(day=day).values_list("job", flat=True))
    claimable = set(DailyRun.objects.filter(day=day).filter(_claimable()).values_list("job", flat=True))
    return [label for job, label in jobs() if job not in claimed or job in claimable]


# --- one day's run (the task) ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    job: str
    label: str
    state: str
    items: int | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "label": self.label, "state": self.state, "items": self.items, "message": self.message}


def _count(done: Any) -> int:
    """A job returns the items it handled (a list) or their number."""
    if isinstance(done, int):
        return done
    try:
        return len(done)
    except TypeError:
        return 0


def _scan(day: dt.date) -> tuple[int, str]:
    run = deadlines_scan(today=day)
    return run.raised, (
        f"{run.today:%Y-%m-%d} 扫描完成：新预警 {run.raised} 条，新增未报送 {run.missed}，提醒 {run.reminders} 条。"
    )


def _call(job: str, label: str, day: dt.date) -> tuple[int, str]:
    if job == SCAN:
        return _scan(day)
    fn: Callable[..., Any] = import_string(job)
    items = _count(fn(today=day))
    return items, f"{label}：{items} 项。"


def day_run(day: dt.date) -> list[Outcome]:
    """Run every daily job of `day` that is not done yet and that this worker can claim."""
    outcomes: list[Outcome] = []
    for job, label in jobs():
        run = run_claim(job=job, label=label, day=day)
        if run is None:
            current = DailyRun.objects.filter(job=job, day=day).values_list("status", flat=True).first()
            if current == DailyRun.Status.RUNNING:
                # Another worker is on this job: it goes on through the rest, in order.
                outcomes.append(Outcome(job, label, BUSY, message=f"{label}：正由其他进程运行。"))
                break
            outcomes.append(Outcome(job, label, SKIPPED, message=f"{label}：今日已运行，跳过。"))
            continue
        started = time.monotonic()
        try:
            items, message = _call(job, label, day)
        except Exception as exc:
            logger.exception("daily job %s failed on %s (attempt %s)", job, day, run.attempts)
            if not connection.in_atomic_block:
                # The job may have failed because the connection dropped: record it on a fresh one.
                connection.close_if_unusable_or_obsolete()
            run_finish(run, error=f"{type(exc).__name__}: {exc}")
            outcomes.append(Outcome(job, label, FAILED, message=f"{label}失败：{exc}"))
            continue
        finally:
            if not connection.in_atomic_block:
                # A long job may leave a connection the server has since closed.
                connection.close_if_unusable_or_obsolete()
        if not run_finish(run, items=items):
            logger.warning("daily job %s on %s finished after its claim was taken over", job, day)
        logger.info("daily job %s on %s: %s items in %.1f s", job, day, items, time.monotonic() - started)
        outcomes.append(Outcome(job, label, RAN, items, message))
    return outcomes


@task()
def daily_run(*, day: str) -> list[dict[str, Any]]:
    """The task the scheduler enqueues: the day's daily jobs (`day`: YYYY-MM-DD)."""
    return [o.as_dict() for o in day_run(dt.date.fromisoformat(day))]


# --- enqueueing (the scheduler) ----------------------------------------------------------------


def _queued_in_database() -> bool:
    return isinstance(daily_run.get_backend(), DatabaseBackend)


def _lock(day: dt.date) -> None:
    """Serialise enqueues of one day inside the transaction: SQLite's IMMEDIATE transactions take
    the write lock at BEGIN; PostgreSQL takes an advisory lock on the day."""
    if connection.vendor == "postgresql":
        key = int(hashlib.sha256(f"rectify.daily:{day:%Y-%m-%d}".encode()).hexdigest()[:15], 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _waiting(day: dt.date) -> bool:
    """A task for `day` is queued, or running and not lost."""
    return (
        DBTaskResult.objects.filter(task_path=daily_run.module_path, args_kwargs__kwargs__day=day.isoformat())
        .filter(Q(status=TaskResultStatus.READY) | Q(status=TaskResultStatus.RUNNING, started_at__gte=_stale_before()))
        .exists()
    )


def daily_enqueue(*, day: dt.date) -> TaskResult[list[dict[str, Any]]] | None:
    """Enqueue the run of `day` unless nothing is left to do or a run is already queued (the
    queue does not grow while no worker runs). With the immediate backend it runs here and now."""
    if not runs_pending(day):
        return None
    if not _queued_in_database():
        return daily_run.enqueue(day=day.isoformat())
    with transaction.atomic():
        _lock(day)
        # Again under the lock: a run another scheduler queued may have finished meanwhile.
        if _waiting(day) or not runs_pending(day):
            return None
        return daily_run.enqueue(day=day.isoformat())


# --- housekeeping: a daily job itself ----------------------------------------------------------


def task_results_prune(*, today: dt.date | None = None) -> int:
    """Delete finished task rows (django-tasks-db's own `prune_db_task_results`, by its model's
    API) older than RECTIFY_TASK_RESULTS_KEEP_DAYS, so the queue table does not grow forever.
    Waiting and running tasks are never touched; the age is real time, like the rows' own."""
    cutoff = timezone.now() - dt.timedelta(days=settings.RECTIFY_TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()
    return deleted
