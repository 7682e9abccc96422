"""Account writes: API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rectify.audit.services import record
from rectify.core.errors import DomainError

from .models import ApiToken, hash_token


@transaction.atomic
def token_issue(*, actor: Any, name: str) -> tuple[ApiToken, str]:
    """Issue a token for the actor; the raw value is returned once and never stored."""
    name = name.strip()[:100]
    if not name:
        raise DomainError("请填写令牌用途。")
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=actor, name=name, key_hash=hash_token(raw), prefix=raw[3:9])
    record(actor=actor, action="token.issued", obj=token, after={"name": name})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise DomainError("只能吊销自己的令牌。")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    record(actor=actor, action="token.revoked", obj=token)
