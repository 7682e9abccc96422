"""The audit log and the timelines read as Chinese sentences: every action code written anywhere
in the source has words, and on a generated history no page shows a code, a Python repr or a raw
field name; the audit log's filters are chosen from lists and agree with their own queries."""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from rectify.audit.describe import action_words, describe_events, type_words
from rectify.audit.models import AuditEvent
from rectify.audit.words import SENTENCES
from rectify.core import clock
from rectify.plans.models import Problem
from rectify.progress.models import ProgressReport

from .history_played import played_history

ROOT = Path(__file__).resolve().parents[2] / "rectify"
AUDIT_CALLS = {"record", "chain_append"}


# --- every action code in the source has words --------------------------------------------------


def _strings(node: ast.AST, names: dict[str, ast.AST], where: str) -> set[str]:
    """The strings an `action=` expression can take: constants, both arms of `a if c else b`,
    names assigned in the same module, f-strings over those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, names, where) | _strings(node.orelse, names, where)
    if isinstance(node, ast.Name) and node.id in names:
        return _strings(names[node.id], names, where)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            parts.append(sorted(_strings(inner, names, where)))
        return {"".join(p) for p in itertools.product(*parts)}
    raise AssertionError(f"{where}: cannot tell which action codes `{ast.unparse(node)}` writes")


def _assignments(tree: ast.AST) -> dict[str, ast.AST]:
    """name → value of every simple assignment in a module (a conditional one: both arms)."""
    out: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            out[name] = (
                ast.IfExp(test=ast.Constant(True), body=out[name], orelse=node.value) if name in out else node.value
            )
    return out


def emitted_actions() -> dict[str, str]:
    """Every action code the source writes to the audit trail → where."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent)
        if rel.parts[:2] == ("rectify", "audit"):
            continue  # the audit app passes its callers' codes on
        tree = ast.parse(path.read_text())
        names = _assignments(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for kw in node.keywords:
                if func in AUDIT_CALLS and kw.arg == "action":
                    for code in _strings(kw.value, names, f"{rel}:{node.lineno}"):
                        found.setdefault(code, f"{rel}:{node.lineno}")
    found.setdefault("export.downloaded", "rectify/audit/services.py")
    return found


def test_the_source_scan_finds_the_codes_it_should() -> None:
    codes = emitted_actions()
    assert len(codes) > 100
    # Constants, conditionals, a module constant and an f-string are all read.
    for code in ["report.submitted", "report.resubmitted", "closeout.site_check", "demo.history_loaded"]:
        assert code in codes, code
    assert {"circular.published", "briefing.unpublished"} <= set(codes)


def test_every_action_code_written_anywhere_has_a_sentence_and_a_name() -> None:
    missing = {code: where for code, where in emitted_actions().items() if code not in SENTENCES}
    assert not missing, f"action codes without a sentence in rectify/audit/words.py: {missing}"
    unnamed = [code for code in emitted_actions() if action_words(code) in ("其他操作", code)]
    assert not unnamed, f"action codes without a name in ACTION_LABELS: {unnamed}"


@pytest.mark.django_db
def test_every_sentence_reads_as_words_for_any_item() -> None:
    events = [
        AuditEvent(
            seq=i,
            action=code,
            actor_label="市整改办 王明",
            object_type="plans.problem",
            object_id="1",
            object_repr="（一）思想认识还需要进一步提高",
            at=clock.now(),
        )
        for i, code in enumerate(SENTENCES, 1)
    ]
    for line in describe_events(events):
        said = strip_tags(line.sentence)
        assert "{" not in said and line.event.action not in said and "plans.problem" not in said, said
    unknown = describe_events(
        [AuditEvent(seq=1, action="new.thing", object_type="x.y", object_id="3", object_repr="某事项", at=clock.now())]
    )[0]
    assert strip_tags(unknown.sentence) == "对其他对象 某事项进行了操作"


@pytest.mark.django_db
def test_values_read_as_words_not_python() -> None:
    event = AuditEvent(
        seq=1,
        action="report.edited",
        actor_label="x",
        object_type="progress.progressreport",
        object_id="1",
        before={"status": "returned", "percent": 60, "progress_text": "旧" * 100, "milestones_reached": []},
        after={"status": "submitted", "percent": 65, "progress_text": "新" * 100, "milestones_reached": [1, 2]},
        at=clock.now(),
    )
    changes = {c.label: c for c in describe_events([event])[0].changes}
    assert changes["状态"].before.full == "已退回" and changes["状态"].after.full == "已提交"
    assert changes["完成进度（%）"].after.full == "65%"
    text = changes["工作进展"]
    assert text.after.cut and text.after.full == "新" * 100 and len(text.after.short) <= 60
    assert changes["已完成节点"].after.full == "1、2"


# --- a generated history, read as the auditor and the city office ---------------------------------


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[str]:
    with played_history(django_db_blocker, tmp_path_factory.mktemp("media")) as out:
        yield out


def client_of(username: str) -> Client:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def visible(html: str) -> str:
    """What a reader sees: the text, without <select> option values or attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return strip_tags(html)


def assert_no_codes(text: str) -> None:
    codes = set(AuditEvent.objects.values_list("action", flat=True)) | set(
        AuditEvent.objects.values_list("object_type", flat=True)
    )
    shown = [c for c in codes if c and c in text]
    assert not shown, f"codes on the page: {shown}"
    assert not re.search(r"[a-z_]+\.[a-z_]+#\d+", text)
    assert "{'" not in text and "['" not in text and "{&#x27;" not in text and "[&#x27;" not in text
    keys: set[str] = set()
    for before, after in AuditEvent.objects.values_list("before", "after"):
        for value in (before, after):
            if isinstance(value, dict):
                keys |= set(value)
    raw = [k for k in keys if re.search(rf"(?<![A-Za-z_.]){re.escape(k)}(?![A-Za-z_.])", text)]
    assert not raw, f"raw field names on the page: {raw}"


@pytest.mark.django_db
def test_the_audit_log_shows_no_code_names(history: str) -> None:
    auditor = client_of("auditor")
    page = auditor.get(reverse("audit:log"))
    assert page.status_code == 200
    text = visible(page.content.decode())
    assert_no_codes(text)
    assert "提交了进展报告" in text or "采纳了进展报告" in text
    for object_type in set(AuditEvent.objects.values_list("object_type", flat=True)):
        text = visible(auditor.get(reverse("audit:log"), {"type": object_type}).content.decode())
        assert_no_codes(text)
        assert "没有符合条件的记录" not in text, object_type


@pytest.mark.django_db
def test_every_kind_of_item_and_recorded_value_in_the_history_has_a_chinese_name(history: str) -> None:
    for object_type in set(AuditEvent.objects.values_list("object_type", flat=True)):
        assert re.search(r"[\u4e00-\u9fff]", type_words(object_type)) and type_words(object_type) != "其他对象", (
            object_type
        )
    labels = [c.label for line in describe_events(AuditEvent.objects.all()) for c in line.changes]
    assert "其他信息" not in labels and "其他" not in labels


@pytest.mark.django_db
def test_a_problem_and_a_report_timeline_read_as_sentences(history: str) -> None:
    office = client_of("city_office")
    report = ProgressReport.objects.filter(status="accepted").order_by("id").first()
    returned = AuditEvent.objects.filter(action="report.returned").first()
    assert report is not None
    problem = Problem.objects.get(pk=report.measure.problem_id)
    for url in [
        reverse("plans:problem", args=[problem.pk]),
        reverse("plans:problem_history", args=[problem.pk]),
        reverse("progress:report", args=[report.pk]),
    ] + ([reverse("progress:report", args=[int(returned.object_id)])] if returned else []):
        response = office.get(url)
        assert response.status_code == 200, url
        text = visible(response.content.decode())
        assert_no_codes(text)
    text = visible(office.get(reverse("progress:report", args=[report.pk])).content.decode())
    assert "提交了本进展报告" in text and "采纳了本进展报告" in text
    page = office.get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert reverse("progress:report", args=[report.pk]) in page, "the timeline links the report"


@pytest.mark.django_db
def test_the_filters_are_lists_and_agree_with_their_queries(history: str) -> None:
    auditor = client_of("auditor")
    page = auditor.get(reverse("audit:log")).content.decode()
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    person = AuditEvent.objects.exclude(actor=None).values_list("actor_label", flat=True).first()
    assert person in options and "report.returned" in options and "progress.progressreport" in options
    assert options["report.returned"] == "退回进展报告" and options["progress.progressreport"] == "进展报告"
    assert "如 plans" not in page and "动作前缀" not in page

    def shown(**params: str) -> int:
        text = auditor.get(reverse("audit:log"), params).content.decode()
        return int(re.search(r'data-testid="audit-count">共 (\d+) 条', text).group(1))  # type: ignore[union-attr]

    assert shown(actor=person) == AuditEvent.objects.filter(actor_label=person).count()
    assert shown(action="report.returned") == AuditEvent.objects.filter(action="report.returned").count()
    assert shown(action="report.") == AuditEvent.objects.filter(action__startswith="report.").count()
    assert shown(type="plans.problem") == AuditEvent.objects.filter(object_type="plans.problem").count()
    day = (
        AuditEvent.objects.filter(action="report.submitted").order_by("at").first().at.astimezone(clock.SHANGHAI).date()
    )  # type: ignore[union-attr]
    since = dt.datetime.combine(day, dt.time.min, tzinfo=clock.SHANGHAI)
    expected = AuditEvent.objects.filter(at__gte=since, at__lt=since + dt.timedelta(days=1)).count()
    assert shown(since=day.isoformat(), until=day.isoformat()) == expected
    problem = Problem.objects.order_by("index").first()
    assert problem is not None
    assert (
        shown(item=f"plans.problem:{problem.pk}")
        == AuditEvent.objects.filter(object_type="plans.problem", object_id=str(problem.pk)).count()
    )
    assert shown(q=str(problem.pk), type="plans.problem") >= 1


@pytest.mark.django_db
def test_a_bad_date_is_named_and_the_other_filters_still_apply(history: str) -> None:
    response = client_of("auditor").get(reverse("audit:log"), {"since": "2022-13-45", "action": "report.returned"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "不是有效日期" in text
    assert f"共 {AuditEvent.objects.filter(action='report.returned').count()} 条" in text
