"""A supervision notice (提醒函/督办通知/通报/专题报告/问责移交/约谈) as an OfficialDocument.

The body is the notice's own text; the table of the tasks it names shows the addressed unit's own
share of each measure (its deadline, its progress from the reports it submitted by the issue date,
its warning level on that day), never the measure's roll-up of every unit, so an issued notice
downloads the same whenever it is downloaded.
"""

from __future__ import annotations

import datetime as dt

from rectify.core import clock
from rectify.core.formats import format_percent
from rectify.plans.models import Assignment, Measure
from rectify.supervision import notices, rules
from rectify.supervision.issuer import official_name
from rectify.supervision.models import SupervisionNotice
from rectify.supervision.services import assessments, deadline_text

from .ledger import _reports_by, _share_row
from .renderers.official import Appendix, OfficialDocument, Table, format_cn_date

MEASURE_HEADERS = ["问题编号", "整改措施", "本单位整改时限", "本单位进度", "预警"]
APPENDIX_TITLE = "涉及的整改任务清单"


def _full(text: str) -> str:
    return " ".join(text.split())


def measure_table(unit_id: int, measure_ids: list[int], *, as_of: dt.date) -> Table | None:
    """附表 of the tasks a notice names: the unit's own share of each measure as it stood on `as_of`."""
    if not measure_ids:
        return None
    measures = Measure.objects.filter(pk__in=measure_ids)
    reports = _reports_by(measures, as_of)
    shares: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(unit_id=unit_id, measure_id__in=measure_ids)
        .select_related("measure__problem__plan")
        .order_by("measure__problem__plan_id", "measure__problem__index", "measure__seq", "role", "pk")
    ):
        assert a.measure_id is not None
        shares.setdefault(a.measure_id, a)
    rows_in = [_share_row(a.measure, a, reports) for a in shares.values() if a.measure is not None]
    levels = {row["pk"]: assessment for row, assessment in assessments(rows_in, today=as_of)}
    rows = []
    for row in rows_in:
        a = shares[row["measure_id"]]
        m = a.measure
        assert m is not None
        label = f"措施{m.number}：" if m.number else ""
        role = "（配合）" if a.role == Assignment.RoleKind.SUPPORT else ""
        rows.append(
            [
                f"（{m.problem.number}）",
                label + _full(m.text) + role,
                deadline_text(m.deadline_raw, row["due_on"], extended=a.due_extended),
                "未报送" if row["progress"] is None else format_percent(row["progress"]),
                rules.LEVEL_LABELS[str(levels[row["pk"]].level)],
            ]
        )
    if not rows:
        return None
    caption = f"（时限、进度和预警均为本单位的，截至{format_cn_date(as_of)}）"
    return Table(headers=MEASURE_HEADERS, rows=rows, caption=caption, fit_widths=True)


def notice_document(notice: SupervisionNotice) -> OfficialDocument:
    """The notice as it prints: 版头 of its issuer, its number (草稿 while a draft), its text."""
    date = notice.issued_on or clock.today()
    table = measure_table(notice.unit_id, [m.pk for m in notice.measures.all()], as_of=date)
    paragraphs = [line for line in notice.body.split("\n") if line.strip()]
    issuer = official_name(notice.issuer)
    appendix = table is not None and notices.needs_appendix(len(table.rows), notice.body)
    return OfficialDocument(
        issuer=issuer,
        number=notice.number,
        title=notice.title,
        recipients=[notice.unit.name],
        paragraphs=paragraphs,
        signature=issuer,
        date=date,
        kind_label=notice.get_kind_display(),
        appendices=[Appendix(APPENDIX_TITLE, table)] if appendix else [],
        copy_to=list(notice.copy_to),
    )


def notice_filename(notice: SupervisionNotice, ext: str) -> str:
    """朔整改办函〔2022〕12号.docx, or 提醒函（草稿）.docx before it has a number."""
    return f"{notice.number or notice.get_kind_display() + '（草稿）'}.{ext}"
