"""Account reads for the system administrator's pages: the account list with its filters, one
account's state (lockout, second factor, tokens, roles) and the unit names a role is granted at.
Nothing here reads business data: a unit is a name to choose, never its directory page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import Membership, OrgUnit, Role

from .models import AccountSecurity, ApiToken
from .policies import can_manage_accounts

# The role filter: the business roles, plus "no role" and "administrator".
ROLE_FILTERS = [*Role.choices, ("none", "无岗位"), ("admin", "管理员账号")]


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    active: str = ""  # "", "yes", "no"
    locked: bool = False
    role: str = ""

    @classmethod
    def from_query(cls, query: Any) -> AccountFilters:
        active = str(query.get("active") or "")
        role = str(query.get("role") or "")
        return cls(
            q=str(query.get("q") or "").strip()[:100],
            active=active if active in {"yes", "no"} else "",
            locked=query.get("locked") == "1",
            role=role if role in dict(ROLE_FILTERS) else "",
        )


def _require_manager(viewer: Any) -> None:
    if not can_manage_accounts(viewer):
        raise Forbidden("账号管理只供系统管理员使用。")


def locked_usernames() -> set[str]:
    """Usernames django-axes refuses now: as many failures as the limit within the cool-off
    (the lockout is per username and address, so any address counts)."""
    limit = int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
    cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=limit)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gt=timezone.now() - cool_off)
    return {u for u in attempts.values_list("username", flat=True) if u}


def account_list(*, viewer: Any, filters: AccountFilters) -> QuerySet[User]:
    _require_manager(viewer)
    qs = User.objects.all()
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(security__phone__icontains=q)
        )
    if filters.active:
        qs = qs.filter(is_active=filters.active == "yes")
    if filters.locked:
        qs = qs.filter(username__in=locked_usernames())
    admins = Q(is_staff=True) | Q(is_superuser=True) | Q(groups__isnull=False)
    if filters.role == "admin":
        qs = qs.filter(admins)
    elif filters.role == "none":
        qs = qs.exclude(admins).filter(memberships__isnull=True)
    elif filters.role:
        qs = qs.filter(memberships__role=filters.role)
    ids = qs.values("pk")
    # The admin-group test joins groups; select by id so no account appears twice.
    return (
        User.objects.filter(pk__in=ids)
        .annotate(has_otp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .select_related("security")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("unit").order_by("pk")), "groups"
        )
        .order_by("username")
    )


def account_get(*, viewer: Any, user_id: int) -> User:
    _require_manager(viewer)
    user = (
        User.objects.filter(pk=user_id)
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("unit").order_by("pk")), "groups"
        )
        .first()
    )
    if user is None:
        raise NotFound("未找到该账号。")
    return user


def account_tokens(*, viewer: Any, user: User) -> list[ApiToken]:
    _require_manager(viewer)
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def account_security(user: User) -> AccountSecurity | None:
    return AccountSecurity.objects.filter(user=user).first()


def unit_choices(*, viewer: Any) -> list[tuple[int, str]]:
    """Active units as names to choose a role's unit from, in directory order, indented by level
    (the names only: the directory pages stay business data)."""
    _require_manager(viewer)
    return [
        (pk, "\u3000" * depth + name)
        for pk, name, depth in OrgUnit.objects.filter(is_active=True)
        .order_by("path")
        .values_list("pk", "name", "depth")
    ]
