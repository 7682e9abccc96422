"""月通报 and 工作简报: the figures of a frozen month, the score and ranking, who is named, gapless
numbering shared with 通报 notices, the guarded workflow, and a briefing drafted from the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine

from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.documents import compose, services
from rectify.documents.figures import UnitFigures, bottom_ids, laggards, month_figures, rank, score_of
from rectify.documents.models import DOC_TRANSITIONS, Briefing, Circular, DocStatus
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure
from rectify.progress.models import MissedReport, ProgressReport, ReportStatus
from rectify.supervision import notices
from rectify.supervision.models import NoticeKind, SiteVisit
from rectify.supervision.services import deadlines_scan

from .test_state_machines import documented

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen(tmp_path: Path, settings: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def root() -> OrgUnit:
    return OrgUnit.objects.get(depth=0)


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def by_name(rows: list[UnitFigures]) -> dict[str, UnitFigures]:
    return {f.unit: f for f in rows}


def measures_of(name: str) -> Any:
    return Measure.objects.filter(assignments__unit__name=name).distinct()


def report_100(measure: Measure, name: str, at: dt.datetime) -> ProgressReport:
    a = Assignment.objects.filter(measure=measure, unit__name=name).first()
    assert a is not None
    return ProgressReport.objects.create(
        assignment=a,
        unit=a.unit,
        measure=measure,
        kind="weekly",
        period_start=at.date() - dt.timedelta(days=at.weekday()),
        period_end=at.date(),
        progress_text="已完成",
        percent=100,
        status=ReportStatus.SUBMITTED,
        submitted_at=at,
        first_submitted_at=at,
    )


# --- figures ---------------------------------------------------------------------------------


def test_in_october_the_measures_due_by_september_30_are_overdue() -> None:
    figures = month_figures(2022, 10, region=root())
    assert figures.as_of == dt.date(2022, 10, 8)  # the month is still running: today
    due = Measure.objects.filter(due_on__lt=dt.date(2022, 10, 8), status=ItemStatus.IN_PROGRESS)
    assert figures.totals.overdue == due.count() == 10
    assert figures.totals.measures == Measure.objects.filter(assignments__unit__isnull=False).distinct().count()
    energy = by_name(figures.units)["市能源局"]
    assert energy.assigned == measures_of("市能源局").count() == 17
    assert energy.overdue == measures_of("市能源局").filter(due_on__lt=dt.date(2022, 10, 8)).count() == 6
    assert energy.score == round(100 * (17 - 6) / 17, 1) == 64.7


def test_september_is_cut_at_its_last_day_where_due_that_day_is_not_yet_overdue() -> None:
    figures = month_figures(2022, 9, region=root())
    assert figures.as_of == dt.date(2022, 9, 30)
    assert figures.totals.overdue == Measure.objects.filter(due_on__lt=dt.date(2022, 9, 30)).count() == 2
    assert by_name(figures.units)["市能源局"].overdue == 0


def test_red_counts_warnings_open_at_the_cutoff() -> None:
    deadlines_scan()
    october = month_figures(2022, 10, region=root())
    assert october.totals.red >= october.totals.overdue > 0
    assert by_name(october.units)["市能源局"].red >= 6
    assert month_figures(2022, 9, region=root()).totals.red == 0  # raised on 10-08, after September


def test_completion_is_dated_by_the_first_report_at_100_percent() -> None:
    energy = list(measures_of("市能源局").filter(due_on=dt.date(2022, 9, 30)).order_by("pk"))
    early, unreported, late = energy[:3]
    Measure.objects.filter(pk__in=[early.pk, unreported.pk, late.pk]).update(status=ItemStatus.COMPLETED)
    report_100(early, "市能源局", dt.datetime(2022, 9, 20, 9, tzinfo=SHANGHAI))
    report_100(late, "市能源局", dt.datetime(2022, 10, 3, 9, tzinfo=SHANGHAI))
    october = by_name(month_figures(2022, 10, region=root()).units)["市能源局"]
    # early: done before its due date → on time; unreported: done by the cutoff, which is after
    # its due date → completed, not on time; late: done after its due date → completed, late.
    assert (october.completed, october.on_time, october.overdue) == (3, 1, 3)
    september = by_name(month_figures(2022, 9, region=root()).units)["市能源局"]
    # At September 30 the late one was not done yet (its report came on October 3).
    assert (september.completed, september.on_time) == (2, 2)


def test_missed_reports_and_notices_of_the_month_are_deducted(users: Any) -> None:
    energy = unit("市能源局")
    MissedReport.objects.create(
        unit=energy,
        kind="weekly",
        period_start=dt.date(2022, 9, 26),
        period_end=dt.date(2022, 10, 2),
        due_at=dt.datetime(2022, 9, 30, 17, tzinfo=SHANGHAI),
        missing=5,
        required=17,
    )
    MissedReport.objects.create(
        unit=energy,
        kind="weekly",
        period_start=dt.date(2022, 10, 3),
        period_end=dt.date(2022, 10, 9),
        due_at=dt.datetime(2022, 10, 7, 17, tzinfo=SHANGHAI),
        missing=4,
        required=17,
    )
    notice = notices.notice_draft(
        actor=users["city_office"],
        data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=energy, measures=list(measures_of("市能源局")[:1])),
    )
    notices.notice_issue(actor=users["city_office"], notice=notice)
    f = by_name(month_figures(2022, 10, region=root()).units)["市能源局"]
    assert (f.missed_periods, f.missed_items, f.notices) == (1, 4, {"reminder": 1})
    assert f.score == round(100 * 11 / 17 - 2 - 5, 1)
    assert by_name(month_figures(2022, 9, region=root()).units)["市能源局"].missed_periods == 1


def test_a_county_offices_figures_cover_its_county_only() -> None:
    county = unit("朔城区")
    rows = month_figures(2022, 10, region=county).units
    assert rows and all(f.path.startswith(county.path) for f in rows)
    assert "朔城区政府" in by_name(rows) and "市能源局" not in by_name(rows)


# --- score, ranking, who is named ------------------------------------------------------------


def fig(
    name: str, path: str, *, assigned: int = 10, overdue: int = 0, missed: int = 0, notices: int = 0
) -> UnitFigures:
    return UnitFigures(
        unit_id=int(path),
        unit=name,
        path=path,
        assigned=assigned,
        overdue=overdue,
        missed_periods=missed,
        notices={"reminder": notices} if notices else {},
    )


def test_the_score_is_the_on_schedule_share_less_deductions_never_below_zero() -> None:
    assert score_of(fig("a", "1", assigned=10, overdue=1)) == 90
    assert score_of(fig("a", "1", assigned=3, overdue=1, missed=1)) == 64.7
    assert score_of(fig("a", "1", assigned=4, overdue=4, notices=2)) == 0


def test_equal_scores_share_a_rank_and_keep_the_directory_order() -> None:
    rows = rank(
        [
            fig("丙", "0003", overdue=1),
            fig("乙", "0002"),
            fig("甲", "0001", overdue=1),
            fig("丁", "0004", overdue=3),
            fig("戊", "0005"),
        ]
    )
    assert [(f.unit, f.rank, f.score) for f in rows] == [
        ("乙", 1, 100),
        ("戊", 1, 100),
        ("甲", 3, 90),
        ("丙", 3, 90),
        ("丁", 5, 70),
    ]


def test_laggards_are_every_unit_with_overdue_work_and_the_bottom_n_that_lost_points() -> None:
    rows = rank(
        [
            fig("甲", "0001"),
            fig("乙", "0002", missed=1),
            fig("丙", "0003", missed=2),
            fig("丁", "0004", overdue=1),
            fig("戊", "0005", notices=1),
        ]
    )
    assert [f.unit for f in laggards(rows, 2)] == ["戊", "丁"]  # 95, 90: the last two
    assert [f.unit for f in laggards(rows, 3)] == ["丙", "戊", "丁"]
    # Nobody at full score is named, however large N is.
    assert "甲" not in [f.unit for f in laggards(rows, 10)]
    assert bottom_ids(rank([fig("甲", "1"), fig("乙", "2")]), 3) == []


# --- the circular workflow -------------------------------------------------------------------


def test_generating_drafts_the_month_and_names_the_laggards(users: Any) -> None:
    circular, created = services.circular_generate(actor=users["city_office"], year=2022, month=10)
    assert created and circular.status == DocStatus.DRAFT and circular.number == ""
    assert circular.title == "关于2022年10月份生态环境保护督察整改工作情况的通报"
    assert circular.issuer.name == "市生态环境保护督察整改工作领导小组办公室" and circular.region == root()
    problems = compose.problems_paragraph(circular)
    assert problems.startswith("（三）存在的问题。") and problems.endswith("现予以点名通报。")
    assert "市能源局（6项）" in problems and "朔城区政府（10项）" in problems
    assert "市委办公室" not in problems  # nothing overdue, full score
    # The last three of those that lost points are named with their scores (ties: directory order).
    assert "右玉县党委（83.3分）、右玉县政府（83.3分）、市能源局（64.7分）综合得分排名靠后" in problems
    text = "\n".join(compose.circular_paragraphs(circular))
    assert "截至2022年10月8日" in text and "逾期未完成10项" in text and "评分办法" in text


def test_generating_again_refreshes_the_figures_and_keeps_the_offices_words(users: Any) -> None:
    office = users["city_office"]
    circular, _ = services.circular_generate(actor=office, year=2022, month=10)
    services.circular_update(
        actor=office, circular=circular, version=circular.version, title="标题", intro="我们的导语", closing="要求"
    )
    Measure.objects.filter(assignments__unit__name="市能源局").update(status=ItemStatus.COMPLETED)
    again, created = services.circular_generate(actor=office, year=2022, month=10)
    assert not created and again.pk == circular.pk
    assert (again.title, again.intro, again.closing) == ("标题", "我们的导语", "要求")
    energy = by_name(compose.figures_units(again))["市能源局"]
    assert energy.overdue == 0 and energy.completed == 17


def test_a_county_office_compiles_for_its_county(users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["county_office"], year=2022, month=10)
    assert circular.issuer.name == "朔城区整改办" and circular.region.name == "朔城区"
    assert all(f.path.startswith(circular.region.path) for f in compose.figures_units(circular))
    assert compose.recipients(circular.region) == ["各乡镇、各有关单位"]


@pytest.mark.parametrize("role", ["county_clerk", "dept_clerk", "leader", "acceptance"])
def test_only_coordinators_compile(users: Any, role: str) -> None:
    with pytest.raises(Forbidden):
        services.circular_generate(actor=users[role], year=2022, month=9)
    with pytest.raises(Forbidden):
        services.briefing_draft(actor=users[role], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8))


def test_a_month_not_begun_is_refused(users: Any) -> None:
    with pytest.raises(DomainError, match="尚未开始"):
        services.circular_generate(actor=users["city_office"], year=2022, month=11)


def test_issuing_numbers_gaplessly_in_the_tong_series_shared_with_circular_notices(users: Any) -> None:
    office = users["city_office"]
    september, _ = services.circular_generate(actor=office, year=2022, month=9)
    services.circular_issue(actor=office, circular=september, version=september.version)
    assert september.number == "朔整改办通〔2022〕1号" and september.status == DocStatus.ISSUED
    # A 通报 notice takes the next number of the same series; a 提醒函 has its own (函).
    measure = measures_of("市能源局").first()
    reminder = notices.notice_draft(
        actor=office, data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=unit("市能源局"), measures=[measure])
    )
    notices.notice_issue(actor=office, notice=reminder)
    tongbao = notices.notice_draft(
        actor=office, data=notices.NoticeInput(kind=NoticeKind.CIRCULAR, unit=unit("市能源局"), measures=[measure])
    )
    notices.notice_issue(actor=office, notice=tongbao, skip_reason="多次提醒仍未整改")
    assert reminder.number == "朔整改办函〔2022〕1号"
    assert tongbao.number == "朔整改办通〔2022〕2号"
    october, _ = services.circular_generate(actor=office, year=2022, month=10)
    services.circular_issue(actor=office, circular=october)
    assert october.number == "朔整改办通〔2022〕3号" and october.serial == 3
    # Another office has its own series.
    county, _ = services.circular_generate(actor=users["county_office"], year=2022, month=10)
    services.circular_issue(actor=users["county_office"], circular=county)
    assert county.number == "朔城整改办通〔2022〕1号"


def test_a_failed_issue_gives_its_number_back(users: Any) -> None:
    office = users["city_office"]
    circular, _ = services.circular_generate(actor=office, year=2022, month=9)
    stale = circular.version
    services.circular_refresh(actor=office, circular=circular)
    with pytest.raises(ConcurrentChange, match="已被他人修改"):
        services.circular_issue(actor=office, circular=circular, version=stale)
    circular.refresh_from_db()
    assert circular.status == DocStatus.DRAFT and circular.number == ""
    services.circular_issue(actor=office, circular=circular, version=circular.version)
    assert circular.number == "朔整改办通〔2022〕1号"


def test_an_issued_circular_is_frozen(users: Any) -> None:
    office = users["city_office"]
    circular, _ = services.circular_generate(actor=office, year=2022, month=9)
    services.circular_issue(actor=office, circular=circular)
    frozen_figures = circular.figures
    with pytest.raises(ConcurrentChange, match="已被他人处理"):
        services.circular_issue(actor=office, circular=circular)
    with pytest.raises(DomainError, match="不能再修改"):
        services.circular_update(
            actor=office, circular=circular, version=circular.version, title="x", intro="", closing=""
        )
    with pytest.raises(ConcurrentChange):
        services.circular_refresh(actor=office, circular=circular)
    with pytest.raises(DomainError, match="已印发"):
        services.circular_generate(actor=office, year=2022, month=9)
    Measure.objects.update(status=ItemStatus.COMPLETED)
    circular.refresh_from_db()
    assert circular.figures == frozen_figures


def test_one_circular_per_office_and_month_unless_cancelled(users: Any) -> None:
    office = users["city_office"]
    first, _ = services.circular_generate(actor=office, year=2022, month=9)
    services.circular_cancel(actor=office, circular=first)
    second, created = services.circular_generate(actor=office, year=2022, month=9)
    assert created and second.pk != first.pk
    assert Circular.objects.filter(year=2022, month=9).exclude(status=DocStatus.CANCELLED).count() == 1


def test_a_concurrent_edit_of_a_draft_is_refused_in_chinese(users: Any) -> None:
    office = users["city_office"]
    circular, _ = services.circular_generate(actor=office, year=2022, month=9)
    seen = circular.version
    services.circular_update(actor=office, circular=circular, version=seen, title="甲的标题", intro="甲", closing="")
    with pytest.raises(ConcurrentChange, match="该草稿已被他人修改，请刷新页面后重新编辑"):
        services.circular_update(
            actor=office, circular=circular, version=seen, title="乙的标题", intro="乙", closing=""
        )
    circular.refresh_from_db()
    assert circular.title == "甲的标题"


def test_only_the_issuing_office_edits_or_issues(users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=9)
    with pytest.raises(Forbidden):
        services.circular_issue(actor=users["county_office"], circular=circular)
    with pytest.raises(Forbidden):
        services.circular_update(
            actor=users["leader"], circular=circular, version=circular.version, title="x", intro="", closing=""
        )


def test_issuing_tells_the_named_units_clerks(users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=10)
    services.circular_issue(actor=users["city_office"], circular=circular)
    note = Notification.objects.get(recipient=users["county_clerk"], kind="supervision")
    assert "月通报" in note.subject and circular.number in note.subject and "朔城区政府" in note.body
    assert Notification.objects.filter(recipient=users["dept_clerk"], subject__contains="月通报").exists()  # 4项逾期
    assert not Notification.objects.filter(recipient=users["leader"], subject__contains="月通报").exists()


def test_the_document_carries_the_ranking_table(users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=10)
    doc = compose.circular_document(circular)
    assert doc.number == "" and doc.kind_label == "月通报"
    table = doc.tables[0]
    assert table.headers[0] == "排名" and table.headers[-1] == "得分"
    assert len(table.rows) == len(compose.figures_units(circular))
    assert table.rows[-1][1] == "市能源局" and table.rows[-1][-1] == "64.7"


def test_the_workflow_tables_match_the_document() -> None:
    code = {(a, b) for a, targets in DOC_TRANSITIONS.items() for b in targets}
    assert documented("Circular and Briefing") == code
    assert set(DOC_TRANSITIONS) == set(DocStatus.values)


# --- 工作简报 ----------------------------------------------------------------------------------


def a_visit(users: Any, traveller: Any) -> SiteVisit:
    from rectify.supervision.visits import VisitInput, visit_record

    traveller.move_to(dt.datetime(2022, 10, 5, 2, tzinfo=dt.UTC))
    visit = visit_record(
        actor=users["city_office"],
        data=VisitInput(
            visited_on=dt.date(2022, 10, 5),
            region=unit("朔城区"),
            title="朔城区区长深入现场督导清洁取暖整改工作",
            leaders="朔城区区长张某带领区住建、环保等部门负责人",
            places="西兴街社区、薛家店村",
            findings="要求加快推进煤改气工程。\n**一要强化责任落实**，确保按期完成。",
            cases="交办件D2022-001 群众反映燃煤散烧",
        ),
    )
    traveller.move_to(FROZEN)
    return visit


def test_a_briefing_draft_has_the_visit_under_county_news_and_the_notice_in_the_lead(users: Any, frozen: Any) -> None:
    visit = a_visit(users, frozen)
    frozen.move_to(dt.datetime(2022, 10, 6, 2, tzinfo=dt.UTC))
    notice = notices.notice_draft(
        actor=users["city_office"],
        data=notices.NoticeInput(
            kind=NoticeKind.REMINDER, unit=unit("市能源局"), measures=list(measures_of("市能源局")[:1])
        ),
    )
    notices.notice_issue(actor=users["city_office"], notice=notice)
    frozen.move_to(FROZEN)
    deadlines_scan()
    b = services.briefing_draft(
        actor=users["city_office"], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8)
    )
    assert b.status == DocStatus.DRAFT and b.issue_no is None and b.year is None
    lead, county = b.sections
    assert lead["heading"] == "" and county["heading"] == "县区动态"
    text = "".join(lead["items"][0]["paragraphs"])
    assert f"10月6日向市能源局印发提醒函（{notice.number}）" in text
    assert "新增红色预警措施" in text and "开展现场督办1次" in text
    [item] = county["items"]
    assert item["title"] == visit.title
    assert item["paragraphs"][0] == (
        "10月5日，朔城区区长张某带领区住建、环保等部门负责人在西兴街社区、薛家店村现场督办督察整改工作。"
    )
    assert "督办交办案件：交办件D2022-001 群众反映燃煤散烧。" in item["paragraphs"]
    assert "**一要强化责任落实**，确保按期完成。" in item["paragraphs"]
    document = compose.briefing_document(b)
    assert document.draft and document.issue_no == 1 and document.series_title == "朔州市生态环境保护督察整改"


def test_a_visit_outside_the_period_or_region_is_left_out(users: Any, frozen: Any) -> None:
    a_visit(users, frozen)
    later = services.briefing_draft(
        actor=users["city_office"], period_start=dt.date(2022, 10, 6), period_end=dt.date(2022, 10, 8)
    )
    assert later.sections[1]["items"] == []
    other_county = services.briefing_draft(
        actor=users["county_office"], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8)
    )
    assert len(other_county.sections[1]["items"]) == 1  # 朔城区's own office sees its visit
    assert other_county.region.name == "朔城区"


def test_briefing_issue_numbers_count_per_office_and_year(users: Any) -> None:
    office = users["city_office"]

    def issued(actor: Any) -> Briefing:
        b = services.briefing_draft(actor=actor, period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 7))
        return services.briefing_issue(actor=actor, briefing=b, version=b.version)

    assert [issued(office).issue_no, issued(office).issue_no] == [1, 2]
    county = issued(users["county_office"])
    assert (county.year, county.issue_no) == (2022, 1)
    assert compose.briefing_filename(county, "pdf") == "工作简报2022年第1期.pdf"


def test_a_briefing_edit_is_cleaned_versioned_and_checked_before_issue(users: Any) -> None:
    office = users["city_office"]
    b = services.briefing_draft(actor=office, period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 7))
    seen = b.version
    sections = [
        {"heading": "", "items": [{"title": " 头条 ", "paragraphs": ["第一段\n第二段", "  "]}]},
        {"heading": "县区动态", "items": [{"title": "", "paragraphs": []}, {"title": "没有正文", "paragraphs": []}]},
    ]
    services.briefing_update(actor=office, briefing=b, version=seen, sections=sections, editor="李某某")
    assert b.sections[0]["items"] == [{"title": "头条", "paragraphs": ["第一段", "第二段"]}]
    assert b.sections[1]["items"] == [{"title": "没有正文", "paragraphs": []}]
    with pytest.raises(ConcurrentChange, match="已被他人修改"):
        services.briefing_update(actor=office, briefing=b, version=seen, sections=[])
    with pytest.raises(DomainError, match="标题和正文"):
        services.briefing_issue(actor=office, briefing=b)
    with pytest.raises(DomainError, match="格式"):
        services.briefing_update(actor=office, briefing=b, version=b.version, sections="不是列表")
    with pytest.raises(Forbidden):
        services.briefing_update(actor=users["county_office"], briefing=b, version=b.version, sections=[])


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2022, 10, 8), dt.date(2022, 10, 1), "起始日期"),
        (dt.date(2022, 10, 1), dt.date(2022, 10, 9), "晚于今天"),
        (dt.date(2022, 1, 1), dt.date(2022, 10, 8), "不超过"),
    ],
)
def test_a_briefing_period_must_make_sense(users: Any, start: dt.date, end: dt.date, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        services.briefing_draft(actor=users["city_office"], period_start=start, period_end=end)
