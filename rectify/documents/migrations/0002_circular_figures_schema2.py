"""Circulars counted before the per-share rule (figures without "schema") keep what they said.

From schema 2 on, the sentences and the rule are written into `figures` when the figures are
counted, and the ranking tables are made from the stored rows. A circular made before keeps its
own sentences, tables and named units: this migration writes them from its stored figures with
the wording of that time (frozen here), so an issued one still prints as it was issued. Its rows
get the new key for the task count ("shares"); its reporting figures are unknown ("reports_owed"
null, shown as "—").
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

OLD_HEADERS = ["排名", "责任单位", "措施数", "已完成", "完成率", "逾期", "未报送", "督办", "得分"]
LABELS = [
    ("reminder", "提醒函"),
    ("urge", "督办通知"),
    ("circular", "通报"),
    ("report", "专题报告"),
    ("accountability", "问责移交"),
    ("interview", "约谈"),
]


def _percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0") + "%"


def _score(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _phrase(notices: dict[str, int]) -> str:
    return "、".join(f"{label}{notices[k]}份" for k, label in LABELS if notices.get(k))


def _legacy(figures: dict[str, Any], *, word: str, year: int, month: int, as_of: str) -> dict[str, Any]:
    units = figures.get("units", [])
    totals = figures.get("totals", {})
    bottom = set(figures.get("bottom", []))
    overdue = [u for u in units if u.get("overdue", 0) > 0]
    low = [u for u in units if u["unit_id"] in bottom]
    missed = [u for u in units if u.get("missed_periods", 0) > 0]
    parts = []
    if overdue:
        parts.append("、".join(f"{u['unit']}（{u['overdue']}项）" for u in overdue) + "有整改任务已超过整改时限仍未完成")
    if low:
        parts.append("、".join(f"{u['unit']}（{_score(u['score'])}分）" for u in low) + "综合得分排名靠后")
    if missed:
        parts.append("、".join(f"{u['unit']}（{u['missed_periods']}期次）" for u in missed) + "未按时报送工作进展")
    if parts:
        problems = "（三）存在的问题。" + "；".join(parts) + "。现予以点名通报。"
    else:
        problems = "（三）存在的问题。本月各责任单位均按期推进，未发现逾期未完成的整改任务，未发现迟报、漏报。"
    y, m, d = (int(x) for x in as_of.split("-"))
    measures = totals.get("measures", 0)
    rate = _percent(totals.get("completed", 0) * 100 / measures if measures else None)
    progress = (
        f"（一）整改进展。截至{y}年{m}月{d}日，{word}{totals.get('units', 0)}个责任单位承担的"
        f"{measures}项整改措施中，已完成{totals.get('completed', 0)}项（其中按期完成{totals.get('on_time', 0)}项），"
        f"完成率{rate}；逾期未完成{totals.get('overdue', 0)}项；{totals.get('red', 0)}项措施处于红色预警。"
    )
    if totals.get("missed_periods"):
        reporting = (
            f"{month}月，{totals.get('missed_units', 0)}个单位共{totals['missed_periods']}期次未按时报送工作进展，"
            f"涉及{totals.get('missed_items', 0)}项措施。"
        )
    else:
        reporting = f"{month}月，各责任单位均按时报送工作进展。"
    notices = totals.get("notices", {})
    total = sum(notices.values())
    supervision = f"共印发督办文书{total}份，其中{_phrase(notices)}。" if total else "未印发督办文书。"
    rule = figures.get("rule", "")
    rows = [
        [
            str(u.get("rank", "")),
            u["unit"],
            str(u.get("assigned", 0)),
            str(u.get("completed", 0)),
            _percent(u.get("completed", 0) * 100 / u["assigned"] if u.get("assigned") else None),
            str(u.get("overdue", 0)),
            str(u.get("missed_periods", 0)),
            str(sum(u.get("notices", {}).values())),
            _score(u.get("score", 0)),
        ]
        for u in units
    ]
    converted = [{**u, "shares": u.get("assigned", 0), "reports_owed": None} for u in units]
    return {
        **figures,
        "schema": 1,
        "units": converted,
        "counties": [],
        "named": [u["unit_id"] for u in units if u.get("overdue", 0) > 0 or u["unit_id"] in bottom],
        "text": {
            "progress": progress,
            "reporting": "（二）报送和督办情况。" + reporting + supervision,
            "problems": problems,
            "ranking": "各责任单位综合得分及排名见附表（逾期：逾期未完成措施数；未报送：未按时报送期次；"
            f"督办：当月收到督办文书份数）。{rule}",
        },
        "tables": [
            {"headers": OLD_HEADERS, "rows": rows, "caption": f"附表：{year}年{month}月份各责任单位督察整改工作情况排名"}
        ],
    }


def forwards(apps: Any, schema_editor: Any) -> None:
    Circular = apps.get_model("documents", "Circular")
    for c in Circular.objects.select_related("region").iterator():
        figures = c.figures or {}
        if "schema" in figures or not figures.get("units"):
            continue
        word = "全市" if c.region.depth == 0 else f"全{c.region.name[-1]}"
        as_of = figures.get("as_of") or c.as_of.isoformat()
        c.figures = _legacy(figures, word=word, year=c.year, month=c.month, as_of=as_of)
        c.save(update_fields=["figures"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_circular_briefing")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
