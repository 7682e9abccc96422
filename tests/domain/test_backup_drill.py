"""The backup drill: while a writer keeps committing audited changes and stored files, `rectify
backup` runs; `rectify restore` into a fresh database gives identical table counts and identical
files, every write acknowledged before the backup began is there, and the audit chain and the
files verify. Each instance is its own database (a file for SQLite, a database on the CI's
PostgreSQL server) driven through the `rectify` command, as an operator would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
RECTIFY = str(Path(sys.executable).parent / "rectify")

# Commits an audit event and a stored file, prints "<time> <seq> <sha256>" once committed; stops
# when the stop file appears.
WRITER = """
import io, os, sys, time
import django
from PIL import Image
django.setup()
from django.db import transaction
from rectify.audit.services import record
from rectify.core.files import file_store
from rectify.orgs.models import OrgUnit
unit = OrgUnit.objects.order_by("pk").first()
stop = sys.argv[1]
i = 0
while not os.path.exists(stop) and i < 5000:
    i += 1
    with transaction.atomic():
        out = io.BytesIO()
        Image.frombytes("RGB", (4, 4), os.urandom(48)).save(out, "PNG")
        stored = file_store(f"drill-{i}.png", out.getvalue())
        event = record(actor="演练", action="evidence.added", obj=unit, after={"file": stored.storage_name, "i": i})
    print(f"{time.time():.6f} {event.seq} {stored.sha256}", flush=True)
"""


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([RECTIFY, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"rectify {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def instance(tmp: Path, name: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url,
        RECTIFY_VAR_DIR=str(tmp / name),
        RECTIFY_MEDIA_ROOT=str(tmp / name / "media"),
        RECTIFY_CACHE_URL="locmem://",
    )
    return env


def media_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def read_acks(path: Path) -> list[tuple[float, int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [(float(t), int(seq), sha) for t, seq, sha in (line.split() for line in lines if line.count(" ") == 2)]


def drill(tmp: Path, source: dict[str, str], target: dict[str, str], counts: Any, seqs: Any) -> dict[str, Any]:
    """The drill on a migrated `source` holding the demo; `counts(env)` and `seqs(env)` read an
    instance's database directly."""
    stop, log = tmp / "stop", tmp / "acks.log"
    # The writer's output goes to a file: a pipe nobody reads during the backup would fill and
    # stop the writer.
    with log.open("w") as out_file, (tmp / "writer.err").open("w") as err_file:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stop)],
            env={**source, "DJANGO_SETTINGS_MODULE": "config.settings"},
            cwd=ROOT,
            stdout=out_file,
            stderr=err_file,
        )
    try:
        deadline = time.time() + 120
        while len(read_acks(log)) < 30:
            assert writer.poll() is None and time.time() < deadline, (tmp / "writer.err").read_text()
            time.sleep(0.05)
        began = time.time()
        out = run(source, "backup", str(tmp / "backup")).stdout
        ended = time.time()
        time.sleep(0.3)
    finally:
        stop.touch()
        writer.wait(timeout=120)
    assert writer.returncode == 0, (tmp / "writer.err").read_text()
    acks = read_acks(log)
    during = [a for a in acks if began <= a[0] <= ended]
    assert during, "the writer went on while the backup ran"
    manifest = json.loads((tmp / "backup" / "manifest.json").read_text(encoding="utf-8"))

    restored = run(target, "restore", str(tmp / "backup")).stdout
    assert "均与备份清单一致" in restored

    # Identical table counts, by a query of the restored database's own (not the manifest's code).
    assert counts(target) == manifest["database"]["tables"]
    assert manifest["database"]["tables"]["audit_auditevent"] >= 30
    # Identical files: every file of the backup, byte for byte, in the new media folder.
    restored_files = media_hashes(Path(target["RECTIFY_MEDIA_ROOT"]))
    assert restored_files == {f["path"]: f["sha256"] for f in manifest["files"]}
    # Nothing acknowledged before the backup began is missing (a plain copy of a WAL database
    # loses these); the backup is one consistent moment: its events are a gapless prefix.
    restored_seqs = seqs(target)
    assert restored_seqs == list(range(1, len(restored_seqs) + 1))
    assert {seq for t, seq, _ in acks if t < began} <= set(restored_seqs)
    assert restored_seqs[-1] == manifest["audit_chain"]["seq"]
    stored = set(restored_files.values())
    assert all(sha in stored for t, seq, sha in acks if seq in set(restored_seqs))
    # The writer went on while the backup ran, and the source kept growing after it.
    assert seqs(source)[-1] > restored_seqs[-1]
    assert run(target, "audit_verify").returncode == 0
    assert "全部完好" in run(target, "verify_files").stdout
    assert "审计链头：第" in out
    return {"manifest": manifest, "during": during, "acks": acks}


def sqlite_counts(env: dict[str, str]) -> dict[str, int]:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for (name,) in tables.fetchall()}


def sqlite_seqs(env: dict[str, str]) -> list[int]:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        return [r[0] for r in db.execute("SELECT seq FROM audit_auditevent ORDER BY seq")]


@pytest.fixture(scope="module")
def demo_database(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Path:
    """The test database (migrated, with the demo) copied into a file: before any test opens its
    transaction, since SQLite cannot copy from a connection in the middle of a write."""
    path = tmp_path_factory.mktemp("drill") / "demo.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        with closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
    return path


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite pass runs it")
def test_a_backup_taken_during_writes_restores_identical_counts_and_files(tmp_path: Path, demo_database: Path) -> None:
    shutil.copyfile(demo_database, tmp_path / "source.sqlite3")
    source = instance(tmp_path, "source", f"sqlite:///{tmp_path / 'source.sqlite3'}")
    target = instance(tmp_path, "target", f"sqlite:///{tmp_path / 'target.sqlite3'}")
    drill(tmp_path, source, target, sqlite_counts, sqlite_seqs)

    # The target now holds data: a second restore is refused unless forced.
    again = run(target, "restore", str(tmp_path / "backup"), check=False)
    assert again.returncode != 0 and "已有数据" in again.stderr
    assert run(target, "restore", "--force", str(tmp_path / "backup")).returncode == 0

    # A backup whose file was changed is refused before anything is written.
    damaged = next((tmp_path / "backup" / "media" / "evidence").rglob("*.png"))
    damaged.write_bytes(damaged.read_bytes() + b"x")
    refused = run(target, "restore", "--force", str(tmp_path / "backup"), check=False)
    assert refused.returncode != 0 and "备份已损坏，未做任何恢复" in refused.stderr
    # And a backup never overwrites a directory with something in it.
    assert "不是空目录" in run(source, "backup", str(tmp_path / "backup"), check=False).stderr


# --- PostgreSQL: pg_dump / pg_restore ----------------------------------------------------------------


@contextmanager
def pg_databases(*names: str) -> Iterator[list[str]]:
    """New empty databases on the test database's server; their URLs. Dropped afterwards."""
    import psycopg

    settings = connection.settings_dict
    params = {
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
    }
    base = urlsplit(os.environ["DATABASE_URL"])
    made = [f"rectify_drill_{name}_{uuid.uuid4().hex[:8]}" for name in names]
    with closing(psycopg.connect(dbname="postgres", autocommit=True, **params)) as admin:
        for db in made:
            admin.execute(f'CREATE DATABASE "{db}"')
        try:
            yield [urlunsplit(base._replace(path=f"/{db}")) for db in made]
        finally:
            for db in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def pg_query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with closing(psycopg.connect(env["DATABASE_URL"])) as db:
        return db.execute(sql).fetchall()


def pg_counts(env: dict[str, str]) -> dict[str, int]:
    tables = [r[0] for r in pg_query(env, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return {t: pg_query(env, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def pg_seqs(env: dict[str, str]) -> list[int]:
    return [r[0] for r in pg_query(env, "SELECT seq FROM audit_auditevent ORDER BY seq")]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (the CI's PostgreSQL pass)")
def test_a_pg_dump_taken_during_writes_restores_identical_counts_and_files(tmp_path: Path) -> None:
    with pg_databases("source", "target") as (source_url, target_url):
        # The source: the test database (migrated, with the demo) copied by PostgreSQL's own tools.
        test_db = urlunsplit(urlsplit(source_url)._replace(path=f"/{connection.settings_dict['NAME']}"))
        dump = subprocess.run(["pg_dump", "--format=custom", test_db], capture_output=True, check=True).stdout
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={source_url}"], input=dump, check=True)
        source = instance(tmp_path, "source", source_url)
        target = instance(tmp_path, "target", target_url)
        result = drill(tmp_path, source, target, pg_counts, pg_seqs)
        assert result["manifest"]["database"]["vendor"] == "postgresql"
        again = run(target, "restore", str(tmp_path / "backup"), check=False)
        assert again.returncode != 0 and "已有数据" in again.stderr
