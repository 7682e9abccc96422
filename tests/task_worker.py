"""Running queued django-tasks rows the way a worker does, inside a test's process and transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import time_machine
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queued() -> int:
    """What `rectify db_worker --batch` does, in this process and this test's transaction."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    for result in DBTaskResult.objects.ready():
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran


@contextmanager
def tasks_in_the_database(tmp_path: Path, settings: Any, when: dt.datetime) -> Iterator[Any]:
    """Tasks queue in the database (a worker, or run_queued, runs them), files go to this test's
    own media, and the clock starts at `when` and ticks (yields the traveller)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(when, tick=True) as traveller:
        yield traveller
