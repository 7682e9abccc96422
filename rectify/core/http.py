"""Thin-view helpers: domain errors become the right HTTP answer, pages paginate one way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render

from .errors import DomainError, Forbidden, NotFound


def business_view(func: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """NotFound → 404 (never tell "exists but not yours"); Forbidden → a 403 page in Chinese."""

    @wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return func(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)

    return wrapper


def paginate(request: HttpRequest, items: Any, per_page: int | None = None) -> Page:
    paginator = Paginator(items, per_page or settings.RECTIFY_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@contextmanager
def errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """A form action's rule violations become a message on the next page; scope and role
    errors still become 404/403 through business_view."""
    try:
        yield
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)


def stored_file_response(*, storage_name: str, filename: str, content_type: str, inline: bool) -> FileResponse:
    """A stored evidence file, as a download (or inline for images and PDFs the user opens):
    never sniffed by the browser, never able to run script."""
    response = FileResponse(
        default_storage.open(storage_name, "rb"),
        as_attachment=not inline,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def post_int(request: HttpRequest, name: str) -> int:
    """An integer form field; anything else (missing, "abc", "²") is 0, which no row has."""
    return int_or_zero(request.POST.get(name))


def int_or_zero(value: Any) -> int:
    """A form or query value as a non-negative integer; anything else is 0, which no row has."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() else 0


def date_or_none(value: Any) -> dt.date | None:
    """A YYYY-MM-DD form value, or None for blank or malformed input."""
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


# An upload Django cannot parse: most often a file name too long for its header limit (1 KB).
UNPARSABLE_UPLOAD = "上传的内容无法解析（文件名过长或表单格式有误）。请把文件名缩短到 200 字以内后重新上传。"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    """handler400: the site's 400 page in Chinese, saying why when Django knows (an unparsable
    upload); JSON under /api/."""
    from django.http import JsonResponse
    from django.http.multipartparser import MultiPartParserError

    message = UNPARSABLE_UPLOAD if isinstance(exception, MultiPartParserError) else ""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message or "请求有误，请检查后重试。"}, status=400)
    return render(request, "400.html", {"message": message}, status=400)
