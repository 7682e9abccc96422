"""工作简报 like a real one (issue 15, item 9): numbering continued from the office's last paper
issue (第28期 → 第29期), 报/送/发 lines, photos from 现场督办 records in the PDF and the .docx, the
narrative draft, the editor's HTML sanitized, and 县区动态 稿件 from county offices picked and
ordered by the city office (with a permission matrix)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from PIL import Image

from rectify.core.models import Counter
from rectify.documents import briefing_county, briefing_series, services
from rectify.documents.models import Briefing, CountyItem, CountyItemStatus, DocStatus
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem, ProblemLeader
from rectify.supervision.models import SiteVisit
from rectify.supervision.visits import VisitInput, visit_record

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
START, END = dt.date(2022, 10, 1), dt.date(2022, 10, 8)
LINES = {
    "report_to": "省督察整改办，市委、市政府领导",
    "copy_to": "市协调联络领导小组各成员单位",
    "send_to": "各县（市、区）整改办",
}


@pytest.fixture(autouse=True)
def frozen(tmp_path: Path, settings: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def jpeg(color: str = "green", size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def city_visit(users: Any, **changes: Any) -> SiteVisit:
    """A visit led from the city, with a photo, a 交办件 from the register and a dated task."""
    from rectify.complaints.models import ComplaintBatch, ComplaintCase

    batch, _ = ComplaintBatch.objects.get_or_create(batch_no=915)
    case, _ = ComplaintCase.objects.get_or_create(
        code="D140000181112-0915",
        defaults={
            "batch": batch,
            "region": unit("朔城区"),
            "lead_unit": unit("朔城区政府"),
            "content": "朔城区民福街御景园小区煤改气工程进展缓慢，居民冬季仍燃煤取暖。",
        },
    )
    data = {
        "visited_on": dt.date(2022, 10, 5),
        "region": unit("朔城区"),
        "title": "市委常委、副市长周平在朔城区现场督办清洁取暖整改工作",
        "leaders": "市委常委、常务副市长周平，市整改办主任",
        "places": "朔城区西兴街社区、薛家店村",
        "findings": "部分农户煤改气后仍有散煤堆放。要求加快推进清洁取暖改造。",
        "cases": f"{case.code}",
        "tasks": [(unit("朔城区政府"), "12月20日前完成西兴街社区散煤清理，建立长效机制。", dt.date(2022, 12, 20))],
        "files": [("现场照片.jpg", jpeg())],
    }
    visit = visit_record(actor=users["city_office"], data=VisitInput(**(data | changes)))
    # The visited problem's 包联 leader gives the name and title the narrative uses.
    problem = Problem.objects.order_by("index").first()
    leader = User.objects.get(username="leader")  # 市领导 周平
    ProblemLeader.objects.get_or_create(problem=problem, user=leader, defaults={"title": "市委常委、常务副市长"})
    visit.problems.add(problem)
    return visit


def edit_form(b: Briefing, **extra: Any) -> dict[str, Any]:
    """The edit form as the page posts it: every item kept with its HTML, photos and source."""
    form: dict[str, Any] = {
        "version": b.version,
        "series_title": b.series_title,
        "date": b.date.isoformat(),
        "editor": "李某某",
        "sections": str(len(b.sections)),
        **LINES,
    }
    for i, section in enumerate(b.sections):
        form[f"s{i}-heading"] = section["heading"]
        form[f"s{i}-items"] = str(len(section["items"]))
        for j, item in enumerate(section["items"]):
            form[f"s{i}-{j}-title"] = item["title"]
            form[f"s{i}-{j}-html"] = item.get("html", "")
            form[f"s{i}-{j}-photo"] = [f"{r['source']}-{r['id']}" for r in item.get("photos", [])]
            if source := item.get("source"):
                form[f"s{i}-{j}-source"] = f"{source['kind']}-{source['id']}"
    return form | extra


def pdf_pages(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def pdf_images(content: bytes) -> int:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return sum(len(page.images) for page in pdf.pages)


# --- 第28期 → 第29期, 报/送, a photo ----------------------------------------------------------


def test_a_briefing_continuing_from_28_is_29_with_its_lines_and_photo(client_for: Any, users: Any) -> None:
    client = client_for("city_office")
    response = client.post(reverse("documents:briefing_series"), {"year": "2022", "last_no": "28"}, follow=True)
    assert "下一期印发时为第29期" in response.content.decode()
    visit = city_visit(users)
    client.post(reverse("documents:briefing_new"), {"period_start": "2022-10-01", "period_end": "2022-10-08"})
    b = Briefing.objects.get()
    page = client.get(reverse("documents:briefing", args=[b.pk])).content.decode()
    assert "拟第 29 期" in page
    [lead] = b.sections[0]["items"]
    assert lead["photos"] == [{"source": "visit", "id": visit.photos.get().pk}]
    assert client.post(reverse("documents:briefing", args=[b.pk]), edit_form(b)).status_code == 302
    b.refresh_from_db()
    assert (b.report_to, b.copy_to, b.send_to) == tuple(LINES.values())
    client.post(reverse("documents:briefing_issue", args=[b.pk]), {"version": b.version})
    b.refresh_from_db()
    assert (b.status, b.year, b.issue_no) == (DocStatus.ISSUED, 2022, 29)

    pdf = client.get(reverse("documents:briefing_pdf", args=[b.pk])).content
    pages = pdf_pages(pdf)
    text = re.sub(r"\s+", "", "".join(pages))
    assert "第29期" in text
    for word, line in zip("报送发", LINES.values(), strict=True):
        assert re.sub(r"\s+", "", f"{word}：{line}") in text
    assert pdf_images(pdf) == 1
    assert "◆" not in pages[0].strip().splitlines()[-2]  # the line above the page number

    docx = client.get(reverse("documents:briefing_docx", args=[b.pk])).content
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        xml = z.read("word/document.xml").decode()
    assert len(media) == 1 and "<pic:pic" in xml
    assert "第 29 期" in xml and f"报：{LINES['report_to']}" in xml and f"发：{LINES['send_to']}" in xml
    # The next draft offers the same lines; the next issue is 第30期.
    nxt = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    assert (nxt.report_to, nxt.copy_to, nxt.send_to) == tuple(LINES.values())
    assert services.briefing_issue(actor=users["city_office"], briefing=nxt).issue_no == 30


def test_the_last_number_cannot_go_below_an_issued_one(client_for: Any, users: Any) -> None:
    office = users["city_office"]
    briefing_series.briefing_series_set(actor=office, year=2022, last_no=5)
    b = services.briefing_draft(actor=office, period_start=START, period_end=END)
    assert services.briefing_issue(actor=office, briefing=b).issue_no == 6
    response = client_for("city_office").post(
        reverse("documents:briefing_series"), {"year": "2022", "last_no": "3"}, follow=True
    )
    assert "已印发2022年第6期" in response.content.decode()
    issuer = b.issuer
    assert Counter.objects.get(scope=f"{issuer.pk}:briefing", year=2022).value == 6
    bad = client_for("city_office").post(reverse("documents:briefing_series"), {"year": "2022", "last_no": "x"})
    assert bad.status_code == 302 and Counter.objects.get(scope=f"{issuer.pk}:briefing", year=2022).value == 6


@pytest.mark.parametrize(("role", "status"), [("county_clerk", 403), ("leader", 403), ("outsider", 403)])
def test_only_an_office_sets_its_numbering(client_for: Any, role: str, status: int) -> None:
    response = client_for(role).post(reverse("documents:briefing_series"), {"year": "2022", "last_no": "28"})
    assert response.status_code == status and not Counter.objects.filter(scope__endswith=":briefing").exists()


# --- narrative draft ---------------------------------------------------------------------------


def test_the_draft_is_narrative_with_the_leader_the_complaint_and_bold_demands(users: Any) -> None:
    from rectify.complaints.models import ComplaintCase

    visit = city_visit(users)
    case = ComplaintCase.objects.get(code=visit.cases.strip())
    b = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    assert [s["heading"] for s in b.sections] == ["", "县区动态", "工作进展"]
    [lead] = b.sections[0]["items"]
    first, *rest = lead["paragraphs"]
    assert first.startswith("10月5日，市委常委、常务副市长周平带领市整改办主任深入朔城区西兴街社区、薛家店村，现场督办")
    assert "（三十）" not in first and "；" not in first
    quoted = f"针对群众反映的“{case.content.strip().rstrip('。')}”这一问题，周平要求"
    assert any(p.startswith(quoted) for p in rest)
    demands = next(p for p in rest if p.startswith("周平要求，"))
    assert "**一要朔城区政府12月20日前完成西兴街社区散煤清理**，建立长效机制。" in demands
    assert demands.count("12月20日") == 1  # the deadline said once
    assert "<strong>一要朔城区政府12月20日前完成西兴街社区散煤清理</strong>" in lead["html"]
    # No statistics at the top: they close the briefing.
    assert "报送工作进展" not in "".join(lead["paragraphs"])
    assert "开展现场督办1次" in "".join(b.sections[2]["items"][0]["paragraphs"])


# --- the editor's HTML -------------------------------------------------------------------------


def test_the_editors_html_is_sanitized_and_bold_lists_print(client_for: Any, users: Any) -> None:
    client = client_for("city_office")
    b = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    hostile = (
        '<p onclick="steal()" style="color:red" class="x">要求，<strong>一要压实责任</strong>。</p>'
        "<script>alert(1)</script><style>p{}</style>"
        '<ol><li data-list="ordered">排查</li><li data-list="bullet"><a href="javascript:x">整改</a></li></ol>'
        '<img src="https://evil.example/x.png"><img src="/etc/passwd"><iframe src="x"></iframe>'
    )
    form = edit_form(b, **{"s0-0-html": hostile})
    assert client.post(reverse("documents:briefing", args=[b.pk]), form).status_code == 302
    b.refresh_from_db()
    item = b.sections[0]["items"][0]
    assert item["html"] == (
        "<p>要求，<strong>一要压实责任</strong>。</p>"
        '<ol><li data-list="ordered">排查</li><li data-list="bullet">整改</li></ol>'
    )
    assert item["paragraphs"] == ["要求，**一要压实责任**。", "1．排查", "● 整改"]
    page = client.get(reverse("documents:briefing", args=[b.pk])).content.decode()
    assert "alert(1)" not in page and "steal()" not in page and "evil.example" not in page
    assert "data-rich" in page and "vendor/quill/quill.js" in page


def test_an_old_briefing_with_paragraphs_still_renders(client_for: Any, users: Any) -> None:
    b = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    old = [{"heading": "", "items": [{"title": "旧稿", "paragraphs": ["张某要求，**一要强化责任落实**。"]}]}]
    Briefing.objects.filter(pk=b.pk).update(sections=old)
    client = client_for("city_office")
    page = client.get(reverse("documents:briefing", args=[b.pk])).content.decode()
    assert "<strong>一要强化责任落实</strong>" in page
    text = re.sub(r"\s+", "", "".join(pdf_pages(client.get(reverse("documents:briefing_pdf", args=[b.pk])).content)))
    assert "张某要求，一要强化责任落实。" in text and "**" not in text


def test_a_photo_from_elsewhere_or_another_region_is_not_kept(client_for: Any, users: Any) -> None:
    visit = city_visit(users)
    other = city_visit(users, region=unit("怀仁市"), title="怀仁市现场督办", cases="", tasks=[])
    county_b = services.briefing_draft(actor=users["county_office"], period_start=START, period_end=END)
    mine, theirs = visit.photos.get(), other.photos.get()
    form = edit_form(county_b)
    form["s0-0-photo"] = [f"visit-{mine.pk}", f"visit-{theirs.pk}", "../../etc/passwd", "visit-99999"]
    client = client_for("county_office")
    assert client.post(reverse("documents:briefing", args=[county_b.pk]), form).status_code == 302
    county_b.refresh_from_db()
    assert county_b.sections[0]["items"][0]["photos"] == [{"source": "visit", "id": mine.pk}]
    ok = client.get(reverse("documents:briefing_photo", args=[county_b.pk, f"visit-{mine.pk}"]))
    assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
    assert client.get(reverse("documents:briefing_photo", args=[county_b.pk, f"visit-{theirs.pk}"])).status_code == 404
    assert client_for("county_clerk").get(ok.request["PATH_INFO"]).status_code == 404  # a draft: not theirs


# --- 县区动态 稿件 -----------------------------------------------------------------------------


def submit(client: Any, title: str, photo: bool = True) -> Any:
    data: dict[str, Any] = {
        "title": title,
        "body": "<p>10月6日，朔城区区长张某带队督导。<strong>一要压实责任</strong>。</p>",
    }
    if photo:
        data["photos"] = io.BytesIO(jpeg("blue"))
        data["photos"].name = "照片.jpg"
    return client.post(reverse("documents:county_items"), data)


@pytest.mark.parametrize(
    ("role", "status"),
    [("county_office", 302), ("city_office", 403), ("county_clerk", 403), ("dept_clerk", 403), ("leader", 403),
     ("acceptance", 403), ("sysadmin", 403), ("outsider", 403)],
)  # fmt: skip
def test_only_a_county_office_submits_items(client_for: Any, role: str, status: int) -> None:
    assert submit(client_for(role), "稿件").status_code == status
    assert CountyItem.objects.count() == (1 if status == 302 else 0)


def test_the_city_picks_orders_and_declines_county_items(client_for: Any, users: Any) -> None:
    county, city = client_for("county_office"), client_for("city_office")
    for title in ("甲稿", "乙稿", "丙稿"):
        assert submit(county, title).status_code == 302
    a, b_, c = CountyItem.objects.order_by("id")
    assert a.photos.count() == 1 and a.status == CountyItemStatus.SUBMITTED
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    page = city.get(reverse("documents:briefing", args=[draft.pk])).content.decode()
    assert page.count('data-testid="offered-item"') == 3
    # Pick 乙 before 甲 (order numbers), leave 丙 to decline.
    pick = {"version": draft.version, "item": [str(a.pk), str(b_.pk)], f"order-{a.pk}": "2", f"order-{b_.pk}": "1"}
    assert city.post(reverse("documents:briefing_county_pick", args=[draft.pk]), pick).status_code == 302
    draft.refresh_from_db()
    county_items = draft.sections[1]["items"]
    assert [i["title"] for i in county_items] == ["乙稿", "甲稿"]
    assert county_items[0]["photos"] == [{"source": "county", "id": b_.photos.get().pk}]
    assert "**一要压实责任**" in county_items[0]["paragraphs"][0]
    decline = reverse("documents:briefing_county_decline", args=[draft.pk, c.pk])
    assert city.post(decline, {"note": "内容与上期重复"}).status_code == 302
    states = {i.title: i.status for i in CountyItem.objects.all()}
    assert states == {"甲稿": "adopted", "乙稿": "adopted", "丙稿": "declined"}
    mine = county.get(reverse("documents:county_items")).content.decode()
    assert mine.count("已采用") >= 2 and "未采用" in mine and "内容与上期重复" in mine
    # The city reorders in the editor (甲 first) and removes 乙: 乙 goes back to 待采用.
    form = edit_form(draft, **{"s1-0-delete": "1", "s1-1-order": "1"})
    assert city.post(reverse("documents:briefing", args=[draft.pk]), form).status_code == 302
    draft.refresh_from_db()
    assert [i["title"] for i in draft.sections[1]["items"]] == ["甲稿"]
    b_.refresh_from_db()
    assert (b_.status, b_.briefing_id) == (CountyItemStatus.SUBMITTED, None)
    # The picked photo prints; issuing keeps 甲 adopted.
    pdf = city.get(reverse("documents:briefing_pdf", args=[draft.pk])).content
    assert pdf_images(pdf) == 1
    from rectify.audit.models import AuditEvent

    actions = set(AuditEvent.objects.filter(object_type__contains="countyitem").values_list("action", flat=True))
    assert {"county_item.submitted", "county_item.adopted", "county_item.declined", "county_item.released"} <= actions


@pytest.mark.parametrize(
    ("role", "pick", "photo"),
    [("city_office", 302, 200), ("county_office", 404, 200), ("county_clerk", 404, 404), ("leader", 403, 404),
     ("dept_clerk", 404, 404), ("outsider", 403, 404)],
)  # fmt: skip
def test_picking_and_item_photos_by_role(client_for: Any, users: Any, role: str, pick: int, photo: int) -> None:
    submit(client_for("county_office"), "稿件")
    item = CountyItem.objects.get()
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    response = client_for(role).post(
        reverse("documents:briefing_county_pick", args=[draft.pk]), {"version": draft.version, "item": [item.pk]}
    )
    # The leader reads the city's draft but may not edit it: refused, nothing is picked.
    assert response.status_code == pick
    item.refresh_from_db()
    assert item.status == (CountyItemStatus.ADOPTED if role == "city_office" else CountyItemStatus.SUBMITTED)
    url = reverse("documents:county_item_photo", args=[item.pk, item.photos.get().pk])
    assert client_for(role).get(url).status_code == photo


def test_a_county_cannot_pick_into_its_own_briefing_and_the_race_is_clear(users: Any) -> None:
    county_b = services.briefing_draft(actor=users["county_office"], period_start=START, period_end=END)
    assert not briefing_county.can_pick(users["county_office"], county_b)
    office = users["county_office"]
    item = briefing_county.county_item_submit(actor=office, title="稿件", body="第一段\n第二段")
    assert item.body == "<p>第一段</p><p>第二段</p>"
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    other = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    briefing_county.county_items_pick(
        actor=users["city_office"], briefing=draft, version=draft.version, item_ids=[item.pk]
    )
    from rectify.core.errors import DomainError

    with pytest.raises(DomainError):
        briefing_county.county_items_pick(
            actor=users["city_office"], briefing=other, version=other.version, item_ids=[item.pk]
        )
