"""API tokens with an expiry date and an optional read-only scope; users change their own password."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from rectify.accounts.models import ApiToken
from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- expiry -----------------------------------------------------------------------------------


def test_a_token_lasts_90_days_by_default_then_answers_401_in_chinese(users: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        token, raw = token_issue(actor=users["county_clerk"], name="对接")
        assert token.expires_at == START + dt.timedelta(days=90)
        clock.shift(dt.timedelta(days=89, hours=23))
        assert bearer(raw).get("/api/v1/plans/").status_code == 200
        clock.shift(dt.timedelta(hours=1, seconds=1))
        expired = bearer(raw).get("/api/v1/plans/")
        assert expired.status_code == 401
        assert expired.json()["detail"] == "令牌已于 2026-05-31 过期，请在“我的账号”页重新签发。"


def test_the_profile_page_issues_a_token_with_its_validity_and_scope(users: Any, client_for: Any) -> None:
    with time_machine.travel(START, tick=False):
        client = client_for("dept_clerk")
        page = client.post("/accounts/me/tokens/", {"name": "大屏", "days": "30", "read_only": "1"})
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        token = ApiToken.objects.get(user=users["dept_clerk"])
        assert token.read_only and token.expires_at == START + dt.timedelta(days=30)
        text = page.content.decode()
        assert "只读，有效期至 2026-04-01 10:00" in text
        assert "2026-04-01" in client.get("/accounts/me/").content.decode()
    event = AuditEvent.objects.get(action="accounts.token_issued")
    assert event.actor == users["dept_clerk"] and event.after["days"] == 30 and event.after["read_only"] is True


def test_the_default_validity_is_preselected(users: Any, client_for: Any) -> None:
    page = client_for("leader").get("/accounts/me/").content.decode()
    assert '<option value="90" selected>有效期 90 天</option>' in page


@pytest.mark.parametrize("days", ["0", "400", "abc", "-5"])
def test_an_impossible_validity_is_refused_with_a_message(users: Any, client_for: Any, days: str) -> None:
    page = client_for("leader").post("/accounts/me/tokens/", {"name": "x", "days": days})
    assert page.status_code == 400 and "请选择列出的有效期" in page.content.decode()
    assert not ApiToken.objects.filter(user=users["leader"]).exists()


def test_the_longest_validity_is_a_setting(users: Any, settings: Any) -> None:
    from rectify.core.errors import DomainError

    settings.RECTIFY_API_TOKEN_MAX_DAYS = 30
    with pytest.raises(DomainError, match="1 至 30 天"):
        token_issue(actor=users["leader"], name="x", days=90)


# --- read-only scope ---------------------------------------------------------------------------


def test_a_read_only_token_reads_but_never_writes(users: Any) -> None:
    _, raw = token_issue(actor=users["county_clerk"], name="只读", read_only=True)
    client = bearer(raw)
    assert client.get("/api/v1/plans/").status_code == 200
    assert client.options("/api/v1/plans/").status_code == 200
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/notifications/read/", data={}, content_type="application/json")
        assert response.status_code == 403, method
        assert response.json()["detail"] == "只读令牌只能查询，不能修改数据。"


def test_a_read_write_token_may_write(users: Any) -> None:
    _, raw = token_issue(actor=users["county_clerk"], name="读写")
    response = bearer(raw).post("/api/v1/notifications/read/", data={}, content_type="application/json")
    assert response.status_code == 200


def test_a_revoked_token_is_audited_and_refused(users: Any, client_for: Any) -> None:
    token, raw = token_issue(actor=users["leader"], name="x")
    assert client_for("leader").post(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 302
    assert bearer(raw).get("/api/v1/plans/").status_code == 401
    assert AuditEvent.objects.get(action="accounts.token_revoked").actor == users["leader"]


def test_tokens_of_another_user_cannot_be_revoked(users: Any, client_for: Any) -> None:
    token, _ = token_issue(actor=users["leader"], name="x")
    assert client_for("county_clerk").post(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 404


# --- own password -------------------------------------------------------------------------------


def test_users_change_their_own_password_on_the_profile_page(users: Any, client_for: Any) -> None:
    client = client_for("county_clerk")
    page = client.get("/accounts/me/").content.decode()
    assert 'action="/accounts/me/password/"' in page and "修改密码" in page
    response = client.post(
        "/accounts/me/password/",
        {"old_password": PASSWORD, "new_password1": "Qingshan-Lushui-2026", "new_password2": "Qingshan-Lushui-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    # Still signed in on this session; the new password opens a new one, the old does not.
    assert client.get("/accounts/me/").status_code == 200
    fresh = Client()
    assert fresh.post("/accounts/login/", {"username": "county_clerk", "password": PASSWORD}).status_code == 200
    ok = fresh.post("/accounts/login/", {"username": "county_clerk", "password": "Qingshan-Lushui-2026"})
    assert ok.status_code == 302
    event = AuditEvent.objects.get(action="accounts.password_changed")
    assert event.actor == users["county_clerk"] and event.after == {"forced": False}


@pytest.mark.parametrize(
    ("old", "new1", "new2", "message"),
    [
        ("wrong-old-password", "Qingshan-Lushui-2026", "Qingshan-Lushui-2026", "当前密码不正确"),
        (PASSWORD, "Qingshan-Lushui-2026", "Qingshan-Lushui-2027", "两次输入的新密码不一致"),
        (PASSWORD, "12345678901", "12345678901", "密码只包含数字"),
        (PASSWORD, "short", "short", "密码太短：至少需要 10 个字符"),
        (PASSWORD, PASSWORD, PASSWORD, "不能与当前密码相同"),
    ],
)
def test_a_bad_new_password_is_refused_in_chinese(
    users: Any, client_for: Any, old: str, new1: str, new2: str, message: str
) -> None:
    client = client_for("county_clerk")
    response = client.post(
        "/accounts/me/password/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.password_changed").exists()


# --- the profile's token list -------------------------------------------------------------------


def test_the_secret_is_shown_once_with_a_copy_button_and_then_only_its_prefix(users: Any, client_for: Any) -> None:
    client = client_for("county_clerk")
    page = client.post("/accounts/me/tokens/", {"name": "数据对接", "days": "90"}).content.decode()
    raw = re.search(r'id="new-token"[^>]*>(rt_[^<]+)<', page)
    assert raw is not None
    assert 'data-copy-target="new-token"' in page and "accounts/copy.js" in page
    token = ApiToken.objects.get(user=users["county_clerk"])
    assert token.key_hash != raw.group(1) and raw.group(1) not in str(ApiToken.objects.values().get(pk=token.pk))
    again = client.get("/accounts/me/").content.decode()
    assert raw.group(1) not in again and f"{token.prefix}…" in again and "数据对接" in again
    assert 'id="new-token"' not in again
    event = AuditEvent.objects.get(action="accounts.token_issued")
    assert raw.group(1) not in str(event.after)


def test_revoking_asks_first_and_a_revoked_token_cannot_be_revoked_twice(users: Any, client_for: Any) -> None:
    token, _ = token_issue(actor=users["leader"], name="大屏")
    client = client_for("leader")
    page = client.get("/accounts/me/").content.decode()
    assert 'data-confirm="吊销令牌“大屏”' in page
    client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    page = client.get("/accounts/me/").content.decode()
    assert "已吊销" in page and f"/accounts/me/tokens/{token.pk}/revoke/" not in page


def test_the_revoke_page_is_post_only(users: Any, client_for: Any) -> None:
    token, _ = token_issue(actor=users["leader"], name="x")
    assert client_for("leader").get(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 405
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_an_empty_name_is_refused_and_nothing_is_issued(users: Any, client_for: Any) -> None:
    page = client_for("leader").post("/accounts/me/tokens/", {"name": "", "days": "90"})
    assert page.status_code == 400 and "请填写令牌用途。" in page.content.decode()
    assert not ApiToken.objects.filter(user=users["leader"]).exists()


@pytest.mark.parametrize(("username", "told"), [("county_clerk", False), ("sysadmin", True), ("outsider", True)])
def test_an_account_without_a_business_role_is_told_the_api_will_refuse_it(
    users: Any, client_for: Any, username: str, told: bool
) -> None:
    page = client_for(username).get("/accounts/me/").content.decode()
    assert ('data-testid="token-no-role"' in page) is told
