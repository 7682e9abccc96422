"""交账: on the days of the month the city office sets (HandoverSchedule, default the 10th and
the 25th) the items closed (销号) since the last package are handed up as one .zip: a summary
table (交账汇总表.xlsx) and the 一案一档 of each problem concerned.

`handover_due` is what the daily scheduler calls: it walks every scheduled day since the last
package, so a missed run makes the missed packages next time (each for its own period) and a
second run makes nothing. A package is made once per period end (a unique constraint), whoever
asks. An item whose close is recorded only after the package of its close-out date was made (a
late run of the close-out job back-dates 销号日期) goes into the next package, marked 补交.

The package is written entry by entry to a temporary file (each problem's dossier to its own
temporary file first, copied in and deleted), hashed and stored from that file: never whole in
memory. "Make this period's package now" is a background task (`handover_start`, one at a time);
the page and the API poll `handover_job`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import task

from rectify.audit.services import record
from rectify.closeout import policies as closeout_policies
from rectify.closeout.models import (
    CloseoutApplication,
    CloseoutStatus,
    Decision,
    HandoverPackage,
    HandoverSchedule,
)
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.files import file_sha256
from rectify.core.spreadsheets import WORKBOOK_OPTIONS
from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Plan, Problem

from . import jobs
from .dossier import Entry, write_dossier, write_zip

__all__ = [
    "DEFAULT_DAYS",
    "SUMMARY_HEADERS",
    "build_package",
    "can_view_handover",
    "handover_due",
    "handover_job",
    "handover_make",
    "handover_now",
    "handover_start",
    "late_items",
    "package_filename",
    "parse_days",
    "schedule_get",
    "schedule_update",
]

SCHEDULER = "交账程序"
DEFAULT_DAYS = [10, 25]
SUMMARY_TITLE = "督察整改销号事项交账汇总表"
SUMMARY_HEADERS = [
    "序号",
    "问题编号",
    "措施",
    "整改目标/内容",
    "责任单位",
    "验收单位",
    "验收意见",
    "公示期",
    "销号日期",
    "是否长期坚持",
]
CLOSED_STATUSES = [CloseoutStatus.CLOSED, CloseoutStatus.REOPENED]


# --- who ----------------------------------------------------------------------------------------


def can_view_handover(user: Any) -> bool:
    """The city's coordinators and leaders."""
    return bool({Role.COORDINATOR, Role.LEADER} & viewer_scope(user).city_roles)


def package_filename(package: HandoverPackage) -> str:
    return f"交账包_{package.period_start:%Y-%m-%d}至{package.period_end:%Y-%m-%d}.zip"


# --- the schedule -------------------------------------------------------------------------------


def schedule_get() -> HandoverSchedule:
    schedule, _ = HandoverSchedule.objects.get_or_create(pk=1, defaults={"days": list(DEFAULT_DAYS)})
    return schedule


def parse_days(text: str) -> list[int]:
    """ "10, 25" / "10、25" / "10 25" → [10, 25]; anything else is a DomainError in Chinese."""
    tokens = [t for t in re.split(r"[\s,，、;；]+", text.strip()) if t]
    bad = [t for t in tokens if not (t.isascii() and t.isdigit())]
    if bad:
        raise DomainError(f"交账日应填写 1 至 28 之间的整数，用逗号分隔（无法识别：{'、'.join(bad)}）。")
    return [int(t) for t in tokens]


@transaction.atomic
def schedule_update(*, actor: Any, days: Sequence[int], recipient: str) -> HandoverSchedule:
    if not closeout_policies.can_set_handover(actor):
        raise Forbidden("只有市整改办可以设置交账日程。")
    cleaned = sorted(set(days))
    if not cleaned:
        raise DomainError("请至少设置一个交账日。")
    wrong = [d for d in cleaned if not 1 <= d <= 28]
    if wrong:
        listed = "、".join(str(d) for d in wrong)
        raise DomainError(f"交账日应为每月 1 日至 28 日之间的日期（每个月都有），{listed} 不在此范围内。")
    recipient = recipient.strip()
    if not recipient:
        raise DomainError("请填写报送对象。")
    if len(recipient) > 120:
        raise DomainError("报送对象不能超过 120 个字。")
    schedule = HandoverSchedule.objects.select_for_update().filter(pk=1).first() or schedule_get()
    before = {"days": schedule.days, "recipient": schedule.recipient}
    after = {"days": cleaned, "recipient": recipient}
    if before == after:
        return schedule
    HandoverSchedule.objects.filter(pk=schedule.pk).update(
        days=cleaned, recipient=recipient, updated_at=clock.now(), version=schedule.version + 1
    )
    schedule.refresh_from_db()
    record(actor=actor, action="handover.schedule_changed", obj=schedule, before=before, after=after)
    return schedule


# --- the package ----------------------------------------------------------------------------------


def closed_in(period_start: dt.date, period_end: dt.date) -> list[CloseoutApplication]:
    qs = CloseoutApplication.objects.filter(
        status__in=CLOSED_STATUSES, closed_on__gte=period_start, closed_on__lte=period_end
    )
    return _ordered(qs)


def _ordered(qs: Any) -> list[CloseoutApplication]:
    qs = qs.select_related("unit", "measure__problem__plan", "problem__plan", "problem__acceptance_unit")
    qs = qs.select_related("measure__problem__acceptance_unit").prefetch_related("decisions")
    apps = list(qs)
    return sorted(apps, key=lambda a: (a.closed_on, _problem(a).plan_id, _problem(a).index, _seq(a), a.pk))


def _problem(app: CloseoutApplication) -> Problem:
    if app.problem is not None:
        return app.problem
    assert app.measure is not None
    return app.measure.problem


def _seq(app: CloseoutApplication) -> int:
    return app.measure.seq if app.measure is not None else -1


def late_items(period_start: dt.date) -> list[CloseoutApplication]:
    """Items closed before `period_start` that no package holds yet: their close was recorded
    after every package reaching their close-out date had been made (a package made later
    either covered the date or took them in as late items)."""
    packages = list(HandoverPackage.objects.filter(period_start__lt=period_start).order_by("period_start"))
    if not packages:
        return []
    candidates = CloseoutApplication.objects.filter(
        status__in=CLOSED_STATUSES, closed_on__lt=period_start, closed_on__gte=packages[0].period_start
    )
    closed_at: dict[int, dt.datetime] = {}
    for app_id, at in Decision.objects.filter(application__in=candidates, kind=Decision.Kind.CLOSE).values_list(
        "application_id", "at"
    ):
        closed_at[app_id] = max(at, closed_at.get(app_id, at))
    late = []
    for app in _ordered(candidates):
        recorded = closed_at.get(app.pk)
        if recorded is None or app.closed_on is None:
            continue
        reaching = [p for p in packages if p.period_end >= app.closed_on]
        if reaching and all(p.created_at < recorded for p in reaching):
            late.append(app)
    return late


def _units(app: CloseoutApplication) -> str:
    if app.assignment_id:  # one unit's own share
        return app.unit.name
    qs = Assignment.objects.filter(unit__isnull=False).select_related("unit").order_by("role", "id")
    qs = qs.filter(measure=app.measure) if app.measure is not None else qs.filter(problem=app.problem, measure=None)
    lead = list(dict.fromkeys(a.unit.name for a in qs if a.unit and a.role == Assignment.RoleKind.LEAD))
    support = list(dict.fromkeys(a.unit.name for a in qs if a.unit and a.role == Assignment.RoleKind.SUPPORT))
    text = "、".join(lead) or app.unit.name
    return text + (f"（配合：{'、'.join(support)}）" if support else "")


def _row(n: int, app: CloseoutApplication, *, late: bool) -> list[str]:
    problem = _problem(app)
    acceptance = problem.acceptance_unit.name if problem.acceptance_unit else problem.acceptance_unit_name
    if app.measure is not None:
        measure, content = app.measure.label, app.measure.text
    else:
        measure, content = "全部措施", problem.goal or problem.text
    period = (
        f"{app.published_on:%Y-%m-%d}至{app.publish_until:%Y-%m-%d}" if app.published_on and app.publish_until else ""
    )
    closed = f"{app.closed_on:%Y-%m-%d}" if app.closed_on else ""
    if app.status == CloseoutStatus.REOPENED:  # closed in the period, reopened since: say so
        reopened = [d.at for d in app.decisions.all() if d.kind == Decision.Kind.REOPEN]
        closed += f"（{max(reopened).astimezone(clock.SHANGHAI):%Y-%m-%d}反弹重开）" if reopened else "（已反弹重开）"
    return [
        str(n),
        f"（{problem.number}）",
        measure,
        content,
        _units(app),
        acceptance or "—",
        app.opinion,
        period,
        closed + ("（补交）" if late else ""),
        "是" if app.ongoing else "否",
    ]


def summary_xlsx(rows: Sequence[Sequence[str]], *, title: str, subtitle: str) -> bytes:
    """The 交账汇总表: the title and the period above the header row; long text wraps."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet("交账汇总表")
    title_format = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    sub_format = book.add_format({"align": "left", "valign": "vcenter"})
    head = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "align": "center"})
    cell = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    last = len(SUMMARY_HEADERS) - 1
    sheet.merge_range(0, 0, 0, last, title, title_format)
    sheet.merge_range(1, 0, 1, last, subtitle, sub_format)
    sheet.write_row(2, 0, SUMMARY_HEADERS, head)
    for r, row in enumerate(rows, start=3):
        sheet.write_row(r, 0, list(row), cell)
    for c, width in enumerate([6, 10, 12, 48, 30, 20, 30, 24, 14, 12]):
        sheet.set_column(c, c, width)
    sheet.set_row(0, 28)
    sheet.freeze_panes(3, 0)
    if rows:
        sheet.autofilter(2, 0, 2 + len(rows), last)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(2)
    sheet.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()


def _recipient() -> str:
    schedule = HandoverSchedule.objects.filter(pk=1).first()
    return schedule.recipient if schedule else str(HandoverSchedule._meta.get_field("recipient").get_default())


def build_package(
    period_start: dt.date, period_end: dt.date, *, late: Iterable[CloseoutApplication] = ()
) -> tuple[bytes, int]:
    """`write_package` as (zip bytes, number of items), for a small package read at once."""
    with tempfile.TemporaryDirectory(prefix="rectify-handover-") as folder:
        path = Path(folder) / "package.zip"
        items = write_package(period_start, period_end, path, late=late)
        return path.read_bytes(), items


def write_package(
    period_start: dt.date, period_end: dt.date, target: Path, *, late: Iterable[CloseoutApplication] = ()
) -> int:
    """The package of the items closed from period_start to period_end (both included), plus
    `late` ones, written to the file `target`; the number of items."""
    apps = closed_in(period_start, period_end)
    late_ids = {a.pk for a in late} - {a.pk for a in apps}
    apps = [*apps, *(a for a in late if a.pk in late_ids)]
    rows = [_row(n, app, late=app.pk in late_ids) for n, app in enumerate(apps, start=1)]
    subtitle = (
        f"交账期间：{period_start:%Y年%m月%d日}至{period_end:%Y年%m月%d日}　"
        f"销号事项：{len(apps)}项　报送：{_recipient()}　生成日期：{clock.today():%Y年%m月%d日}"
    )
    today = clock.today()
    problems = sorted({_problem(a).pk: _problem(a) for a in apps}.values(), key=lambda p: (p.plan_id, p.index))

    def entries(folder: Path) -> Iterator[Entry]:
        yield ("交账汇总表.xlsx", today, summary_xlsx(rows, title=SUMMARY_TITLE, subtitle=subtitle), "")
        used: set[str] = set()
        for problem in problems:
            name, n = f"问题（{problem.number}）", 2
            while name in used:
                name, n = f"问题（{problem.number}）-{n}", n + 1
            used.add(name)
            fresh = Problem.objects.select_related("plan", "chapter", "acceptance_unit").get(pk=problem.pk)
            # Written to its own file, copied into the package, then deleted: one dossier on disk
            # at a time, none in memory.
            path = folder / f"{problem.pk}.zip"
            write_dossier(fresh, path)
            yield (f"一案一档/{name}.zip", today, path, "")
            path.unlink()

    with tempfile.TemporaryDirectory(prefix="rectify-dossiers-") as folder:
        write_zip(entries(Path(folder)), target)
    return len(apps)


@transaction.atomic
def _create(*, actor: Any, period_start: dt.date, period_end: dt.date, path: Path, items: int) -> HandoverPackage:
    digest = file_sha256(path)  # in chunks; then copied into the storage in chunks
    storage_name = f"handover/{period_end:%Y-%m-%d}-{digest[:16]}.zip"
    if not default_storage.exists(storage_name):
        with path.open("rb") as f:
            storage_name = default_storage.save(storage_name, File(f))
    package = HandoverPackage.objects.create(
        period_start=period_start,
        period_end=period_end,
        items=items,
        storage_name=storage_name,
        size=path.stat().st_size,
        sha256=digest,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(
        actor=actor,
        action="handover.made",
        obj=package,
        after={
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "items": items,
            "sha256": digest,
        },
        note=f"{period_start:%Y-%m-%d}至{period_end:%Y-%m-%d}，销号事项{items}项",
    )
    return package


def handover_make(*, actor: Any, period_start: dt.date, period_end: dt.date) -> HandoverPackage:
    """Make (once) the package ending on period_end; asked again, it returns the one made."""
    existing = HandoverPackage.objects.filter(period_end=period_end).first()
    if existing is not None:
        return existing
    if period_start > period_end:
        raise DomainError("交账期间的起始日期不能晚于截止日期。")
    with tempfile.TemporaryDirectory(prefix="rectify-handover-") as folder:
        path = Path(folder) / "package.zip"
        items = write_package(period_start, period_end, path, late=late_items(period_start))
        try:
            return _create(actor=actor, period_start=period_start, period_end=period_end, path=path, items=items)
        except IntegrityError:  # made meanwhile by another run
            return HandoverPackage.objects.get(period_end=period_end)


def _history_start(default: dt.date) -> dt.date:
    """Where the very first package starts: the earliest plan start or close-out date."""
    candidates = [
        Plan.objects.aggregate(first=Min("start_on"))["first"],
        CloseoutApplication.objects.filter(status__in=CLOSED_STATUSES).aggregate(first=Min("closed_on"))["first"],
    ]
    return min([d for d in candidates if d is not None] + [default])


def _last_end() -> dt.date | None:
    last = HandoverPackage.objects.order_by("-period_end").first()
    return last.period_end if last else None


def handover_due(*, today: dt.date | None = None) -> list[HandoverPackage]:
    """Make the package of every scheduled day up to `today` that has none yet, each for the
    days since the previous package. With no package at all, only the latest scheduled day is
    made, covering everything before it."""
    today = today or clock.today()
    days = set(schedule_get().days)
    if not days:
        return []
    made: list[HandoverPackage] = []
    last_end = _last_end()
    if last_end is None:
        first = next(
            (today - dt.timedelta(days=i) for i in range(0, 62) if (today - dt.timedelta(days=i)).day in days), None
        )
        if first is None:
            return []
        made.append(handover_make(actor=SCHEDULER, period_start=_history_start(first), period_end=first))
        last_end = first
    day = last_end + dt.timedelta(days=1)
    while day <= today:
        if day.day in days:
            made.append(handover_make(actor=SCHEDULER, period_start=last_end + dt.timedelta(days=1), period_end=day))
            last_end = day
        day += dt.timedelta(days=1)
    return made


def handover_now(*, actor: Any, today: dt.date | None = None) -> HandoverPackage:
    """立即生成本期交账包: from the day after the last package to today (the city office)."""
    if not closeout_policies.can_set_handover(actor):
        raise Forbidden("只有市整改办可以生成交账包。")
    today = today or clock.today()
    last_end = _last_end()
    if last_end is not None and last_end >= today:
        return HandoverPackage.objects.get(period_end=last_end)
    start = last_end + dt.timedelta(days=1) if last_end else _history_start(today)
    return handover_make(actor=actor, period_start=start, period_end=today)


# --- "make it now" in the background ------------------------------------------------------------

JOB_KEY = "handover-now"  # one package made at a time, whoever asks


@task()
def handover_now_task(*, key: str, actor: int, today: str) -> dict[str, int]:
    """handover_now for the user who pressed the button, on the day they pressed it."""
    user = get_user_model().objects.get(pk=actor)
    package = handover_now(actor=user, today=dt.date.fromisoformat(today))
    return {"package": package.pk}


def handover_job() -> jobs.JobStatus | None:
    """The state of the newest "make it now" task; None when none waits, runs or failed. A failure
    is not shown once a package reaching the day it was asked on exists (made by the schedule or
    by hand): the card would say the period's package failed when it is there."""
    job = jobs.job_status(JOB_KEY, handover_now_task)
    if job is not None and job.state == jobs.FAILED and job.asked.get("today"):
        # The task's times are real time, the packages' the instance's clock: compare days asked for.
        if HandoverPackage.objects.filter(period_end__gte=job.asked["today"]).exists():
            return None
    return job


def handover_start(*, actor: Any) -> tuple[jobs.JobStatus, HandoverPackage | None]:
    """立即生成本期交账包 off the request: enqueue the task (none while one waits or runs). With
    the immediate backend (tests, a one-process trial) the package is made here: its state is
    done and the package is returned."""
    if not closeout_policies.can_set_handover(actor):
        raise Forbidden("只有市整改办可以生成交账包。")
    if not jobs.queued_in_database():
        return jobs.JobStatus(jobs.DONE), handover_now(actor=actor)
    with transaction.atomic():
        jobs.key_lock(JOB_KEY)
        current = handover_job()
        if current is not None and current.pending:
            return current, None
        handover_now_task.enqueue(key=JOB_KEY, actor=actor.pk, today=clock.today().isoformat())
    return jobs.JobStatus(jobs.QUEUED, timezone.now()), None
