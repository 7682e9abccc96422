"""Benchmark: 挂图作战 in Chromium — the time from navigation to the chart drawn, for a plan of
500 measures (and more with --sizes). Target: under 1 s for 500 measures (issue 12).

A throwaway SQLite database (migrate, load_demo, then `build_plan` below: one synthetic plan with
N measures, a lead share each, every deadline kind, warnings, progress and milestones), served by
gunicorn as scripts/start serves it, driven by Playwright with Debian's Chromium. Each run opens a
fresh page (cold page, warm server) and reads the moment the chart reported its first frame
(`data-drawn-ms` on the chart: performance.now() at ECharts' "finished", i.e. milliseconds since
navigation start). Prints p50/p95/max per case, the A3 PDF's download time (the whole request:
rows, HTML, WeasyPrint) and the machine's load average before and after.

    .venv/bin/python bench/bench_gantt.py [--sizes 500,2000] [--runs 15] [--pdf-runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Bench-Passw0rd-2022"
KINDS = ["date"] * 12 + ["immediate_ongoing"] * 4 + ["recurring", "annual", "external"]


def build_plan(measures: int = 500, seed: int = 12) -> int:
    """One synthetic plan of `measures` measures (5 per problem, 4 chapters) over the demo
    directory, with a lead share per measure; returns the plan's id. Also used by
    tests/browser/test_gantt.py."""
    from django.db import transaction

    from rectify.orgs.models import OrgUnit
    from rectify.plans.models import Assignment, Chapter, Measure, Milestone, Plan, Problem

    rng = random.Random(seed)
    units = list(OrgUnit.objects.filter(is_active=True).exclude(kind="region").order_by("path")[:40])
    start = dt.date(2022, 2, 25)
    with transaction.atomic():
        plan = Plan.objects.create(
            title=f"挂图作战测试方案（{measures}项措施）", start_on=start, fingerprint=f"gantt-bench-{measures}-{seed}"
        )
        chapters = [
            Chapter.objects.create(plan=plan, number=n, index=i, title=f"第{n}部分 合成问题")
            for i, n in enumerate("一二三四", start=1)
        ]
        count = (measures + 4) // 5
        problems = Problem.objects.bulk_create(
            Problem(
                plan=plan,
                chapter=chapters[i * 4 // count],
                number=str(i + 1),
                index=i + 1,
                text=f"合成问题{i + 1}：扬尘污染治理和工业企业排放整治仍不到位，群众反映强烈",
                deadline_kind="date",
                deadline_raw="2023年12月底",
                due_on=dt.date(2023, 12, 31),
                warning_level=rng.choice(["red", "yellow", "green", ""]),
                progress=rng.randrange(0, 100),
            )
            for i in range(count)
        )
        rows: list[Measure] = []
        for i in range(measures):
            kind = rng.choice(KINDS)
            due = None
            if kind == "date":
                due = dt.date(2022, 3, 31) + dt.timedelta(days=rng.randrange(0, 1100))
            elif kind == "recurring":
                due = dt.date(2022, 9, 30)
            closed = kind == "date" and rng.random() < 0.1
            rows.append(
                Measure(
                    problem=problems[i // 5],
                    number=str(i + 1),
                    seq=i % 5 + 1,
                    text=f"措施{i + 1}：建立问题清单，逐项明确责任单位、整改时限和阶段目标，按月调度推进",
                    deadline_kind=kind,
                    deadline_raw={"date": f"{due}前", "immediate_ongoing": "立行立改、长期坚持"}.get(kind, "每季度")
                    if kind != "annual"
                    else "按年度完成",
                    due_on=due,
                    recurrence="quarterly" if kind == "recurring" else "",
                    status="closed" if closed else "in_progress",
                    closed_on=dt.date(2022, 6, 30) if closed else None,
                    warning_level=rng.choice(["red", "yellow", "green", "green", ""]),
                    progress=100 if closed else rng.randrange(0, 100),
                )
            )
        made = Measure.objects.bulk_create(rows)
        Milestone.objects.bulk_create(
            Milestone(
                measure=m,
                seq=1,
                raw="阶段目标",
                due_on=(m.due_on or dt.date(2023, 6, 30)) - dt.timedelta(days=90),
                precision="day",
                reached_on=dt.date(2022, 5, 1) if n % 2 else None,
            )
            for n, m in enumerate(made)
            if n % 4 == 0
        )
        Assignment.objects.bulk_create(
            Assignment(
                problem=m.problem,
                measure=m,
                unit=units[n % len(units)],
                phrase=units[n % len(units)].name,
                due_on=m.due_on,
                status="closed" if m.status == "closed" else "in_progress",
                warning_level=m.warning_level,
                progress=int(m.progress or 0),
            )
            for n, m in enumerate(made)
        )
    return plan.pk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return done.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(page: Any, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        page.goto("about:blank")
        page.goto(url)
        page.wait_for_selector("#gantt-chart[data-drawn]", timeout=30_000)
        times.append(float(page.get_attribute("#gantt-chart", "data-drawn-ms") or "nan"))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pdf-runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "RECTIFY_VAR_DIR": tmp}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env["RECTIFY_TODAY"] = "2022-09-05"
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "load_demo", "--password", PASSWORD)
        plans = {}
        for size in sizes:
            code = f"from bench.bench_gantt import build_plan; print(build_plan({size}))"
            plans[size] = int(_manage(env, "shell", "-c", code).strip().splitlines()[-1])
        port = _free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        server = subprocess.Popen(
            [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
             "--worker-class", "gthread"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/accounts/login/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"before: {_load()}")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for width, height in ((1366, 768), (390, 844)):
                    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base)
                    page = context.new_page()
                    page.goto("/accounts/login/")
                    # A leader: the Gantt's first audience (and no second factor to enter here).
                    page.fill("#id_username", "leader")
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                    for size in sizes:
                        for group in ("chapter", "unit"):
                            url = f"{base}/dashboard/gantt/?group={group}&plan={plans[size]}"
                            measure(page, url, 2)  # warm the server's caches
                            times = measure(page, url, args.runs)
                            print(
                                f"{size} measures, {group:7s}, {width}×{height}: chart drawn "
                                f"p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
                                f"max {max(times):.0f} ms ({len(times)} runs)",
                                flush=True,
                            )
                    if width > 1000:
                        for size in sizes:
                            for group in ("chapter", "unit"):
                                url = f"{base}/dashboard/gantt.pdf?group={group}&plan={plans[size]}"
                                pdf_times = []
                                for _ in range(args.pdf_runs):
                                    t0 = time.perf_counter()
                                    response = context.request.get(url, timeout=300_000)
                                    pdf_times.append((time.perf_counter() - t0) * 1000)
                                    assert response.ok, response.status
                                print(
                                    f"{size} measures, {group:7s}, A3 PDF ({len(response.body()) // 1024} KiB): "
                                    f"p50 {statistics.median(pdf_times):.0f} ms, max {max(pdf_times):.0f} ms "
                                    f"({len(pdf_times)} runs)",
                                    flush=True,
                                )
                    context.close()
                browser.close()
            print(f"after: {_load()}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
