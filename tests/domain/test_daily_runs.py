"""The daily jobs run once per day however many schedulers and workers run (supervision.daily):
each job of a day is claimed by inserting its DailyRun row (unique on job and day) before it
runs; a second claim gets nothing; a failed job is claimed again by a later run of the day, up
to RECTIFY_DAILY_JOB_ATTEMPTS; a run whose worker died is taken over after
RECTIFY_DAILY_JOB_STALE_SECONDS; the scheduler only enqueues, and not twice while one is queued."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rectify.progress.periods import SHANGHAI
from rectify.supervision import daily
from rectify.supervision.models import DailyRun, ScanRun

from ..task_worker import run_queued

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 10, 8)
HERE = __name__
FLAKY = f"{HERE}.flaky_job"
BROKEN = f"{HERE}.broken_job"
COUNTED = f"{HERE}.counted_job"

# What the jobs below were called with, per test (reset by the fixture).
CALLS: Counter[str] = Counter()
FAILURES_LEFT = {"flaky": 0}


def flaky_job(*, today: dt.date) -> list[int]:
    CALLS["flaky"] += 1
    if FAILURES_LEFT["flaky"] > 0:
        FAILURES_LEFT["flaky"] -= 1
        raise RuntimeError("上游接口暂时不可用")
    return [1, 2, 3]


def broken_job(*, today: dt.date) -> list[int]:
    CALLS["broken"] += 1
    raise ValueError("数据有误")


def counted_job(*, today: dt.date) -> int:
    CALLS["counted"] += 1
    time.sleep(0.3)  # long enough for every racing thread to try its claim meanwhile
    return 7


@pytest.fixture(autouse=True)
def _reset() -> Any:
    CALLS.clear()
    FAILURES_LEFT["flaky"] = 0
    with time_machine.travel(dt.datetime(2022, 10, 8, 7, tzinfo=SHANGHAI), tick=True):
        yield


@pytest.fixture
def only(settings: Any, monkeypatch: Any) -> Any:
    """Run just the given jobs after a stand-in for the scan (counted, so a second scan shows)."""

    def fake_scan(day: dt.date) -> tuple[int, str]:
        CALLS["scan"] += 1
        return 0, f"{day:%Y-%m-%d} 扫描完成"

    monkeypatch.setattr(daily, "_scan", fake_scan)

    def use(*paths: str) -> None:
        settings.RECTIFY_DAILY_JOBS = [(p, p.rsplit(".", 1)[-1]) for p in paths]

    return use


def states(day: dt.date = DAY) -> dict[str, tuple[str, int]]:
    return {r.job.rsplit(".", 1)[-1]: (r.status, r.attempts) for r in DailyRun.objects.filter(day=day)}


# --- the lock ----------------------------------------------------------------------------------


def test_two_claims_of_the_same_job_and_day_give_one_run() -> None:
    first = daily.run_claim(job=COUNTED, label="计数", day=DAY)
    assert first is not None and first.status == DailyRun.Status.RUNNING
    assert daily.run_claim(job=COUNTED, label="计数", day=DAY) is None
    assert daily.run_finish(first, items=5)
    assert daily.run_claim(job=COUNTED, label="计数", day=DAY) is None  # done: still nothing
    # Another day is another run.
    assert daily.run_claim(job=COUNTED, label="计数", day=DAY + dt.timedelta(days=1)) is not None
    row = DailyRun.objects.get(job=COUNTED, day=DAY)
    assert (row.status, row.items, row.attempts) == (DailyRun.Status.DONE, 5, 1)
    assert row.finished_at is not None and row.seconds is not None and row.seconds >= 0


def test_the_day_runs_the_scan_and_every_job_once_however_often_it_is_run() -> None:
    first = daily.day_run(DAY)
    assert [o.state for o in first] == [daily.RAN] * len(daily.jobs())
    assert first[0].message.startswith("2022-10-08 扫描完成")
    second = daily.day_run(DAY)
    assert [o.state for o in second] == [daily.SKIPPED] * len(daily.jobs())
    # Counted by the scan's own table, not by the lock's.
    assert ScanRun.objects.filter(today=DAY).count() == 1
    rows = DailyRun.objects.filter(day=DAY)
    assert sorted(rows.values_list("job", flat=True)) == sorted(job for job, _ in daily.jobs())
    assert {(r.status, r.attempts) for r in rows} == {(DailyRun.Status.DONE, 1)}
    assert rows.get(job=daily.SCAN).items == ScanRun.objects.get(today=DAY).raised
    assert daily.runs_pending(DAY) == []


def test_a_failed_job_is_retried_by_the_next_tick_and_the_others_are_not(only: Any) -> None:
    only(FLAKY, COUNTED)
    FAILURES_LEFT["flaky"] = 1
    outcomes = {o.label: o for o in daily.day_run(DAY)}
    assert outcomes["flaky_job"].state == daily.FAILED
    assert outcomes["flaky_job"].message == "flaky_job失败：上游接口暂时不可用"
    assert outcomes["counted_job"].state == daily.RAN  # one failure does not stop the rest
    row = DailyRun.objects.get(job=FLAKY, day=DAY)
    assert (row.status, row.attempts, row.error) == (DailyRun.Status.FAILED, 1, "RuntimeError: 上游接口暂时不可用")
    assert daily.runs_pending(DAY) == ["flaky_job"]

    # The scheduler's next tick (immediate backend: the run happens in the command).
    out, err = io.StringIO(), io.StringIO()
    call_command("run_scheduler", "--once", stdout=out, stderr=err)
    assert "flaky_job：3 项。" in out.getvalue() and err.getvalue() == ""
    assert states() == {
        "deadlines_scan": (DailyRun.Status.DONE, 1),
        "flaky_job": (DailyRun.Status.DONE, 2),
        "counted_job": (DailyRun.Status.DONE, 1),
    }
    assert CALLS == {"scan": 1, "flaky": 2, "counted": 1}
    assert DailyRun.objects.get(job=FLAKY, day=DAY).error == ""
    assert daily.runs_pending(DAY) == []


def test_a_job_that_keeps_failing_stops_after_its_attempts(only: Any, settings: Any) -> None:
    only(BROKEN)
    settings.RECTIFY_DAILY_JOB_ATTEMPTS = 3
    for _ in range(5):
        call_command("run_scheduler", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    assert CALLS["broken"] == 3
    assert states()["broken_job"] == (DailyRun.Status.FAILED, 3)
    assert daily.runs_pending(DAY) == []
    # The next day starts afresh.
    assert daily.runs_pending(DAY + dt.timedelta(days=1)) == ["预警扫描", "broken_job"]


def test_a_run_whose_worker_died_is_taken_over_and_the_dead_claim_cannot_record(only: Any, settings: Any) -> None:
    only(COUNTED)
    lost = daily.run_claim(job=COUNTED, label="counted_job", day=DAY)
    assert lost is not None
    # Still within the timeout: running elsewhere, so the day's run stops there.
    assert [o.state for o in daily.day_run(DAY)] == [daily.RAN, daily.BUSY]
    assert CALLS["counted"] == 0 and daily.runs_pending(DAY) == []

    DailyRun.objects.filter(pk=lost.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.RECTIFY_DAILY_JOB_STALE_SECONDS + 1)
    )
    assert daily.runs_pending(DAY) == ["counted_job"]
    assert [o.state for o in daily.day_run(DAY)] == [daily.SKIPPED, daily.RAN]
    assert CALLS["counted"] == 1
    assert states()["counted_job"] == (DailyRun.Status.DONE, 2)
    # The first worker, had it come back, could not overwrite the outcome.
    assert not daily.run_finish(lost, error="迟到的结果")
    assert DailyRun.objects.get(pk=lost.pk).status == DailyRun.Status.DONE


# --- the scheduler only enqueues ---------------------------------------------------------------


def test_schedulers_only_enqueue_and_not_twice_while_one_is_queued(only: Any, settings: Any) -> None:
    only(COUNTED)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    outputs = []
    for _ in range(3):  # three schedulers, one after the other
        out = io.StringIO()
        call_command("run_scheduler", "--once", stdout=out)
        outputs.append(out.getvalue())
    assert "已加入后台队列" in outputs[0]
    assert all("已完成或已在队列中" in o for o in outputs[1:])
    tasks = DBTaskResult.objects.filter(task_path=daily.daily_run.module_path)
    assert tasks.count() == 1 and tasks.get().args_kwargs["kwargs"] == {"day": "2022-10-08"}
    assert CALLS == {}  # nothing ran in the scheduler

    assert run_queued() == 1
    assert CALLS == {"scan": 1, "counted": 1}
    assert tasks.get().status == TaskResultStatus.SUCCESSFUL
    # Done for the day: a later scheduler enqueues nothing.
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    assert tasks.count() == 1


def test_the_task_results_are_pruned_by_a_daily_job(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert ("rectify.supervision.daily.task_results_prune", "清理已完成的后台任务记录") in settings.RECTIFY_DAILY_JOBS
    settings.RECTIFY_TASK_RESULTS_KEEP_DAYS = 14
    ids = [daily.daily_run.enqueue(day=f"2022-09-0{i}").id for i in range(1, 5)]
    now = timezone.now()
    DBTaskResult.objects.filter(id=ids[0]).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - dt.timedelta(days=15)
    )
    DBTaskResult.objects.filter(id=ids[1]).update(
        status=TaskResultStatus.FAILED, finished_at=now - dt.timedelta(days=20)
    )
    DBTaskResult.objects.filter(id=ids[2]).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - dt.timedelta(days=13)
    )
    # ids[3] is still waiting: never pruned.
    assert daily.task_results_prune(today=DAY) == 2
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {uuid.UUID(str(i)) for i in ids[2:]}


# --- PostgreSQL: racing workers, each on its own connection ------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
def test_eight_workers_racing_on_one_day_run_each_job_once(monkeypatch: Any) -> None:
    """Eight threads (own connections, real commits) run the same day at once: each job runs
    once, by one of them; the others skip it or stop at it while it runs."""
    day = dt.date(1999, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 3000)  # a day no other test uses
    monkeypatch.setattr(daily, "jobs", lambda: [(COUNTED, "counted_job"), (FLAKY, "flaky_job")])
    start = threading.Barrier(8)
    states_seen: list[list[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait()
            outcome = [o.state for o in daily.day_run(day)]
            with lock:
                states_seen.append(outcome)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def rows() -> list[tuple[str, str, int]]:
        return list(DailyRun.objects.filter(day=day).order_by("job").values_list("job", "status", "attempts"))

    result: list[Any] = []
    reader = threading.Thread(target=lambda: (result.append(rows()), connections.close_all()))
    reader.start()
    reader.join()
    cleanup = threading.Thread(target=lambda: (DailyRun.objects.filter(day=day).delete(), connections.close_all()))
    cleanup.start()
    cleanup.join()
    assert not errors
    assert CALLS == {"counted": 1, "flaky": 1}
    assert sorted(result[0]) == [(COUNTED, "done", 1), (FLAKY, "done", 1)]
    assert sum(s.count(daily.RAN) for s in states_seen) == 2
    assert len(states_seen) == 8


def test_a_job_that_kills_its_worker_is_not_taken_up_again_once_its_attempts_are_spent(
    only: Any, settings: Any
) -> None:
    only(COUNTED)
    settings.RECTIFY_DAILY_JOB_ATTEMPTS = 2
    long_ago = timezone.now() - dt.timedelta(seconds=settings.RECTIFY_DAILY_JOB_STALE_SECONDS + 1)
    first = daily.run_claim(job=COUNTED, label="counted_job", day=DAY)
    assert first is not None
    DailyRun.objects.filter(pk=first.pk).update(claimed_at=long_ago)
    second = daily.run_claim(job=COUNTED, label="counted_job", day=DAY)  # the worker died: taken over
    assert second is not None and second.attempts == 2
    DailyRun.objects.filter(pk=second.pk).update(claimed_at=long_ago)  # and died again
    assert daily.run_claim(job=COUNTED, label="counted_job", day=DAY) is None
    assert "counted_job" not in daily.runs_pending(DAY)


def test_a_scheduler_started_in_the_night_owes_yesterday_and_waits_for_today() -> None:
    from rectify.supervision.management.commands.run_scheduler import catch_up_day

    at = dt.time(6, 30)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert catch_up_day(dt.datetime(2022, 10, 8, 2, 0, tzinfo=shanghai), at) == dt.date(2022, 10, 7)
    assert catch_up_day(dt.datetime(2022, 10, 8, 6, 30, tzinfo=shanghai), at) == dt.date(2022, 10, 8)
    # 23:00 UTC is 07:00 the next morning in Shanghai.
    assert catch_up_day(dt.datetime(2022, 10, 7, 23, 0, tzinfo=dt.UTC), at) == dt.date(2022, 10, 8)
