"""Benchmark: the scoped ledger list and warning board at 10k and 100k measures.

Four surfaces, each filtered six ways (overdue, due window, status, unit, county, text) plus the
first page, as the province coordinator (sees everything) and as a county government's clerk
(sees one unit): the HTML ledger page (`/`), the API list (`/api/v1/measures/`), the warning
board's API list (`/api/v1/warnings/`) and the board page (`/warnings/`). Requests go through
Django's test client in one process (the whole middleware stack, session and user included),
after `gc.freeze()` as the gunicorn config does (`--no-freeze` measures without it).

Runs on SQLite by default and on PostgreSQL when BENCH_POSTGRES_URL is set (a throwaway database
is created and dropped). Prints p50/p95/p99 and the queries per request; target p95 ≤ 30 ms at
100k measures.

    .venv/bin/python bench/bench_ledger.py [--sizes 10000,100000] [--surfaces page,api,board,board-page]
    .venv/bin/python bench/bench_ledger.py --sizes 100000 --reuse /tmp/copy-of-a-100k-province.sqlite3
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SURFACES = {"page": "/", "api": "/api/v1/measures/", "board": "/api/v1/warnings/", "board-page": "/warnings/"}


def filters(unit_id: int, county_id: int, city: str) -> dict[str, str]:
    return {
        "first page": "",
        "overdue": "overdue=1",
        "due window": "kind=date&due_after=2023-01-01&due_before=2023-12-31",
        "status": "status=in_progress,completed",
        "unit": f"unit={unit_id}",
        "county": f"county={county_id}",
        # Every measure says 巡查 (a match on the first rows), and one problem's words (a needle).
        "text, common": "q=巡查",
        "text, rare": f"q={city} 77：",
    }


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p) - 1))]


def _count_query(queries: list[str], execute: Any, sql: str, *args: Any) -> Any:
    queries.append(sql)
    return execute(sql, *args)


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("RECTIFY_ALLOWED_HOSTS", "testserver")
    # The bench users log in with force_login; a second factor would send every page to /accounts/.
    os.environ["RECTIFY_2FA_REQUIRED_ROLES"] = "none"
    import django

    django.setup()


def build(size: int, reuse: bool = False) -> None:
    from django.core.management import call_command

    from bench.generate import generate
    from rectify.core.dbstats import analyze_database

    call_command("migrate", verbosity=0)
    if reuse:  # --reuse: a province generated before (migrated above, so new indexes are built)
        analyze_database()
        vacuum_postgres()
        print("  reusing the database as it is (not generated)", flush=True)
        return
    t0 = time.perf_counter()
    generate(measures=size, levels=True)
    t1 = time.perf_counter()
    analyze_database()
    vacuum_postgres()
    print(f"  generated {size} measures in {t1 - t0:.1f} s, analyzed in {time.perf_counter() - t1:.1f} s", flush=True)


def vacuum_postgres() -> None:
    """PostgreSQL: VACUUM, as autovacuum does on a live database. The generator inserts the
    measures and then UPDATEs their warning levels, so a fresh bench database held ~100k dead row
    versions in plans_measure and no visibility map: every count read the heap instead of the
    index (a county clerk's COUNT(*) at 100k: 20 ms with 5,859 heap fetches before, 1 ms after)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def check_counts(client: Any) -> None:
    """The API's totals against independent queries (the bench must measure real answers)."""
    from django.db.models import Q

    from rectify.core import clock
    from rectify.plans.models import UNDATED_KINDS, Measure

    today = clock.today()
    overdue = (
        Measure.objects.filter(due_on__lt=today, status__in=["in_progress", "completed"])
        .exclude(deadline_kind__in=list(UNDATED_KINDS))
        .count()
    )
    status = Measure.objects.filter(Q(status="in_progress") | Q(status="completed")).count()
    got = client.get("/api/v1/measures/?overdue=1&page_size=1").json()["count"]
    assert got == overdue, (got, overdue)
    got = client.get("/api/v1/measures/?status=in_progress,completed&page_size=1").json()["count"]
    assert got == status, (got, status)


def compare_serialization(users: dict[str, Any], repeats: int) -> None:
    """The API list's page built two ways in one process, alternating: model objects with their
    prefetches through the nested MeasureSerializer (before issue 16) and flat values() rows
    through api.ledger_rows (now). Same filter, same 50 measures; prints p50 of each and the ratio."""
    from rectify.api.ledger_rows import ledger_rows
    from rectify.api.serializers import MeasureSerializer
    from rectify.plans import selectors

    for who in ("coordinator", "clerk"):
        filters = selectors.LedgerFilters.from_query({"overdue": "1"})
        timings: dict[str, list[float]] = {"nested": [], "flat": []}
        for _ in range(repeats):
            start = time.perf_counter()
            measures = selectors.measure_list(viewer=users[who], filters=filters)
            nested = MeasureSerializer(list(selectors.with_ledger_relations(measures)[:50]), many=True).data
            timings["nested"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            measures = selectors.measure_list(viewer=users[who], filters=filters)
            flat = ledger_rows(list(selectors.ledger_values(measures)[:50]))
            timings["flat"].append((time.perf_counter() - start) * 1000)
            assert json.loads(json.dumps(nested)) == flat
        n, f = statistics.median(timings["nested"]), statistics.median(timings["flat"])
        print(f"  {who:<11} overdue page of 50, nested serializer p50 {n:.1f} ms, flat rows {f:.1f} ms ({n / f:.1f}×)")


def run(
    database_url: str, size: int, repeats: int, surfaces: list[str], freeze: bool, reuse: bool = False
) -> list[dict[str, Any]]:
    setup(database_url)
    from django.db import connection
    from django.test import Client

    from bench.generate import make_users
    from rectify.orgs.models import OrgUnit

    build(size, reuse)
    from django.conf import settings

    # RECTIFY_KEEP_FIGURES=0: every request counts again (the counts are kept until the data
    # changes otherwise, so the untimed first request of a case is the only one that counts).
    print(f"  counts kept until the data changes: {settings.RECTIFY_KEEP_FIGURES}", flush=True)
    users = make_users()
    clerk_unit = users["clerk"].memberships.get().unit
    county = clerk_unit.parent
    city = OrgUnit.objects.get(pk=county.parent_id).name.removesuffix("市")
    cases = filters(clerk_unit.pk, county.pk, city)
    if freeze:
        gc.collect()
        gc.freeze()
    results = []
    for who in ("coordinator", "clerk"):
        client = Client()
        client.force_login(users[who])
        if who == "coordinator":
            check_counts(client)
        for surface in surfaces:
            for label, query in cases.items():
                url = SURFACES[surface] + "?" + query
                queries: list[str] = []
                with connection.execute_wrapper(functools.partial(_count_query, queries)):
                    response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                count = response.json()["count"] if surface in ("api", "board") else None
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                results.append(
                    {
                        "who": who,
                        "surface": surface,
                        "case": label,
                        "p50": statistics.median(times),
                        "p95": percentile(times, 0.95),
                        "p99": percentile(times, 0.99),
                        "queries": len(queries),
                        "count": count,
                    }
                )
                r = results[-1]
                print(
                    f"  {who:<11} {surface:<10} {label:<14} p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
                    f"p99 {r['p99']:6.1f} ms  {r['queries']:2d} queries"
                    + (f"  count {count}" if count is not None else ""),
                    flush=True,
                )
    if "api" in surfaces:
        compare_serialization(users, repeats)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--surfaces", default=",".join(SURFACES))
    parser.add_argument("--no-freeze", action="store_true")
    parser.add_argument("--json", help="append the results to this file (one JSON object per line)")
    parser.add_argument(
        "--reuse",
        help="a database already holding a generated province of the one size given (an SQLite file path "
        "or a postgres:// URL): migrated and measured as it is, never dropped; give a copy",
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    surfaces = [s for s in args.surfaces.split(",") if s]
    if args.size:  # child process: one database, one size
        results = run(args.url, args.size, args.repeats, surfaces, not args.no_freeze, bool(args.reuse))
        if args.json:
            with open(args.json, "a") as out:
                for r in results:
                    out.write(json.dumps({"backend": args.backend, "size": args.size, **r}, ensure_ascii=False) + "\n")
        return
    print(f"load average before: {os.getloadavg()}", flush=True)
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if os.environ.get("BENCH_POSTGRES_URL"):
        backends.append(("PostgreSQL", os.environ["BENCH_POSTGRES_URL"]))
    if args.reuse:
        url = args.reuse if "://" in args.reuse else f"sqlite:///{Path(args.reuse).resolve()}"
        name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        backends = [(name, url)]
    for size in [int(s) for s in args.sizes.split(",")]:
        for name, base in backends:
            print(f"== {name}, {size} measures", flush=True)
            if args.reuse:
                url = str(base)
            elif base is None:
                tmp = tempfile.mkdtemp()
                url = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                db = f"rectify_bench_ledger_{size}"
                subprocess.run(["psql", base, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
                subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
                url = base.rsplit("/", 1)[0] + "/" + db
            cmd = [sys.executable, __file__, "--size", str(size), "--url", url, "--backend", name]
            cmd += ["--repeats", str(args.repeats), "--surfaces", ",".join(surfaces)]
            cmd += ["--no-freeze"] if args.no_freeze else []
            cmd += ["--json", args.json] if args.json else []
            cmd += ["--reuse", "1"] if args.reuse else []
            subprocess.run(cmd, check=True)
            if args.reuse:
                continue
            if base is None:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                subprocess.run(["psql", base, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
