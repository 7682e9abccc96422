"""Serializer fields shared by the /api/v1/ views: a row id is a positive 32-bit integer.

A bigger number is refused with DRF's (Chinese) message before it reaches a query: SQLite cannot
bind an integer beyond 64 bits, so `pk__in=[10**30]` would be a server error, not "not found"."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

ID_MAX = 2_147_483_647  # the largest id (and version) the database's integer columns hold


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """A row id: 1 to ID_MAX."""
    kwargs.setdefault("min_value", 1)
    kwargs.setdefault("max_value", ID_MAX)
    return serializers.IntegerField(**kwargs)


def id_list(**kwargs: Any) -> serializers.ListField:
    """A list of row ids, each 1 to ID_MAX."""
    return serializers.ListField(child=id_field(), **kwargs)
