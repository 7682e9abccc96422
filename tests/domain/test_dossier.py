"""一案一档 and 交账: a problem's dossier holds its report (with the photo byte for byte), the
notice and its reply, the on-site visit and the close-out in the order they happened, indexed on
the cover; a file gone from storage is listed, not fatal; a viewer gets what the pages show it.
The 交账 package lists exactly the items closed in its period, the scheduler catches up missed
days without duplicates, and the schedule is validated in Chinese."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image
from python_calamine import CalamineWorkbook

from rectify.audit.models import AuditEvent
from rectify.closeout import services as closeout
from rectify.closeout.models import CloseoutApplication, CloseoutStatus, Decision, HandoverPackage, HandoverSchedule
from rectify.core.errors import DomainError, Forbidden
from rectify.documents import handover
from rectify.documents.dossier import INDEX_HEADERS, MISSING, build_dossier
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.periods import SHANGHAI
from rectify.supervision import notices, visits
from rectify.supervision.models import NoticeKind, SiteVisit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: dt.date, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI), tick=False)


def png(color: str, size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def assignment(unit: str, problem: str) -> Assignment:
    return (
        Assignment.objects.filter(unit__name=unit, problem__number=problem, measure__isnull=False)
        .select_related("unit", "measure")
        .order_by("measure__seq")
        .first()
    )


def report(user: Any, a: Assignment, day: dt.date, files: list[tuple[str, bytes]]) -> Any:
    data = progress.ReportInput(progress_text="已完成排查整治", next_plan="继续巡查", percent=60, files=files)
    period = periods.week_of(day, progress.calendar_rule())
    return progress.report_save(actor=user, assignment=a, period=period, data=data, submit=True)


@dataclass
class History:
    problem: Problem
    photo: bytes
    reply_file: bytes
    visit_photo: bytes
    evidence: bytes
    application: CloseoutApplication


def build_history(users: Any) -> History:
    """Problem （十八） (市生态环境局 alone leads its one measure): a weekly report with a photo, a
    reminder answered with an attachment, an on-site visit, an application accepted and closed."""
    problem = Problem.objects.get(number="十八")
    a = assignment("市生态环境局", "十八")
    unit = a.unit
    photo, reply_file, visit_photo, evidence = png("green"), png("blue"), png("yellow"), png("white", (9, 9))
    with at(dt.date(2022, 10, 10)):
        report(users["dept_clerk"], a, dt.date(2022, 10, 10), [("现场.png", photo)])
    with at(dt.date(2022, 10, 11)):
        draft = notices.notice_draft(
            actor=users["city_office"],
            data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=unit, measures=[a.measure]),
        )
        notice = notices.notice_issue(actor=users["city_office"], notice=draft)
    with at(dt.date(2022, 10, 12)):
        notices.notice_reply(
            actor=users["dept_clerk"],
            notice=notice,
            text="已组织整改，附整改照片。",
            files=[("整改后.png", reply_file)],
        )
    with at(dt.date(2022, 10, 13)):
        visits.visit_record(
            actor=users["city_office"],
            data=visits.VisitInput(
                visited_on=dt.date(2022, 10, 13),
                region=OrgUnit.objects.get(depth=0),
                title="市领导现场督导群众举报问题整改",
                leaders="市领导 周平",
                places="朔城区某企业",
                findings="现场已完成整改，要求长效管理。",
                problems=[problem],
                tasks=[(unit, "建立长效巡查机制", dt.date(2022, 10, 31))],
                files=[("现场督办.png", visit_photo)],
            ),
        )
    with at(dt.date(2022, 10, 14)):
        app = closeout.closeout_apply(
            actor=users["dept_clerk"],
            unit=unit,
            statement="群众举报问题已全部办结。",
            measure=a.measure,
            files=[("验收报告.png", evidence)],
        )
    with at(dt.date(2022, 10, 15)):
        closeout.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="同意销号")
    with at(dt.date(2022, 10, 23)):
        closeout.closeouts_finish()
    app.refresh_from_db()
    problem = Problem.objects.select_related("plan", "chapter", "acceptance_unit").get(pk=problem.pk)
    return History(problem, photo, reply_file, visit_photo, evidence, app)


@pytest.fixture
def history(users: Any) -> History:
    return build_history(users)


def opened(content: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    return archive


def cover_index(archive: zipfile.ZipFile) -> list[list[str]]:
    cover = docx.Document(io.BytesIO(archive.read("00_封面与目录.docx")))
    table = cover.tables[-1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == INDEX_HEADERS
    return rows[1:]


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- 一案一档 -------------------------------------------------------------------------------------


def test_the_dossier_holds_everything_in_the_order_it_happened(history: History) -> None:
    with at(dt.date(2022, 10, 24)):
        archive = opened(build_dossier(history.problem))
    names = archive.namelist()
    assert names == [
        "00_封面与目录.docx",
        "00_封面与目录.pdf",
        "01_问题与整改措施.docx",
        "10_进展报告_2022-10-10_市生态环境局/进展报告.txt",
        "10_进展报告_2022-10-10_市生态环境局/现场.png",
        "11_提醒函_2022-10-11_市生态环境局/朔整改办函〔2022〕1号.docx",
        "11_提醒函_2022-10-11_市生态环境局/回复与办理情况.docx",
        "11_提醒函_2022-10-11_市生态环境局/整改后.png",
        "12_现场督办_2022-10-13_朔州市/现场督办记录.docx",
        "12_现场督办_2022-10-13_朔州市/现场督办.png",
        "13_销号申请_2022-10-14_市生态环境局/销号申请.docx",
        "13_销号申请_2022-10-14_市生态环境局/验收报告.png",
        "90_验收与销号记录.docx",
        "99_留痕.csv",
    ]
    assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    assert archive.read("00_封面与目录.pdf").startswith(b"%PDF")


def test_stored_files_are_copied_byte_for_byte(history: History) -> None:
    archive = opened(build_dossier(history.problem))
    by_name = {n.rsplit("/", 1)[-1]: n for n in archive.namelist()}
    assert sha(archive.read(by_name["现场.png"])) == sha(history.photo)
    assert sha(archive.read(by_name["整改后.png"])) == sha(history.reply_file)
    assert sha(archive.read(by_name["现场督办.png"])) == sha(history.visit_photo)
    assert sha(archive.read(by_name["验收报告.png"])) == sha(history.evidence)


def test_the_cover_describes_the_problem_and_indexes_every_file(history: History) -> None:
    with at(dt.date(2022, 10, 24)):
        archive = opened(build_dossier(history.problem))
    cover = docx.Document(io.BytesIO(archive.read("00_封面与目录.docx")))
    text = "\n".join(p.text for p in cover.paragraphs)
    assert "问题（十八）一案一档" in text
    assert history.problem.plan.title in text and history.problem.text[:20] in text
    assert "验收单位：" in text and "整改状态：已销号" in text and "销号日期：2022-10-23" in text
    rows = cover_index(archive)
    assert [r[2] for r in rows] == archive.namelist()
    assert [r[0] for r in rows[:5]] == ["00", "00", "01", "10-1", "10-2"]
    assert rows[4][1:] == ["佐证材料", "10_进展报告_2022-10-10_市生态环境局/现场.png", "2022-10-10", ""]
    assert all(r[4] == "" for r in rows)


def test_the_documents_say_what_happened(history: History) -> None:
    archive = opened(build_dossier(history.problem))

    def text_of(name: str) -> str:
        document = docx.Document(io.BytesIO(archive.read(name)))
        return "\n".join(p.text for p in document.paragraphs)

    measures = text_of("01_问题与整改措施.docx")
    assert "措施" in measures and "整改时限：" in measures and "状态：已销号" in measures
    weekly = archive.read("10_进展报告_2022-10-10_市生态环境局/进展报告.txt").decode("utf-8-sig")
    assert weekly.startswith("市生态环境局周报（2022-10-10至2022-10-16）\r\n")
    assert "本周工作进展：已完成排查整治" in weekly and "下周工作计划：继续巡查" in weekly
    assert "完成进度：60%" in weekly and "审核：待审核" in weekly
    reply = text_of("11_提醒函_2022-10-11_市生态环境局/回复与办理情况.docx")
    assert "回复内容：已组织整改，附整改照片。" in reply
    record = docx.Document(io.BytesIO(archive.read("90_验收与销号记录.docx")))
    kinds = [row.cells[2].text for row in record.tables[-1].rows[1:]]
    assert kinds == ["验收通过", "销号"]
    trail = archive.read("99_留痕.csv").decode("utf-8-sig")
    assert trail.startswith("时间,操作人,动作,对象,说明,变更前,变更后")
    labels = [AuditEvent(action=a).action_label for a in ["report.submitted", "notice.issued", "closeout.closed"]]
    assert all(label in trail for label in labels)


def test_a_file_missing_from_storage_is_listed_not_fatal(history: History) -> None:
    stored = history.application.evidence.get()
    default_storage.delete(stored.storage_name)
    archive = opened(build_dossier(history.problem))
    missing_path = "13_销号申请_2022-10-14_市生态环境局/验收报告.png"
    assert missing_path not in archive.namelist()
    rows = {r[2]: r for r in cover_index(archive)}
    assert rows[missing_path][4] == MISSING
    assert sum(1 for r in rows.values() if r[4] == MISSING) == 1
    cover = docx.Document(io.BytesIO(archive.read("00_封面与目录.docx")))
    assert any("缺失文件：1个" in p.text for p in cover.paragraphs)


def test_a_problem_without_any_history_still_has_its_file(users: Any) -> None:
    problem = Problem.objects.select_related("plan", "chapter").get(number="八")
    archive = opened(build_dossier(problem))
    assert archive.namelist() == [
        "00_封面与目录.docx",
        "00_封面与目录.pdf",
        "01_问题与整改措施.docx",
        "90_验收与销号记录.docx",
        "99_留痕.csv",
    ]


def test_a_viewer_gets_only_the_reports_its_pages_show(users: Any) -> None:
    problem = Problem.objects.select_related("plan", "chapter").get(number="三")
    with at(dt.date(2022, 10, 10)):
        report(users["dept_clerk"], assignment("市生态环境局", "三"), dt.date(2022, 10, 10), [])
        report(users["county_clerk"], assignment("朔城区政府", "三"), dt.date(2022, 10, 10), [])

    def folders(viewer: Any) -> list[str]:
        names = opened(build_dossier(problem, viewer=viewer)).namelist()
        return sorted({n.split("/")[0] for n in names if "/" in n})

    both = ["10_进展报告_2022-10-10_市生态环境局", "11_进展报告_2022-10-10_朔城区政府"]
    assert folders(None) == folders(users["city_office"]) == both
    assert folders(users["county_clerk"]) == ["10_进展报告_2022-10-10_朔城区政府"]
    assert folders(users["dept_clerk"]) == ["10_进展报告_2022-10-10_市生态环境局"]
    cover = docx.Document(
        io.BytesIO(opened(build_dossier(problem, viewer=users["county_clerk"])).read("00_封面与目录.docx"))
    )
    assert any("按下载人的查看范围生成" in p.text for p in cover.paragraphs)


def test_many_folders_widen_the_numbers_and_keep_the_order(users: Any) -> None:
    problem = Problem.objects.select_related("plan", "chapter").get(number="十八")
    region = OrgUnit.objects.get(depth=0)
    visits = [
        SiteVisit(
            visited_on=dt.date(2022, 1, 1) + dt.timedelta(days=i),
            region=region,
            title=f"现场督办{i}",
            leaders="周平",
            places="现场",
            findings="已整改",
        )
        for i in range(85)
    ]
    SiteVisit.objects.bulk_create(visits)
    for v in SiteVisit.objects.all():
        v.problems.add(problem)
    names = opened(build_dossier(problem)).namelist()
    assert names[:3] == ["000_封面与目录.docx", "000_封面与目录.pdf", "001_问题与整改措施.docx"]
    assert names[3].startswith("010_现场督办_2022-01-01") and names[-3].startswith("094_现场督办_2022-03-26")
    assert names[-2:] == ["990_验收与销号记录.docx", "999_留痕.csv"]
    assert names == sorted(names)


# --- 交账 -----------------------------------------------------------------------------------------


def closed_app(
    measure_id: int, unit: str, closed_on: dt.date, *, ongoing: bool = False, recorded: dt.date | None = None
) -> CloseoutApplication:
    """A closed item, written directly: the package reads only what the close-out left behind.
    The close is recorded early on `recorded` (by default the close-out date itself)."""
    measure = Measure.objects.get(pk=measure_id)
    app = CloseoutApplication.objects.create(
        measure=measure,
        unit=OrgUnit.objects.get(name=unit),
        statement="已完成整改",
        status=CloseoutStatus.CLOSED,
        opinion=f"同意销号（{measure.label}）",
        published_on=closed_on - dt.timedelta(days=8),
        publish_until=closed_on - dt.timedelta(days=1),
        closed_on=closed_on,
        ongoing=ongoing,
    )
    moment = dt.datetime.combine(recorded or closed_on, dt.time(6, 30), tzinfo=SHANGHAI)
    Decision.objects.create(application=app, kind=Decision.Kind.CLOSE, opinion="公示期满无异议", at=moment)
    return app


def measure_of(problem: str, seq_index: int = 0) -> int:
    return Measure.objects.filter(problem__number=problem).order_by("seq").values_list("pk", flat=True)[seq_index]


def package_rows(content: bytes) -> tuple[list[list[Any]], list[str]]:
    archive = opened(content)
    book = CalamineWorkbook.from_filelike(io.BytesIO(archive.read("交账汇总表.xlsx")))
    rows = book.get_sheet_by_name("交账汇总表").to_python()
    return rows, archive.namelist()


def test_the_package_lists_exactly_the_items_closed_in_its_period(users: Any) -> None:
    inside = [
        closed_app(measure_of("八"), "市工信局", dt.date(2022, 10, 11)),
        closed_app(measure_of("十七", 0), "市规划和自然资源局", dt.date(2022, 10, 20), ongoing=True),
        closed_app(measure_of("十七", 1), "市规划和自然资源局", dt.date(2022, 10, 25)),
    ]
    closed_app(measure_of("九"), "市规划和自然资源局", dt.date(2022, 10, 10))  # the day before
    closed_app(measure_of("十七", 2), "市规划和自然资源局", dt.date(2022, 10, 26))  # the day after
    with at(dt.date(2022, 10, 25)):
        content, count = handover.build_package(dt.date(2022, 10, 11), dt.date(2022, 10, 25))
    rows, names = package_rows(content)
    assert count == 3
    assert rows[0][0] == handover.SUMMARY_TITLE
    assert "2022年10月11日至2022年10月25日" in rows[1][0] and "销号事项：3项" in rows[1][0]
    assert rows[2] == handover.SUMMARY_HEADERS
    body = rows[3:]
    assert [r[0] for r in body] == ["1", "2", "3"]
    assert [r[1] for r in body] == ["（八）", "（十七）", "（十七）"]
    assert [r[8] for r in body] == ["2022-10-11", "2022-10-20", "2022-10-25"]
    assert [r[9] for r in body] == ["否", "是", "否"]
    first = Measure.objects.get(pk=inside[0].measure_id)
    assert body[0][2] == first.label and body[0][3] == first.text and body[0][4] == "市工信局"
    assert body[0][6] == inside[0].opinion and body[0][7] == "2022-10-03至2022-10-10"
    assert names == ["交账汇总表.xlsx", "一案一档/问题（八）.zip", "一案一档/问题（十七）.zip"]
    inner = opened(opened(content).read("一案一档/问题（十七）.zip"))
    assert inner.namelist()[0] == "00_封面与目录.docx"


def test_an_empty_period_makes_an_empty_table(users: Any) -> None:
    content, count = handover.build_package(dt.date(2022, 10, 11), dt.date(2022, 10, 25))
    rows, names = package_rows(content)
    assert count == 0 and len(rows) == 3 and names == ["交账汇总表.xlsx"]


def test_a_package_is_stored_once_per_period_end_and_audited(users: Any) -> None:
    closed_app(measure_of("八"), "市工信局", dt.date(2022, 10, 12))
    with at(dt.date(2022, 10, 25)):
        package = handover.handover_make(
            actor=users["city_office"], period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25)
        )
        again = handover.handover_make(
            actor=users["city_office"], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 25)
        )
    assert again.pk == package.pk and HandoverPackage.objects.count() == 1
    assert package.items == 1 and package.created_by == users["city_office"]
    assert package.storage_name == f"handover/2022-10-25-{package.sha256[:16]}.zip"
    with default_storage.open(package.storage_name, "rb") as f:
        content = f.read()
    assert sha(content) == package.sha256 and len(content) == package.size
    event = AuditEvent.objects.get(action="handover.made")
    assert event.object_id == str(package.pk) and "销号事项1项" in event.note


def test_the_scheduler_catches_up_every_missed_day_once(users: Any) -> None:
    early = closed_app(measure_of("八"), "市工信局", dt.date(2022, 9, 20))
    middle = closed_app(measure_of("十七", 0), "市规划和自然资源局", dt.date(2022, 11, 15))
    with at(dt.date(2022, 10, 26)):
        first = handover.handover_due()
    assert [(p.period_end, p.items) for p in first] == [(dt.date(2022, 10, 25), 1)]
    assert first[0].period_start <= early.closed_on
    assert HandoverSchedule.objects.get(pk=1).days == [10, 25]
    with at(dt.date(2022, 12, 12)):  # the scheduler did not run for six weeks
        made = handover.handover_due()
        assert handover.handover_due() == []
    assert [(p.period_start, p.period_end) for p in made] == [
        (dt.date(2022, 10, 26), dt.date(2022, 11, 10)),
        (dt.date(2022, 11, 11), dt.date(2022, 11, 25)),
        (dt.date(2022, 11, 26), dt.date(2022, 12, 10)),
    ]
    assert [p.items for p in made] == [0, 1, 0]
    assert HandoverPackage.objects.count() == 4
    assert middle.closed_on is not None
    assert all(p.created_by is None for p in HandoverPackage.objects.all())
    assert AuditEvent.objects.filter(action="handover.made", actor_label="交账程序").count() == 4


def test_an_item_closed_late_into_a_packaged_period_goes_into_the_next_package(users: Any) -> None:
    with at(dt.date(2022, 11, 10), 20):
        handover.handover_make(actor="交账程序", period_start=dt.date(2022, 10, 26), period_end=dt.date(2022, 11, 10))
    # The close-out job ran late on the 12th and back-dated 销号日期 into the packaged period.
    late = closed_app(measure_of("八"), "市工信局", dt.date(2022, 11, 9), recorded=dt.date(2022, 11, 12))
    closed_app(measure_of("九"), "市规划和自然资源局", dt.date(2022, 11, 8))  # in the package already
    with at(dt.date(2022, 11, 25)):
        package = handover.handover_make(
            actor="交账程序", period_start=dt.date(2022, 11, 11), period_end=dt.date(2022, 11, 25)
        )
    with at(dt.date(2022, 12, 10)):
        following = handover.handover_make(
            actor="交账程序", period_start=dt.date(2022, 11, 26), period_end=dt.date(2022, 12, 10)
        )
    with default_storage.open(package.storage_name, "rb") as f:
        rows, _ = package_rows(f.read())
    assert package.items == 1 and following.items == 0
    assert rows[3][1] == "（八）" and rows[3][8] == f"{late.closed_on:%Y-%m-%d}（补交）"


def test_schedule_changes_are_checked_and_recorded(users: Any) -> None:
    office = users["city_office"]
    for days, message in [
        ([], "请至少设置一个交账日。"),
        ([0, 10], "交账日应为每月 1 日至 28 日之间的日期"),
        ([10, 31], "31 不在此范围内"),
    ]:
        with pytest.raises(DomainError, match=message):
            handover.schedule_update(actor=office, days=days, recipient="省整改办")
    with pytest.raises(DomainError, match="请填写报送对象"):
        handover.schedule_update(actor=office, days=[10], recipient="  ")
    with pytest.raises(DomainError, match="无法识别：abc"):
        handover.parse_days("10，abc")
    for role in ["county_office", "leader", "acceptance", "dept_clerk", "sysadmin"]:
        with pytest.raises(Forbidden, match="只有市整改办可以设置交账日程"):
            handover.schedule_update(actor=users[role], days=[5], recipient="省整改办")
    schedule = handover.schedule_update(
        actor=office, days=handover.parse_days("25、5 5"), recipient="省生态环境保护督察整改办"
    )
    assert schedule.days == [5, 25] and schedule.recipient == "省生态环境保护督察整改办"
    event = AuditEvent.objects.get(action="handover.schedule_changed")
    assert event.before == {"days": [10, 25], "recipient": HandoverSchedule().recipient}
    assert event.after == {"days": [5, 25], "recipient": "省生态环境保护督察整改办"}


def test_handover_now_covers_the_days_since_the_last_package(users: Any) -> None:
    with at(dt.date(2022, 10, 25)):
        handover.handover_due()
    with at(dt.date(2022, 11, 3)):
        package = handover.handover_now(actor=users["city_office"])
        assert handover.handover_now(actor=users["city_office"]).pk == package.pk
        with pytest.raises(Forbidden):
            handover.handover_now(actor=users["leader"])
    assert (package.period_start, package.period_end) == (dt.date(2022, 10, 26), dt.date(2022, 11, 3))
    with at(dt.date(2022, 11, 10)):
        (scheduled,) = handover.handover_due()
    assert (scheduled.period_start, scheduled.period_end) == (dt.date(2022, 11, 4), dt.date(2022, 11, 10))


def test_file_names_stay_one_segment_and_unique_in_their_folder() -> None:
    from rectify.documents.dossier import _unique, _width

    used: set[str] = set()
    assert [_unique(n, used) for n in ["现场.png", "现场.png", "../a/b.jpg", "说明", "说明"]] == [
        "现场.png",
        "现场（2）.png",
        "_a_b.jpg",
        "说明",
        "说明（2）",
    ]
    assert [_width(n) for n in [0, 80, 81, 980, 981]] == [2, 2, 3, 3, 4]
