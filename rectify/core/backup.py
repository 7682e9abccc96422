"""Backup and restore of one instance: the database and every stored file, with a manifest.

`backup(DIR)` copies the database consistently while it is being written — SQLite through its
online backup API (a plain copy of the file misses what is still in the -wal file), PostgreSQL
through `pg_dump --format=custom` on a snapshot whose row counts are taken in the same snapshot —
then every file under MEDIA_ROOT (evidence, 交账 packages; stored files are never rewritten, so
copying them after the database snapshot misses nothing it names). `manifest.json` holds each
file's SHA-256 and size, the row count of every table, the audit chain's head, the Rectify
version and the time; the backup appears under DIR only once complete.

`restore(DIR)` checks every hash in the manifest before writing anything, refuses a target
database that already holds users or audit events unless forced, restores, and checks again:
every table's count and every file's hash must equal the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from . import clock
from .errors import DomainError
from .files import file_sha256

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "db.sqlite3"
PG_FILE = "db.dump"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024

Log = Callable[[str], None]


class BackupError(DomainError):
    """Backup or restore refused or failed; the message says why, in Chinese."""


def _quiet(_message: str) -> None:
    return None


def rectify_version() -> str:
    try:
        return metadata.version("rectify")
    except metadata.PackageNotFoundError:
        return "unknown"


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _vendor() -> str:
    return connection.vendor


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_path() -> Path:
    name = str(_db()["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("当前数据库在内存中，无法备份或恢复；请用 DATABASE_URL 指定数据库文件。")
    return Path(name)


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per table of an SQLite file, read directly (not through Django)."""
    with closing(sqlite3.connect(path)) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: int(db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}  # noqa: S608


def _sqlite_head(path: Path) -> dict[str, Any] | None:
    with closing(sqlite3.connect(path)) as db:
        try:
            row = db.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1").fetchone()
        except sqlite3.Error:
            return None
    return {"seq": int(row[0]), "hash": row[1]} if row else None


def _sqlite_backup(dest: Path) -> dict[str, Any]:
    source = _sqlite_path()
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    target = dest / SQLITE_FILE
    with closing(sqlite3.connect(source, timeout=60)) as src, closing(sqlite3.connect(target)) as dst:
        # pages=-1: one step, one read transaction — a consistent copy while others write (WAL).
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"备份副本的完整性检查未通过：{check}")
    return {
        "vendor": "sqlite",
        "file": SQLITE_FILE,
        "tables": sqlite_counts(target),
        "audit_chain": _sqlite_head(target),
    }


def _sqlite_restore(source: Path) -> None:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    with closing(sqlite3.connect(source / SQLITE_FILE)) as src, closing(sqlite3.connect(target, timeout=60)) as dst:
        src.backup(dst, pages=-1)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database: the password never on a command line."""
    db = _db()
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    if sslmode := (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"未找到 {name}：请安装与数据库服务器版本一致的 PostgreSQL 客户端（如 postgresql-client）。")
    return path


def _run(args: list[str], *, env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {done.returncode}）：{done.stderr.strip()[-800:]}")


def _pg_connect() -> Any:
    import psycopg

    env = _pg_env()
    return psycopg.connect(
        host=env.get("PGHOST"),
        port=env.get("PGPORT"),
        user=env.get("PGUSER"),
        password=env.get("PGPASSWORD"),
        dbname=env["PGDATABASE"],
        sslmode=env.get("PGSSLMODE"),
    )


def pg_counts(cursor: Any) -> dict[str, int]:
    from psycopg import sql

    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    names = [r[0] for r in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _pg_backup(dest: Path) -> dict[str, Any]:
    pg_dump = _pg_tool("pg_dump")
    target = dest / PG_FILE
    from psycopg import IsolationLevel

    with closing(_pg_connect()) as conn:
        # One snapshot for the counts and the dump (pg_dump joins it with --snapshot).
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        cursor = conn.cursor()
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = pg_counts(cursor)
        cursor.execute("SELECT to_regclass('audit_auditchainhead') IS NOT NULL")
        head = None
        if cursor.fetchone()[0]:
            cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1")
            row = cursor.fetchone()
            head = {"seq": int(row[0]), "hash": row[1]} if row else None
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner", "--no-privileges", f"--file={target}"],
            env=_pg_env(),
            what="pg_dump 备份数据库",
        )
        conn.rollback()
    return {"vendor": "postgresql", "file": PG_FILE, "tables": tables, "audit_chain": head}


def _pg_restore(source: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    connections.close_all()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_pg_env()['PGDATABASE']}",
            str(source / PG_FILE),
        ],
        env=_pg_env(),
        what="pg_restore 恢复数据库",
    )


def database_counts() -> dict[str, int]:
    """Rows per table of the configured database now (independently of Django's models)."""
    if _vendor() == "sqlite":
        return sqlite_counts(_sqlite_path())
    with closing(_pg_connect()) as conn:
        return pg_counts(conn.cursor())


def database_has_data() -> bool:
    """A database to restore into must hold no users and no audit events (a freshly migrated
    one is fine); an absent one is empty."""
    connections.close_all()
    if _vendor() == "sqlite" and not _sqlite_path().exists():
        return False
    counts = database_counts()
    return bool(counts.get("auth_user") or counts.get("audit_auditevent"))


# --- files -----------------------------------------------------------------------------------------


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _copy_media(source: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy every file under `source`, hashing the bytes as they are written."""
    files: list[dict[str, Any]] = []
    if not source.exists():
        return files
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source).as_posix()
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as f, out.open("wb") as g:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                g.write(chunk)
        files.append({"path": rel, "size": size, "sha256": digest.hexdigest()})
    return files


def _safe_rel(rel: str) -> str:
    """A manifest path that stays inside the media folder."""
    parts = Path(rel).parts
    if not rel or Path(rel).is_absolute() or ".." in parts:
        raise BackupError(f"备份清单中的文件路径不安全：{rel}")
    return rel


# --- backup ----------------------------------------------------------------------------------------


def backup(target: Path, *, log: Log = _quiet) -> dict[str, Any]:
    """Write a complete backup into the new (or empty) directory `target`; its manifest."""
    target = Path(target)
    if target.resolve().is_relative_to(_media_root().resolve()):
        raise BackupError(f"备份目录 {target} 位于存储文件目录（{_media_root()}）之内：请放在它之外。")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"备份目录 {target} 已存在且不是空目录：请指定一个新目录，备份不会覆盖已有内容。")
    started = clock.now()
    partial = target.parent / f".{target.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        log(f"正在备份数据库（{_vendor()}）…")
        database = _sqlite_backup(partial) if _vendor() == "sqlite" else _pg_backup(partial)
        db_file = partial / database["file"]
        database["size"] = db_file.stat().st_size
        database["sha256"] = file_sha256(db_file)
        log(f"数据库：{len(database['tables'])} 张表，{sum(database['tables'].values())} 行。正在复制存储的文件…")
        files = _copy_media(_media_root(), partial / MEDIA_DIR)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "rectify_version": rectify_version(),
            "started_at": started.isoformat(),
            "finished_at": clock.now().isoformat(),
            "database": {k: v for k, v in database.items() if k != "audit_chain"},
            "audit_chain": database.get("audit_chain"),
            "files": files,
            "files_total": {"count": len(files), "bytes": sum(f["size"] for f in files)},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if target.exists():
            target.rmdir()
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log(f"存储文件：{len(files)} 个，{sum(f['size'] for f in files)} 字节。备份完成：{target}")
    return manifest


# --- restore ---------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} 中没有 {MANIFEST}：这不是一个完整的 Rectify 备份。") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"备份清单 {path} 无法读取：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份清单格式 {manifest.get('format')} 不受支持（应为 {FORMAT}）。")
    return manifest


def check_backup(source: Path, manifest: dict[str, Any]) -> list[str]:
    """What in the backup directory no longer matches its manifest (empty: intact)."""
    source = Path(source)
    problems = []
    db = manifest["database"]
    db_file = source / db["file"]
    if not db_file.exists():
        problems.append(f"数据库文件 {db['file']} 缺失")
    elif file_sha256(db_file) != db["sha256"]:
        problems.append(f"数据库文件 {db['file']} 的 SHA-256 与清单不符")
    for f in manifest["files"]:
        path = source / MEDIA_DIR / _safe_rel(f["path"])
        if not path.exists():
            problems.append(f"文件 {f['path']} 缺失")
        elif file_sha256(path) != f["sha256"]:
            problems.append(f"文件 {f['path']} 的 SHA-256 与清单不符")
    return problems


def _restore_media(source: Path, manifest: dict[str, Any]) -> None:
    root = _media_root()
    for f in manifest["files"]:
        rel = _safe_rel(f["path"])
        out = root / rel
        if out.exists() and file_sha256(out) == f["sha256"]:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = out.with_name(f".{out.name}.restoring")
        shutil.copyfile(source / MEDIA_DIR / rel, temp)
        temp.replace(out)


def check_restored(manifest: dict[str, Any]) -> list[str]:
    """What in the live database and media differs from the manifest (empty: identical)."""
    problems = []
    counts = database_counts()
    for table, expected in sorted(manifest["database"]["tables"].items()):
        if counts.get(table) != expected:
            problems.append(f"表 {table}：恢复后 {counts.get(table, '（缺失）')} 行，备份时 {expected} 行")
    root = _media_root()
    for f in manifest["files"]:
        path = root / _safe_rel(f["path"])
        if not path.exists():
            problems.append(f"文件 {f['path']} 恢复后缺失")
        elif file_sha256(path) != f["sha256"]:
            problems.append(f"文件 {f['path']} 恢复后 SHA-256 与清单不符")
    return problems


def restore(source: Path, *, force: bool = False, log: Log = _quiet) -> dict[str, Any]:
    """Restore the backup in `source` into the configured database and MEDIA_ROOT."""
    source = Path(source)
    manifest = read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != _vendor():
        raise BackupError(f"该备份来自 {vendor} 数据库，当前配置的是 {_vendor()}：不能跨数据库类型恢复。")
    log("正在核对备份文件的 SHA-256…")
    if problems := check_backup(source, manifest):
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise BackupError(f"备份已损坏，未做任何恢复：{shown}")
    if database_has_data() and not force:
        raise BackupError("目标数据库中已有数据（用户或留痕记录），恢复将覆盖它。确认覆盖请加 --force。")
    log(f"正在恢复数据库（备份于 {manifest['started_at']}，Rectify {manifest['rectify_version']}）…")
    _sqlite_restore(source) if vendor == "sqlite" else _pg_restore(source)
    log(f"正在恢复 {len(manifest['files'])} 个存储文件…")
    _restore_media(source, manifest)
    log("正在核对恢复结果…")
    if problems := check_restored(manifest):
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise BackupError(f"恢复后的数据与备份清单不一致：{shown}")
    return manifest
