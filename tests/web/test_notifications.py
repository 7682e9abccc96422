"""Notifications that are short and put action first: a warning digest is a few counts by level
and unit whose links show exactly the rows counted; 待办 come first on the page and in the bell."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rectify.notifications.categories import category_of
from rectify.notifications.digest import TOP_ROWS
from rectify.notifications.models import Notification
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Measure, WarningLevel
from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules
from rectify.supervision.digests import warning_digest
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db
BODY_LIMIT = 600  # characters: a digest's plain body (it may be emailed) stays this short


def at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI), tick=False)


def rows_behind(client: Client, url: str) -> int:
    """How many rows the list behind a digest link shows (the board's paginator count)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def shares_with(level: str, unit: int | None = None) -> int:
    """An independent count: shares (measure × unit) at `level`, optionally of one unit."""
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, warning_level=level)
    return qs.filter(unit_id=unit).count() if unit else qs.count()


@pytest.fixture
def flood(users: Any) -> list[tuple[Assignment, rules.Reason]]:
    """85 measures × 20 units, every share warned (alternately red and yellow), nothing else warned."""
    Assignment.objects.update(warning_level="")
    measures = list(Measure.objects.select_related("problem").order_by("pk")[:85])
    own = list(OrgUnit.objects.filter(pk__in=viewer_scope(users["county_clerk"]).unit_ids).exclude(kind="region"))
    others = OrgUnit.objects.filter(is_active=True).exclude(kind="region").exclude(pk__in=[u.pk for u in own])
    units = own + list(others.order_by("path")[: 20 - len(own)])
    assert len(measures) >= 80 and len(units) == 20
    existing = set(Assignment.objects.filter(measure__in=measures).values_list("measure_id", "unit_id"))
    Assignment.objects.bulk_create(
        Assignment(problem=m.problem, measure=m, unit=u, phrase=u.name, role="lead")
        for m in measures
        for u in units
        if (m.pk, u.pk) not in existing
    )
    shares = list(
        Assignment.objects.filter(measure__in=measures, unit__in=units)
        .select_related("unit", "measure__problem")
        .order_by("pk")
    )
    items = []
    for n, share in enumerate(shares):
        level = WarningLevel.RED if n % 3 else WarningLevel.YELLOW
        share.warning_level = level
        items.append((share, rules.Reason(rules.Level(level), "overdue", f"overdue:{n}", "已超过整改时限")))
    Assignment.objects.bulk_update(shares, ["warning_level"], batch_size=500)
    return items


def test_a_digest_of_1700_warnings_is_counts_by_level_and_unit_equal_to_the_database(
    users: Any, flood: list[tuple[Assignment, rules.Reason]]
) -> None:
    message = warning_digest(flood, to_coordinator=True, viewer=users["city_office"])
    data = message.data
    totals = {f["label"]: f["count"] for f in data["totals"]}
    assert totals == {"红色预警": shares_with("red"), "黄色预警": shares_with("yellow")}
    reds = sum(1 for _, r in flood if r.level == rules.Level.RED)
    assert message.subject == f"【预警汇总】新增红色预警 {reds} 项、黄色预警 {len(flood) - reds} 项"
    # Top rows only, worst first, then "等 20 个单位".
    assert len(data["rows"]) == TOP_ROWS and data["more"]["text"] == "等 20 个单位"
    names = dict(OrgUnit.objects.values_list("name", "pk"))
    for row in data["rows"]:
        red, yellow = (c["count"] for c in row["cells"])
        assert (red, yellow) == (shares_with("red", names[row["label"]]), shares_with("yellow", names[row["label"]]))
    reds_in_order = [row["cells"][0]["count"] for row in data["rows"]]
    assert reds_in_order == sorted(reds_in_order, reverse=True)
    # Short: no item is listed, the body stays under the bound whatever the flood.
    assert len(message.body) <= BODY_LIMIT and message.body.count("\n") <= 5
    assert "等 20 个单位" in message.body and "已超过整改时限" not in message.body


def test_every_link_in_a_digest_shows_exactly_the_rows_it_counts(
    users: Any, client_for: Any, flood: list[tuple[Assignment, rules.Reason]]
) -> None:
    message = warning_digest(flood, to_coordinator=True, viewer=users["city_office"])
    client = client_for("city_office")
    figures = [*message.data["totals"], *(c for row in message.data["rows"] for c in row["cells"])]
    assert all(f["url"] for f in figures if f["count"])
    for f in figures:
        if f["count"]:
            assert rows_behind(client, f["url"]) == f["count"], f
    everything = shares_with("red") + shares_with("yellow")
    assert rows_behind(client, message.data["more"]["url"]) == everything


def test_a_clerks_digest_counts_only_the_clerks_own_units(
    users: Any, client_for: Any, flood: list[tuple[Assignment, rules.Reason]]
) -> None:
    clerk = users["county_clerk"]
    message = warning_digest(flood, to_coordinator=False, viewer=clerk)
    client = client_for("county_clerk")
    for f in message.data["totals"]:
        board = client.get(f["url"])
        assert board.status_code == 200
        assert board.context["page"].paginator.count == f["count"]
    # Only the clerk's own units, each with its own count.
    scope = viewer_scope(clerk).unit_ids
    names = dict(OrgUnit.objects.filter(pk__in=scope).values_list("name", "pk"))
    assert message.data["rows"] and {row["label"] for row in message.data["rows"]} <= set(names)
    for row in message.data["rows"]:
        assert row["cells"][0]["count"] == shares_with("red", names[row["label"]])
    assert message.data["totals"][0]["count"] == sum(shares_with("red", pk) for pk in scope)
    assert message.url == reverse("progress:todo")


def test_the_scans_digest_counts_the_board_and_its_links_follow(users: Any, client_for: Any) -> None:
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
        digest = Notification.objects.get(recipient=users["city_office"], kind="warning")
        assert digest.category == "info" and len(digest.body) <= BODY_LIMIT
        totals = {f["label"]: f for f in digest.data["totals"]}
        assert totals["红色预警"]["count"] == shares_with("red")
        assert totals["黄色预警"]["count"] == shares_with("yellow")
        client = client_for("city_office")
        for f in [*digest.data["totals"], *(c for row in digest.data["rows"] for c in row["cells"])]:
            if f["count"]:
                query = parse_qs(urlsplit(f["url"]).query)
                assert set(query) <= {"unit", "warning"}
                assert rows_behind(client, f["url"]) == f["count"]
        Notification.objects.filter(recipient=users["city_office"]).exclude(pk=digest.pk).delete()
        page = client.get(reverse("notifications:list")).content.decode()
        assert 'data-testid="digest"' in page and totals["红色预警"]["url"].replace("&", "&amp;") in page


# --- 待办 first --------------------------------------------------------------------------------


def _send(user: Any, key: str, subject: str, category: str = "") -> Notification:
    notify(recipients=[user], message=Message("report", subject, "正文", "/progress/", key, category=category))
    return Notification.objects.get(recipient=user, dedupe_key=key)


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("report:12:returned:v3", "action"),
        ("report:12:accepted:v3", "info"),
        ("notice:3:issued:v2", "action"),
        ("notice:3:replied:v5", "action"),
        ("notice:3:returned:v6", "action"),
        ("closeout:4:submitted-1:v2", "action"),
        ("closeout:4:consent-17:v2", "action"),
        ("closeout:4:return-1:v3", "action"),
        ("closeout:4:accepted:v4", "info"),
        ("closeout:4:closed:v5", "info"),
        ("visit:2:task:9", "action"),
        ("case:7:assigned:9", "action"),
        ("case:7:red:2022-09-01", "info"),
        ("warning:5:overdue:2022-09-30", "info"),
        ("warning-digest:abc", "info"),
        ("missed:3:weekly:2022-08-29", "info"),
        ("extension:2:decided", "info"),
        ("accounts.password_reset:9", "info"),
    ],
)
def test_a_notification_is_action_when_the_reader_must_do_something(key: str, category: str) -> None:
    assert category_of(key) == category


def test_the_page_lists_unread_action_first_then_the_rest(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    Notification.objects.filter(recipient=clerk).delete()
    old_action = _send(clerk, "report:1:returned:v1", "进展报告被退回：甲")
    info = _send(clerk, "report:2:accepted:v1", "进展报告已采纳：乙")
    read_action = _send(clerk, "report:3:returned:v1", "进展报告被退回：丙")
    newest_info = _send(clerk, "warning:9:overdue:x", "【红色预警】丁")
    Notification.objects.filter(pk=old_action.pk).update(created_at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC))
    Notification.objects.filter(pk=read_action.pk).update(read_at=dt.datetime(2022, 1, 2, tzinfo=dt.UTC))
    client = client_for("county_clerk")
    page = client.get(reverse("notifications:list"))
    order = [n.pk for n in page.context["page"]]
    assert order[0] == old_action.pk  # the unread 待办, though oldest
    assert set(order[1:]) == {info.pk, read_action.pk, newest_info.pk} and order[1] == newest_info.pk
    html = page.content.decode()
    assert html.index('data-testid="group-action"') < html.index('data-testid="group-other"')
    action_only = client.get(reverse("notifications:list") + "?show=action").context["page"]
    assert {n.pk for n in action_only} == {old_action.pk, read_action.pk}
    unread_only = client.get(reverse("notifications:list") + "?show=unread").context["page"]
    assert {n.pk for n in unread_only} == {old_action.pk, info.pk, newest_info.pk}
    # Marking the 知悉 read leaves the 待办 unread.
    client.post(reverse("notifications:read_all"), {"category": "info"})
    assert set(Notification.objects.filter(recipient=clerk, read_at__isnull=True).values_list("pk", flat=True)) == {
        old_action.pk
    }
    client.post(reverse("notifications:read_all"), {})
    assert not Notification.objects.filter(recipient=clerk, read_at__isnull=True).exists()


def test_the_bell_counts_unread_action_and_the_rest_apart(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    _send(clerk, "report:91:returned:v1", "进展报告被退回：甲")
    _send(clerk, "report:92:accepted:v1", "进展报告已采纳：乙")
    _send(clerk, "notice:93:issued:v1", "【提醒函】丙", category="")
    mine = Notification.objects.filter(recipient=clerk, read_at__isnull=True)
    action = mine.filter(dedupe_key__regex=r"^(report:\d+:returned|notice:\d+:issued)").count()
    other = mine.count() - action
    response = client_for("county_clerk").get(reverse("plans:ledger"))
    assert response.context["unread_notifications"] == action
    assert response.context["unread_other"] == other
    assert response.context["bell_label"] == f"我的通知：{action} 条待办未读，另有 {other} 条其他未读"
    Notification.objects.filter(recipient=clerk, category="action").update(
        read_at=dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    )
    again = client_for("county_clerk").get(reverse("plans:ledger"))
    assert again.context["unread_notifications"] == 0 and again.context["bell_label"] == (
        f"我的通知：无待办，{other} 条其他未读"
    )


def test_an_old_long_digest_is_clamped_and_the_page_is_paged(users: Any, client_for: Any) -> None:
    office = users["city_office"]
    notify(
        recipients=[office],
        message=Message(
            "warning",
            "【预警汇总】新增红色预警 48 项",
            "\n".join(f"{i}. 很长的一行" * 5 for i in range(200)),
            "/warnings/",
            "old-digest",
        ),
    )
    for i in range(45):
        _send(office, f"report:{1000 + i}:accepted:v1", f"进展报告已采纳：{i}")
    client = client_for("city_office")
    response = client.get(reverse("notifications:list"))
    html = response.content.decode()
    assert 'class="note-body" data-clamp' in html and "data-clamp-toggle" in html
    assert len(response.context["page"]) == 20 and response.context["page"].paginator.num_pages >= 3
    assert re.search(r"notifications/notifications\.css", html)


@pytest.mark.parametrize(("action", "other"), [(0, 0), (2, 0), (0, 5), (3, 120)])
def test_the_bell_shows_the_action_count_and_a_muted_count_of_the_rest(action: int, other: int) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from rectify.notifications.context_processors import bell

    class Reader:
        is_authenticated = True
        pk = -1

    request = RequestFactory().get("/")
    request.user = Reader()  # type: ignore[assignment]
    with pytest.MonkeyPatch.context() as mp:
        from rectify.notifications import context_processors, selectors

        mp.setattr(context_processors, "unread_counts", lambda viewer: selectors.Unread(action, other))
        context = bell(request)
    html = render_to_string("notifications/_bell.html", context)
    label = re.search(r'aria-label="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    assert ("bell-action" in html) == bool(action) and ("bell-other" in html) == bool(other)
    if action:
        assert re.search(rf'data-testid="bell-action"[^>]*>{action}<', html) and f"{action} 条待办未读" in label
    if other:
        shown = "99+" if other > 99 else str(other)
        assert f">{shown}</span>" in html and f"{other} 条其他未读" in label
    if not action and not other:
        assert label == "我的通知：没有未读通知"


def test_the_missed_report_summary_counts_what_the_missing_page_lists(users: Any, client_for: Any) -> None:
    Assignment.objects.update(created_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC))
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
        summaries = Notification.objects.filter(recipient=users["city_office"], kind="missing_report")
        assert summaries.exists()
        client = client_for("city_office")
        for summary in summaries[:3]:
            assert len(summary.body) <= BODY_LIMIT and summary.category == "info"
            units, measures = summary.data["totals"]
            page = client.get(units["url"])
            assert page.status_code == 200
            rows = page.context["rows"]
            assert units["count"] == len(rows) == page.context["totals"]["missed"]
            assert measures["count"] == sum(r.missing for _, r in rows)
            assert summary.subject.endswith(f"{units['count']} 个单位未按时报送")
