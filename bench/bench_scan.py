"""Benchmark: the daily deadline scan (`deadlines_scan`, i.e. `rectify scan_deadlines --today …`)
at 10k and 100k measures.

Builds bench/generate.py's province in a throwaway database, then adds what the scan reads and
generate.py leaves out: every deadline kind (date, range, immediate/ongoing, annual, scheduled,
external with and without a date, compound with parts, unknown, completed), milestones, reported
progress, clerks on most responsible units and coordinators (so reminders go out), submitted
reports for three reporting periods and a reporting calendar that starts four weeks before the
scan date (so the missed-report walk has deadlines to check). Then, in a fresh process:

1. the first scan on `--today` (every measure gets a level, warnings are raised),
2. an immediate re-run (idempotent: asserts 0 new warnings, reminders and missed reports),
3. the next day's scan (today + 1),
4. a catch-up scan a week after that (today + 8: six nightly runs missed),
5. the first scan again from a reset state under tracemalloc (peak Python memory).

Runs on SQLite by default and also on PostgreSQL when BENCH_POSTGRES_URL is set (a throwaway
database is created and dropped). Targets at 100k measures (~300k shares): the first scan ≤ 5 s,
a daily scan ≤ 1.5 s (issue 16).

A database built before shares followed their measures (see `shares_follow`) is brought up to
date with `--step follow --url …`; `--step scan --url …` times the scans on an existing copy.

    .venv/bin/python bench/bench_scan.py [--sizes 10000,100000] [--today 2023-09-04]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_TODAY = "2023-09-04"  # a Monday: +1 crosses the monthly deadline (5th), +8 a weekly one (Friday)


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("EMAIL_HOST", None)  # in-app notifications only: no mail server is contacted
    import django

    django.setup()


# --- what the scan needs beyond generate.py ----------------------------------------------------

COMPOUND_PARTS = [
    [("城区", "date", 0, 120), ("农村", "date", 0, 400)],
    [("立行立改部分", "immediate_ongoing", None, None), ("工程部分", "date", 0, 200)],
    [("2023年任务", "annual", None, None), ("验收", "date", 0, 500)],
    [("一期", "range", -300, -20), ("二期", "range", -20, 300)],
    [("排查", "date", -400, -200), ("整治", "date", 0, 10), ("巩固", "immediate_ongoing", None, None)],
    [("上级方案部分", "external", None, None), ("本地部分", "date", 0, 700)],
]


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _parts(template: list[tuple[str, str, int | None, int | None]], today: dt.date) -> list[dict[str, Any]]:
    out = []
    for scope, kind, start, due in template:
        part: dict[str, Any] = {"scope": scope, "raw": f"{scope}合成时限", "kind": kind, "due": None, "start": None}
        if kind in ("date", "range") and due is not None:
            part["due"] = _iso(today + dt.timedelta(days=due))
            if kind == "range" and start is not None:
                part["start"] = _iso(today + dt.timedelta(days=start))
        out.append(part)
    return out


def _chunks(ids: list[int], n: int = 900) -> Any:
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def _grouped_update(model: Any, groups: dict[Any, list[int]], fields: tuple[str, ...]) -> None:
    for values, ids in groups.items():
        for chunk in _chunks(ids):
            model.objects.filter(pk__in=chunk).update(**dict(zip(fields, values, strict=True)))


def enrich(today: dt.date, seed: int = 11) -> dict[str, int]:
    """Deadline kinds, milestones, progress, people, reports and the calendar (see the docstring)."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from rectify.orgs.models import Membership, OrgUnit, Role
    from rectify.plans.models import Assignment, Measure, Milestone, Plan
    from rectify.progress.models import ProgressReport, ReportingCalendar
    from rectify.progress.periods import SHANGHAI, CalendarRule, month_of, week_of

    rng = random.Random(seed)
    with transaction.atomic():
        rows = list(Measure.objects.values_list("pk", "deadline_kind", "due_on", "status", "problem__plan__start_on"))
        kind_groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)  # (kind, due, start, status) → ids
        compound: dict[int, list[int]] = defaultdict(list)  # template → ids
        final: dict[int, tuple[str, dt.date | None, str, dt.date]] = {}
        for pk, kind, due, status, plan_start in rows:
            start = None
            r = rng.random()
            if kind == "date" and due is not None:
                if r < 0.10:
                    kind, start = "range", max(plan_start, due - dt.timedelta(days=rng.randint(60, 365)))
                elif r < 0.11:
                    kind, due = "unknown", None
                elif r < 0.12:
                    kind, due = "completed", None
            elif kind == "immediate_ongoing":
                if r < 0.25:
                    kind = "immediate"
                elif r < 0.40:
                    kind = "ongoing"
                if status == "in_progress" and rng.random() < 0.10:
                    status = "ongoing"  # 已完成、长期坚持
            elif kind == "external" and r < 0.6:
                due = today + dt.timedelta(days=rng.randint(-200, 400))
            elif kind == "compound":
                compound[rng.randrange(len(COMPOUND_PARTS))].append(pk)
            kind_groups[(kind, due, start, status)].append(pk)
            final[pk] = (kind, due, status, plan_start)
        _grouped_update(Measure, kind_groups, ("deadline_kind", "due_on", "start_on", "status"))
        for template, ids in compound.items():
            for chunk in _chunks(ids):
                Measure.objects.filter(pk__in=chunk).update(deadline_parts=_parts(COMPOUND_PARTS[template], today))

        # Reported progress: most open measures have reported, in round numbers, some of them long ago.
        progress_groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for pk, (kind, due, status, plan_start) in final.items():
            if status == "closed" or rng.random() < 0.3:
                continue
            if status == "completed":
                percent = 100
            elif kind in ("date", "range") and due is not None and due > plan_start:
                share = min(max((today - plan_start).days / (due - plan_start).days, 0), 1) * 100
                percent = int(min(max(share + rng.gauss(0, 15), 0), 100) // 5 * 5)
            else:
                percent = rng.randrange(20, 101, 5)
            days_ago = rng.choice([rng.randint(0, 10), rng.randint(0, 60)])
            at = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(16, 0), tzinfo=SHANGHAI)
            progress_groups[(float(percent), at)].append(pk)
        _grouped_update(Measure, progress_groups, ("progress", "last_report_at"))

        # Milestones on a sixth of the dated open measures; the earlier ones mostly reached.
        milestones = []
        for pk, (kind, due, status, plan_start) in final.items():
            if kind not in ("date", "range") or due is None or status != "in_progress" or rng.random() > 0.17:
                continue
            span = (due - plan_start).days
            for seq in range(1, rng.randint(1, 3) + 1):
                on = plan_start + dt.timedelta(days=span * seq // 4)
                reached = on + dt.timedelta(days=rng.randint(-20, 5)) if on < today and rng.random() < 0.6 else None
                raw = f"{on.year}年{on.month}月底前完成第{seq}阶段"
                milestones.append(
                    Milestone(measure_id=pk, seq=seq, raw=raw, due_on=on, precision="month", reached_on=reached)
                )
        Milestone.objects.bulk_create(milestones, batch_size=5000)

        # People: a clerk on ~85 % of the responsible units (a tenth of those have two), a
        # coordinator at the province and at every city's 整改办.
        units = list(OrgUnit.objects.filter(pk__in=Assignment.objects.values("unit_id")).order_by("path"))
        people: list[tuple[str, OrgUnit, str]] = []
        for unit in units:
            if rng.random() < 0.85:
                people.append((f"clerk{unit.pk}", unit, Role.CLERK))
                if rng.random() < 0.1:
                    people.append((f"clerk{unit.pk}b", unit, Role.CLERK))
        for unit in OrgUnit.objects.filter(kind="office") | OrgUnit.objects.filter(depth=0):
            people.append((f"coordinator{unit.pk}", unit, Role.COORDINATOR))
        users = User.objects.bulk_create([User(username=name, password="!") for name, _, _ in people])
        Membership.objects.bulk_create(
            [Membership(user=u, unit=unit, role=role) for u, (_, unit, role) in zip(users, people, strict=True)]
        )

        # Units owe reports from the plan's start; reporting on the platform starts 4 weeks ago.
        first_start = min(Plan.objects.values_list("start_on", flat=True))
        Assignment.objects.update(created_at=dt.datetime.combine(first_start, dt.time(9), tzinfo=SHANGHAI))
        ReportingCalendar.objects.update_or_create(pk=1, defaults={"starts_on": today - dt.timedelta(days=28)})

        # Submitted reports for the week due before `today`, last month (due on the 5th) and this
        # week: most units on time, some partly, some late, some not at all.
        rule = CalendarRule()
        periods = [
            week_of(today - dt.timedelta(days=7), rule),
            month_of(today.replace(day=1) - dt.timedelta(days=1), rule),
        ]
        periods.append(week_of(today, rule))
        owed = list(
            Assignment.objects.filter(
                unit__isnull=False, measure__isnull=False, measure__status__in=["in_progress", "ongoing"]
            ).values_list("pk", "unit_id", "measure_id")
        )
        reports = 0
        for period in periods:
            behaviour = {}
            for _, unit_id, _ in owed:
                if unit_id not in behaviour:
                    behaviour[unit_id] = rng.choices(["on_time", "partly", "late", "none"], [65, 15, 10, 10])[0]
            batch = []
            for pk, unit_id, measure_id in owed:
                b = behaviour[unit_id]
                if b == "none" or (b == "partly" and rng.random() < 0.5):
                    continue
                hours = rng.randint(2, 70)
                when = period.due_at + dt.timedelta(hours=hours if b == "late" else -hours)
                batch.append(
                    ProgressReport(
                        assignment_id=pk,
                        unit_id=unit_id,
                        measure_id=measure_id,
                        kind=period.kind,
                        period_start=period.start,
                        period_end=period.end,
                        progress_text="本周继续推进整改，加强巡查。",
                        next_plan="持续推进" if period.kind == "weekly" else "",
                        percent=rng.randrange(0, 101, 5),
                        status="submitted",
                        submitted_at=when,
                        first_submitted_at=when,
                        created_at=when,
                        updated_at=when,
                    )
                )
                if len(batch) >= 20000:
                    ProgressReport.objects.bulk_create(batch, batch_size=5000)
                    reports += len(batch)
                    batch = []
            ProgressReport.objects.bulk_create(batch, batch_size=5000)
            reports += len(batch)
    follow = shares_follow()
    kinds: dict[str, int] = defaultdict(int)
    for kind, *_ in final.values():
        kinds[kind] += 1
    return {
        **follow,
        "milestones": len(milestones),
        "clerks": sum(1 for p in people if p[2] == Role.CLERK),
        "coordinators": sum(1 for p in people if p[2] == Role.COORDINATOR),
        "reports": reports,
        **{f"kind {k}": n for k, n in sorted(kinds.items())},
    }


def shares_follow() -> dict[str, int]:
    """Give every share (each unit's part of a measure, what the scan assesses) the state enrich()
    gave its measure, as the importer and the units' reports would have: status (整改中 without a
    report is 未开始), progress, last report, due date, 销号 date and the milestones reached; then
    roll the measures and problems up, so that the first scan changes only warning levels (as after
    a real import). Idempotent: a database built before shares followed their measures gets the
    same state from `--step follow`."""
    from django.db import transaction
    from django.db.models import OuterRef, Subquery

    from rectify.plans import rollup
    from rectify.plans.models import Assignment, Measure, Milestone

    with transaction.atomic():
        done = ["completed", "closed", "ongoing"]
        Measure.objects.filter(status__in=done).exclude(progress=100).update(progress=100)
        measure = Measure.objects.filter(pk=OuterRef("measure_id"))
        shares = Assignment.objects.filter(measure__isnull=False)
        moved = shares.update(
            status=Subquery(measure.values("status")[:1]),
            progress=Subquery(measure.values("progress")[:1]),
            last_report_at=Subquery(measure.values("last_report_at")[:1]),
            due_on=Subquery(measure.values("due_on")[:1]),
            closed_on=Subquery(measure.values("closed_on")[:1]),
            milestones_reached={},
        )
        shares.filter(status="in_progress", progress__isnull=True).update(status="not_started")
        reached: dict[int, dict[str, str]] = defaultdict(dict)
        for pk, measure_id, on in Milestone.objects.filter(reached_on__isnull=False).values_list(
            "pk", "measure_id", "reached_on"
        ):
            reached[measure_id][str(pk)] = on.isoformat()
        for measure_id, keys in reached.items():
            Assignment.objects.filter(measure_id=measure_id).update(milestones_reached=keys)
        rollup.measures_rollup(Measure.objects.values_list("pk", flat=True), problems=False)
        rollup.problems_rollup()
    return {"shares following their measure": moved, "measures with reached milestones": len(reached)}


def build(database_url: str, size: int, today: dt.date) -> None:
    setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    generate(measures=size)
    t1 = time.perf_counter()
    counts = enrich(today)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    print(
        f"  generated {size} measures in {t1 - t0:.1f} s, enriched in {time.perf_counter() - t1:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in counts.items()),
        flush=True,
    )


# --- the scans ---------------------------------------------------------------------------------


def reset() -> None:
    """Back to the state before the first scan."""
    from django.db import transaction

    from rectify.notifications.models import Notification
    from rectify.plans.models import Assignment, Measure, Problem
    from rectify.progress.models import MissedReport
    from rectify.supervision.models import ScanRun, Warning

    with transaction.atomic():
        for model in (Warning, Notification, MissedReport, ScanRun):
            model.objects.all().delete()
        Assignment.objects.update(warning_level="", warning_reasons=[])
        Measure.objects.update(warning_level="")
        Problem.objects.update(warning_level="")


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scans(database_url: str, today: dt.date) -> None:
    setup(database_url)
    from django.db import connection
    from django.db.models import Count

    from rectify.plans.models import Measure, WarningLevel
    from rectify.supervision.models import Warning
    from rectify.supervision.services import deadlines_scan

    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    from django.urls import reverse

    # Connect, load the ORM and the URLconf (reminders link to pages), so that the first scan does
    # not pay for what a long-running worker loaded once.
    Measure.objects.exists()
    reverse("supervision:board")
    print(
        f"  {'scan':<34} {'time':>8} {'measures':>8} {'raised':>7} {'resolved':>8} {'missed':>6} "
        f"{'reminders':>9} {'queries':>7}",
        flush=True,
    )

    def timed(label: str, day: dt.date) -> Any:
        nonlocal queries
        queries = 0
        with connection.execute_wrapper(count):
            start, cpu = time.perf_counter(), time.process_time()
            run = deadlines_scan(today=day, send_mail=False)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"  {label:<34} {elapsed:7.2f}s {run.measures:>8} {run.raised:>7} {run.resolved:>8} {run.missed:>6} "
            f"{run.reminders:>9} {queries:>7}  (this process's CPU {cpu:.2f} s; load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        return run

    rss_before = maxrss_mib()
    first = timed(f"1. first scan ({today})", today)
    rss_after = maxrss_mib()
    again = timed("2. re-run, same day", today)
    assert again.raised == 0 and again.reminders == 0 and again.missed == 0 and again.resolved == 0, again
    timed(f"3. next day ({today + dt.timedelta(days=1)})", today + dt.timedelta(days=1))
    timed(f"4. catch-up ({today + dt.timedelta(days=8)})", today + dt.timedelta(days=8))

    levels = dict(Measure.objects.values_list("warning_level").annotate(n=Count("pk")))
    print(
        "  levels after the catch-up: "
        + ", ".join(f"{WarningLevel(k).label} {v}" for k, v in sorted(levels.items()) if k)
        + f"; open warnings {Warning.objects.filter(resolved_on__isnull=True).count()}",
        flush=True,
    )
    reset()
    tracemalloc.start()
    start = time.perf_counter()
    traced = deadlines_scan(today=today, send_mail=False)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (traced.raised, traced.missed, traced.reminders) == (first.raised, first.missed, first.reminders), traced
    print(
        f"  5. first scan again under tracemalloc: {elapsed:.2f} s, Python peak {peak / 2**20:.0f} MiB; "
        f"process max RSS {rss_before:.0f} MiB before the first scan, {rss_after:.0f} MiB after",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--today", default=DEFAULT_TODAY, help="the first scan's date (YYYY-MM-DD)")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=["build", "follow", "scan"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    if args.step == "build":  # child process: one database, one size
        build(args.url, args.size, today)
        return
    if args.step == "follow":  # a database built before shares followed their measures
        setup(args.url)
        print("  " + ", ".join(f"{k} {v}" for k, v in shares_follow().items()), flush=True)
        return
    if args.step == "scan":  # a fresh process, so that max RSS is the scan's
        scans(args.url, today)
        return

    backends = [("SQLite", None)]
    if os.environ.get("BENCH_POSTGRES_URL"):
        backends.append(("PostgreSQL", os.environ["BENCH_POSTGRES_URL"]))
    for size in [int(s) for s in args.sizes.split(",")]:
        for name, base in backends:
            print(f"== {name}, {size} measures", flush=True)
            tmp = None
            if base is None:
                tmp = tempfile.mkdtemp()
                url = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                db = f"rectify_bench_scan_{size}"
                subprocess.run(["psql", base, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
                subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {db}"], check=True)
                url = base.rsplit("/", 1)[0] + "/" + db
            try:
                for step in ("build", "scan"):
                    cmd = [sys.executable, __file__, "--step", step, "--size", str(size), "--url", url]
                    subprocess.run([*cmd, "--today", args.today], check=True)
            finally:
                if tmp is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    subprocess.run(["psql", base, "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)


if __name__ == "__main__":
    main()
