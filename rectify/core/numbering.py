"""Gapless, never-repeating numbers per series and year (发文字号 〔2022〕12号, 第28期).

`next_number` must run inside the transaction that uses the number: the UPDATE locks the
counter row until commit (PostgreSQL) or the write lock is held (SQLite, IMMEDIATE), so
concurrent issuers queue, and a rolled-back issue gives its number back — no gaps, no repeats.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import Counter


def next_number(scope: str, year: int) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that uses the number")
    Counter.objects.bulk_create([Counter(scope=scope, year=year)], ignore_conflicts=True)
    Counter.objects.filter(scope=scope, year=year).update(value=F("value") + 1)
    return Counter.objects.values_list("value", flat=True).get(scope=scope, year=year)
