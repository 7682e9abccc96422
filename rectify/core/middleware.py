"""Input the database cannot hold answers 400, never 500.

An id or a number beyond the database's integer range (`?problem=18277682696007090176`,
`/problems/99999999999999999999/`, a JSON body naming such an id) reaches the database driver:
SQLite's raises OverflowError, PostgreSQL's a DataError ("out of range"). Wherever it surfaces —
a filter, a URL, a serializer's related field — this middleware turns it into a 400 with a Chinese
message: JSON under /api/, the site's error page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

OUT_OF_RANGE_MESSAGE = "请求中的数字超出允许范围，请检查后重试。"


def is_out_of_range(exc: BaseException) -> bool:
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DataError) and "range" in str(exc).lower()


class OutOfRangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_out_of_range(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": OUT_OF_RANGE_MESSAGE}, status=400)
        return render(request, "400.html", {"message": OUT_OF_RANGE_MESSAGE}, status=400)
