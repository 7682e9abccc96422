"""The text index survives the schema's life: it exists after all migrations, and a later migration
that makes Django's SQLite schema editor rebuild plans_measure (most AlterFields do) leaves it
whole — the reason it is written by the application and not kept by triggers on plans_measure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.db import connection, connections, migrations, models
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.migrations.state import ProjectState

from rectify.plans import search_index
from rectify.plans.models import Measure


@pytest.mark.django_db
def test_the_index_exists_after_all_migrations_and_is_filled() -> None:
    assert search_index.ready()
    assert search_index.differences() == {search_index.MEASURES: {}, search_index.PROBLEMS: {}}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {search_index.MEASURES}")
        assert cursor.fetchone()[0] == Measure.objects.count() > 0


def _phrase_ids(conn: Any, q: str) -> list[int]:
    sql, params = search_index.candidates_sql(search_index.MEASURES, search_index.grams(q), 10, conn)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_an_alterfield_that_rebuilds_plans_measure_on_sqlite_keeps_the_index(
    tmp_path: Path, django_db_blocker: Any, monkeypatch: Any
) -> None:
    """On an SQLite file of its own (whichever database the suite runs on)."""
    # A new connection is opened here; once the browser tests' Playwright (sync API) has started in
    # this process, its event loop counts as running and Django would refuse to connect.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings = {**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "OPTIONS": {}}
    settings["NAME"] = str(tmp_path / "alter.sqlite3")
    conn = DatabaseWrapper(settings, alias="text_search_alter")
    connections.settings[conn.alias] = settings  # the schema editor looks its alias up
    connections[conn.alias] = conn
    try:
        with django_db_blocker.unblock():
            _alter_and_search(conn)
    finally:
        del connections[conn.alias]
        del connections.settings[conn.alias]


def _alter_and_search(conn: DatabaseWrapper) -> None:
    try:
        state = ProjectState.from_apps(global_apps)
        with conn.schema_editor() as editor:
            editor.create_model(Measure)
        search_index.create_tables(conn)
        search_index.index_measures([(7, "加强扬尘巡查，限期整改")], conn)
        assert _phrase_ids(conn, "扬尘巡查") == [7]

        # A later migration: the measure's text may be null (SQLite cannot ALTER a column: the
        # schema editor copies plans_measure into a new table, drops the old one and renames).
        operation = migrations.AlterField("measure", "text", models.TextField("整改措施", null=True))
        after = state.clone()
        operation.state_forwards("plans", after)
        with conn.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'plans_measure'")
            before_sql = cursor.fetchone()[0]
        with conn.schema_editor() as editor:
            operation.database_forwards("plans", editor, state, after)
        with conn.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'plans_measure'")
            assert cursor.fetchone()[0] != before_sql  # the table was remade

        assert search_index.ready(conn)
        assert _phrase_ids(conn, "扬尘巡查") == [7]
        search_index.index_measures([(8, "建立台账")], conn)
        assert _phrase_ids(conn, "台账") == [8]
    finally:
        conn.close()
