"""The 一案一档 download and the 交账 page: permission matrices (every role × own / other /
missing), the Chinese file name, making a package from the page and downloading it, and the
schedule form's messages."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from rectify.closeout.models import HandoverPackage, HandoverSchedule
from rectify.documents.handover import handover_make
from rectify.plans.models import Problem
from tests.domain.test_dossier import at, build_history
from tests.web.test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS

pytestmark = pytest.mark.django_db

# 问题（十八）: led by 市生态环境局 alone (dept_clerk's unit). 问题（十四）: 市工信局 and 朔城区.
SEES_18 = {"city_office", "acceptance", "leader", "dept_clerk"}
SEES_14 = {"city_office", "acceptance", "leader", "county_office", "county_clerk"}
HANDOVER_VIEWERS = {"city_office", "leader"}


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def dossier_url(problem_id: int) -> str:
    return reverse("documents:dossier_problem", args=[problem_id])


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_dossier_download_own_other_missing(client_for: Any, role: str) -> None:
    client = client_for(role)
    for number, seers in [("十八", SEES_18), ("十四", SEES_14)]:
        problem = Problem.objects.get(number=number)
        expected = 200 if role in seers else 403 if role in NO_BUSINESS else 404
        assert client.get(dossier_url(problem.pk)).status_code == expected, number
    assert client.get(dossier_url(MISSING)).status_code == (403 if role in NO_BUSINESS else 404)


def test_the_dossier_asks_an_anonymous_visitor_to_log_in(client_for: Any) -> None:
    response = client_for(None).get(dossier_url(Problem.objects.get(number="十八").pk))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_dossier_downloads_as_a_zip_with_its_chinese_name(client_for: Any, users: Any) -> None:
    history = build_history(users)
    response = client_for("dept_clerk").get(dossier_url(history.problem.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="problem-')
    assert f"filename*=UTF-8''{quote('问题（十八）一案一档.zip', safe='')}" in disposition
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert any(n.endswith("/现场.png") for n in archive.namelist())
    assert "13_销号申请_2022-10-14_市生态环境局/验收报告.png" in archive.namelist()


# --- 交账 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_handover_page_is_for_the_city_office_and_leaders(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("documents:handover"))
    assert response.status_code == (200 if role in HANDOVER_VIEWERS else 403)
    if role in HANDOVER_VIEWERS:
        page = response.content.decode()
        assert "每月 10、25 日自动生成交账包" in page
        assert ("立即生成本期交账包" in page) == (role == "city_office")
        assert ('data-testid="schedule-form"' in page) == (role == "city_office")


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_makes_a_package_or_sets_the_schedule(client_for: Any, role: str) -> None:
    client = client_for(role)
    with at(dt.date(2022, 10, 26)):
        made = client.post(reverse("documents:handover_make"))
    changed = client.post(reverse("documents:handover_schedule"), {"days": "5, 20", "recipient": "省整改办"})
    if role == "city_office":
        assert made.status_code == changed.status_code == 302
        assert HandoverPackage.objects.count() == 1
        assert HandoverSchedule.objects.get(pk=1).days == [5, 20]
    else:
        assert made.status_code == changed.status_code == 403
        assert not HandoverPackage.objects.exists()
        assert not HandoverSchedule.objects.filter(days=[5, 20]).exists()


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_package_download_own_missing(client_for: Any, users: Any, role: str) -> None:
    with at(dt.date(2022, 10, 25)):
        package = handover_make(actor="交账程序", period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25))
    client = client_for(role)
    response = client.get(reverse("documents:handover_download", args=[package.pk]))
    assert response.status_code == (200 if role in HANDOVER_VIEWERS else 403)
    missing = client.get(reverse("documents:handover_download", args=[MISSING]))
    assert missing.status_code == (404 if role in HANDOVER_VIEWERS else 403)
    if role in HANDOVER_VIEWERS:
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert zipfile.ZipFile(io.BytesIO(content)).namelist() == ["交账汇总表.xlsx"]
        assert quote("交账包_2022-10-11至2022-10-25.zip") in response["Content-Disposition"]


def test_the_page_makes_this_periods_package_and_lists_it(client_for: Any) -> None:
    office = client_for("city_office")
    with at(dt.date(2022, 10, 26)):
        response = office.post(reverse("documents:handover_make"), follow=True)
        page = response.content.decode()
        assert "已生成" in page and "至 2022-10-26 的交账包" in page
        again = office.post(reverse("documents:handover_make"), follow=True).content.decode()
        assert "截至 2022-10-26 的交账包已生成，无需重复生成。" in again
        # The form no longer offers an inverted period (2022-10-27 至 2022-10-26).
        made = again.split('data-testid="make-form"')[1].split("</form>")[0]
        assert "本期交账包已生成（截至 2022-10-26）" in made and " disabled" in made
        assert "2022-10-27 至" not in made
    with at(dt.date(2022, 10, 28)):
        later = office.get(reverse("documents:handover")).content.decode()
        assert "期间：2022-10-27 至 2022-10-28" in later.split('data-testid="make-form"')[1].split("</form>")[0]
    package = HandoverPackage.objects.get()
    assert 'data-testid="package-row"' in again and reverse("documents:handover_download", args=[package.pk]) in again
    assert "市整改办 王明" in again.split('id="handover-table"')[1]


def test_a_package_whose_file_is_gone_is_gone(client_for: Any) -> None:
    package = handover_make(actor="交账程序", period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25))
    default_storage.delete(package.storage_name)
    assert client_for("leader").get(reverse("documents:handover_download", args=[package.pk])).status_code == 410


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("", "请至少设置一个交账日。"),
        ("10, 31", "交账日应为每月 1 日至 28 日之间的日期（每个月都有），31 不在此范围内。"),
        ("十号", "交账日应填写 1 至 28 之间的整数，用逗号分隔（无法识别：十号）。"),
    ],
)
def test_the_schedule_form_explains_what_is_wrong(client_for: Any, days: str, message: str) -> None:
    response = client_for("city_office").post(
        reverse("documents:handover_schedule"), {"days": days, "recipient": "省整改办"}, follow=True
    )
    assert message in response.content.decode()
    assert HandoverSchedule.objects.get(pk=1).days == [10, 25]
