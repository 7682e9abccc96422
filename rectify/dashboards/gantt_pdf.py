"""挂图作战 as a print-ready A3 landscape PDF: offices print it and hang it on the wall.

An HTML table laid out by WeasyPrint, whose header — the columns and the months of the time axis —
is repeated on every page; four cells a row (WeasyPrint's time goes by the box, so the number
and the text share one). Each row's timeline cell shows:

* the month grid and the today line: one raster image (0.1 mm per pixel) used as the background
  of every timeline cell — embedded once, drawn by reference, where an SVG background would be
  redrawn node by node in every cell (that alone took most of the time);
* the bar, its progress, overdue stretch, period ticks and milestones: a small SVG of a few nodes.

Fonts are the house's Noto CJK faces (documents.renderers.fonts). Colours match the page, and
every state also has a shape (hatching and an arrow, a check mark, hollow or filled diamonds), so a
black-and-white copy still reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from rectify.core.formats import format_cn_date
from rectify.documents.renderers import fonts

from .gantt import GROUP_UNIT, LEVELS, GanttChart, GanttRow

COLORS = {"red": "#d63939", "yellow": "#e8a317", "green": "#2f9e44", "none": "#8c99a6"}
DONE = "#4a6fa5"
TODAY = "#c00000"
MONTH_LINE, YEAR_LINE = (225, 229, 234), (154, 165, 177)
# The columns, in mm (A3 landscape is 420 mm wide, 10 mm margins); the timeline is the rest.
COLUMNS_MM = (126, 30, 18)
TIMELINE_MM = 400 - sum(COLUMNS_MM)
ROW_MM = 6
# SVG and grid units: 0.1 mm.
W = TIMELINE_MM * 10
H = ROW_MM * 10


@dataclass(frozen=True)
class Axis:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)

    def x(self, day: dt.date) -> float:
        return round(min(max((day - self.start).days / self.days, 0.0), 1.0) * W, 1)

    def months(self) -> list[dt.date]:
        out = []
        day = self.start.replace(day=1)
        while day <= self.end:
            out.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return out


def grid_png(axis: Axis, today: dt.date) -> bytes:
    """The background of a timeline cell: month lines, darker year lines and the dashed today
    line, W × H pixels (one pixel is 0.1 mm)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for month in axis.months()[1:]:
        x = round(axis.x(month))
        if month.month == 1:
            draw.rectangle([x - 1, 0, x + 1, H], fill=YEAR_LINE)
        else:
            draw.rectangle([x - 1, 0, x, H], fill=MONTH_LINE)
    if axis.start <= today <= axis.end:
        x = round(axis.x(today))
        for y in range(0, H, 15):
            draw.rectangle([x - 2, y, x + 1, y + 8], fill=(192, 0, 0))
    out = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=8).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _hatch(x1: float, x2: float, y1: float, y2: float, colour: str, uid: str) -> str:
    """An open-ended bar: a pale band with diagonal stripes (an SVG pattern; `uid` makes its id
    unique in the document) and an arrow head at the chart's end: it goes on."""
    mid = (y1 + y2) / 2
    width = max(x2 - x1, 4)
    return (
        f'<defs><pattern id="{uid}" width="22" height="22" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><path d="M0 0V22" stroke="{colour}" stroke-width="8"/></pattern></defs>'
        f'<rect x="{x1}" y="{y1}" width="{width}" height="{y2 - y1}" fill="{colour}" fill-opacity="0.2" '
        f'stroke="{colour}" stroke-width="3"/>'
        f'<rect x="{x1}" y="{y1}" width="{width}" height="{y2 - y1}" fill="url(#{uid})"/>'
        f'<polygon points="{x2 - 14},{y1 - 5} {x2},{mid} {x2 - 14},{y2 + 5}" fill="{colour}"/>'
    )


def _check(x: float, y: float, colour: str) -> str:
    return (
        f'<polyline points="{x},{y} {x + 7},{y + 8} {x + 20},{y - 9}" fill="none" stroke="{colour}" '
        'stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>'
    )


def _diamond(x: float, y: float, reached: bool, overdue: bool) -> str:
    r = 11
    points = f"{x},{y - r} {x + r},{y} {x},{y + r} {x - r},{y}"
    if reached:
        return f'<polygon points="{points}" fill="#1b5e20" stroke="#fff" stroke-width="2"/>'
    stroke = TODAY if overdue else "#222"
    return f'<polygon points="{points}" fill="#fff" stroke="{stroke}" stroke-width="4"/>'


def _rect(x: float, y: float, width: float, height: float, style: str) -> str:
    return f'<rect x="{x}" y="{y}" width="{width:.1f}" height="{height}" {style}/>'


def row_svg(row: GanttRow, axis: Axis, today: dt.date, uid: str = "h") -> str:
    """One bar with its progress, overdue stretch, ticks and milestones ("" for a group row)."""
    if not row.is_bar or row.start is None:
        return ""
    thick = row.kind == "problem"
    y1, y2 = (14, 46) if thick else (19, 41)
    x1 = axis.x(row.start)
    colour = DONE if row.done else COLORS.get(row.warning, COLORS["none"])
    parts = []
    if row.open_ended or row.end is None:
        parts.append(_hatch(x1, W, y1, y2, colour, uid))
        x_end = x1
    else:
        x_end = max(axis.x(row.end), x1 + 6)
        x_today = axis.x(today)
        if row.overdue and x_today > x_end:
            # From the missed deadline to today: how long it has been overdue.
            parts.append(
                _rect(x_end, y1 + 7, x_today - x_end, y2 - y1 - 14, f'fill="{COLORS["red"]}" fill-opacity="0.45"')
            )
        outline = ' stroke="#333" stroke-width="2"' if thick else ""
        parts.append(_rect(x1, y1, x_end - x1, y2 - y1, f'fill="{colour}"{outline}'))
        if not row.done and row.progress:
            width = (x_end - x1) * min(row.progress, 100) / 100
            parts.append(_rect(x1, y2 - 6, width, 6, 'fill="#000" fill-opacity="0.45"'))
    if row.done:
        parts.append(_check(x1 + 6 if row.open_ended else x_end + 6, 31, DONE))
    ticks = "".join(f"M{axis.x(t)} {y1 - 6}V{y2 + 6}" for t in row.ticks if axis.start <= t <= axis.end)
    if ticks:
        parts.append(f'<path d="{ticks}" stroke="#222" stroke-width="3"/>')
    for m in row.milestones:
        if axis.start <= m.date <= axis.end:
            parts.append(_diamond(axis.x(m.date), 30, m.reached, m.overdue))
    return _svg("".join(parts))


def _svg(body: str, height: int = H, width_mm: float = TIMELINE_MM, width: int = W) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm}mm" height="{height / 10}mm" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none">{body}</svg>'
    )


def header_svg(axis: Axis, today: dt.date) -> str:
    """The time axis: years on top, months below (every month when there is room, else every
    quarter or half year), and today in red."""
    height = 90
    months = axis.months()
    per_month = W / max(len(months), 1)
    step = 1 if per_month >= 45 else 3 if per_month >= 16 else 6
    out = []
    month_lines: list[str] = []
    year_lines: list[str] = []
    for month in months[1:]:
        (year_lines if month.month == 1 else month_lines).append(f"M{axis.x(month)} 0V{height}")
    out.append(f'<path d="{"".join(month_lines)}" stroke="#d5dbe1" stroke-width="2"/>')
    if year_lines:
        out.append(f'<path d="{"".join(year_lines)}" stroke="#9aa5b1" stroke-width="3"/>')
    years: dict[int, float] = {}
    for month in months:
        x = axis.x(month)
        years.setdefault(month.year, x)
        if (month.month - 1) % step:
            continue
        room = axis.x(min((month + dt.timedelta(days=32)).replace(day=1), axis.end)) - x
        text = f"{month.month}月" if step == 1 and room >= 60 else str(month.month)
        if room >= 24 or step > 1:
            out.append(f'<text x="{x + 4}" y="80" font-size="26" fill="#333">{text}</text>')
    shown = [x for x in years.values() if W - x >= 90]
    for year, x in years.items():
        if x in shown:
            out.append(f'<text x="{x + 4}" y="34" font-size="30" font-weight="700" fill="#111">{year}年</text>')
    if axis.start <= today <= axis.end:
        x = axis.x(today)
        anchor, dx = ("end", -6) if x > W - 200 else ("start", 6)
        # In the years' row when no year is written there, else between the two rows.
        label_x = x + dx - (130 if anchor == "end" else 0)
        free = all(not (year_x - 130 < label_x < year_x + 110) for year_x in shown)
        y = 34 if free else 56
        out.append(f'<path d="M{x} {y - 26}V{height}" stroke="{TODAY}" stroke-width="4" stroke-dasharray="9 6"/>')
        out.append(
            f'<text x="{x + dx}" y="{y}" font-size="26" font-weight="700" fill="{TODAY}" '
            f'text-anchor="{anchor}">今天 {today.month}/{today.day}</text>'
        )
    return _svg("".join(out), height)


def legend_items() -> list[tuple[str, str]]:
    """(swatch SVG, label) for the legend, drawn with the chart's own shapes."""

    def swatch(body: str) -> str:
        return _svg(body, 40, 12, 120)

    items = [
        (swatch(_rect(4, 10, 112, 20, f'fill="{COLORS[level]}"')), f"{label}预警" if level != "none" else label)
        for level, label in LEVELS.items()
    ]
    items += [
        (swatch(_rect(4, 10, 88, 20, f'fill="{DONE}"') + _check(96, 20, DONE)), "已完成 / 已销号"),
        (swatch(_hatch(4, 116, 10, 30, COLORS["green"], "legend-hatch")), "长期坚持/周期性/时限待定（延伸至图末）"),
        (
            swatch(
                _rect(4, 10, 50, 20, f'fill="{COLORS["yellow"]}"')
                + _rect(54, 17, 62, 6, f'fill="{COLORS["red"]}" fill-opacity="0.45"')
            ),
            "逾期（到期日至今天）",
        ),
        (
            swatch(
                _rect(4, 10, 112, 20, f'fill="{COLORS["green"]}"')
                + _rect(4, 24, 70, 6, 'fill="#000" fill-opacity="0.45"')
            ),
            "进度",
        ),
        (swatch(_diamond(30, 20, True, False) + _diamond(90, 20, False, False)), "节点 已完成/未完成"),
        (swatch('<path d="M20 6V34M60 6V34M100 6V34" stroke="#222" stroke-width="3"/>'), "周期性各期到期日"),
        (swatch(f'<path d="M20 0V40" stroke="{TODAY}" stroke-width="4" stroke-dasharray="9 6"/>'), "今天"),
    ]
    return items


def _css() -> str:
    serif = fonts.PDF_FACES[fonts.SONGTI].css()
    heading = fonts.PDF_FACES[fonts.XIAOBIAOSONG].css()
    sans = fonts.PDF_FACES[fonts.HEITI].css()
    return f"""
@page {{
  size: A3 landscape;
  margin: 13mm 10mm 11mm 10mm;
  @top-left {{ content: string(title) "　截至" string(date); {sans} font-size: 8pt; color: #555; }}
  @top-right {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; {sans} font-size: 8pt; color: #555; }}
}}
html {{ {serif} font-size: 7.5pt; color: #111; }}
body {{ margin: 0; }}
h1 {{ {heading} font-size: 20pt; text-align: center; margin: 0 0 1.5mm; string-set: title content(); }}
.date {{ string-set: date content(); }}
.subtitle {{ text-align: center; font-size: 9pt; margin: 0 0 2mm; }}
.legend {{ text-align: center; margin: 0 0 2.5mm; font-size: 7.5pt; }}
.legend span {{ display: inline-block; white-space: nowrap; margin: 0 2.5mm 1mm; }}
.legend svg {{ vertical-align: middle; margin-right: 1mm; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
th {{ {sans} font-weight: 400; background: #eef2f6; border: 0.5pt solid #8a96a3; padding: 0 1.2mm; font-size: 8pt; }}
td {{ border-bottom: 0.3pt solid #d5dbe1; padding: 0 1.2mm; height: {ROW_MM}mm;
  white-space: nowrap; overflow: hidden; vertical-align: middle; }}
td.timeline, th.timeline {{ padding: 0; border-left: 0.5pt solid #8a96a3; border-right: 0.5pt solid #8a96a3; }}
td.timeline {{ background-size: 100% 100%; background-repeat: no-repeat; image-rendering: crisp-edges; }}
td.timeline svg, th.timeline svg {{ display: block; }}
tr {{ break-inside: avoid; }}
tr.group td {{ background-color: #e6ecf2; {sans} font-size: 8.5pt; }}
tr.group td.timeline {{ background-color: transparent; }}
tr.problem td {{ font-weight: 700; }}
td.level-2 {{ padding-left: 4mm; }}
td .no {{ display: inline; margin-right: 1.5mm; }}
td.state {{ text-align: center; }}
.red {{ color: #b3261e; }}
.empty {{ text-align: center; padding: 20mm 0; font-size: 12pt; color: #666; }}
"""


@functools.lru_cache(maxsize=1)
def _stylesheet() -> Any:
    from weasyprint import CSS  # imported on first use: it takes ~0.7 s

    return CSS(string=_css())


def _short(text: str, chars: int = 38) -> str:
    """What fits the column on one line (the cell clips the rest with an ellipsis too)."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _state(row: GanttRow) -> str:
    text = row.status_label
    if row.progress is not None and not row.done:
        text += f" {row.progress:.0f}%"
    return text


def build_html(chart: GanttChart, *, city: str, description: str) -> str:
    axis = Axis(chart.start, chart.end)
    today = chart.today
    rows = []
    for n, row in enumerate(chart.rows):
        # One line per row: what fits 126 mm of 7.5 pt type (the cell clips the rest).
        room = 46 - len(row.label) - 2 * row.level
        rows.append(
            {
                "row": row,
                "group": not row.is_bar,
                "svg": mark_safe(row_svg(row, axis, today, f"h{n}")),  # noqa: S308 - numbers and constant markup
                "text": _short(row.text, max(room, 8)),
                "deadline": f"{row.end:%Y-%m-%d}（已延期）" if row.extended and row.end else _short(row.deadline, 12),
                "state": _state(row) if row.is_bar else "",
            }
        )
    grid = "data:image/png;base64," + base64.b64encode(grid_png(axis, today)).decode("ascii")
    context = {
        "title": f"{city}督察整改挂图作战图",
        "date": format_cn_date(today),
        "description": description,
        "counts": chart.counts(),
        "total": chart.total,
        "leaf": "项单位任务" if chart.filters.group == GROUP_UNIT else "项措施",
        "notes": chart.notes,
        "legend": [(mark_safe(svg), label) for svg, label in legend_items()],  # noqa: S308 - constant markup
        "header": mark_safe(header_svg(axis, today)),  # noqa: S308 - numbers and constant text only
        "rows": rows,
        "unit_view": chart.filters.group == GROUP_UNIT,
        "columns": COLUMNS_MM,
        "timeline_mm": TIMELINE_MM,
        "grid": grid,
    }
    return render_to_string("dashboards/gantt_pdf.html", context)


def render_pdf(chart: GanttChart, *, city: str, description: str) -> bytes:
    fonts.require_noto_cjk()
    from weasyprint import HTML

    html = build_html(chart, city=city, description=description)
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[_stylesheet()])
    return pdf
