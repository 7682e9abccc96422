"""Benchmark: the public portal's home page (/public/) served from the cache, and cold.

Builds a throwaway database (SQLite, the demo directory and seed plan, made public as the demo
does), then times GET /public/:

* through Django's test client, in process: ≥ 500 requests from the cache with the default
  file-based cache and with the local-memory cache, and the same page rendered every time
  (RECTIFY_PUBLIC_CACHE_SECONDS=0) for comparison;
* through a live gunicorn (2 workers × 4 threads, as scripts/start serves), a burst of
  concurrent readers (8 threads, keep-alive off: a new connection per request, like citizens).

Prints p50 / p95 / max and the load average before and after. Target: p95 ≤ 20 ms from cache.

    .venv/bin/python bench/bench_portal.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RECTIFY = str(Path(sys.executable).parent / "rectify")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
URL = "/public/"


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "n": len(times),
        "p50": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "max": times[-1],
    }


def client_run(requests: int) -> None:
    """In a child process whose environment chose the cache: time the test client, print JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("RECTIFY_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    first = client.get(URL)
    assert first.status_code == 200, first.status_code
    times = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(URL)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    print(json.dumps({**summary(times), "queries": len(queries), "cache": response.get("X-Cache", "off")}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def burst(base: str, requests: int, threads: int) -> dict[str, float]:
    urllib.request.urlopen(base + URL, timeout=10).read()  # warm: the first request renders
    times: list[float] = []
    lock = threading.Lock()

    def reader(count: int) -> None:
        mine = []
        for _ in range(count):
            start = time.perf_counter()
            with urllib.request.urlopen(base + URL, timeout=10) as r:
                r.read()
                assert r.status == 200
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            times.extend(mine)

    pool = [threading.Thread(target=reader, args=(requests // threads,)) for _ in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    return {**summary(times), "rps": len(times) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        client_run(args.requests)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/portal.sqlite3",
            "RECTIFY_VAR_DIR": tmp,
            "RECTIFY_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        subprocess.run([RECTIFY, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([RECTIFY, "load_demo"], env=env, check=True, cwd=ROOT, capture_output=True)
        print(f"load average before: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        cases = [
            ("test client, file cache (default)", {}, args.requests),
            ("test client, local-memory cache", {"RECTIFY_CACHE_URL": "locmem://"}, args.requests),
            ("test client, no cache (rendered each time)", {"RECTIFY_PUBLIC_CACHE_SECONDS": "0"}, 200),
        ]
        for label, extra, n in cases:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--requests", str(n)],
                env={**env, **extra},
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{label:<45} n={r['n']:<5} p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  max {r['max']:7.2f} ms"
                f"  ({r['queries']} database queries in all; X-Cache {r['cache']})"
            )
        port = free_port()
        server = subprocess.Popen(
            [GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--worker-class", "gthread"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + URL, timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            r = burst(base, args.requests, args.threads)
            label = f"gunicorn 2×4, {args.threads} concurrent readers"
            print(
                f"{label:<45} n={r['n']:<5} p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  max {r['max']:7.2f} ms"
                f"  ({r['rps']:.0f} requests/s)"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
        print(f"load average after:  {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
