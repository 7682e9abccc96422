"""月通报 and 工作简报 as the renderers' dataclasses: the words around the figures, the ranking
table, the names of the units lagging behind (点名通报), and the download file names.

Everything here reads only the stored document (its frozen figures or sections), so an issued
document prints the same whenever it is downloaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rectify.core import clock
from rectify.core.models import Counter
from rectify.orgs.models import OrgUnit

from .figures import BASE_SCORE, SCORING_RULE, Totals, UnitFigures, notices_phrase
from .models import Briefing, Circular, DocStatus
from .renderers import briefing as briefing_renderer
from .renderers.official import OfficialDocument, Table

# Short headers: nine columns of 小四 must fit the 156 mm text width (headers do not wrap).
RANKING_HEADERS = ["排名", "责任单位", "措施数", "已完成", "完成率", "逾期", "未报送", "督办", "得分"]
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


def figures_units(c: Circular) -> list[UnitFigures]:
    return [UnitFigures.from_json(u) for u in c.figures.get("units", [])]


def figures_totals(c: Circular) -> Totals:
    return Totals.from_json(c.figures.get("totals", {}))


def figures_laggards(c: Circular) -> list[UnitFigures]:
    """Every unit with an overdue measure and the bottom of the ranking stored with the figures."""
    bottom = set(c.figures.get("bottom", []))
    return [f for f in figures_units(c) if f.overdue > 0 or f.unit_id in bottom]


def problems_paragraph(c: Circular) -> str:
    """（三）存在的问题: names the laggards (点名通报) and the units that missed reports."""
    units = figures_units(c)
    bottom = set(c.figures.get("bottom", []))
    overdue = [f for f in units if f.overdue > 0]
    low = [f for f in units if f.unit_id in bottom]
    missed = [f for f in units if f.missed_periods > 0]
    parts = []
    if overdue:
        names = "、".join(f"{f.unit}（{f.overdue}项）" for f in overdue)
        parts.append(f"{names}有整改任务已超过整改时限仍未完成")
    if low:
        names = "、".join(f"{f.unit}（{f.score_text}分）" for f in low)
        parts.append(f"{names}综合得分排名靠后")
    if missed:
        names = "、".join(f"{f.unit}（{f.missed_periods}期次）" for f in missed)
        parts.append(f"{names}未按时报送工作进展")
    if not parts:
        return "（三）存在的问题。本月各责任单位均按期推进，未发现逾期未完成的整改任务，未发现迟报、漏报。"
    return "（三）存在的问题。" + "；".join(parts) + "。现予以点名通报。"


def circular_paragraphs(c: Circular) -> list[str]:
    totals = figures_totals(c)
    as_of = dt.date.fromisoformat(c.figures["as_of"]) if c.figures.get("as_of") else c.as_of
    word = region_word(c.region)
    progress = (
        f"（一）整改进展。截至{c.year}年{short_date(as_of)}，{word}{totals.units}个责任单位承担的"
        f"{totals.measures}项整改措施中，已完成{totals.completed}项（其中按期完成{totals.on_time}项），"
        f"完成率{totals.completion_text}；逾期未完成{totals.overdue}项；{totals.red}项措施处于红色预警。"
    )
    if totals.missed_periods:
        reporting = (
            f"{c.month}月，{totals.missed_units}个单位共{totals.missed_periods}期次未按时报送工作进展，"
            f"涉及{totals.missed_items}项措施。"
        )
    else:
        reporting = f"{c.month}月，各责任单位均按时报送工作进展。"
    if totals.notices_total:
        supervision = f"共印发督办文书{totals.notices_total}份，其中{notices_phrase(totals.notices)}。"
    else:
        supervision = "未印发督办文书。"
    rule = c.figures.get("rule") or SCORING_RULE
    paragraphs = [
        c.intro,
        "一、整改工作总体情况",
        progress,
        "（二）报送和督办情况。" + reporting + supervision,
        problems_paragraph(c),
        "二、各责任单位排名情况",
        "各责任单位综合得分及排名见附表（逾期：逾期未完成措施数；未报送：未按时报送期次；"
        f"督办：当月收到督办文书份数）。{rule}",
        c.closing,
    ]
    return [p for p in paragraphs if p.strip()]


def ranking_rows(units: list[UnitFigures]) -> list[list[str]]:
    return [
        [
            str(f.rank),
            f.unit,
            str(f.assigned),
            str(f.completed),
            f.completion_text,
            str(f.overdue),
            str(f.missed_periods),
            str(f.notices_total),
            f.score_text,
        ]
        for f in units
    ]


def recipients(region: OrgUnit) -> list[str]:
    if region.depth == 0:
        return ["各县（市、区）党委、政府，市直各有关单位"]
    return ["各乡镇、各有关单位"]


def circular_document(c: Circular) -> OfficialDocument:
    table = Table(
        headers=RANKING_HEADERS,
        rows=ranking_rows(figures_units(c)),
        caption=f"附表：{c.year}年{c.month}月份各责任单位督察整改工作情况排名",
    )
    return OfficialDocument(
        issuer=c.issuer.name,
        number=c.number,
        title=c.title,
        recipients=recipients(c.region),
        paragraphs=circular_paragraphs(c),
        signature=c.issuer.name,
        date=c.issued_on or clock.today(),
        kind_label="月通报",
        tables=[table],
    )


def circular_filename(c: Circular, ext: str) -> str:
    return f"{c.number or f'{c.year}年{c.month}月通报（草稿）'}.{ext}"


def chart_data(c: Circular) -> dict[str, Any]:
    """What the page's bar chart draws (documents/circular_chart.js reads it)."""
    units = figures_units(c)
    return {
        "units": [f.unit for f in units],
        "scores": [f.score for f in units],
        "completion": [round(f.completion_rate, 1) if f.completion_rate is not None else 0 for f in units],
        "full": BASE_SCORE,
    }


# --- 工作简报 ----------------------------------------------------------------------------------


def next_issue_no(issuer_id: int, year: int) -> int:
    """The 期数 the next issue will most likely get: shown on drafts, assigned only at issue."""
    value = Counter.objects.filter(scope=f"{issuer_id}:briefing", year=year).values_list("value", flat=True).first()
    return (value or 0) + 1


def briefing_sections(b: Briefing) -> list[briefing_renderer.BriefingSection]:
    out = []
    for section in b.sections:
        items = [
            briefing_renderer.BriefingItem(title=i.get("title", ""), paragraphs=list(i.get("paragraphs", [])))
            for i in section.get("items", [])
        ]
        if items:
            out.append(briefing_renderer.BriefingSection(heading=section.get("heading", ""), items=items))
    return out


def briefing_document(b: Briefing) -> briefing_renderer.Briefing:
    issued = b.status == DocStatus.ISSUED and b.issue_no is not None
    issue_no = b.issue_no if issued and b.issue_no else next_issue_no(b.issuer_id, clock.today().year)
    return briefing_renderer.Briefing(
        series_title=b.series_title,
        name=BRIEFING_NAME,
        issue_no=issue_no,
        issuer=b.issuer.name,
        date=b.date,
        editor=b.editor,
        sections=briefing_sections(b),
        draft=not issued,
    )


def briefing_filename(b: Briefing, ext: str) -> str:
    if b.issue_no:
        return f"{BRIEFING_NAME}{b.year}年第{b.issue_no}期.{ext}"
    return f"{BRIEFING_NAME}（草稿）.{ext}"
