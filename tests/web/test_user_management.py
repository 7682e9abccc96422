"""The system administrator's account pages (/accounts/manage/): who may open them, and each
action — new account, name/phone/active, business roles, temporary password, second factor,
lockout, tokens — done through its service and audited, with 三权分立 kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from rectify.accounts.models import AccountSecurity, ApiToken
from rectify.accounts.services import token_issue
from rectify.audit.describe import changes
from rectify.audit.models import AuditEvent
from rectify.orgs.models import Membership, OrgUnit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REFUSED = "账号管理只供系统管理员使用。"
NOT_ADMINS = [
    "city_office",
    "county_office",
    "county_clerk",
    "dept_clerk",
    "acceptance",
    "leader",
    "auditor",
    "outsider",
]


def login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def temporary_password(page: Any) -> str:
    found = re.search(r'data-testid="temporary-password"[^>]*>([^<]+)<', page.content.decode())
    assert found is not None
    return found.group(1)


def pages(users: Any) -> list[tuple[str, str]]:
    clerk = users["county_clerk"].pk
    m = Membership.objects.filter(user=users["county_clerk"]).first()
    assert m is not None
    return [
        ("get", "/accounts/manage/"),
        ("get", "/accounts/manage/new/"),
        ("post", "/accounts/manage/new/"),
        ("get", f"/accounts/manage/{clerk}/"),
        ("post", f"/accounts/manage/{clerk}/"),
        ("post", f"/accounts/manage/{clerk}/roles/"),
        ("post", f"/accounts/manage/{clerk}/roles/{m.pk}/remove/"),
        ("post", f"/accounts/manage/{clerk}/reset-password/"),
        ("post", f"/accounts/manage/{clerk}/reset-2fa/"),
        ("post", f"/accounts/manage/{clerk}/unlock/"),
        ("post", f"/accounts/manage/{clerk}/revoke-tokens/"),
    ]


# --- who may open the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_every_page_and_action_answers_403_in_chinese_to_anyone_but_the_sysadmin(
    users: Any, client_for: Any, role: str
) -> None:
    client = client_for(role)
    before = AuditEvent.objects.count()
    password = User.objects.get(username="county_clerk").password
    for method, url in pages(users):
        response = getattr(client, method)(url, {"full_name": "x", "username": "x1", "unit": "1", "role": "clerk"})
        assert response.status_code == 403, (role, url)
        assert REFUSED in response.content.decode(), url
    assert AuditEvent.objects.count() == before
    assert User.objects.get(username="county_clerk").password == password
    assert not User.objects.filter(username="x1").exists()


def test_signed_out_visitors_are_sent_to_the_login_page(users: Any) -> None:
    response = Client().get("/accounts/manage/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_sysadmin_lands_on_the_account_list_after_login(users: Any) -> None:
    client = Client()
    assert login(client, "sysadmin", PASSWORD).status_code == 302
    landing = client.get(reverse("dashboards:landing"))
    assert landing.status_code == 302 and landing["Location"] == "/accounts/manage/"
    page = client.get("/accounts/manage/")
    assert page.status_code == 200 and "账号管理" in page.content.decode()


def test_a_missing_account_is_404(client_for: Any) -> None:
    assert client_for("sysadmin").get("/accounts/manage/999999/").status_code == 404


# --- the list -----------------------------------------------------------------------------------


def _listed(client: Client, query: str = "") -> set[str]:
    page = client.get(f"/accounts/manage/?{query}")
    assert page.status_code == 200
    table = page.content.decode().split('data-testid="account-table"')[1].split("</table>")[0]
    return set(re.findall(r'href="/accounts/manage/\d+/">([^<]+)</a>', table))


def test_the_list_shows_every_account_once_and_searches_by_name_username_and_phone(users: Any, client_for: Any) -> None:
    client = client_for("sysadmin")
    AccountSecurity.objects.update_or_create(user=users["leader"], defaults={"phone": "13900001111"})
    assert _listed(client) == set(User.objects.values_list("username", flat=True))
    assert _listed(client, "q=周平") == {"leader"}
    assert _listed(client, "q=0000111") == {"leader"}
    assert _listed(client, "q=county_") == {"county_office", "county_clerk"}


def test_the_list_filters_by_role_active_and_locked(users: Any, client_for: Any) -> None:
    client = client_for("sysadmin")
    clerks = set(Membership.objects.filter(role="clerk").values_list("user__username", flat=True))
    assert _listed(client, "role=clerk") == clerks
    assert _listed(client, "role=admin") == {"sysadmin", "auditor"}
    no_role = set(
        User.objects.filter(memberships__isnull=True, is_staff=False, is_superuser=False, groups__isnull=True)
        .values_list("username", flat=True)
        .distinct()
    )
    assert "outsider" in no_role and _listed(client, "role=none") == no_role
    User.objects.filter(username="leader").update(is_active=False)
    assert _listed(client, "active=no") == {"leader"}
    assert "leader" not in _listed(client, "active=yes")
    assert _listed(client, "locked=1") == set()
    for _ in range(5):
        login(Client(), "dept_clerk", "wrong-password")
    assert _listed(client, "locked=1") == {"dept_clerk"}
    assert _listed(client, "role=bogus&active=maybe") == set(User.objects.values_list("username", flat=True))


def test_the_list_costs_a_fixed_number_of_queries(
    users: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("sysadmin")
    client.get("/accounts/manage/")
    for i in range(10):
        u = User.objects.create(username=f"extra{i}", first_name=f"新人{i}")
        Membership.objects.create(user=u, unit=OrgUnit.objects.get(name="市水利局"), role="clerk")
    with django_assert_max_num_queries(14):
        client.get("/accounts/manage/")


# --- a new account ------------------------------------------------------------------------------


def test_a_new_account_gets_a_temporary_password_once_and_must_change_it(users: Any, client_for: Any) -> None:
    admin = client_for("sysadmin")
    page = admin.post(
        "/accounts/manage/new/", {"username": "new_clerk", "full_name": "新联络员", "phone": "0349-1234567"}
    )
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    temporary = temporary_password(page)
    user = User.objects.get(username="new_clerk")
    assert user.first_name == "新联络员" and user.security.phone == "0349-1234567"  # type: ignore[attr-defined]
    assert user.security.must_change_password  # type: ignore[attr-defined]
    assert temporary not in admin.get(f"/accounts/manage/{user.pk}/").content.decode()
    event = AuditEvent.objects.get(action="accounts.user_created")
    assert event.actor == users["sysadmin"] and temporary not in str(event.after)
    client = Client()
    assert login(client, "new_clerk", temporary).status_code == 302
    assert client.get("/plans/").status_code == 302  # only the page to choose a new password


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "", "full_name": "甲"}, "请填写用户名。"),
        ({"username": "county_clerk", "full_name": "甲"}, "用户名“county_clerk”已被使用"),
        ({"username": "County_Clerk", "full_name": "甲"}, "已被使用"),
        ({"username": "张 三", "full_name": "甲"}, "用户名只能包含字母、数字和 @ . + - _ 。"),
        ({"username": "new1", "full_name": "  "}, "请填写姓名。"),
        ({"username": "new1", "full_name": "甲", "phone": "call me"}, "联系电话只能包含数字"),
    ],
)
def test_a_bad_new_account_is_refused_in_chinese_keeping_what_was_typed(
    users: Any, client_for: Any, data: dict[str, str], message: str
) -> None:
    count = User.objects.count()
    page = client_for("sysadmin").post("/accounts/manage/new/", data)
    assert page.status_code == 400
    text = page.content.decode()
    assert message in text and f'value="{data["username"]}"' in text
    assert User.objects.count() == count and not AuditEvent.objects.filter(action="accounts.user_created").exists()


# --- name, phone, active ------------------------------------------------------------------------


def test_editing_name_phone_and_active_is_audited_before_and_after(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    admin = client_for("sysadmin")
    response = admin.post(f"/accounts/manage/{clerk.pk}/", {"full_name": "朔城区政府 张丽丽", "phone": "13800000000"})
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.first_name == "朔城区政府 张丽丽" and not clerk.is_active
    event = AuditEvent.objects.get(action="accounts.user_changed")
    assert event.actor == users["sysadmin"]
    assert event.before == {"name": "朔城区政府 张丽", "phone": "", "is_active": True}
    assert event.after == {"name": "朔城区政府 张丽丽", "phone": "13800000000", "is_active": False}
    # The audit log reads it in words (rectify/audit/describe.py), no code names.
    rows = [(c.label, c.before.full if c.before else "", c.after.full if c.after else "") for c in changes(event)]
    assert ("有效", "是", "否") in rows and not any(re.search(r"[A-Za-z_]", "".join(row)) for row in rows)
    # A deactivated account signs in no more, and its tokens stop working.
    assert login(Client(), "county_clerk", PASSWORD).status_code == 200
    # Saving unchanged values writes no audit row.
    admin.post(f"/accounts/manage/{clerk.pk}/", {"full_name": "朔城区政府 张丽丽", "phone": "13800000000"})
    assert AuditEvent.objects.filter(action="accounts.user_changed").count() == 1


def test_an_empty_name_is_refused_and_nothing_changes(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    page = client_for("sysadmin").post(
        f"/accounts/manage/{clerk.pk}/", {"full_name": "", "phone": "1", "is_active": "on"}
    )
    assert page.status_code == 400 and "请填写姓名。" in page.content.decode()
    clerk.refresh_from_db()
    assert clerk.first_name == "朔城区政府 张丽"


@pytest.mark.parametrize("username", ["auditor", "sysadmin"])
def test_administrator_accounts_are_read_only_here(users: Any, client_for: Any, username: str) -> None:
    admin = client_for("sysadmin")
    target = users[username]
    page = admin.get(f"/accounts/manage/{target.pk}/").content.decode()
    assert 'data-testid="read-only-note"' in page and 'data-testid="edit-form"' not in page
    assert "重置密码" not in page
    for url in ["", "reset-password/", "reset-2fa/", "unlock/", "revoke-tokens/"]:
        response = admin.post(f"/accounts/manage/{target.pk}/{url}", {"full_name": "改名", "is_active": ""})
        assert response.status_code == 403, url
    target.refresh_from_db()
    assert target.is_active and target.first_name != "改名"


# --- business roles -----------------------------------------------------------------------------


def test_granting_and_revoking_a_role_is_audited_with_user_unit_and_role(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    water = OrgUnit.objects.get(name="市水利局")
    admin = client_for("sysadmin")
    page = admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert f'<option value="{water.pk}">' in page  # the unit is chosen from a list of names
    assert admin.post(f"/accounts/manage/{clerk.pk}/roles/", {"unit": water.pk, "role": "clerk"}).status_code == 302
    granted = Membership.objects.get(user=clerk, unit=water, role="clerk")
    event = AuditEvent.objects.get(action="orgs.membership_granted")
    assert event.actor == users["sysadmin"]
    assert event.after == {"user": "county_clerk", "unit": "市水利局", "role": "clerk", "role_label": "责任单位联络员"}
    # Twice is refused with a message, not a crash.
    again = admin.post(f"/accounts/manage/{clerk.pk}/roles/", {"unit": water.pk, "role": "clerk"}, follow=True)
    assert "该账号在“市水利局”已是责任单位联络员。" in again.content.decode()
    assert admin.post(f"/accounts/manage/{clerk.pk}/roles/{granted.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=granted.pk).exists()
    revoked = AuditEvent.objects.get(action="orgs.membership_revoked")
    assert revoked.before is not None and revoked.before["unit"] == "市水利局"


def test_a_role_cannot_go_to_an_administrator_nor_be_removed_through_another_account(
    users: Any, client_for: Any
) -> None:
    admin = client_for("sysadmin")
    unit = OrgUnit.objects.get(name="市生态环境保护督察整改工作领导小组办公室")
    for username in ["sysadmin", "auditor"]:
        response = admin.post(f"/accounts/manage/{users[username].pk}/roles/", {"unit": unit.pk, "role": "coordinator"})
        assert response.status_code == 403
    assert not Membership.objects.filter(user__in=[users["sysadmin"], users["auditor"]]).exists()
    other = Membership.objects.get(user=users["leader"])
    url = f"/accounts/manage/{users['county_clerk'].pk}/roles/{other.pk}/remove/"
    assert admin.post(url).status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(("unit", "role"), [("", "clerk"), ("999999", "clerk"), ("abc", "clerk"), ("1", "boss")])
def test_a_bad_role_form_is_refused_in_chinese(users: Any, client_for: Any, unit: str, role: str) -> None:
    clerk = users["county_clerk"]
    before = Membership.objects.count()
    page = client_for("sysadmin").post(f"/accounts/manage/{clerk.pk}/roles/", {"unit": unit, "role": role})
    assert page.status_code == 400 and "请选择" in page.content.decode()
    assert Membership.objects.count() == before


def test_a_merged_unit_is_not_offered(users: Any, client_for: Any) -> None:
    water = OrgUnit.objects.get(name="市水利局")
    OrgUnit.objects.filter(pk=water.pk).update(is_active=False)
    clerk = users["county_clerk"]
    page = client_for("sysadmin").get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert f'<option value="{water.pk}">' not in page
    assert (
        client_for("sysadmin")
        .post(f"/accounts/manage/{clerk.pk}/roles/", {"unit": water.pk, "role": "clerk"})
        .status_code
        == 400
    )


def test_the_sysadmin_still_cannot_open_the_unit_directory(client_for: Any) -> None:
    assert client_for("sysadmin").get(reverse("orgs:list")).status_code == 403


# --- recoveries: temporary password, second factor, lockout, tokens ------------------------------


def test_reset_password_shows_a_temporary_password_once_and_audits_it(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    admin = client_for("sysadmin")
    assert admin.get(f"/accounts/manage/{clerk.pk}/reset-password/").status_code == 405  # POST only
    page = admin.post(f"/accounts/manage/{clerk.pk}/reset-password/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    temporary = temporary_password(page)
    event = AuditEvent.objects.get(action="accounts.password_reset")
    assert event.actor == users["sysadmin"] and temporary not in str(event.after)
    assert login(Client(), "county_clerk", PASSWORD).status_code == 200
    assert login(Client(), "county_clerk", temporary).status_code == 302
    detail = admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert "临时密码待本人修改" in detail and temporary not in detail


def test_unlock_after_a_lockout_works_with_axes_and_is_audited(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    client = Client()
    for _ in range(5):
        login(client, "county_clerk", "wrong-password")
    assert login(client, "county_clerk", PASSWORD).status_code == 429
    admin = client_for("sysadmin")
    page = admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert "已锁定" in page and "解除锁定" in page
    assert admin.post(f"/accounts/manage/{clerk.pk}/unlock/").status_code == 302
    assert login(client, "county_clerk", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="accounts.lockout_released")
    assert event.actor == users["sysadmin"] and event.object_id == str(clerk.pk) and event.after == {"attempts": 1}
    assert "解除锁定" not in admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()


def test_the_second_factor_state_is_shown_and_reset(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    admin = client_for("sysadmin")
    assert "未启用" in admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    TOTPDevice.objects.create(user=clerk, name="身份验证器", confirmed=True)
    page = admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert "已启用" in page and "重置双因素" in page
    assert admin.post(f"/accounts/manage/{clerk.pk}/reset-2fa/").status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert AuditEvent.objects.get(action="accounts.otp_reset").actor == users["sysadmin"]


def test_revoking_a_users_tokens_stops_them_and_audits_each(users: Any, client_for: Any) -> None:
    clerk = users["county_clerk"]
    _, raw1 = token_issue(actor=clerk, name="对接一")
    _, raw2 = token_issue(actor=clerk, name="对接二", read_only=True)
    own, own_raw = token_issue(actor=users["leader"], name="别人的")
    admin = client_for("sysadmin")
    page = admin.get(f"/accounts/manage/{clerk.pk}/").content.decode()
    assert "对接一" in page and raw1 not in page and raw1[3:9] in page
    assert admin.post(f"/accounts/manage/{clerk.pk}/revoke-tokens/").status_code == 302
    for raw in (raw1, raw2):
        assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/plans/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {own_raw}").get("/api/v1/plans/").status_code == 200
    events = AuditEvent.objects.filter(action="accounts.token_revoked")
    assert events.count() == 2 and {e.actor for e in events} == {users["sysadmin"]}
    assert not ApiToken.objects.get(pk=own.pk).revoked
