"""The client's address, one rule for the lockout, the audit trail and the API throttles."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    """REMOTE_ADDR, or behind RECTIFY_PROXY_COUNT proxies the address they saw (as DRF's NUM_PROXIES)."""
    meta = getattr(request, "META", {})
    count = int(getattr(settings, "RECTIFY_PROXY_COUNT", 0) or 0)
    if count:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-min(count, len(forwarded))][:45]
    return str(meta.get("REMOTE_ADDR") or "")[:45]
