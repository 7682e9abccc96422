"""月通报 and 工作简报 as the renderers' dataclasses: the sentences written from a month's figures
(progress, reporting and supervision, the units named — 点名通报 — and the ranking note with the
scoring rule), the ranking tables (units; the 县（市、区） as wholes), and the download file names.

The sentences are written once, when the figures are counted (services.circular_snapshot), and
stored with them; rendering reads only the stored document, so an issued circular prints the same
whenever it is downloaded. Every number in a sentence counts tasks (责任单位任务: one unit's share
of one measure) unless the sentence says 整改措施, which counts distinct measures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rectify.core import clock
from rectify.core.models import Counter
from rectify.orgs.models import OrgUnit
from rectify.supervision.issuer import official_name

from . import briefing_photos, briefing_rich
from .figures import MonthFigures, Totals
from .models import Briefing, Circular, DocStatus
from .renderers import briefing as briefing_renderer
from .renderers.official import OfficialDocument, Table
from .scoring import UnitFigures, format_score, notices_phrase

# Short headers: nine columns of 小四 must fit the 156 mm text width (headers do not wrap).
RANKING_HEADERS = ["排名", "责任单位", "任务", "已完成", "逾期", "红色", "报送率", "督办", "得分"]
COUNTY_HEADERS = ["排名", "县（市、区）", "单位", "任务", "已完成", "逾期", "红色", "报送率", "得分"]
BRIEFING_NAME = "工作简报"


def region_word(region: OrgUnit) -> str:
    """全市 for the city, 全区/全县 for a county: how a document names its whole region."""
    return "全市" if region.depth == 0 else f"全{region.name[-1]}"


def office_short(issuer: OrgUnit) -> str:
    """The name offices use in the text (市整改办), from the directory's aliases."""
    return next((a for a in issuer.aliases if a.endswith("整改办")), issuer.name)


def short_date(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


# --- 月通报 ------------------------------------------------------------------------------------


def default_title(year: int, month: int) -> str:
    return f"关于{year}年{month}月份生态环境保护督察整改工作情况的通报"


def default_intro(region: OrgUnit, year: int, month: int) -> str:
    return (
        f"为推动{region.name}生态环境保护督察整改工作落地见效，按照整改方案“建立定期信息调度通报制度……"
        f"实行月通报和整改完成销号制度”的要求，现将{year}年{month}月份{region_word(region)}督察整改工作情况通报如下："
    )


def default_closing(issuer: OrgUnit) -> str:
    office = office_short(issuer)
    return "\n".join(
        [
            "三、下一步工作要求",
            "（一）加快推进逾期任务。被点名的责任单位要认真分析原因，倒排工期、挂图作战，"
            "于下月报送时书面说明逾期原因和整改措施，确保按期完成整改。",
            "（二）严格落实报送制度。各责任单位要按时报送每周工作进展和下周工作计划、每月工作总结，"
            "如实上传佐证材料，不得迟报、漏报。",
            f"（三）强化跟踪督办。{office}将持续跟踪问效，对整改不力、连续排名靠后的单位，"
            "按照提醒函、督办通知、通报、专题报告、提交问责的程序督促整改。",
        ]
    )


# The sentences made from the figures. They are written once, when the figures are counted
# (services.circular_snapshot), and stored with them: an issued circular says what it said.


def progress_text(t: Totals, *, word: str, as_of: dt.date) -> str:
    """（一）整改进展: tasks (shares) throughout; measures only where it says 整改措施."""
    day = f"{as_of.year}年{short_date(as_of)}"
    parts = [
        f"（一）整改进展。截至{day}，{word}{t.units}个责任单位共承担责任单位任务{t.shares}项"
        f"（涉及整改措施{t.measures}项），已完成{t.completed}项（其中按期完成{t.on_time}项），完成率{t.completion_text}。"
    ]
    if t.due:
        overdue = f"逾期未完成{t.overdue}项（涉及{t.overdue_units}个单位）" if t.overdue else "没有逾期未完成的任务"
        parts.append(f"整改时限在{short_date(as_of)}之前的任务{t.due}项，已完成{t.due_done}项，{overdue}。")
    else:
        parts.append(f"没有整改时限在{short_date(as_of)}之前的任务。")
    if t.red:
        among = f"，其中逾期未完成{t.overdue}项" if t.overdue else ""
        parts.append(f"处于红色预警的任务{t.red}项（涉及{t.red_units}个单位）{among}。")
    else:
        parts.append("没有处于红色预警的任务。")
    return "".join(parts)


def reporting_text(t: Totals, *, month: int, as_of: dt.date) -> str:
    """Reporting: "均按时报送" only when every unit that owed reports filed every one on time."""
    if not t.reports_owed:
        return f"{month}月截至{short_date(as_of)}，没有到报送截止时间的工作进展。"
    if t.reports_on_time == t.reports_owed:
        return f"{month}月，应报送工作进展的{t.owing_units}个单位均按时报送，共{t.reports_owed}份。"
    details = []
    if t.reports_late:
        details.append(f"逾期补报{t.reports_late}份")
    if t.reports_missing:
        details.append(f"截至{short_date(as_of)}仍未报送{t.reports_missing}份")
    return (
        f"{month}月，{t.owing_units}个单位应报送工作进展{t.reports_owed}份，按时报送{t.reports_on_time}份，"
        f"按时报送率{t.report_rate_text}；{t.missed_units}个单位共{t.missed_periods}期次未按时报送，"
        f"其中{'、'.join(details)}。"
    )


def supervision_text(t: Totals) -> str:
    if t.notices_total:
        text = f"当月向{t.notice_units}个单位印发督办文书{t.notices_total}份，其中{notices_phrase(t.notices)}。"
    else:
        text = "当月未向责任单位印发督办文书。"
    if t.reopened:
        text += f"{t.reopened_units}个单位的{t.reopened}项已完成任务反弹重开。"
    return text


def naming_rule(n: int, below: float) -> str:
    parts = []
    if n > 0:
        parts.append(f"得分排名倒数{n}位")
    if below > 0:
        parts.append(f"得分低于{format_score(below)}分")
    return "及".join(parts) + "的单位予以点名" if parts else "不点名"


def named_item(f: UnitFigures) -> str:
    """A named unit and the facts behind its score."""
    facts = [f"得分{f.score_text}分", f"排名第{f.rank}位"]
    if f.idle:
        facts.append(f"应报送工作进展{f.reports_owed}份而一份未报，且没有已完成的任务")
    elif f.missed_periods:
        facts.append(f"{f.missed_periods}期次未按时报送")
    facts += _task_facts(f)
    return f"{f.unit}（{'，'.join(facts)}）"


def _task_facts(f: UnitFigures) -> list[str]:
    facts = []
    if f.overdue:
        facts.append(f"逾期未完成任务{f.overdue}项")
    if f.red > f.overdue:
        facts.append(f"红色预警任务{f.red}项")
    if f.notices_total:
        facts.append(f"收到督办文书{f.notices_total}份")
    return facts


def problems_text(units: list[UnitFigures], named: list[int], *, n: int, below: float) -> str:
    """（三）存在的问题: names exactly the units the rule names (点名通报), with their facts; the
    units that reported nothing and completed nothing (all at 0 by the rule) as one group."""
    rule = naming_rule(n, below)
    chosen = set(named)
    rows = [f for f in units if f.unit_id in chosen]
    if not rows:
        return f"（三）存在的问题。按照评分办法（{rule}），本月没有需要点名通报的单位。"
    idle = [f for f in rows if f.idle]
    others = [f for f in rows if not f.idle]
    parts = []
    if others:
        parts.append("；".join(named_item(f) for f in others))
    if idle:
        names = "、".join(f.unit + (f"（{'，'.join(facts)}）" if (facts := _task_facts(f)) else "") for f in idle)
        parts.append(f"{names}等{len(idle)}个单位当月应报送工作进展而一份未报，且没有已完成的任务，得分为0分")
    return (
        f"（三）存在的问题。按照评分办法（{rule}），现对以下{len(rows)}个单位予以点名通报：" + "；".join(parts) + "。"
    )


def ranking_text(rule: str, *, counties: bool) -> str:
    tables = "见附表1，各县（市、区）整体得分及排名见附表2" if counties else "见附表"
    return (
        f"各责任单位综合得分及排名{tables}（任务：承担的责任单位任务数；逾期：逾期未完成任务数；"
        f"红色：处于红色预警的任务数；报送率：按时报送率；督办：当月收到督办文书份数）。{rule}"
    )


def circular_text(mf: MonthFigures, *, region: OrgUnit, month: int) -> dict[str, str]:
    """The generated sentences of a circular, from its figures."""
    t = mf.totals
    return {
        "progress": progress_text(t, word=region_word(region), as_of=mf.as_of),
        "reporting": "（二）报送和督办情况。" + reporting_text(t, month=month, as_of=mf.as_of) + supervision_text(t),
        "problems": problems_text(mf.units, mf.named, n=mf.laggards, below=mf.below),
        "ranking": ranking_text(mf.rule, counties=bool(mf.counties)),
    }


def figures_units(c: Circular) -> list[UnitFigures]:
    return [UnitFigures.from_json(u) for u in c.figures.get("units", [])]


def figures_counties(c: Circular) -> list[UnitFigures]:
    return [UnitFigures.from_json(u) for u in c.figures.get("counties", [])]


def figures_totals(c: Circular) -> Totals:
    return Totals.from_json(c.figures.get("totals", {}))


def figures_named(c: Circular) -> set[int]:
    return set(c.figures.get("named", []))


def figures_laggards(c: Circular) -> list[UnitFigures]:
    """The units the circular names (点名), in ranking order, as stored with its figures."""
    named = figures_named(c)
    return [f for f in figures_units(c) if f.unit_id in named]


def problems_paragraph(c: Circular) -> str:
    return str(c.figures.get("text", {}).get("problems", ""))


def circular_paragraphs(c: Circular) -> list[str]:
    text = c.figures.get("text", {})
    paragraphs = [
        c.intro,
        "一、整改工作总体情况",
        text.get("progress", ""),
        text.get("reporting", ""),
        text.get("problems", ""),
        "二、各责任单位排名情况",
        text.get("ranking", ""),
        c.closing,
    ]
    return [p for p in paragraphs if p.strip()]


def ranking_rows(units: list[UnitFigures]) -> list[list[str]]:
    return [
        [
            str(f.rank),
            f.unit,
            str(f.shares),
            str(f.completed),
            str(f.overdue),
            str(f.red),
            f.report_rate_text,
            str(f.notices_total),
            f.score_text,
        ]
        for f in units
    ]


def county_rows(counties: list[UnitFigures]) -> list[list[str]]:
    return [
        [
            str(f.rank),
            f.unit,
            str(f.units),
            str(f.shares),
            str(f.completed),
            str(f.overdue),
            str(f.red),
            f.report_rate_text,
            f.score_text,
        ]
        for f in counties
    ]


def circular_tables(c: Circular) -> list[Table]:
    """附表1 units, 附表2 counties as wholes (city circulars); a circular counted before the
    current rule keeps the tables it was made with."""
    if c.figures.get("tables"):
        return [Table(headers=t["headers"], rows=t["rows"], caption=t.get("caption", "")) for t in c.figures["tables"]]
    counties = figures_counties(c)
    tables = [
        Table(
            headers=RANKING_HEADERS,
            rows=ranking_rows(figures_units(c)),
            caption=f"附表{'1' if counties else ''}：{c.year}年{c.month}月份各责任单位督察整改工作情况排名",
        )
    ]
    if counties:
        tables.append(
            Table(
                headers=COUNTY_HEADERS,
                rows=county_rows(counties),
                caption=f"附表2：{c.year}年{c.month}月份各县（市、区）督察整改工作情况整体排名",
            )
        )
    return tables


def recipients(region: OrgUnit) -> list[str]:
    if region.depth == 0:
        return ["各县（市、区）党委、政府，市直各有关单位"]
    return ["各乡镇、各有关单位"]


def circular_document(c: Circular) -> OfficialDocument:
    return OfficialDocument(
        issuer=official_name(c.issuer),
        number=c.number,
        title=c.title,
        recipients=recipients(c.region),
        paragraphs=circular_paragraphs(c),
        signature=official_name(c.issuer),
        date=c.issued_on or clock.today(),
        kind_label="月通报",
        tables=circular_tables(c),
    )


def circular_filename(c: Circular, ext: str) -> str:
    return f"{c.number or f'{c.year}年{c.month}月通报（草稿）'}.{ext}"


def chart_data(c: Circular) -> dict[str, Any]:
    """What the page's bar chart draws (documents/circular_chart.js reads it)."""
    units = figures_units(c)
    weights = c.figures.get("weights") or {}
    full = sum(float(weights.get(k, 0)) for k in ("report", "complete", "green")) or 100
    return {
        "units": [f.unit for f in units],
        "scores": [f.score for f in units],
        "completion": [round(f.completion_rate, 1) if f.completion_rate is not None else 0 for f in units],
        "full": full,
    }


# --- 工作简报 ----------------------------------------------------------------------------------


def next_issue_no(issuer_id: int, year: int) -> int:
    """The 期数 the next issue will most likely get: shown on drafts, assigned only at issue."""
    value = Counter.objects.filter(scope=f"{issuer_id}:briefing", year=year).values_list("value", flat=True).first()
    return (value or 0) + 1


def item_paragraphs(item: dict[str, Any]) -> list[str]:
    """An item's text for the renderer: from the editor's HTML (sanitized again here: what is
    printed never depends on what was stored), or an old item's paragraphs."""
    if item.get("html"):
        paragraphs, _ = briefing_rich.read(briefing_rich.sanitize(item["html"]))
        return paragraphs
    return [str(p) for p in item.get("paragraphs", [])]


def briefing_sections(b: Briefing, *, photos: bool = True) -> list[briefing_renderer.BriefingSection]:
    out = []
    for section in b.sections:
        items = [
            briefing_renderer.BriefingItem(
                title=i.get("title", ""),
                paragraphs=item_paragraphs(i),
                photos=briefing_photos.item_images(b, i) if photos else [],
            )
            for i in section.get("items", [])
        ]
        if items:
            out.append(briefing_renderer.BriefingSection(heading=section.get("heading", ""), items=items))
    return out


def distribution(b: Briefing) -> list[str]:
    """版记: 报：…／送：…／发：… as the seed prints them (empty lines left out)."""
    rows = [("报", b.report_to), ("送", b.copy_to), ("发", b.send_to)]
    return [f"{word}：{text.strip()}" for word, text in rows if text and text.strip()]


def briefing_document(b: Briefing, *, photos: bool = True) -> briefing_renderer.Briefing:
    issued = b.status == DocStatus.ISSUED and b.issue_no is not None
    issue_no = b.issue_no if issued and b.issue_no else next_issue_no(b.issuer_id, clock.today().year)
    return briefing_renderer.Briefing(
        series_title=b.series_title,
        name=BRIEFING_NAME,
        issue_no=issue_no,
        issuer=official_name(b.issuer),
        date=b.date,
        editor=b.editor,
        sections=briefing_sections(b, photos=photos),
        distribution=distribution(b),
        draft=not issued,
    )


def briefing_filename(b: Briefing, ext: str) -> str:
    if b.issue_no:
        return f"{BRIEFING_NAME}{b.year}年第{b.issue_no}期.{ext}"
    return f"{BRIEFING_NAME}（草稿）.{ext}"
