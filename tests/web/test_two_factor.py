"""The TOTP second factor (django-otp): who must enrol, enrolment with a code computed from the
secret the page shows, the code after the password, throttling, and the administrator's reset."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from base64 import b32decode
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rectify.audit.models import AuditEvent
from rectify.notifications.models import Notification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=SH)
DEFAULT_ROLES = frozenset({"city_office", "sysadmin", "auditor"})


@pytest.fixture(autouse=True)
def _production_rule(settings: Any) -> None:
    settings.RECTIFY_2FA_REQUIRED_ROLES = DEFAULT_ROLES


def login(username: str, **extra: Any) -> Client:
    client = Client(**extra)
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def code_for(key: bytes) -> str:
    return f"{totp(key):06d}"


def enrol(client: Client) -> bytes:
    """Enrol with the key read off the page, as a person typing it into an app would."""
    page = client.get("/accounts/2fa/setup/").content.decode()
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page)
    assert secret is not None
    raw = secret.group(1).replace(" ", "")
    key = b32decode(raw + "=" * (-len(raw) % 8))
    response = client.post("/accounts/2fa/setup/", {"token": code_for(key), "next": "/accounts/me/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    return key


def test_the_default_rule_asks_the_city_office_and_both_administrators() -> None:
    env = {k: v for k, v in os.environ.items() if k != "RECTIFY_2FA_REQUIRED_ROLES"}
    code = "import config.settings as s; print(','.join(sorted(s.RECTIFY_2FA_REQUIRED_ROLES)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "auditor,city_office,sysadmin"
    env["RECTIFY_2FA_REQUIRED_ROLES"] = "none"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("username", ["city_office", "sysadmin", "auditor"])
def test_those_roles_must_enrol_before_anything_else(users: Any, username: str) -> None:
    client = login(username)
    for url in ["/", "/accounts/me/", "/audit/", "/sysadmin/", "/notifications/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/2fa/setup/"), url
    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200
    page = setup.content.decode()
    assert "<svg" in page and "您的岗位要求双因素认证" in page
    assert setup["Cache-Control"] == "no-store"
    api = client.get("/api/v1/plans/")
    assert api.status_code == 403 and "双因素" in api.json()["detail"]


@pytest.mark.parametrize("username", ["county_office", "county_clerk", "dept_clerk", "acceptance", "leader"])
def test_other_roles_sign_in_with_the_password_alone_by_default(users: Any, username: str) -> None:
    client = login(username)
    assert client.get("/accounts/me/").status_code == 200


def test_a_setting_extends_the_rule_to_everyone(users: Any, settings: Any) -> None:
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset({"all"})
    assert login("county_clerk").get("/accounts/me/")["Location"].startswith("/accounts/2fa/setup/")


def test_a_setting_names_single_roles(users: Any, settings: Any) -> None:
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset({"leader", "county_office"})
    assert login("leader").get("/accounts/me/").status_code == 302
    assert login("county_office").get("/accounts/me/").status_code == 302
    assert login("city_office").get("/accounts/me/").status_code == 200


def test_enrolment_with_a_code_from_the_secret_confirms_the_device(users: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        client = login("city_office")
        enrol(client)
        assert client.get("/accounts/me/").status_code == 200
        device = TOTPDevice.objects.get(user=users["city_office"])
        assert device.confirmed
        event = AuditEvent.objects.get(action="accounts.otp_enrolled")
        assert event.actor == users["city_office"]
        assert "已启用" in client.get("/accounts/me/").content.decode()


def test_a_wrong_code_does_not_enrol(users: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        client = login("city_office")
        client.get("/accounts/2fa/setup/")
        device = TOTPDevice.objects.get(user=users["city_office"])
        wrong = f"{(int(code_for(device.bin_key)) + 1) % 1_000_000:06d}"
        response = client.post("/accounts/2fa/setup/", {"token": wrong})
        assert response.status_code == 400 and "验证码不正确" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=users["city_office"], confirmed=True).exists()
        assert client.get("/").status_code == 302
        letters = client.post("/accounts/2fa/setup/", {"token": "abcdef"})
        assert letters.status_code == 400 and "6 位数字" in letters.content.decode()


def test_the_secret_stays_the_same_across_reloads_until_confirmed(users: Any) -> None:
    client = login("city_office")
    first = client.get("/accounts/2fa/setup/").content.decode()
    second = client.get("/accounts/2fa/setup/").content.decode()
    pattern = r'data-testid="otp-secret">([A-Z2-7 ]+)<'
    assert re.search(pattern, first).group(1) == re.search(pattern, second).group(1)  # type: ignore[union-attr]
    assert TOTPDevice.objects.filter(user=users["city_office"]).count() == 1


def test_after_enrolment_every_login_asks_for_the_code(users: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        key = enrol(login("city_office"))
        clock.shift(dt.timedelta(seconds=60))
        client = login("city_office")
        gated = client.get("/plans/")
        assert gated.status_code == 302 and gated["Location"].startswith("/accounts/2fa/verify/")
        assert "双因素认证" in client.get("/accounts/2fa/verify/").content.decode()

        wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"
        refused = client.post("/accounts/2fa/verify/", {"token": wrong, "next": "/accounts/me/"})
        assert refused.status_code == 400 and "验证码不正确" in refused.content.decode()
        assert client.get("/accounts/me/").status_code == 302

        # django-otp throttles: right after a failure even the right code waits a moment.
        early = client.post("/accounts/2fa/verify/", {"token": code_for(key), "next": "/accounts/me/"})
        assert early.status_code == 400 and "错误次数过多" in early.content.decode()
        clock.shift(dt.timedelta(seconds=2))
        ok = client.post("/accounts/2fa/verify/", {"token": code_for(key), "next": "/accounts/me/"})
        assert ok.status_code == 302 and ok["Location"] == "/accounts/me/"
        assert client.get("/accounts/me/").status_code == 200
    actions = list(AuditEvent.objects.filter(action__startswith="accounts.otp").values_list("action", flat=True))
    assert actions.count("accounts.otp_failed") == 1 and actions.count("accounts.otp_verified") == 1


def test_a_used_code_is_not_accepted_twice(users: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        key = enrol(login("city_office"))
        clock.shift(dt.timedelta(seconds=31))
        code = code_for(key)
        first = login("city_office")
        assert first.post("/accounts/2fa/verify/", {"token": code}).status_code == 302
        second = login("city_office")
        assert second.post("/accounts/2fa/verify/", {"token": code}).status_code == 400


def test_a_user_who_chose_a_second_factor_is_asked_for_it_too(users: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        enrol(login("county_clerk"))
        clock.shift(dt.timedelta(seconds=60))
        assert login("county_clerk").get("/accounts/me/")["Location"].startswith("/accounts/2fa/verify/")


def test_the_sysadmin_resets_a_lost_second_factor_and_it_is_audited(users: Any, client_for: Any, settings: Any) -> None:
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset({"city_office"})  # the admin's own factor is not the point here
    with time_machine.travel(NOON, tick=False) as clock:
        enrol(login("city_office"))
        admin = client_for("sysadmin")
        url = f"/sysadmin/auth/user/{users['city_office'].pk}/reset-2fa/"
        assert "重置双因素认证" in admin.get(url).content.decode()
        assert admin.post(url).status_code == 302
        assert not TOTPDevice.objects.filter(user=users["city_office"]).exists()
        event = AuditEvent.objects.get(action="accounts.otp_reset")
        assert event.actor == users["sysadmin"] and event.object_id == str(users["city_office"].pk)
        assert Notification.objects.filter(recipient=users["city_office"], subject__contains="双因素").exists()
        clock.shift(dt.timedelta(seconds=60))
        assert login("city_office").get("/")["Location"].startswith("/accounts/2fa/setup/")


def test_the_sysadmin_cannot_reset_an_administrators_second_factor(users: Any, client_for: Any, settings: Any) -> None:
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset()
    admin = client_for("sysadmin")
    assert admin.post(f"/sysadmin/auth/user/{users['auditor'].pk}/reset-2fa/").status_code == 403
    assert admin.post(f"/sysadmin/auth/user/{users['sysadmin'].pk}/reset-2fa/").status_code == 403


def test_a_command_resets_an_administrators_second_factor(users: Any) -> None:
    from django.core.management import call_command

    TOTPDevice.objects.create(user=users["auditor"], name="x", confirmed=True)
    call_command("reset_second_factor", "auditor")
    assert not TOTPDevice.objects.filter(user=users["auditor"]).exists()
    assert AuditEvent.objects.get(action="accounts.otp_reset").actor_label.startswith("命令行")


def test_a_session_left_verified_loses_it_when_the_device_is_reset(users: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        client = login("city_office")
        enrol(client)
        assert client.get("/accounts/me/").status_code == 200
        TOTPDevice.objects.filter(user=users["city_office"]).delete()
        assert client.get("/accounts/me/", follow=True).redirect_chain[-1][0].startswith("/accounts/2fa/setup/")


def test_the_admin_login_goes_through_the_same_door(users: Any) -> None:
    response = Client().get("/sysadmin/")
    assert response.status_code == 302
    follow = Client().get(response["Location"])
    assert follow.status_code == 302 and follow["Location"].startswith("/accounts/login/?next=")


def test_force_login_stands_for_a_completed_login_only_under_the_test_setting(users: Any, settings: Any) -> None:
    client = Client()
    client.force_login(users["city_office"])
    assert client.get("/accounts/me/").status_code == 302
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset()
    other = Client()
    other.force_login(users["city_office"])
    assert other.get("/accounts/me/").status_code == 200
    assert SESSION_KEY in other.session
