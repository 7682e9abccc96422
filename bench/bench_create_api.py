"""Creating and updating a ledger through the API, one call per item (issue 16, item 6).

A throwaway database with a generated province (bench/generate.py, 1,000 measures by default, so
the units, plans and chapters exist), one Rectify server under gunicorn (one sync worker, the
deployed middleware and config/gunicorn.py) and the city office's API token. Sequentially over
loopback, as a syncing system would:

* `POST /api/v1/problems/` — a problem with one measure (two units, a dated deadline);
* `POST /api/v1/measures/` — a measure on one of those problems (a lead and two supporting units,
  a deadline with a date, two 阶段性节点);
* `PATCH /api/v1/measures/<id>/` — the text and deadline of one of those measures (with version);
* for reference, `GET /api/v1/measures/<id>/` of the same measures: what one authenticated call
  costs on this machine before any write (the floor the writes sit on).

Every answer is checked (201/200), and afterwards the database is counted independently: the
problems, measures, shares and milestones created must be exactly those sent. Prints items per
second for each operation, the p50/p95 of one call, the server's CPU time per call (user + system
time of the gunicorn processes, from /proc: what one call costs whatever else the machine runs;
1000 / that is the most one worker could do on a core of its own) and the load average.

The server's API rate for a signed-in user is raised for the run (`--rate`, RECTIFY_API_RATE_USER;
the default 1200/min would stop any sync at 20 calls a second): the throttle still runs and is
counted in every call, on its own file cache in the run's temporary directory (the deployed
default, file://, not a shared one).

    .venv/bin/python bench/bench_create_api.py [--items 400] [--size 1000] [--postgres URL] [--rate 100000/min]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_side_by_side import _free_port, _wait, percentile  # noqa: E402

SYNC = ["--workers", "1", "--worker-class", "sync", "--log-level", "warning"]


def _send(port: int, method: str, path: str, token: str, body: dict[str, Any]) -> tuple[float, int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body else None
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        method, path, body=data, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return (time.perf_counter() - start) * 1000, response.status, json.loads(raw or b"null")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children still running (gunicorn's worker)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return float("nan")  # not Linux: no figure
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def prepare(database_url: str, size: int) -> dict[str, Any]:
    """Migrate and generate; the coordinator's token; a plan, a chapter and units to write to."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["RECTIFY_2FA_REQUIRED_ROLES"] = "none"
    import django

    django.setup()
    from django.core.management import call_command

    from bench.generate import generate, make_users
    from rectify.accounts.services import token_issue
    from rectify.core.dbstats import analyze_database
    from rectify.orgs.models import OrgUnit
    from rectify.plans.models import Plan

    call_command("migrate", verbosity=0)
    generate(measures=size)
    users = make_users()
    analyze_database()
    _, token = token_issue(actor=users["coordinator"], name="bench-create")
    plan = Plan.objects.order_by("pk").first()
    assert plan is not None
    chapter = plan.chapters.order_by("index").first()
    assert chapter is not None
    units = list(OrgUnit.objects.filter(kind="department").order_by("pk").values_list("pk", flat=True)[:40])
    assert len(units) >= 3, units
    return {"token": token, "plan": plan.pk, "chapter": chapter.pk, "units": units}


def counts() -> dict[str, int]:
    from rectify.plans.models import Assignment, Measure, Milestone, Problem

    return {
        "problems": Problem.objects.count(),
        "measures": Measure.objects.count(),
        # a unit's share of a measure (the problem-level rows, measure NULL, list the problem's units)
        "shares": Assignment.objects.filter(measure__isnull=False).count(),
        "milestones": Milestone.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=400, help="calls per operation")
    parser.add_argument("--size", type=int, default=1_000, help="measures generated before")
    parser.add_argument("--postgres", help="a PostgreSQL URL to a maintenance database (a throwaway one is made)")
    parser.add_argument("--rate", default="100000/min", help="RECTIFY_API_RATE_USER for the server")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    if args.postgres:
        db = "rectify_bench_create"
        subprocess.run(["psql", args.postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(["psql", args.postgres, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
        url, backend = args.postgres.rsplit("/", 1)[0] + "/" + db, "PostgreSQL"
    else:
        url, backend = f"sqlite:///{tmp}/create.sqlite3", "SQLite"
    print(f"== {backend}, {args.items} calls per operation, {args.size} measures before", flush=True)
    setup = prepare(url, args.size)
    before = counts()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RECTIFY_DEBUG": "0",
        "RECTIFY_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RECTIFY_API_RATE_USER": args.rate,
        "RECTIFY_CACHE_URL": f"file://{tmp}/cache",
    }
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-c", str(ROOT / "config" / "gunicorn.py"), "config.wsgi", "--bind", f"127.0.0.1:{port}", *SYNC],
        env=env,
        cwd=ROOT,
    )
    token, units = setup["token"], setup["units"]
    problems: list[int] = []
    measures: list[int] = []
    shares_sent = 0
    try:
        _wait(port, "/accounts/login/")
        load_before = os.getloadavg()
        results: dict[str, tuple[float, list[float]]] = {}
        cpu: dict[str, float] = {}
        mark = _cpu_seconds(server.pid)

        def done(label: str, started: float, times: list[float]) -> None:
            nonlocal mark
            results[label] = (time.perf_counter() - started, times)
            now = _cpu_seconds(server.pid)
            cpu[label], mark = (now - mark) * 1000 / len(times), now

        started, times = time.perf_counter(), []
        mark = _cpu_seconds(server.pid)
        for i in range(args.items):
            body = {
                "plan": setup["plan"],
                "chapter": setup["chapter"],
                "text": f"自查发现：第{i + 1}处堆场未苫盖，扬尘污染问题突出。",
                "goal": "堆场全部苫盖，扬尘有效控制。",
                "deadline": "2023年6月底前",
                "source": "self_check",
                "measures": [
                    {
                        "text": f"开展第{i + 1}轮堆场排查整治。",
                        "units": [
                            {"unit": units[i % len(units)], "role": "lead"},
                            {"unit": units[(i + 1) % len(units)], "role": "support"},
                        ],
                    }
                ],
            }
            ms, status, data = _send(port, "POST", "/api/v1/problems/", token, body)
            assert status == 201, (status, data)
            problems.append(data["id"])
            shares_sent += 2
            times.append(ms)
        done("POST /problems/ (with 1 measure)", started, times)

        started, times = time.perf_counter(), []
        for i in range(args.items):
            body = {
                "problem": problems[i % len(problems)],
                "text": f"建立第{i + 1}项长效监管机制，定期巡查。",
                "units": [
                    {"unit": units[(i + k) % len(units)], "role": "lead" if k == 0 else "support"} for k in range(3)
                ],
                "deadline": "2023年12月底前",
                "source": "self_check",
                "milestones": [{"raw": "2023年6月底前完成排查"}, {"raw": "完成制度建设", "due_on": "2023-09-30"}],
            }
            ms, status, data = _send(port, "POST", "/api/v1/measures/", token, body)
            assert status == 201, (status, data)
            measures.append(data["id"])
            shares_sent += 3
            times.append(ms)
        done("POST /measures/", started, times)

        started, times = time.perf_counter(), []
        for i, pk in enumerate(measures):
            body = {"version": 1, "text": f"建立第{i + 1}项长效监管机制，每月巡查一次。", "deadline": "2023年11月底前"}
            ms, status, data = _send(port, "PATCH", f"/api/v1/measures/{pk}/", token, body)
            assert status == 200, (status, data)
            times.append(ms)
        done("PATCH /measures/<id>/", started, times)

        started, times = time.perf_counter(), []
        for pk in measures:
            ms, status, data = _send(port, "GET", f"/api/v1/measures/{pk}/", token, {})
            assert status == 200 and len(data["milestones"]) == 2, (status, data)
            times.append(ms)
        done("(reference) GET /measures/<id>/", started, times)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Counted independently of the answers: exactly what was sent exists, no more.
    after = counts()
    from rectify.plans.models import Measure

    assert after["problems"] - before["problems"] == args.items, (before, after)
    assert after["measures"] - before["measures"] == 2 * args.items, (before, after)
    assert after["shares"] - before["shares"] == shares_sent, (before, after, shares_sent)
    assert after["milestones"] - before["milestones"] == 2 * args.items, (before, after)
    assert Measure.objects.filter(pk__in=measures, text__contains="每月巡查一次").count() == len(measures)
    for label, (seconds, times) in results.items():
        print(
            f"  {label:<34} {len(times) / seconds:7.1f} items/s   one call p50 {percentile(times, 0.5):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms, server CPU {cpu[label]:.1f} ms per call",
            flush=True,
        )
    print(f"  load average before {load_before}, after {load_after}", flush=True)
    if args.postgres:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", args.postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
