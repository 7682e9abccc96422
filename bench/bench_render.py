"""Benchmark: rendering a 3-page 月通报 (body + ranking table) and a 工作简报 as .docx and .pdf.

Prints the first call (includes importing WeasyPrint) and p50/max of the next N calls, in ms.
Target: a 3-page PDF in ≤ ~1 s.

    .venv/bin/python bench/bench_render.py [--n 10]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rectify.documents.renderers import briefing, official  # noqa: E402
from rectify.documents.renderers.raster import pdf_page_count  # noqa: E402

UNITS = [
    "朔城区",
    "平鲁区",
    "怀仁市",
    "山阴县",
    "应县",
    "右玉县",
    "朔州经济开发区",
    "市生态环境局",
    "市住建局",
    "市自然资源局",
]


def circular() -> official.OfficialDocument:
    paragraphs = [
        "现将2022年9月全市生态环境保护督察反馈问题整改情况通报如下。",
        "一、总体情况",
        "截至9月30日，全市34个问题、91项整改措施中，已完成整改58项，序时推进27项，滞后6项。" * 3,
        "二、存在的问题",
        "（一）部分整改任务进度滞后。个别责任单位对整改工作重视不够，推进措施不实。" * 4,
        "（二）佐证材料报送不及时。部分单位未按要求每周报送进展和下周计划。" * 4,
        "三、下一步工作要求",
        "各责任单位要对照整改清单，倒排工期、挂图作战，确保按期完成整改任务。" * 5,
    ]
    rows = [[str(i + 1), unit, "9", str(9 - i % 4), str(i % 3), f"{100 - i * 3}%"] for i, unit in enumerate(UNITS * 2)]
    return official.OfficialDocument(
        issuer="朔州市生态环境保护督察整改工作领导小组办公室",
        number="朔整改办〔2022〕9号",
        title="关于2022年9月全市生态环境保护督察反馈问题整改情况的通报",
        recipients=["各县（市、区）党委、政府", "市直各有关单位"],
        paragraphs=paragraphs,
        signature="朔州市生态环境保护督察整改工作领导小组办公室",
        date=datetime.date(2022, 10, 8),
        kind_label="月通报",
        tables=[
            official.Table(
                headers=["排名", "责任单位", "任务数", "已完成", "逾期", "完成率"],
                rows=rows,
                caption="附表：各责任单位整改情况排名",
            )
        ],
        copy_to=["市委办公室", "市人大常委会办公室", "市政府办公室", "市政协办公室"],
    )


def bulletin() -> briefing.Briefing:
    text = "11月27日，朔州市政府秘书长、市协调联络领导小组组长张祥带领市环委办及相关部门现场督查煤改气工作。" * 3
    item = briefing.BriefingItem("朔州市政府秘书长张祥在朔城区现场督查清洁供暖工作", [text, text])
    return briefing.Briefing(
        series_title="中央生态环境保护督察“回头看”朔州市协调联络",
        name="工作简报",
        issue_no=28,
        issuer="中央生态环境保护督察“回头看”朔州市协调联络领导小组",
        date=datetime.date(2018, 11, 27),
        editor="李某某",
        sections=[briefing.BriefingSection("", [item]), briefing.BriefingSection("县区动态", [item, item])],
        distribution=["报：省协调联络组", "送：各县（市、区）党委、政府"],
    )


def timed(label: str, fn: Callable[[], bytes], n: int) -> bytes:
    start = time.perf_counter()
    out = fn()
    first = (time.perf_counter() - start) * 1000
    runs = []
    for _ in range(n):
        start = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - start) * 1000)
    print(f"{label:<22} first {first:7.0f} ms   p50 {statistics.median(runs):6.0f} ms   max {max(runs):6.0f} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    doc, b = circular(), bulletin()
    pdf = timed("月通报 .pdf", lambda: official.render_pdf(doc), args.n)
    print(f"{'':<22} {pdf_page_count(pdf)} pages, {len(pdf) // 1024} KiB")
    timed("月通报 .docx", lambda: official.render_docx(doc), args.n)
    pdf = timed("工作简报 .pdf", lambda: briefing.render_pdf(b), args.n)
    print(f"{'':<22} {pdf_page_count(pdf)} pages, {len(pdf) // 1024} KiB")
    timed("工作简报 .docx", lambda: briefing.render_docx(b), args.n)


if __name__ == "__main__":
    main()
