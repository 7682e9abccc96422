"""The system administrator's account writes (账号管理), each audited: new accounts, name, phone
and active state, business roles (memberships) and revoking another person's API tokens. The
recoveries (temporary password, second factor, lockout) are in services.py and shared with the
Django admin fallback."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rectify.audit.services import record
from rectify.core.errors import DomainError, Forbidden
from rectify.orgs.models import Membership, OrgUnit, Role

from .models import AccountSecurity, ApiToken
from .policies import can_change_account, can_grant_role, can_manage_accounts
from .services import account_created

_PHONE = re.compile(r"^[0-9+\-() ]{0,20}$")
NOT_SYSADMIN = "账号管理只供系统管理员使用。"


def _require_manager(actor: Any) -> None:
    if not can_manage_accounts(actor):
        raise Forbidden(NOT_SYSADMIN)


def _require_change(actor: Any, target: Any) -> None:
    _require_manager(actor)
    if not can_change_account(actor, target):
        raise Forbidden("不能修改该账号：本人账号请在“我的账号”中维护，其他管理员账号由超级用户在命令行维护。")


def _clean_name(full_name: str) -> str:
    name = full_name.strip()
    if not name:
        raise DomainError("请填写姓名。")
    if len(name) > 150:
        raise DomainError("姓名不能超过 150 个字符。")
    return name


def _clean_phone(phone: str) -> str:
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise DomainError("联系电话只能包含数字、空格和 + - ( )，不超过 20 个字符。")
    return phone


def phone_of(user: Any) -> str:
    return AccountSecurity.objects.filter(user=user).values_list("phone", flat=True).first() or ""


@transaction.atomic
def user_create(*, actor: Any, username: str, full_name: str, phone: str = "") -> tuple[User, str, dt.datetime]:
    """A new account without a role: the system makes a temporary password, shown once to the
    administrator, which opens nothing but the page to choose a new one."""
    _require_manager(actor)
    username = username.strip()
    if not username:
        raise DomainError("请填写用户名。")
    if len(username) > 150:
        raise DomainError("用户名不能超过 150 个字符。")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise DomainError("用户名只能包含字母、数字和 @ . + - _ 。") from exc
    name = _clean_name(full_name)
    phone = _clean_phone(phone)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"用户名“{username}”已被使用，请换一个。")
    user = User(username=username, first_name=name)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a racing create of the same name
        raise DomainError(f"用户名“{username}”已被使用，请换一个。") from exc
    AccountSecurity.objects.update_or_create(user=user, defaults={"phone": phone})
    temporary, expires_at = account_created(actor=actor, user=user)
    return user, temporary, expires_at


@transaction.atomic
def user_update(*, actor: Any, target: User, full_name: str, phone: str, is_active: bool) -> list[str]:
    """Name, phone and whether the account may sign in; the audit row holds before → after."""
    _require_change(actor, target)
    name = _clean_name(full_name)
    phone = _clean_phone(phone)
    old = {"name": target.first_name, "phone": phone_of(target), "is_active": target.is_active}
    new = {"name": name, "phone": phone, "is_active": is_active}
    changed = [k for k in new if old[k] != new[k]]
    if not changed:
        return []
    target.first_name = name
    target.is_active = is_active
    target.save(update_fields=["first_name", "is_active"])
    AccountSecurity.objects.update_or_create(user=target, defaults={"phone": phone})
    record(
        actor=actor,
        action="accounts.user_changed",
        obj=target,
        before={k: old[k] for k in changed},
        after={k: new[k] for k in changed},
    )
    return changed


def _facts(m: Membership) -> dict[str, Any]:
    # The same facts as the Django admin's record (rectify/orgs/admin.py), so the audit log reads alike.
    return {"user": m.user.username, "unit": m.unit.name, "role": m.role, "role_label": m.get_role_display()}


@transaction.atomic
def membership_grant(*, actor: Any, target: User, unit: OrgUnit, role: str) -> Membership:
    _require_manager(actor)
    if not can_grant_role(actor, target):
        raise Forbidden("系统管理员和审计管理员不能担任业务岗位。")
    if role not in Role.values:
        raise DomainError("请选择列出的岗位。")
    if not unit.is_active:
        raise DomainError(f"“{unit.name}”已撤销或并入其他单位，不能再分配岗位。")
    if Membership.objects.filter(user=target, unit=unit, role=role).exists():
        raise DomainError(f"该账号在“{unit.name}”已是{Role(role).label}。")
    membership = Membership.objects.create(user=target, unit=unit, role=role)
    record(actor=actor, action="orgs.membership_granted", obj=membership, parent=target, after=_facts(membership))
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    _require_manager(actor)
    target = membership.user
    if not can_grant_role(actor, target):
        raise Forbidden("不能修改该账号的业务岗位。")
    facts = _facts(membership)
    record(actor=actor, action="orgs.membership_revoked", obj=membership, parent=target, before=facts)
    membership.delete()


@transaction.atomic
def tokens_revoke_all(*, actor: Any, target: User) -> int:
    """Revoke every live API token of another account (a lost laptop, a person who left): one
    audit row per token, like the owner's own revocation."""
    _require_change(actor, target)
    tokens = list(ApiToken.objects.select_for_update().filter(user=target, revoked=False))
    for token in tokens:
        record(
            actor=actor,
            action="accounts.token_revoked",
            obj=token,
            parent=target,
            before={"name": token.name},
            after={"user": target.username},
        )
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked=True)
    return len(tokens)
