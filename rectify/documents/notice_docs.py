"""A supervision notice (提醒函/督办通知/通报/专题报告/问责移交/约谈) as an OfficialDocument.

The body is the notice's own text; the table of the measures it names is computed as of the
issue date (progress from the reports submitted by then, the warning level of that day), so an
issued notice downloads the same whenever it is downloaded.
"""

from __future__ import annotations

from typing import Any

from rectify.core import clock
from rectify.core.formats import format_percent
from rectify.plans.models import Measure
from rectify.supervision.models import SupervisionNotice

from .ledger import build_export
from .renderers.official import OfficialDocument, Table, format_cn_date

MEASURE_HEADERS = ["问题编号", "整改措施", "整改时限", "进度", "预警"]


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _deadline(measure: dict[str, Any]) -> str:
    deadline = measure["deadline"]
    raw = deadline["raw"] or ""
    due = deadline["due"]
    if due:
        y, m, d = (int(x) for x in due.split("-"))
        text = f"{y}年{m}月{d}日"
        return raw if raw and text in raw else (f"{raw}（{text}）" if raw else text)
    return raw or "—"


def measure_table(measure_ids: list[int], *, as_of: Any) -> Table | None:
    """附表 of the measures a notice names, as they stood on `as_of`."""
    if not measure_ids:
        return None
    export = build_export(Measure.objects.filter(pk__in=measure_ids), as_of=as_of)
    rows = []
    for plan in export["plans"]:
        for problem in plan["problems"]:
            for m in problem["measures"]:
                label = f"措施{m['number']}：" if m["number"] else ""
                rows.append(
                    [
                        f"（{problem['number']}）",
                        label + _short(m["text"]),
                        _deadline(m),
                        format_percent(m["progress"]),
                        m["warning"]["label"],
                    ]
                )
    caption = f"附表：涉及的整改任务（截至{format_cn_date(as_of)}）"
    return Table(headers=MEASURE_HEADERS, rows=rows, caption=caption)


def notice_document(notice: SupervisionNotice) -> OfficialDocument:
    """The notice as it prints: 版头 of its issuer, its number (草稿 while a draft), its text."""
    date = notice.issued_on or clock.today()
    table = measure_table([m.pk for m in notice.measures.all()], as_of=date)
    paragraphs = [line for line in notice.body.split("\n") if line.strip()]
    return OfficialDocument(
        issuer=notice.issuer.name,
        number=notice.number,
        title=notice.title,
        recipients=[notice.unit.name],
        paragraphs=paragraphs,
        signature=notice.issuer.name,
        date=date,
        kind_label=notice.get_kind_display(),
        tables=[table] if table else [],
    )


def notice_filename(notice: SupervisionNotice, ext: str) -> str:
    """朔整改办函〔2022〕12号.docx, or 提醒函（草稿）.docx before it has a number."""
    return f"{notice.number or notice.get_kind_display() + '（草稿）'}.{ext}"
