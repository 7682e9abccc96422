"""Benchmark: reading the seed plan's scan through OCR (issue 18), and the engines compared.

Builds the scan the tests use (tests/parsers/scan_builder.py: the seed printed in the GB/T 9704
layout with a red masthead and a 版记, a red seal, 170 dpi, rotation, specks, blur, JPEG), reads
it with rectify.ingestion.parsers.ocr.read_scan (RapidOCR), parses the text and compares the
parse field by field with the parse of the seed's .txt (tests/parsers/field_accuracy.py).
Prints the field accuracy, the time per page (mean, p50, max) and the load average.

With --tesseract N it also reads the first N pages with Debian's tesseract-ocr (chi_sim, psm 6)
and RapidOCR, each page's text against the printed text of that page (the text layer of the
unscanned PDF), and prints the character accuracy (1 − edit distance / length) and the time per
page of each engine, in the same run.

    .venv/bin/python bench/bench_ocr.py [--pages 0] [--tesseract 6]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = ROOT / "rectify" / "ingestion" / "samples" / "shuozhou_2022_plan.txt"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (two rows)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _chars(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def char_accuracy(truth: str, read: str) -> float:
    t, r = _chars(truth), _chars(read)
    return 1 - _distance(t, r) / max(len(t), 1)


def compare_engines(pdf: bytes, pages: list, count: int) -> None:
    import numpy as np
    import pypdfium2 as pdfium

    from rectify.ingestion.parsers import ocr

    document = pdfium.PdfDocument(pdf)
    truths = [document[i].get_textpage().get_text_range() for i in range(count)]
    document.close()
    engine = ocr._engine()
    rapid_acc, rapid_time, tess_acc, tess_time = [], [], [], []
    has_tesseract = shutil.which("tesseract") is not None
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(count):
            started = time.perf_counter()
            grey = np.asarray(ocr.clean_page(pages[index]))
            result, _ = engine(np.stack([grey, grey, grey], axis=-1), use_cls=False)
            rapid_time.append(time.perf_counter() - started)
            rapid_acc.append(char_accuracy(truths[index], "".join(item[1] for item in result or [])))
            if has_tesseract:
                path = Path(tmp) / f"{index}.png"
                ocr.clean_page(pages[index]).save(path)
                started = time.perf_counter()
                out = subprocess.run(
                    ["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                tess_time.append(time.perf_counter() - started)
                tess_acc.append(char_accuracy(truths[index], out))
    print(f"engines on the first {count} pages (character accuracy, seconds a page), load {_load()}")
    print(f"  RapidOCR (PP-OCRv4, onnxruntime): {statistics.mean(rapid_acc):.1%}, {statistics.mean(rapid_time):.2f} s")
    if has_tesseract:
        print(
            f"  tesseract 5 chi_sim (Debian):      {statistics.mean(tess_acc):.1%}, {statistics.mean(tess_time):.2f} s"
        )
    else:
        print("  tesseract: not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from rectify.ingestion.parsers import ocr, parse_plan, plan_to_dict
    from tests.parsers.field_accuracy import field_accuracy
    from tests.parsers.scan_builder import build_official_pdf, image_pdf, official_font, scan_pages

    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=0, help="read only the first N pages (0: all)")
    parser.add_argument("--tesseract", type=int, default=0, help="compare the engines on the first N pages")
    args = parser.parse_args()

    text = SEED.read_text(encoding="utf-8")
    lines = text.splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        font = official_font(text, Path(tmp) / "fang.ttf")
        pdf = build_official_pdf(lines, font)
    pages = scan_pages(pdf)
    if args.pages:
        pages = pages[: args.pages]
    scan = image_pdf(pages)
    print(f"scan: {len(pages)} pages, {len(scan) / 1024 / 1024:.1f} MB; load before {_load()}")
    ocr._engine()  # the models load once per worker process
    started = time.perf_counter()
    result = ocr.read_scan(scan, "scan.pdf")
    total = time.perf_counter() - started
    seconds = [page.seconds for page in result.pages]
    print(
        f"read_scan: {total:.1f} s, a page mean {statistics.mean(seconds):.2f} s, "
        f"p50 {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s; load after {_load()}"
    )
    if not args.pages:
        golden = plan_to_dict(parse_plan(text))
        accuracy = field_accuracy(golden, plan_to_dict(parse_plan(result.text)))
        print(f"fields right: {accuracy.right} / {accuracy.total} = {accuracy.ratio:.1%}")
        for line in accuracy.wrong:
            print("  ", line)
    if args.tesseract:
        compare_engines(pdf, pages, args.tesseract)


if __name__ == "__main__":
    main()
