"""Planner statistics (rectify.core.dbstats): refreshed on demand, as a daily job and after every
plan import, and they describe the tables as they are."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from rectify.core.dbstats import analyze_database
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.services import parse_upload, plan_commit
from rectify.plans.models import Assignment, Measure

pytestmark = pytest.mark.django_db


def _rows_the_planner_believes(table: str) -> int:
    """The row count in the statistics, read from the database's own catalogue."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx IS NOT NULL", [table])
            return int(cursor.fetchone()[0].split()[0])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return int(cursor.fetchone()[0])


def _forget_statistics() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM sqlite_stat1")
        else:
            cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname IN ('plans_measure', 'plans_assignment')")


def test_the_statistics_count_the_ledger_tables_rows() -> None:
    _forget_statistics()
    tables = analyze_database(today=dt.date(2022, 7, 1))  # called as a daily job is
    assert {"plans_measure", "plans_assignment", "plans_problem"} <= set(tables)
    assert _rows_the_planner_believes("plans_measure") == Measure.objects.count() > 0
    assert _rows_the_planner_believes("plans_assignment") == Assignment.objects.count() > 0


def test_a_plan_import_refreshes_the_statistics_once_it_is_committed(django_capture_on_commit_callbacks: Any) -> None:
    text = SEED_PLAN.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", "某市整改方案"
    )
    parsed = parse_upload(text.encode("utf-8"), "plan.txt")
    before = Measure.objects.count()
    _forget_statistics()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan_commit(actor="测试", parsed=parsed, overrides=None, start_on=dt.date(2022, 2, 25), source_name="x")
    assert analyze_database in callbacks
    assert _rows_the_planner_believes("plans_measure") == Measure.objects.count() > before
