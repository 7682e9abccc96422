"""The banner of a demo or training instance (RECTIFY_TODAY): on every page, the public ones and
the login page included, with the instance's date and weekday; absent on a real instance."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from rectify.core.context_processors import instance_banner_text

pytestmark = pytest.mark.django_db
BANNER = "演示/培训实例：系统日期为 2022年9月5日（星期一）"


def test_the_banner_text_says_the_date_and_its_weekday(settings: Any) -> None:
    settings.RECTIFY_TODAY = "2022-09-05"
    assert instance_banner_text() == BANNER
    settings.RECTIFY_TODAY = "2022-08-28"
    assert instance_banner_text() == "演示/培训实例：系统日期为 2022年8月28日（星期日）"


def test_a_real_instance_has_no_banner(settings: Any, client_for: Any) -> None:
    settings.RECTIFY_TODAY = ""
    assert instance_banner_text() == ""
    page = client_for("city_office").get(reverse("plans:ledger")).content.decode()
    assert 'data-testid="instance-banner"' not in page
    assert "演示/培训实例" not in page


@pytest.mark.parametrize(
    ("username", "url_name"),
    [
        (None, "accounts:login"),
        (None, "portal:closeouts"),
        (None, "portal:complaints"),
        ("city_office", "plans:ledger"),
        ("county_clerk", "progress:todo"),
        ("city_office", "supervision:board"),
        ("auditor", "audit:log"),
    ],
)
def test_every_page_shows_the_instance_date(
    settings: Any, client_for: Any, username: str | None, url_name: str
) -> None:
    settings.RECTIFY_TODAY = "2022-09-05"
    response = client_for(username).get(reverse(url_name))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="instance-banner"' in page
    assert BANNER in page


def test_the_not_found_page_shows_it_too(settings: Any, client_for: Any) -> None:
    settings.RECTIFY_TODAY = "2022-09-05"
    response = client_for("city_office").get("/no-such-page/")
    assert response.status_code == 404
    assert BANNER in response.content.decode()
