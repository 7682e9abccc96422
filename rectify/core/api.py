"""The one base view every /api/v1/ endpoint uses: domain errors as HTTP answers — NotFound →
404 (never "exists but not yours"), Forbidden → 403, someone else's change first → 409, any
other rule → 400 with the Chinese message — and one way to page a list."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from .errors import ConcurrentChange, DomainError, Forbidden, NotFound
from .http import UNPARSABLE_UPLOAD


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "已被他人处理，请刷新后重试。"
    default_code = "conflict"


class ScopedView(GenericAPIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, NotFound):
            exc = Http404(exc.message)
        elif isinstance(exc, Forbidden):
            exc = PermissionDenied(exc.message)
        elif isinstance(exc, ConcurrentChange):
            exc = Conflict(exc.message)
        elif isinstance(exc, DomainError):
            exc = ValidationError({"detail": exc.message})
        elif isinstance(exc, ParseError):
            # DRF says it in English ("Multipart form parse error - …", "JSON parse error - …").
            upload = "multipart" in str(exc.detail).lower()
            exc = ParseError(UNPARSABLE_UPLOAD if upload else "请求内容无法解析（格式有误），请检查后重试。")
        return super().handle_exception(exc)

    def paged(self, queryset: Any, serializer_class: Any) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)
