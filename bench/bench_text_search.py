"""Benchmark of the ledger's text filter at 100k: the bigram index (plans.search) against the LIKE
scan it replaces, interleaved request by request in one process (the same load for both).

    .venv/bin/python bench/bench_text_search.py URL [--repeats 25] [--surfaces api,page,board]

URL: a migrated, generated province (bench/generate.py), an SQLite file URL or a postgres:// URL;
give a copy. Each case: the answers of both modes are checked equal (count and ids) first.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SURFACES = {"page": "/", "api": "/api/v1/measures/", "board": "/api/v1/warnings/", "board-page": "/warnings/"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--surfaces", default="api,page,board")
    args = parser.parse_args()
    from bench import bench_ledger

    bench_ledger.setup(args.url)
    from django.core.management import call_command
    from django.test import Client

    from bench.generate import make_users
    from rectify.orgs.models import OrgUnit
    from rectify.plans import search, search_index

    call_command("migrate", verbosity=0)
    print(f"load average before: {os.getloadavg()}", flush=True)
    print("index ready:", search_index.ready(), flush=True)
    users = make_users()
    clerk_unit = users["clerk"].memberships.get().unit
    city = OrgUnit.objects.get(pk=clerk_unit.parent.parent_id).name.removesuffix("市")
    cases = {
        "no text filter (the floor)": "",
        "common (every measure)": "巡查",
        "rare (one problem)": f"{city} 77：",
        "some (33 measures)": f"{city} 99",
        "no match": "无此内容",
        "one character": "扬",
    }
    index_condition = search.measure_text_condition
    modes = {"index": index_condition, "like": search.like_condition}
    gc.collect()
    gc.freeze()
    print("| who | list | case | matches | LIKE p50 / p95 | index p50 / p95 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for who in ("coordinator", "clerk"):
        client = Client()
        client.force_login(users[who])
        for surface in args.surfaces.split(","):
            for label, q in cases.items():
                url = SURFACES[surface]
                answers = {}
                for mode, fn in modes.items():
                    search.measure_text_condition = fn
                    r = client.get(url, {"q": q})
                    assert r.status_code == 200
                    if surface in ("api", "board"):
                        data = r.json()
                        answers[mode] = (data["count"], [x.get("id") for x in data["results"]])
                    else:
                        page = r.content.decode()
                        total = re.search(r"(共|超过) ?([\d,]+) ?条", page)
                        answers[mode] = (total.group(0) if total else "?", re.findall(r'href="/problems/(\d+)/', page))
                assert answers["index"] == answers["like"], (who, surface, q)
                times = {m: [] for m in modes}
                for _ in range(args.repeats):
                    for mode, fn in modes.items():
                        search.measure_text_condition = fn
                        t = time.perf_counter()
                        client.get(url, {"q": q})
                        times[mode].append((time.perf_counter() - t) * 1000)
                search.measure_text_condition = index_condition
                n = answers["index"][0]
                cells = [
                    f"{statistics.median(times[m]):.0f} / {bench_ledger.percentile(times[m], 0.95):.0f}"
                    for m in ("like", "index")
                ]
                print(f"| {who} | {surface} | {label} | {n} | {cells[0]} | {cells[1]} |", flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
