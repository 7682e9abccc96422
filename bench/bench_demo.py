"""Benchmark: the demo history (`rectify load_demo_history`), as scripts/start runs it on a fresh
database. Target: ≤ 60 s for the default history (11 weeks) on the project's machine.

In a throwaway SQLite database: migrate, load_demo and load_demo_complaints (timed, not part of the
figure), then the history in a fresh process (timed from the command's start to its end, imports
included), then the same command again (it must skip: idempotent). Prints the figure with the
machine's load average (`uptime`) before and after, since other work on the machine moves it, and
the counts the history left. `--weeks`, `--reporting-weeks` and `--seed` pass through.

    .venv/bin/python bench/bench_demo.py [--weeks 11] [--reporting-weeks 4] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECTIFY = [sys.executable, str(ROOT / "manage.py")]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*RECTIFY, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"rectify {' '.join(args)} failed ({done.returncode})")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=11)
    parser.add_argument("--reporting-weeks", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", help="append the result as one JSON line to this file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
        "RECTIFY_MEDIA_ROOT": str(tmp / "media"),
        "RECTIFY_TODAY": "2022-06-17",  # the demo's setup day, as scripts/start does
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("EMAIL_HOST", None)
    history = ["load_demo_history", "--weeks", str(args.weeks)]
    if args.reporting_weeks is not None:
        history += ["--reporting-weeks", str(args.reporting_weeks)]
    if args.seed is not None:
        history += ["--seed", str(args.seed)]
    try:
        setup = 0.0
        for step in (["migrate", "--noinput", "-v", "0"], ["load_demo"], ["load_demo_complaints"]):
            setup += run(step, env)[0]
        before = uptime()
        elapsed, output = run(history, {**env, "RECTIFY_TODAY": ""})
        after = uptime()
        again, second = run(history, {**env, "RECTIFY_TODAY": ""})
        assert "未重复加载" in second, second
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"setup (migrate, load_demo, load_demo_complaints): {setup:.1f} s")
    print(output.rstrip())
    label = " ".join(history)
    print(f"{label}: {elapsed:.1f} s (target ≤ 60 s); a second run skips in {again:.1f} s")
    print(f"uptime before: {before}")
    print(f"uptime after:  {after}")
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(
                json.dumps(
                    {"args": history[1:], "seconds": round(elapsed, 1), "uptime_before": before, "uptime_after": after},
                    ensure_ascii=False,
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
