"""Benchmark: the filtered ledger page (50 rows, full HTML render) at 10k and 100k measures.

Runs on SQLite by default and on PostgreSQL when BENCH_POSTGRES_URL is set (a throwaway database
is created and dropped). Prints p50/p95 per filter; target p95 ≤ 30 ms at 100k measures.

    .venv/bin/python bench/bench_ledger.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = {
    "first page": "",
    "page 40": "page=40",
    "kind=date & due window": "kind=date&due_after=2023-01-01&due_before=2023-12-31",
    "status=in_progress,completed": "status=in_progress,completed",
    "overdue": "overdue=1",
    "text search": "q=巡查",
}


def run(database_url: str, size: int, repeats: int) -> list[tuple[str, str, float, float]]:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("RECTIFY_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    os.environ.setdefault("RECTIFY_ALLOWED_HOSTS", "testserver")
    call_command("migrate", verbosity=0)
    from bench.generate import generate, make_users

    t0 = time.perf_counter()
    generate(measures=size)
    users = make_users()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    print(f"  generated {size} measures in {time.perf_counter() - t0:.1f} s", flush=True)
    results = []
    for who in ("coordinator", "clerk"):
        client = Client()
        client.force_login(users[who])
        for label, query in QUERIES.items():
            url = "/?" + query
            assert client.get(url).status_code == 200
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            results.append((who, label, statistics.median(times), p95))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:  # child process: one database, one size
        for who, label, p50, p95 in run(args.url, args.size, args.repeats):
            print(f"  {who:<11} {label:<30} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms", flush=True)
        return
    import subprocess

    backends = [("SQLite", None)]
    if os.environ.get("BENCH_POSTGRES_URL"):
        backends.append(("PostgreSQL", os.environ["BENCH_POSTGRES_URL"]))
    for size in [int(s) for s in args.sizes.split(",")]:
        for name, base in backends:
            print(f"== {name}, {size} measures", flush=True)
            if base is None:
                tmp = tempfile.mkdtemp()
                url = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                db = f"rectify_bench_{size}"
                subprocess.run(["psql", base, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
                subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
                url = base.rsplit("/", 1)[0] + "/" + db
            subprocess.run(
                [sys.executable, __file__, "--size", str(size), "--url", url, "--repeats", str(args.repeats)],
                check=True,
            )


if __name__ == "__main__":
    main()
