"""Planner statistics kept fresh: the query planner picks its index from them.

A freshly imported SQLite database has never been analyzed, and the planner then walks the
(status, due_on) index across every overdue measure instead of the viewer's few rows
(docs/benchmarks.md). `analyze_database` runs after a plan import commits, after the demo and
benchmark data are loaded, and as a daily job (settings.RECTIFY_DAILY_JOBS: called as
fn(today=...), the length of its answer is printed).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection


def analyze_database(today: dt.date | None = None) -> list[str]:
    """Refresh the statistics of every table; returns the tables that have statistics now.

    SQLite: ANALYZE (full, exact: a province's 100k measures take well under a second) and then
    `PRAGMA optimize`, which also lets SQLite drop stale per-connection plans. PostgreSQL:
    ANALYZE (autovacuum would get there too, but not before the first page after a bulk import)."""
    del today  # the signature of a daily job; statistics do not depend on the day
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("ANALYZE")
    return sorted(connection.introspection.table_names(cursor=None))
