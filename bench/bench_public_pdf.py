"""Benchmark: the public 一览表 PDF of a batch of 120 交办件 (A4 landscape, 8 columns).

Times the cold render (render_pdf of the OfficialDocument the portal builds) and a download
after it, which reads the PDF from the cache (portal.views.public_list_pdf, keyed by the
document's fingerprint), with Django's local-memory cache. Prints the page count, the load
average before and after, and the ratio of each figure to a fixed CPU calibration loop measured
in the same run (so runs under different load can be compared). Target: ≤ 1 s per download.

    .venv/bin/python bench/bench_public_pdf.py [--cases 120] [--n 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def calibrate() -> float:
    """Seconds for a fixed pure-Python loop: the machine's speed under the current load."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i % 7
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--n", type=int, default=3)
    args = parser.parse_args()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    django.setup()

    from rectify.complaints.synthetic import generate_batch
    from rectify.documents.renderers.official import OfficialDocument, Table, render_pdf
    from rectify.documents.renderers.raster import pdf_page_count
    from rectify.portal.views import PUBLIC_HEADERS, public_list_pdf

    _, raw = generate_batch(args.cases, seed=7, batch_no=3, messy=False)
    rows = [[str(r[1]), r[3], r[4], r[5], r[11], r[12], r[13], r[14]] for r in raw]
    office = "朔州市生态环境保护督察整改工作领导小组办公室"
    doc = OfficialDocument(
        issuer=office,
        number="",
        title="中央第二生态环境保护督察组第3批交办件（群众举报）办理情况一览表",
        recipients=[],
        paragraphs=["现将中央第二生态环境保护督察组第3批交办件（群众举报）办理情况公开如下（举报人个人信息已隐去）。"],
        signature=office,
        date=datetime.date(2022, 9, 5),
        kind_label="一览表",
        tables=[Table(headers=PUBLIC_HEADERS, rows=rows, size=10.5, fit_widths=True)],
        draft=False,
        landscape=True,
    )
    before = os.getloadavg()
    unit = calibrate()
    render_pdf(doc)  # imports WeasyPrint and loads the fonts once, as a running server has
    cold = []
    for _ in range(args.n):
        start = time.perf_counter()
        pdf = render_pdf(doc)
        cold.append(time.perf_counter() - start)
    public_list_pdf(doc)  # fills the cache
    cached = []
    for _ in range(50):
        start = time.perf_counter()
        public_list_pdf(doc)
        cached.append(time.perf_counter() - start)
    after = os.getloadavg()
    cold_p50, cached_p50 = statistics.median(cold), statistics.median(cached)
    print(f"cases {args.cases}: {pdf_page_count(pdf)} pages, {len(pdf) // 1024} KiB; calibration loop {unit:.2f} s")
    print(f"cold render   p50 {cold_p50:6.2f} s  max {max(cold):6.2f} s  ratio {cold_p50 / unit:5.1f}")
    print(f"cached        p50 {cached_p50 * 1000:6.2f} ms max {max(cached) * 1000:6.2f} ms")
    print("load average before {:.2f} / {:.2f} / {:.2f}, after {:.2f} / {:.2f} / {:.2f}".format(*before, *after))


if __name__ == "__main__":
    main()
