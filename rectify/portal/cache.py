"""The portal's page cache: a burst of citizens reads rendered pages from the cache, not the
database.

A cached page is keyed by the public version (`plans.publishing.public_version`, bumped by every
service that changes public data), the day (pages say what is overdue and what is in 公示), the
instance's date banner, the path and the page number — nothing of the visitor's: the portal
renders the same bytes for everyone, so no session, cookie or personal data can enter the cache.
Only complete 200 answers without cookies are stored, for RECTIFY_PUBLIC_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control

from rectify.core import clock
from rectify.plans.publishing import public_version

KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def page_key(request: HttpRequest) -> str | None:
    """The page's key; None (not cached) for an odd page number, so junk cannot flood the cache."""
    page = request.GET.get("page", "")
    if page and not (page.isascii() and page.isdigit() and len(page) < 5):
        return None
    instance = clock.instance_date()
    where = f"{request.path}?page={page}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:32]
    return f"portal:{public_version()}:{clock.today():%Y%m%d}:{instance or ''}:{digest}"


def _headers(response: HttpResponseBase, ttl: int) -> None:
    # Browsers and proxies ask again every time (no-cache): the burst is absorbed by this cache,
    # and a 销号 or a withdrawal shows at once instead of after a browser's own copy expires.
    patch_cache_control(response, public=True, no_cache=True, max_age=0)


def public_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve a public page from the cache; render and store it on a miss."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        ttl = int(getattr(settings, "RECTIFY_PUBLIC_CACHE_SECONDS", 0))
        if ttl <= 0 or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = page_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        stored = cache.get(key)
        if stored is not None:
            status, content, headers = stored
            hit = HttpResponse(content, status=status)
            for name, value in headers.items():
                hit[name] = value
            hit["X-Cache"] = "HIT"
            _headers(hit, ttl)
            return hit
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponse) and response.status_code == 200 and not response.cookies:
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (response.status_code, response.content, headers), ttl)
            response["X-Cache"] = "MISS"
            _headers(response, ttl)
        return response

    return wrapper
