"""Login protection: lockout after failed logins (django-axes), idle session expiry, API
throttling, and the audit rows of logins, failures and logouts."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from config import settings as conf
from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)


def login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- lockout ----------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_at_that_address_for_15_minutes(users: Any) -> None:
    client = Client()
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        for _ in range(4):
            page = login(client, "county_clerk", "wrong-password")
            assert page.status_code == 200
            assert "用户名或密码不正确" in page.content.decode()
        fifth = login(client, "county_clerk", "wrong-password")
        assert fifth.status_code == 429
        text = fifth.content.decode()
        assert "账号已锁定" in text and "09:15" in text and "连续 5 次" in text

        # The right password during the lockout is refused, and does not extend it.
        right = login(client, "county_clerk", PASSWORD)
        assert right.status_code == 429 and not signed_in(client)
        clock.shift(dt.timedelta(minutes=14, seconds=59))
        assert login(client, "county_clerk", PASSWORD).status_code == 429 and not signed_in(client)

        clock.shift(dt.timedelta(seconds=2))
        assert login(client, "county_clerk", PASSWORD).status_code == 302
        assert signed_in(client)


def test_the_lockout_is_per_account_and_address(users: Any) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        for _ in range(5):
            login(attacker, "dept_clerk", "wrong-password")
        assert login(attacker, "dept_clerk", PASSWORD).status_code == 429
        # The same person at their own desk, and another account at the attacker's address, still log in.
        assert login(Client(REMOTE_ADDR="10.1.2.3"), "dept_clerk", PASSWORD).status_code == 302
        assert login(Client(REMOTE_ADDR="203.0.113.9"), "leader", PASSWORD).status_code == 302


def test_four_failures_then_success_start_the_count_again(users: Any) -> None:
    client = Client()
    for _ in range(4):
        login(client, "leader", "wrong-password")
    assert login(client, "leader", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="leader").exists()
    client.post("/accounts/logout/")
    for _ in range(4):
        assert login(client, "leader", "wrong-password").status_code == 200
    assert login(client, "leader", PASSWORD).status_code == 302


def test_the_limit_and_the_lockout_come_from_the_settings(users: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.RECTIFY_LOGIN_FAILURE_LIMIT = 3
    with time_machine.travel(MONDAY_9, tick=False):
        client = Client()
        login(client, "leader", "x1")
        login(client, "leader", "x2")
        page = login(client, "leader", "x3")
        assert page.status_code == 429 and "连续 3 次" in page.content.decode()


def test_the_sysadmin_releases_a_lockout_and_it_is_audited(users: Any, client_for: Any) -> None:
    client = Client()
    for _ in range(5):
        login(client, "county_clerk", "wrong-password")
    assert login(client, "county_clerk", PASSWORD).status_code == 429
    admin = client_for("sysadmin")
    url = f"/sysadmin/auth/user/{users['county_clerk'].pk}/unlock/"
    assert admin.get(url).status_code == 200
    assert admin.post(url).status_code == 302
    assert login(client, "county_clerk", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="accounts.lockout_released")
    assert event.actor == users["sysadmin"] and event.object_id == str(users["county_clerk"].pk)


# --- audit rows of signing in and out -----------------------------------------------------------


def test_logins_failures_and_logouts_are_audited_with_the_address(users: Any) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    login(client, "leader", "wrong-password")
    login(client, "nobody-such", "wrong-password")
    login(client, "leader", PASSWORD)
    client.post("/accounts/logout/")

    failed = AuditEvent.objects.filter(action="accounts.login_failed").order_by("id")
    assert [(e.after["username"], e.after["ip"], e.after["known_user"]) for e in failed] == [
        ("leader", "192.0.2.10", True),
        ("nobody-such", "192.0.2.10", False),
    ]
    assert failed[0].object_id == str(users["leader"].pk) and failed[0].actor is None
    signed = AuditEvent.objects.get(action="accounts.login")
    assert signed.actor == users["leader"] and signed.after["ip"] == "192.0.2.10"
    out = AuditEvent.objects.get(action="accounts.logout")
    assert out.actor == users["leader"] and out.after["reason"] == "user"


def test_the_audit_admin_reads_sign_in_events(users: Any, client_for: Any) -> None:
    login(Client(), "leader", "wrong-password")
    login(Client(), "leader", PASSWORD)
    page = client_for("auditor").get("/audit/?action=accounts.").content.decode()
    # In words (audit/words.py), never the codes.
    assert "（登录失败）" in page and "登录了系统" in page
    labels = {e.action: e.action_label for e in AuditEvent.objects.filter(action__startswith="accounts.")}
    assert labels == {"accounts.login_failed": "登录失败", "accounts.login": "登录"}


def test_proxies_forward_the_client_address_when_configured(users: Any, settings: Any) -> None:
    settings.RECTIFY_PROXY_COUNT = 1
    login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"), "leader", "wrong-password")
    assert AuditEvent.objects.get(action="accounts.login_failed").after["ip"] == "198.51.100.7"
    assert AccessAttempt.objects.get(username="leader").ip_address == "198.51.100.7"


# --- idle sessions ------------------------------------------------------------------------------


def test_thirty_idle_minutes_end_the_session_with_a_message(users: Any, client_for: Any, settings: Any) -> None:
    settings.RECTIFY_SESSION_IDLE_MINUTES = conf.RECTIFY_SESSION_IDLE_MINUTES
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        client = client_for("county_clerk")
        assert client.get("/accounts/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/accounts/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))  # activity keeps it alive: 58 minutes since login
        assert client.get("/accounts/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        expired = client.get("/accounts/me/", follow=True)
        assert expired.redirect_chain[-1][0].startswith("/accounts/login/")
        assert "30 分钟未操作" in expired.content.decode()
        assert not signed_in(client)
    event = AuditEvent.objects.get(action="accounts.logout")
    assert event.actor == users["county_clerk"] and event.after["reason"] == "idle"


def test_the_idle_limit_is_a_setting(users: Any, client_for: Any, settings: Any) -> None:
    settings.RECTIFY_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        client = client_for("leader")
        client.get("/accounts/me/")
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        page = client.get("/accounts/me/", follow=True).content.decode()
        assert "5 分钟未操作" in page


def test_sessions_last_at_most_twelve_hours_and_idle_out_after_thirty_minutes() -> None:
    assert conf.SESSION_COOKIE_AGE == 12 * 3600
    assert conf.RECTIFY_SESSION_IDLE_MINUTES == 30


# --- API throttling -----------------------------------------------------------------------------


def test_bad_api_tokens_are_throttled_per_address(users: Any) -> None:
    _, good = token_issue(actor=users["county_clerk"], name="对接")
    prober = Client(REMOTE_ADDR="203.0.113.50")
    for i in range(10):
        assert prober.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer rt_guess{i}").status_code == 401
    refused = prober.get("/api/v1/plans/", HTTP_AUTHORIZATION="Bearer rt_guess-more")
    assert refused.status_code == 429
    assert "令牌验证失败次数过多" in refused.json()["detail"] and int(refused["Retry-After"]) > 0
    # Even a good token from that address waits; from another address it works.
    assert prober.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
    assert Client(REMOTE_ADDR="10.9.9.9").get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200


def test_the_bad_token_window_passes(users: Any) -> None:
    _, good = token_issue(actor=users["county_clerk"], name="对接")
    with time_machine.travel(MONDAY_9, tick=False) as clock:
        prober = Client(REMOTE_ADDR="203.0.113.51")
        for i in range(11):
            prober.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer rt_guess{i}")
        assert prober.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
        clock.shift(dt.timedelta(seconds=61))
        assert prober.get("/api/v1/plans/", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200


def test_an_api_user_over_the_rate_gets_429_in_chinese(users: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "5/min", "anon": "5/min"})
    _, raw = token_issue(actor=users["leader"], name="对接")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert all(client.get("/api/v1/plans/").status_code == 200 for _ in range(5))
    refused = client.get("/api/v1/plans/")
    assert refused.status_code == 429
    assert "限流" in refused.json()["detail"] and "秒" in refused.json()["detail"]


def test_throttle_rates_are_set(settings: Any) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "60/min", "user": "1200/min", "bad_token": "10/min"}


# --- the documents say what the code does ---------------------------------------------------------


def test_the_security_document_gives_the_figures_in_force() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")

    def row(setting: str) -> str:
        return next(line for line in text.splitlines() if line.startswith("|") and f"`{setting}`" in line)

    assert f"| {conf.RECTIFY_LOGIN_FAILURE_LIMIT} |" in row("RECTIFY_LOGIN_FAILURE_LIMIT")
    assert f"| {conf.RECTIFY_LOGIN_LOCKOUT_MINUTES} minutes |" in row("RECTIFY_LOGIN_LOCKOUT_MINUTES")
    assert f"| {conf.RECTIFY_SESSION_IDLE_MINUTES} minutes |" in row("RECTIFY_SESSION_IDLE_MINUTES")
    assert f"| {conf.SESSION_COOKIE_AGE // 3600} hours |" in row("RECTIFY_SESSION_MAX_HOURS")
    assert f"| {conf.RECTIFY_API_TOKEN_DAYS} days by default, at most {conf.RECTIFY_API_TOKEN_MAX_DAYS} |" in row(
        "RECTIFY_API_TOKEN_DAYS"
    )
    assert f"valid {conf.RECTIFY_TEMP_PASSWORD_HOURS} hours" in row("RECTIFY_TEMP_PASSWORD_HOURS")
    rates = conf.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    line = row("RECTIFY_API_RATE_ANON")
    assert all(rate.split("/")[0] in line for rate in rates.values())


def test_the_readme_lists_every_login_protection_setting() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name in [
        "RECTIFY_LOGIN_FAILURE_LIMIT",
        "RECTIFY_LOGIN_LOCKOUT_MINUTES",
        "RECTIFY_2FA_REQUIRED_ROLES",
        "RECTIFY_OTP_ISSUER",
        "RECTIFY_SESSION_IDLE_MINUTES",
        "RECTIFY_SESSION_MAX_HOURS",
        "RECTIFY_TEMP_PASSWORD_HOURS",
        "RECTIFY_API_TOKEN_DAYS",
        "RECTIFY_API_TOKEN_MAX_DAYS",
        "RECTIFY_API_RATE_ANON",
        "RECTIFY_API_RATE_USER",
        "RECTIFY_API_RATE_BAD_TOKEN",
        "RECTIFY_PROXY_COUNT",
    ]:
        assert f"`{name}`" in readme, name
