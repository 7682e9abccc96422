"""Benchmark: parsing the seed plan (text → ParsedPlan → contract dict), N times.

Prints p50/p95/max in milliseconds for the text parser alone and for the whole bytes path
(decode + parse + plan_to_dict), for a .docx of the same plan, and for the parser corpus's text
and HTML layouts (tests/parsers/corpus/, all of them per run). Target: p95 ≤ 50 ms for the seed.

    .venv/bin/python bench/bench_parse.py [--n 200]
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = ROOT / "rectify" / "ingestion" / "samples" / "shuozhou_2022_plan.txt"
CORPUS = ROOT / "tests" / "parsers" / "corpus"


def measure(label: str, n: int, call: Callable[[], object]) -> None:
    call()  # warm-up: imports and compiled regular expressions
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    print(f"{label:<34} n={n:<4} p50={statistics.median(times):6.1f} ms  p95={p95:6.1f} ms  max={times[-1]:6.1f} ms")


def seed_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="parses per case (default 200)")
    args = parser.parse_args()

    from rectify.ingestion.parsers import parse_plan, parse_plan_bytes, plan_to_dict

    text = SEED.read_text(encoding="utf-8")
    data = text.encode("utf-8")
    docx_data = seed_docx(text)
    plan = parse_plan(text)
    print(
        f"seed: {len(text)} characters, {len(plan.problems)} problems, "
        f"{sum(len(p.measures) for p in plan.problems)} measures"
    )
    measure("parse_plan(text)", args.n, lambda: parse_plan(text))
    measure(".txt bytes → dict", args.n, lambda: plan_to_dict(parse_plan_bytes(data, "seed.txt")))
    measure(".docx bytes → dict", max(1, args.n // 4), lambda: plan_to_dict(parse_plan_bytes(docx_data, "seed.docx")))
    corpus = [(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir()) if p.suffix in (".txt", ".html")]

    def parse_corpus() -> None:
        for name, raw in corpus:
            plan_to_dict(parse_plan_bytes(raw, name))

    measure(f"corpus, {len(corpus)} layouts → dicts", max(1, args.n // 4), parse_corpus)


if __name__ == "__main__":
    main()
