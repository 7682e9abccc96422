# ruff: noqa: E501 - the reference template is the old template, line for line
"""The warning board's rows are printed by `supervision.templatetags.board.board_rows` since issue
16; before, by a template loop. That loop is kept here as the reference: the board's rows, with
every branch (an extension, no due date, 序时进度 or none, red and other reasons, no reason, markup
in names and texts), must print byte for byte what it printed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.template import Context, Template

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.supervision.services import deadlines_scan
from rectify.supervision.templatetags.board import board_rows

pytestmark = pytest.mark.django_db

FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)

REFERENCE = Template(
    "{% load ledger %}"
    '{% for share, a in rows %}{% with m=share.measure %}<tr data-share="{{ share.pk }}" data-unit="{{ share.unit.name }}">\n'
    "  <td>{% warning_badge share.warning_level %}</td>\n"
    '  <td data-label="责任单位"><a href="{% url \'plans:unit\' share.unit_id %}">{{ share.unit.name }}</a><div class="small text-muted">{{ share.get_role_display }} · {{ share.get_status_display }}</div></td>\n'
    '  <td data-label="问题"><a href="{% url \'plans:problem\' m.problem_id %}#measure-{{ m.pk }}">（{{ m.problem.number }}）</a><div class="small text-muted">{{ m.label }}</div></td>\n'
    '  <td class="measure-text"><div class="clamp-3">{{ m.text }}</div></td>\n'
    '  <td class="small" data-label="本单位时限">{{ m.deadline_raw }}{% if share.due_on %}<div class="text-muted">{{ share.due_on|date:"Y-m-d" }}{% if share.due_extended %}（已延期）{% endif %}</div>{% endif %}</td>\n'
    '  <td class="small" data-label="本单位进度 / 序时">{{ share.progress|percent }}{% if a.expected is not None %}<div class="text-muted">序时 {{ a.expected|percent }}</div>{% endif %}</td>\n'
    '  <td class="small" data-label="预警原因">{% if a.reasons %}<ul class="mb-0 ps-3">{% for r in a.reasons %}<li class="{% if r.level == \'red\' %}text-danger{% endif %}">{{ r.message }}</li>{% endfor %}</ul>{% else %}{{ a.summary }}{% endif %}</td>\n'
    '</tr>{% endwith %}{% empty %}<tr><td colspan="7" class="text-center text-muted py-4">没有符合条件的预警</td></tr>{% endfor %}'
)


@pytest.mark.parametrize("username", ["city_office", "county_clerk"])
@pytest.mark.parametrize("query", ["warning=", "warning=red", "overdue=1&warning="])
def test_the_board_rows_print_what_the_template_loop_printed(
    client_for: Any, users: Any, username: str, query: str
) -> None:
    client = client_for(username)
    with time_machine.travel(FROZEN, tick=False):
        deadlines_scan()
        shown = [share for share, _ in client.get(f"/warnings/?{query}").context["rows"]]
        assert len(shown) >= 2
        first, second = shown[0], shown[1]
        OrgUnit.objects.filter(pk=first.unit_id).update(name='单位<i>&"')
        Measure.objects.filter(pk=first.measure_id).update(text="措施<script>&'", deadline_raw="<年底>", number="")
        Assignment.objects.filter(pk=first.pk).update(due_extended=True, progress=12.5)
        Assignment.objects.filter(pk=second.pk).update(due_on=None, progress=None)
        response = client.get(f"/warnings/?{query}")
    assert response.status_code == 200
    rows = response.context["rows"]
    expected = REFERENCE.render(Context({"rows": rows}))
    assert board_rows(rows) == expected
    assert expected in response.content.decode()
    if username == "city_office" and query == "warning=":
        html = board_rows(rows)
        assert "单位&lt;i&gt;&amp;&quot;" in html and "措施&lt;script&gt;&amp;&#x27;" in html and "（已延期）" in html
        assert "&lt;年底&gt;" in html and "序时 " in html and 'class="text-danger"' in html


def test_an_empty_board_prints_the_nothing_matches_row() -> None:
    assert board_rows([]) == REFERENCE.render(Context({"rows": []}))
