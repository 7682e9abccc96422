"""Side by side: Rectify's scoped API list against a bare Django JSON view of the same data.

One database with the same 10,000-measure province (bench/generate.py), two gunicorn servers with
one sync worker each, started from this script:

* Rectify as deployed (`config.wsgi`, every middleware, session login, scope, filters, the API
  list `/api/v1/measures/?…&page_size=25`);
* the bare view, defined below with its own URLconf and no middleware at all: the same rows with
  `values()` (the measures of the problems an owner unit has a share in, its shares with their
  unit names and its milestones: the same data the API returns) and a `JsonResponse`.

Each case sends 200 sequential requests to each server over real HTTP, alternating between the
two so a change in the machine's load hits both alike; the first answers of the two are checked
to list the same measures with the same total. Prints p50/p95/p99, the ratio and the load average.

    .venv/bin/python bench/bench_side_by_side.py [--size 10000] [--requests 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = 25
urlpatterns: list[Any] = []  # the bare server's URLconf, filled by bare_app()


# --- the bare server ------------------------------------------------------------------------


def bare_measures(request: Any) -> Any:
    """The floor: one owner's (or everyone's) measures, optionally overdue, a page of 25 with the
    total, each with its shares and milestones, straight from values()."""
    from django.http import JsonResponse

    from rectify.core import clock
    from rectify.plans.models import OPEN_STATUSES, UNDATED_KINDS, Assignment, Measure, Milestone
    from rectify.plans.selectors import LEDGER_MEASURE_COLUMNS, LEDGER_MILESTONE_COLUMNS, LEDGER_SHARE_COLUMNS

    qs = Measure.objects.all()
    if request.GET.get("unit"):
        qs = qs.filter(problem_id__in=Assignment.objects.filter(unit_id=int(request.GET["unit"])).values("problem_id"))
    if request.GET.get("overdue"):
        qs = qs.filter(due_on__lt=clock.today(), status__in=OPEN_STATUSES).exclude(
            deadline_kind__in=list(UNDATED_KINDS)
        )
    qs = qs.order_by("problem_id", "seq")
    rows = list(qs.values(*LEDGER_MEASURE_COLUMNS)[:PAGE])
    ids = [r["id"] for r in rows]
    shares: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for s in (
        Assignment.objects.filter(measure_id__in=ids).order_by("measure_id", "role", "id").values(*LEDGER_SHARE_COLUMNS)
    ):
        shares[s["measure_id"]].append(s)
    milestones: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for m in (
        Milestone.objects.filter(measure_id__in=ids).order_by("measure_id", "seq").values(*LEDGER_MILESTONE_COLUMNS)
    ):
        milestones[m["measure_id"]].append(m)
    for r in rows:
        r["assignments"] = shares[r["id"]]
        r["milestones"] = milestones[r["id"]]
    return JsonResponse({"count": qs.count(), "results": rows})


def bare_app() -> Any:
    """gunicorn 'bench.bench_side_by_side:bare_app()': Rectify's settings (the database), no
    middleware, this module's URLconf."""
    from django.urls import path

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.MIDDLEWARE = []
    settings.ROOT_URLCONF = __name__
    urlpatterns.append(path("bare/measures/", bare_measures))
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --- the driver -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, cookie: str = "") -> tuple[float, int, bytes]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return (time.perf_counter() - start) * 1000, response.status, body


def _wait(port: int, path: str) -> None:
    for _ in range(600):
        try:
            _get(port, path)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p) - 1))]


def prepare(database_url: str, size: int) -> dict[str, Any]:
    """Migrate, generate, analyze; a session for the coordinator and the clerk (in the database)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["RECTIFY_2FA_REQUIRED_ROLES"] = "none"
    os.environ.setdefault("RECTIFY_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from bench.generate import generate, make_users
    from rectify.core.dbstats import analyze_database

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    generate(measures=size, levels=True)
    users = make_users()
    analyze_database()
    print(f"  generated {size} measures in {time.perf_counter() - t0:.1f} s", flush=True)
    cookies = {}
    for who in ("coordinator", "clerk"):
        client = Client()
        client.force_login(users[who])
        cookies[who] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    unit = users["clerk"].memberships.get().unit_id
    return {"cookies": cookies, "unit": unit}


def start(app: str, port: int, freeze: bool, env: dict[str, str]) -> subprocess.Popen[bytes]:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cmd = [gunicorn, *(["-c", str(ROOT / "config" / "gunicorn.py")] if freeze else []), app]
    cmd += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync", "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL to a maintenance database (a throwaway one is made)")
    parser.add_argument("--no-freeze", action="store_true", help="start both servers without config/gunicorn.py")
    parser.add_argument("--json", help="append the results to this file")
    args = parser.parse_args()
    if args.postgres:
        db = f"rectify_bench_side_{args.size}"
        subprocess.run(["psql", args.postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(["psql", args.postgres, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
        url, backend = args.postgres.rsplit("/", 1)[0] + "/" + db, "PostgreSQL"
    else:
        tmp = tempfile.mkdtemp()
        url, backend = f"sqlite:///{tmp}/side.sqlite3", "SQLite"
    print(f"== {backend}, {args.size} measures, {args.requests} requests per case and server", flush=True)
    setup = prepare(url, args.size)
    env = {**os.environ, "DATABASE_URL": url, "RECTIFY_DEBUG": "0", "RECTIFY_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    ports = {"rectify": _free_port(), "bare": _free_port()}
    servers = [
        start("config.wsgi", ports["rectify"], not args.no_freeze, env),
        start("bench.bench_side_by_side:bare_app()", ports["bare"], not args.no_freeze, env),
    ]
    unit = setup["unit"]
    cases = [
        ("clerk, overdue", "clerk", "overdue=1", f"unit={unit}&overdue=1"),
        ("clerk, first page", "clerk", "", f"unit={unit}"),
        ("coordinator, overdue", "coordinator", "overdue=1", "overdue=1"),
        ("coordinator, first page", "coordinator", "", ""),
    ]
    results = []
    try:
        _wait(ports["rectify"], "/accounts/login/")
        _wait(ports["bare"], "/bare/measures/?unit=0")
        load_before = os.getloadavg()
        for label, who, rq, bq in cases:
            rpath = f"/api/v1/measures/?page_size={PAGE}&{rq}"
            bpath = f"/bare/measures/?{bq}"
            cookie = setup["cookies"][who]
            _, rs, rbody = _get(ports["rectify"], rpath, cookie)
            _, bs, bbody = _get(ports["bare"], bpath)
            assert rs == 200 and bs == 200, (rs, bs, rbody[:200])
            r, b = json.loads(rbody), json.loads(bbody)
            assert r["count"] == b["count"] > 0, (r["count"], b["count"])
            assert [m["id"] for m in r["results"]] == [m["id"] for m in b["results"]]
            times: dict[str, list[float]] = {"rectify": [], "bare": []}
            for _ in range(10):  # warm both
                _get(ports["rectify"], rpath, cookie)
                _get(ports["bare"], bpath)
            for _ in range(args.requests):
                times["rectify"].append(_get(ports["rectify"], rpath, cookie)[0])
                times["bare"].append(_get(ports["bare"], bpath)[0])
            row = {"backend": backend, "size": args.size, "case": label, "count": r["count"]}
            for name, ts in times.items():
                row[name] = {p: round(percentile(ts, q), 2) for p, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
            row["ratio"] = {p: round(row["rectify"][p] / row["bare"][p], 2) for p in ("p50", "p95", "p99")}
            results.append(row)
            print(
                f"  {label:<24} count {r['count']:>5}  Rectify p50/p95/p99 "
                + "/".join(f"{row['rectify'][p]:.1f}" for p in ("p50", "p95", "p99"))
                + " ms   bare "
                + "/".join(f"{row['bare'][p]:.1f}" for p in ("p50", "p95", "p99"))
                + " ms   ratio "
                + "/".join(f"{row['ratio'][p]:.2f}" for p in ("p50", "p95", "p99")),
                flush=True,
            )
        load_after = os.getloadavg()
        print(f"  load average before {load_before}, after {load_after}", flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        if not args.postgres:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            from django.db import connections

            connections.close_all()
            subprocess.run(["psql", args.postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
    if args.json:
        with open(args.json, "a") as out:
            for row in results:
                out.write(json.dumps({**row, "load": [load_before, load_after]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
