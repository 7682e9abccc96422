"""A short demo history (rectify load_demo_history) played once per test module inside a transaction
rolled back at its end: the 'generated history' the audit-words and office-todo tests read."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

# Three weeks from Monday 2022-06-27; every unit reports on the platform from 2022-07-11.
START, WEEKS = dt.date(2022, 6, 27), 3


@contextmanager
def played_history(django_db_blocker: Any, media: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            call_command("load_demo_complaints", stdout=io.StringIO())
            out = io.StringIO()
            call_command(
                "load_demo_history",
                "--weeks",
                str(WEEKS),
                "--start",
                START.isoformat(),
                "--reporting-weeks",
                "1",
                stdout=out,
            )
            yield out.getvalue()
            transaction.set_rollback(True)
