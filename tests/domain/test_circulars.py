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
from rectify.documents.figures import month_figures, share_states
from rectify.documents.models import DOC_TRANSITIONS, Briefing, Circular, DocStatus
from rectify.documents.scoring import UnitFigures
from rectify.notifications.models import Notification
from rectify.orgs.models import Membership, OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure, ShareStatus
from rectify.progress.models import ProgressReport, ReportStatus
from rectify.supervision import notices
from rectify.supervision.models import NoticeKind, SiteVisit, Warning
from rectify.supervision.services import deadlines_scan

from .test_circular_figures import deadlines
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


def test_september_is_cut_at_its_last_day_where_due_that_day_is_not_yet_overdue() -> None:
    figures = month_figures(2022, 9, region=root())
    cut = dt.date(2022, 9, 30)
    assert figures.as_of == cut
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    assert figures.totals.overdue == shares.filter(due_on__lt=cut).count() > 0
    assert shares.filter(due_on=cut).exists()  # due on the cutoff day: not overdue yet
    energy = by_name(figures.units)["市能源局"]
    assert energy.overdue == shares.filter(unit__name="市能源局", due_on__lt=cut).count()
    assert energy.shares == shares.filter(unit__name="市能源局").count()


def test_a_tasks_completion_is_dated_by_its_first_report_at_100_percent() -> None:
    energy = list(Assignment.objects.filter(unit__name="市能源局", due_on=dt.date(2022, 9, 30)).order_by("pk")[:4])
    early, unreported, late, reported_only = energy
    Assignment.objects.filter(pk__in=[early.pk, unreported.pk, late.pk]).update(status=ShareStatus.COMPLETED)
    report_100(early.measure, "市能源局", dt.datetime(2022, 9, 20, 9, tzinfo=SHANGHAI))
    report_100(late.measure, "市能源局", dt.datetime(2022, 10, 3, 9, tzinfo=SHANGHAI))
    # 100 % reported, the status still 整改中: done from the day of that report.
    report_100(reported_only.measure, "市能源局", dt.datetime(2022, 10, 4, 9, tzinfo=SHANGHAI))
    ids = Assignment.objects.filter(pk__in=[a.pk for a in energy])
    october = {s.share_id: s for s in share_states(ids, dt.date(2022, 10, 8))}
    september = {s.share_id: s for s in share_states(ids, dt.date(2022, 9, 30))}
    # early: done before its due date → on time; unreported: done by the cutoff, which is after
    # its due date → done, not on time; late: done after its due date → done, late.
    assert (october[early.pk].done, october[early.pk].on_time) == (True, True)
    assert (october[unreported.pk].done, october[unreported.pk].on_time) == (True, False)
    assert (october[late.pk].done, october[late.pk].on_time, october[late.pk].overdue) == (True, False, False)
    assert october[reported_only.pk].done and not october[reported_only.pk].overdue
    # At September 30 the late one and the reported one were not done yet (their reports came in October).
    assert not september[late.pk].done and not september[reported_only.pk].done
    assert september[early.pk].on_time and september[unreported.pk].on_time  # due that very day
    assert not september[late.pk].overdue  # due on the cutoff day is not overdue yet


def test_a_county_offices_figures_cover_its_county_only() -> None:
    county = unit("朔城区")
    rows = month_figures(2022, 10, region=county).units
    assert rows and all(f.path.startswith(county.path) for f in rows)
    assert "朔城区政府" in by_name(rows) and "市能源局" not in by_name(rows)


# --- the circular workflow -------------------------------------------------------------------


def test_generating_drafts_the_month_and_names_the_laggards(users: Any) -> None:
    circular, created = services.circular_generate(actor=users["city_office"], year=2022, month=10)
    assert created and circular.status == DocStatus.DRAFT and circular.number == ""
    assert circular.title == "关于2022年10月份生态环境保护督察整改工作情况的通报"
    assert circular.issuer.name == "市生态环境保护督察整改工作领导小组办公室" and circular.region == root()
    problems = compose.problems_paragraph(circular)
    figures = month_figures(2022, 10, region=root())
    named = [f for f in figures.units if f.unit_id in set(figures.named)]
    assert [f.unit_id for f in compose.figures_laggards(circular)] == [f.unit_id for f in named]
    assert problems.startswith("（三）存在的问题。按照评分办法") and problems.endswith("。")
    assert f"现对以下{len(named)}个单位予以点名通报" in problems
    assert all(f.unit in problems for f in named)
    text = "\n".join(compose.circular_paragraphs(circular))
    overdue = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, due_on__lt=dt.date(2022, 10, 8))
    assert "截至2022年10月8日" in text and f"逾期未完成{overdue.count()}项" in text and "评分办法" in text


def test_generating_again_refreshes_the_figures_and_keeps_the_offices_words(users: Any) -> None:
    office = users["city_office"]
    circular, _ = services.circular_generate(actor=office, year=2022, month=10)
    services.circular_update(
        actor=office, circular=circular, version=circular.version, title="标题", intro="我们的导语", closing="要求"
    )
    Assignment.objects.filter(unit__name="市能源局", measure__isnull=False).update(status=ShareStatus.COMPLETED)
    again, created = services.circular_generate(actor=office, year=2022, month=10)
    assert not created and again.pk == circular.pk
    assert (again.title, again.intro, again.closing) == ("标题", "我们的导语", "要求")
    energy = by_name(compose.figures_units(again))["市能源局"]
    assert energy.overdue == 0 and energy.completed == energy.shares > 0


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
    Assignment.objects.filter(measure__isnull=False).update(status=ShareStatus.COMPLETED)
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
    named = {f.unit_id: f for f in compose.figures_laggards(circular)}
    assert named
    for role in ["county_clerk", "dept_clerk"]:
        unit_id = Membership.objects.get(user=users[role]).unit_id
        notes = Notification.objects.filter(recipient=users[role], subject__contains="月通报")
        assert notes.exists() == (unit_id in named), role
        for note in notes:
            f = named[unit_id]
            assert circular.number in note.subject and f"{f.unit}（得分{f.score_text}分，排名第{f.rank}位" in note.body
    assert not Notification.objects.filter(recipient=users["leader"], subject__contains="月通报").exists()


def test_the_document_carries_the_ranking_table(users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=10)
    doc = compose.circular_document(circular)
    assert doc.number == "" and doc.kind_label == "月通报"
    units, counties = compose.figures_units(circular), compose.figures_counties(circular)
    table, whole = doc.tables
    assert table.headers[0] == "排名" and table.headers[-1] == "得分"
    assert [r[1] for r in table.rows] == [f.unit for f in units]
    assert [r[-1] for r in table.rows] == [f.score_text for f in units]
    assert [r[2] for r in table.rows] == [str(f.shares) for f in units]
    assert [r[1] for r in whole.rows] == [f.unit for f in counties] and len(counties) > 1
    assert whole.caption.startswith("附表2：") and [r[-1] for r in whole.rows] == [f.score_text for f in counties]


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
    assert "期间新增预警的责任单位任务" in text and "开展现场督办1次" in text
    [item] = county["items"]
    assert item["title"] == visit.title
    # Narrative (issue 15): who led it, where, about what; the complaint quoted; demands in bold.
    assert item["paragraphs"][0] == (
        "10月5日，朔城区区长张某带领区住建、环保等部门负责人深入西兴街社区、薛家店村，"
        "现场督办群众举报交办案件办理工作。"
    )
    assert any(p.startswith("针对群众反映的“燃煤散烧”这一问题，朔城区区长张某要求") for p in item["paragraphs"])
    assert "朔城区区长张某要求，加快推进煤改气工程。**一要强化责任落实**，确保按期完成。" in item["paragraphs"]
    assert "<strong>一要强化责任落实</strong>" in item["html"] and item["source"] == {"kind": "visit", "id": visit.pk}
    document = compose.briefing_document(b)
    assert document.draft and document.issue_no == 1 and document.series_title == "朔州市生态环境保护督察整改"


def lead_text(users: Any, start: dt.date, end: dt.date) -> str:
    b = services.briefing_draft(actor=users["city_office"], period_start=start, period_end=end)
    return "".join(b.sections[0]["items"][0]["paragraphs"])


def test_every_number_in_the_lead_article_counts_tasks_and_matches_independent_queries(users: Any, frozen: Any) -> None:
    start, end = dt.date(2022, 10, 1), dt.date(2022, 10, 8)
    energy = list(Assignment.objects.filter(unit__name="市能源局", due_on=dt.date(2022, 9, 30)).order_by("pk")[:2])
    report_100(energy[0].measure, "市能源局", dt.datetime(2022, 10, 5, 9, tzinfo=SHANGHAI))
    report_100(energy[1].measure, "市能源局", dt.datetime(2022, 9, 29, 9, tzinfo=SHANGHAI))  # before the period
    county = Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False).first()
    assert county is not None
    report_100(county.measure, "朔城区政府", dt.datetime(2022, 10, 6, 9, tzinfo=SHANGHAI))
    deadlines_scan()
    text = lead_text(users, start, end)
    window = (
        dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI),
        dt.datetime.combine(end, dt.time.max, tzinfo=SHANGHAI),
    )
    filed = ProgressReport.objects.filter(first_submitted_at__range=window)
    units = filed.values("unit_id").distinct().count()
    assert f"10月1日至10月8日，朔州市{units}个责任单位报送工作进展{filed.count()}份。" in text
    finished = filed.filter(percent=100, status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
    measures = finished.values("measure_id").distinct().count()
    assert (
        f"期间新完成责任单位任务{finished.values('assignment_id').distinct().count()}项，涉及整改措施{measures}项"
        in text
    )
    raised = Warning.objects.filter(raised_on__range=(start, end), level__in=["red", "yellow"])
    red = raised.filter(level="red").values("assignment_id").distinct().count()
    warned = raised.values("assignment_id").distinct().count()
    assert f"期间新增预警的责任单位任务{warned}项，其中红色预警{red}项、黄色预警{warned - red}项。" in text
    now = dt.datetime.now(tz=SHANGHAI)
    owing = Assignment.objects.filter(
        measure__isnull=False, unit__isnull=False, status__in=["not_started", "in_progress", "relapsed", "ongoing"]
    )
    periods = deadlines(start, now)
    owed = owing.count() * len(periods)
    on_time = sum(
        ProgressReport.objects.filter(
            assignment__in=owing, kind=kind, period_start=p_start, first_submitted_at__lte=due
        ).count()
        for kind, p_start, _, due in periods
    )
    assert f"期间{owing.values('unit_id').distinct().count()}个单位应报送工作进展{owed}份，按时报送{on_time}份" in text
    assert "均" not in text


def test_the_lead_article_says_all_on_time_only_when_every_owed_report_came_on_time(users: Any) -> None:
    start, end = dt.date(2022, 10, 1), dt.date(2022, 10, 6)
    owing = Assignment.objects.filter(
        measure__isnull=False, unit__isnull=False, status__in=["not_started", "in_progress", "relapsed", "ongoing"]
    )
    now = dt.datetime.now(tz=SHANGHAI)
    [(kind, p_start, p_end, due)] = deadlines(start, min(now, dt.datetime.combine(end, dt.time.max, tzinfo=SHANGHAI)))
    ProgressReport.objects.bulk_create(
        ProgressReport(
            assignment=a,
            unit_id=a.unit_id,
            measure_id=a.measure_id,
            kind=kind,
            period_start=p_start,
            period_end=p_end,
            progress_text="按计划推进",
            percent=30,
            status=ReportStatus.SUBMITTED,
            submitted_at=due - dt.timedelta(hours=1),
            first_submitted_at=due - dt.timedelta(hours=1),
        )
        for a in owing
    )
    units = owing.values("unit_id").distinct().count()
    assert f"期间应报送工作进展的{units}个单位均按时报送，共{owing.count()}份。" in lead_text(users, start, end)
    ProgressReport.objects.filter(pk=ProgressReport.objects.first().pk).update(first_submitted_at=due)
    ProgressReport.objects.filter(pk=ProgressReport.objects.last().pk).update(
        first_submitted_at=due + dt.timedelta(seconds=1)
    )
    assert "均按时报送" not in lead_text(users, start, end)
    # Before the first deadline of the period nothing was owed: no claim at all.
    assert "报送工作进展" not in lead_text(users, dt.date(2022, 10, 1), dt.date(2022, 10, 2)).split("。", 1)[1]


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
