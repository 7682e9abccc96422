"""The draft of a 工作简报, written from the period's data the way seed 004 (第28期) reads.

Lead articles are the on-site visits (现场督办) led from the city: a narrative naming the leader and
title ("9月5日，副市长韩雪带领市整改办主任深入…，现场督办…"), the complaints the visit was about
quoted ("针对群众反映的“…”这一问题"), and the leader's demands numbered in bold (一要…；二要…),
deadlines said once. County visits go to ◆ 县区动态 as one article each, saying what was done.
The statistics of the period (reports filed, tasks completed, warnings, documents issued) are one
short closing article, or the lead when no visit was led from the city. County offices' own
稿件 are added by the city office from the edit page (briefing_county).

Items are stored as the editor's HTML (`html`, sanitized) with the plain `paragraphs` derived from
it ("**…**" marks bold), photo references (`photos`) and where they came from (`source`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Count, Q

from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.core import clock
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Measure, ProblemLeader, WarningLevel
from rectify.progress.models import ProgressReport
from rectify.supervision.models import NoticeStatus, SiteVisit, SupervisionNotice, Warning

from . import briefing_rich, compose
from .figures import day_end, day_start, region_shares, reporting, share_states

CN_NUMBERS = "一二三四五六七八九十"
COUNTY_HEADING = "县区动态"
PROGRESS_HEADING = "工作进展"
# A task that already says when ("12月20日前完成", "两周内完成") does not get its date again.
SAYS_WHEN = re.compile(r"(\d+月\d+日|前完成|内完成|之前|月底|年底|立即)")


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as moments; a deadline later today has not passed yet."""
    end_at = day_end(end)
    if end == clock.today():
        end_at = min(end_at, clock.now())
    return day_start(start), end_at


def _work_paragraph(region: OrgUnit, start: dt.date, end: dt.date, span: str) -> str:
    """Reports filed, tasks completed and warnings raised in the period: each number counts tasks
    (责任单位任务, a unit's share of a measure) or says it counts measures."""
    start_at, end_at = _window(start, end)
    shares = region_shares(region)
    filed = ProgressReport.objects.filter(
        assignment_id__in=shares.order_by().values("pk"),
        first_submitted_at__gte=start_at,
        first_submitted_at__lte=end_at,
    ).aggregate(n=Count("pk"), units=Count("unit_id", distinct=True))
    if filed["n"]:
        parts = [f"{span}，{region.name}{filed['units']}个责任单位报送工作进展{filed['n']}份。"]
    else:
        parts = [f"{span}，{region.name}没有责任单位报送工作进展。"]
    finished = [s for s in share_states(shares, end) if s.done and s.completed_on and start <= s.completed_on <= end]
    if finished:
        measures = list(
            Measure.objects.filter(pk__in={s.measure_id for s in finished})
            .select_related("problem")
            .order_by("problem__index", "seq")
        )
        parts.append(f"期间新完成责任单位任务{len(finished)}项，涉及整改措施{len(measures)}项。")
    else:
        parts.append("期间没有新完成的责任单位任务。")
    worst: dict[int, str] = {}
    for share_id, level in Warning.objects.filter(
        assignment_id__in=shares.order_by().values("pk"),
        raised_on__gte=start,
        raised_on__lte=end,
        level__in=[WarningLevel.RED, WarningLevel.YELLOW],
    ).values_list("assignment_id", "level"):
        if worst.get(share_id) != WarningLevel.RED:
            worst[share_id] = level
    if worst:
        red = sum(1 for level in worst.values() if level == WarningLevel.RED)
        parts.append(f"期间新增预警的责任单位任务{len(worst)}项，其中红色预警{red}项、黄色预警{len(worst) - red}项。")
    else:
        parts.append("期间没有新增红色、黄色预警的任务。")
    return "".join(parts)


def _reporting_sentence(region: OrgUnit, start: dt.date, end: dt.date) -> str:
    """The reports whose deadline fell in the period: "均按时报送" only when every one was."""
    start_at, end_at = _window(start, end)
    rows = reporting(region_shares(region).order_by().values_list("unit_id", flat=True).distinct(), start_at, end_at)
    owed = sum(r.owed for r in rows.values())
    on_time = sum(r.on_time for r in rows.values())
    owing = sum(1 for r in rows.values() if r.owed)
    if not owed:
        return ""
    if on_time == owed:
        return f"期间应报送工作进展的{owing}个单位均按时报送，共{owed}份。"
    missed_units = sum(1 for r in rows.values() if r.missed_periods)
    periods = sum(r.missed_periods for r in rows.values())
    return (
        f"期间{owing}个单位应报送工作进展{owed}份，按时报送{on_time}份；"
        f"{missed_units}个单位共{periods}期次未按时报送工作进展。"
    )


def progress_item(region: OrgUnit, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The period's figures as one short article: reports, tasks completed, warnings, documents
    issued, reporting on time, complaints and visits (each number from its own query)."""
    short = compose.short_date
    span = f"{short(start)}至{short(end)}"
    paragraphs = [_work_paragraph(region, start, end, span)]
    notices = list(
        SupervisionNotice.objects.filter(unit__path__startswith=region.path, issued_on__gte=start, issued_on__lte=end)
        .exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
        .select_related("unit")
        .order_by("issued_on", "id")
    )
    if notices:
        listing = "；".join(
            f"{short(n.issued_on)}向{n.unit.name}印发{n.get_kind_display()}（{n.number}）"
            for n in notices
            if n.issued_on
        )
        paragraphs.append(f"期间共印发督办文书{len(notices)}份：{listing}。")
    follow_up = []
    if sentence := _reporting_sentence(region, start, end):
        follow_up.append(sentence)
    cases = ComplaintCase.objects.filter(
        Q(region__path__startswith=region.path) | Q(lead_unit__path__startswith=region.path)
    ).distinct()
    received = cases.filter(assigned_on__gte=start, assigned_on__lte=end).count()
    closed = cases.filter(closed_on__gte=start, closed_on__lte=end, status=CaseStatus.CLOSED).count()
    if received or closed:
        open_total = cases.exclude(status=CaseStatus.CLOSED).count()
        done = [f"受理群众举报交办件{received}件"] if received else []
        done += [f"办结交办件{closed}件"] if closed else []
        follow_up.append(f"期间{'，'.join(done)}，目前尚有{open_total}件正在办理。")
    visits = SiteVisit.objects.filter(region__path__startswith=region.path, visited_on__gte=start, visited_on__lte=end)
    if count := visits.count():
        follow_up.append(f"期间开展现场督办{count}次。")
    if follow_up:
        paragraphs.append("".join(follow_up))
    title = f"{compose.region_word(region)}督察整改工作进展情况（{short(start)}—{short(end)}）"
    return {"title": title, "paragraphs": paragraphs, "html": _html(paragraphs)}


lead_item = progress_item  # the name the share tests use


def _html(paragraphs: list[str]) -> str:
    return briefing_rich.from_paragraphs(paragraphs)


def _item(title: str, paragraphs: list[str], **extra: Any) -> dict[str, Any]:
    clean = briefing_rich.sanitize(_html(paragraphs))
    return {"title": title, "paragraphs": briefing_rich.read(clean)[0], "html": clean, **extra}


# --- 现场督办 → narrative ------------------------------------------------------------------------


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[，,；;]", text) if c.strip()]


def _leader_name(leader: ProblemLeader) -> str:
    full = leader.user.get_full_name() or leader.user.get_username()
    return full.split()[-1] if full.split() else full


def visit_leader(visit: SiteVisit) -> tuple[str, str, str]:
    """(who led it, as "title+name" when the data has them; the short name for "X要求"; the rest
    of the party). The 包联 leader of a visited problem is named when the visit's leaders text
    names them or their title (市政府分管副市长 → 副市长韩雪)."""
    text = visit.leaders.strip()
    clauses = _clauses(text)
    first = clauses[0] if clauses else "督办组"
    rest = "、".join(clauses[1:])
    leaders = sorted(
        ProblemLeader.objects.filter(problem__in=visit.problems.all()).select_related("user"),
        key=lambda pl: (pl.kind != ProblemLeader.Kind.LEAD, pl.pk),
    )
    for pl in leaders:
        name = _leader_name(pl)
        if name and name in text:
            party = "、".join(c for c in clauses if name not in c)
            return f"{pl.title}{name}", name, party
    for pl in leaders:
        if pl.title and pl.title.split("、")[-1] in first:
            name = _leader_name(pl)
            return f"{pl.title}{name}", name, rest
    short = first
    for cut in ("带领", "带队"):
        if cut in first:
            short, _, party = first.partition(cut)
            rest = "、".join(p for p in (party, rest) if p)
    return short, short, rest


def _subject(visit: SiteVisit) -> str:
    """What the visit was about, in words (no bare problem numbers)."""
    problems = list(visit.problems.all())
    if problems:
        first = re.split(r"[。；]", problems[0].text.strip())[0]
        first = first if len(first) <= 40 else first[:40].rstrip("，、") + "等"
        more = f"等{len(problems)}个问题" if len(problems) > 1 else "问题"
        return f"督察反馈的“{first}”{more}整改工作"
    if visit.cases.strip():
        return "群众举报交办案件办理工作"
    return "督察整改工作"


def _cases(visit: SiteVisit) -> list[tuple[str, str]]:
    """(the complaint as reported, who answers for it) for each line of the visit's 督办案件:
    a 受理编号 found in the register is quoted from it, any other line as written."""
    out = []
    for line in (c.strip() for c in visit.cases.splitlines()):
        if not line:
            continue
        code = line.split()[0]
        case = ComplaintCase.objects.filter(code=code).select_related("lead_unit").first()
        if case is not None:
            content = case.content.strip().rstrip("。")
            out.append((content, case.lead_unit.name if case.lead_unit else "相关责任单位"))
        else:
            words = line.split(maxsplit=1)
            if len(words) == 2 and any(ch.isdigit() for ch in words[0]):  # "交办件D2022-001 内容"
                line = words[1]
            line = line.removeprefix("群众反映").removeprefix("反映").strip("：: ")
            out.append((line.rstrip("。"), "相关责任单位"))
    return out


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[。！？])|\n", text)
    return [p.strip() for p in parts if p.strip()]


def _task_demand(n: int, unit: str, text: str, due: dt.date | None) -> str:
    """ "**一要{unit}{first clause}**，{the rest}（{date}前完成）。" — the date once."""
    text = text.strip().rstrip("。；;")
    head, sep, rest = text.partition("，")
    when = f"（{compose.short_date(due)}前完成）" if due and not SAYS_WHEN.search(text) else ""
    lead = f"**{CN_NUMBERS[n] if n < 10 else n + 1}要{unit}{head}**"
    return f"{lead}{sep}{rest}{when}。"


def visit_item(visit: SiteVisit) -> dict[str, Any]:
    """One article from an on-site visit, written as narrative."""
    short = compose.short_date
    who, name, party = visit_leader(visit)
    led = f"带领{party}" if party else "带队"
    paragraphs = [f"{short(visit.visited_on)}，{who}{led}深入{visit.places}，现场督办{_subject(visit)}。"]
    findings = [s.replace("**", "") for s in _sentences(visit.findings)]
    demands_said = [s for s in findings if s.startswith("要求")]
    found = [s for s in findings if not s.startswith("要求") and not re.match(r"^[一二三四五六七八九十]要", s)]
    numbered = [s for s in findings if re.match(r"^[一二三四五六七八九十]要", s)]
    if found:
        paragraphs.append("督办发现，" + "".join(found))
    for quote, unit in _cases(visit):
        paragraphs.append(
            f"针对群众反映的“{quote}”这一问题，{name}要求{unit}依法依规调查处理，限期整改到位，及时回应群众关切。"
        )
    demands = [_task_demand(i, t.unit.name, t.text, t.due_on) for i, t in enumerate(visit.tasks.all())]
    if numbered and not demands:
        demands = [f"**{s.split('，')[0].rstrip('。')}**" + s[len(s.split("，")[0]) :] for s in numbered]
    general = "".join(s.removeprefix("要求").lstrip("，：:") for s in demands_said)
    if demands or general:
        paragraphs.append(f"{name}要求，{general}" + "".join(demands))
    photos = [{"source": "visit", "id": p.pk} for p in visit.photos.all() if p.is_image]
    return _item(visit.title, paragraphs, photos=photos[:6], source={"kind": "visit", "id": visit.pk})


def led_from_city(visit: SiteVisit) -> bool:
    """A visit led by the city (市委/市政府/市整改办…) is a lead article, a county's goes to 县区动态."""
    return visit.leaders.strip().startswith("市")


def draft_sections(region: OrgUnit, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    visits = list(
        SiteVisit.objects.filter(region__path__startswith=region.path, visited_on__gte=start, visited_on__lte=end)
        .prefetch_related("problems", "tasks__unit", "photos")
        .order_by("visited_on", "id")
    )
    lead = [visit_item(v) for v in visits if region.depth == 0 and led_from_city(v)]
    county = [visit_item(v) for v in visits if not (region.depth == 0 and led_from_city(v))]
    progress = progress_item(region, start, end)
    if not lead:
        return [{"heading": "", "items": [progress]}, {"heading": COUNTY_HEADING, "items": county}]
    return [
        {"heading": "", "items": lead},
        {"heading": COUNTY_HEADING, "items": county},
        {"heading": PROGRESS_HEADING, "items": [progress]},
    ]
