"""三权分立 that holds: the system administrator manages accounts but never knows or sets a
password, resets only through a one-time temporary password that must be changed (audited, the
user told), cannot open the unit directory, and every business role it grants is audited and
read by the audit administrator."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client

from rectify.accounts.models import AccountSecurity
from rectify.audit.models import AuditEvent
from rectify.notifications.models import Notification
from rectify.orgs.models import Membership, OrgUnit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NEW = "Qingshan-Lushui-2026"


def login(username: str, password: str) -> tuple[Client, Any]:
    client = Client()
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def reset(admin: Client, user: User) -> str:
    page = admin.post(f"/sysadmin/auth/user/{user.pk}/reset-password/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    found = re.search(r'data-testid="temporary-password"[^>]*>([^<]+)<', page.content.decode())
    assert found is not None
    return found.group(1)


# --- no password form for the system administrator -----------------------------------------------


@pytest.mark.parametrize("username", ["city_office", "county_clerk", "leader", "auditor", "outsider"])
def test_the_sysadmin_has_no_form_to_set_a_password(users: Any, client_for: Any, username: str) -> None:
    admin = client_for("sysadmin")
    url = f"/sysadmin/auth/user/{users[username].pk}/password/"
    assert admin.get(url).status_code == 403
    before = User.objects.get(pk=users[username].pk).password
    assert admin.post(url, {"password1": "Hacked-Passw0rd-1", "password2": "Hacked-Passw0rd-1"}).status_code == 403
    assert User.objects.get(pk=users[username].pk).password == before


def test_the_change_page_shows_no_password_field_or_link(users: Any, client_for: Any) -> None:
    page = client_for("sysadmin").get(f"/sysadmin/auth/user/{users['city_office'].pk}/change/").content.decode()
    assert 'name="password' not in page and "/password/" not in page
    assert "pbkdf2" not in page  # not even the hash
    assert "重置密码" in page and "系统管理员无法查看或设置" in page


def test_a_stolen_admin_session_cannot_log_in_as_the_city_office(users: Any, client_for: Any) -> None:
    """The attack of issue 14: set city_office's password in /sysadmin/, log in as it."""
    admin = client_for("sysadmin")
    admin.post(
        f"/sysadmin/auth/user/{users['city_office'].pk}/password/",
        {"password1": "Hacked-Passw0rd-1", "password2": "Hacked-Passw0rd-1", "usable_password": "true"},
    )
    _, response = login("city_office", "Hacked-Passw0rd-1")
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()


# --- the reset flow --------------------------------------------------------------------------------


def test_a_reset_issues_a_temporary_password_that_must_be_changed_first(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    target = users["county_clerk"]
    confirm = admin.get(f"/sysadmin/auth/user/{target.pk}/reset-password/").content.decode()
    assert "一次性临时密码" in confirm
    temporary = reset(admin, target)
    assert len(temporary) == 14

    event = AuditEvent.objects.get(action="accounts.password_reset")
    assert event.actor == users["sysadmin"] and event.object_id == str(target.pk)
    assert temporary not in str(event.after) and temporary not in event.note
    told = Notification.objects.get(recipient=target, subject="您的登录密码已被重置")
    assert temporary not in told.body and "审计管理员" in told.body

    assert login("county_clerk", PASSWORD)[1].status_code == 200  # the old password is gone
    client, response = login("county_clerk", temporary)
    assert response.status_code == 302
    for url in ["/", "/plans/", "/accounts/me/", "/notifications/"]:
        gated = client.get(url)
        assert gated.status_code == 302 and gated["Location"].startswith("/accounts/me/password/"), url
    assert client.get("/api/v1/plans/").status_code == 403
    page = client.get("/accounts/me/password/").content.decode()
    assert "临时密码" in page and "设置新密码" in page
    done = client.post(
        "/accounts/me/password/", {"old_password": temporary, "new_password1": NEW, "new_password2": NEW}
    )
    assert done.status_code == 302
    assert client.get("/plans/").status_code == 200
    changed = AuditEvent.objects.get(action="accounts.password_changed")
    assert changed.actor == target and changed.after == {"forced": True}
    assert not AccountSecurity.objects.get(user=target).must_change_password
    assert login("county_clerk", NEW)[1].status_code == 302


def test_a_reset_signs_the_user_out_everywhere(users: Any, client_for: Any) -> None:
    user_session = client_for("county_clerk")
    assert user_session.get("/accounts/me/").status_code == 200
    reset(client_for("sysadmin"), users["county_clerk"])
    assert user_session.get("/accounts/me/").status_code == 302
    assert SESSION_KEY not in user_session.session


def test_a_reset_releases_a_lockout(users: Any, client_for: Any) -> None:
    for _ in range(5):
        login("county_clerk", "wrong-password")
    assert login("county_clerk", PASSWORD)[1].status_code == 429
    temporary = reset(client_for("sysadmin"), users["county_clerk"])
    assert login("county_clerk", temporary)[1].status_code == 302
    assert AuditEvent.objects.get(action="accounts.password_reset").after["lockout_released"] == 1


def test_a_temporary_password_expires_after_72_hours(users: Any, client_for: Any) -> None:
    start = dt.datetime(2026, 3, 2, 9, tzinfo=SH)
    with time_machine.travel(start, tick=False) as clock:
        temporary = reset(client_for("sysadmin"), users["leader"])
        clock.shift(dt.timedelta(hours=72, seconds=1))
        _, response = login("leader", temporary)
        assert response.status_code == 200 and "临时密码已过期" in response.content.decode()


@pytest.mark.parametrize("username", ["auditor", "sysadmin"])
def test_the_sysadmin_cannot_reset_an_administrator_or_itself(users: Any, client_for: Any, username: str) -> None:
    admin = client_for("sysadmin")
    assert admin.post(f"/sysadmin/auth/user/{users[username].pk}/reset-password/").status_code == 403
    assert not AuditEvent.objects.filter(action="accounts.password_reset").exists()


def test_business_users_cannot_reach_the_reset(users: Any, client_for: Any) -> None:
    response = client_for("city_office").post(f"/sysadmin/auth/user/{users['county_clerk'].pk}/reset-password/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_new_account_gets_a_temporary_password_too(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    form = admin.get("/sysadmin/auth/user/add/").content.decode()
    assert 'name="password1"' not in form
    page = admin.post("/sysadmin/auth/user/add/", {"username": "new_clerk", "first_name": "新联络员"})
    assert page.status_code == 200
    temporary = re.search(r'data-testid="temporary-password"[^>]*>([^<]+)<', page.content.decode())
    assert temporary is not None
    created = User.objects.get(username="new_clerk")
    assert AccountSecurity.objects.get(user=created).must_change_password
    assert AuditEvent.objects.get(action="accounts.user_created").actor == users["sysadmin"]
    client, response = login("new_clerk", temporary.group(1))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


# --- the unit directory ----------------------------------------------------------------------------


def test_the_sysadmin_cannot_open_the_unit_directory(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    unit = OrgUnit.objects.get(name="市水利局")
    assert admin.get("/sysadmin/orgs/orgunit/").status_code == 403
    assert admin.get(f"/sysadmin/orgs/orgunit/{unit.pk}/change/").status_code == 403
    assert admin.get(f"/sysadmin/orgs/orgunit/{unit.pk}/history/").status_code == 403
    index = admin.get("/sysadmin/").content.decode()
    assert "/sysadmin/orgs/orgunit/" not in index and "/sysadmin/orgs/membership/" in index
    assert admin.get("/units/").status_code == 403


def test_a_membership_unit_is_still_looked_up_by_name(users: Any, client_for: Any) -> None:
    response = client_for("sysadmin").get(
        "/sysadmin/autocomplete/",
        {"app_label": "orgs", "model_name": "membership", "field_name": "unit", "term": "水利"},
    )
    assert response.status_code == 200
    assert "市水利局" in {r["text"] for r in response.json()["results"]}


# --- business roles, audited -----------------------------------------------------------------------


def test_every_grant_change_and_removal_of_a_business_role_is_audited(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    clerk = users["county_clerk"]
    water = OrgUnit.objects.get(name="市水利局")
    assert (
        admin.post("/sysadmin/orgs/membership/add/", {"user": clerk.pk, "unit": water.pk, "role": "clerk"}).status_code
        == 302
    )
    granted = Membership.objects.get(user=clerk, unit=water)
    admin.post(
        f"/sysadmin/orgs/membership/{granted.pk}/change/", {"user": clerk.pk, "unit": water.pk, "role": "leader"}
    )
    admin.post(f"/sysadmin/orgs/membership/{granted.pk}/delete/", {"post": "yes"})
    other = Membership.objects.create(user=clerk, unit=water, role="clerk")
    admin.post(
        "/sysadmin/orgs/membership/", {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"}
    )
    assert not Membership.objects.filter(user=clerk, unit=water).exists()

    events = list(AuditEvent.objects.filter(action__startswith="orgs.membership").order_by("id"))
    assert [e.action for e in events] == [
        "orgs.membership_granted",
        "orgs.membership_changed",
        "orgs.membership_revoked",
        "orgs.membership_revoked",
    ]
    assert all(e.actor == users["sysadmin"] for e in events)
    assert events[0].after == {
        "user": "county_clerk",
        "unit": "市水利局",
        "role": "clerk",
        "role_label": "责任单位联络员",
    }
    assert events[1].before["role"] == "clerk" and events[1].after["role"] == "leader"
    assert events[2].before["role"] == "leader" and events[3].before["role"] == "clerk"
    assert {e.parent_id for e in events} == {str(clerk.pk)}


def test_the_audit_admin_sees_role_grants_and_resets(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    water = OrgUnit.objects.get(name="市水利局")
    admin.post("/sysadmin/orgs/membership/add/", {"user": users["leader"].pk, "unit": water.pk, "role": "clerk"})
    reset(admin, users["dept_clerk"])
    page = client_for("auditor").get("/audit/").content.decode()
    # In words (audit/words.py), never the codes.
    text = re.sub(r"<[^>]+>", "", page)
    assert "授予了业务岗位" in text and "重置了密码（临时密码）" in text
    labels = {e.action: e.action_label for e in AuditEvent.objects.filter(action__contains=".")}
    assert labels["orgs.membership_granted"] == "授予业务岗位"
    assert labels["accounts.password_reset"] == "重置密码（临时密码）"
    assert client_for("sysadmin").get("/audit/").status_code == 403


def test_no_admin_account_may_hold_a_business_role(users: Any, client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    admin = client_for("sysadmin")
    for username in ("sysadmin", "auditor"):
        response = admin.post(
            "/sysadmin/orgs/membership/add/", {"user": users[username].pk, "unit": unit.pk, "role": "clerk"}
        )
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="orgs.membership").exists()
