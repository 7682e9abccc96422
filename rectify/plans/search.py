"""The ledger's text filter (`q`): exactly `icontains` on the measure's or its problem's text,
answered from the bigram index (plans.search_index) when that is faster.

A query of two or more characters asks the index for its candidates — measures whose text, and
problems whose text, hold the query's bigrams at consecutive positions — and re-checks them with
the `icontains` the ledger always used, so the ids are exactly the LIKE filter's. The LIKE scan
stays the answer where the index cannot help:

- one character (no bigram), or a database without the index (not SQLite or PostgreSQL, or the
  tables missing);
- a common query: more than `MAX_CANDIDATES` measures or problems hold it. The page then walks the
  ledger's order and stops at the first matches, and the pager's count has to read most of the
  table either way; materialising thousands of ids would cost more than it saves.

On PostgreSQL a query without case (Chinese, digits, punctuation: `caseless`) is that LIKE
without `UPPER()` on both sides: the same rows (no character changes case into or out of such a
query, see `caseless`), and upper-casing every text of a scan was half of it (the count of 巡查,
in every measure, at 100k: ~62 ms with UPPER, ~36 ms without, docs/benchmarks.md).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from . import search_index
from .models import Measure, Problem

MAX_CANDIDATES = 2000


# Characters without case: letters of no case (Chinese), decimal digits, punctuation and spaces
# that are their own upper and lower case. No character's upper, lower, title or fold case is one
# of them (tests/domain/test_text_search.py checks that over all of Unicode), so upper-casing a
# text changes no such character and makes none: `UPPER(text) LIKE UPPER(q)` ⇔ `text LIKE q`.
_CASELESS_CATEGORIES = frozenset({"Lo", "Nd", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs"})


def caseless(q: str) -> bool:
    """Every character of `q` is without case (see _CASELESS_CATEGORIES)."""
    return all(unicodedata.category(c) in _CASELESS_CATEGORIES and c.upper() == c == c.lower() for c in q)


def _text_lookup(q: str) -> str:
    """`text__icontains`; on PostgreSQL for a caseless query `text__contains`, the same rows
    without UPPER() of every text."""
    return "text__contains" if connection.vendor == "postgresql" and caseless(q) else "text__icontains"


def like_condition(q: str) -> Q:
    """The LIKE filter itself (`icontains`, see _text_lookup): the problem's text once per problem
    (a subquery), not once per measure through a join (the join also stayed in the pager's COUNT(*))."""
    lookup = _text_lookup(q)
    return Q(**{lookup: q}) | Q(problem_id__in=Problem.objects.filter(**{lookup: q}).values("pk"))


def _too_many(tokens: list[str]) -> bool:
    """More than MAX_CANDIDATES measures or problems hold the query's grams (one query, reading
    at most MAX_CANDIDATES + 1 entries of each index)."""
    parts, params = [], []
    for table in (search_index.MEASURES, search_index.PROBLEMS):
        sql, p = search_index.candidates_sql(table, tokens, MAX_CANDIDATES + 1)
        parts.append(f"(SELECT count(*) FROM ({sql}) AS c)")  # noqa: S608
        params += p
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return any(int(n) > MAX_CANDIDATES for n in cursor.fetchone())


def _candidates(model: type[Measure] | type[Problem], table: str, q: str, tokens: list[str]) -> QuerySet[Any, Any]:
    """(kind, id) of the rows of `model` whose text contains `q`: the index's candidates
    re-checked with icontains. Table names are constants; the phrase and the limit parameters."""
    sql, params = search_index.candidates_sql(table, tokens, MAX_CANDIDATES + 1)
    return (
        model._default_manager.filter(pk__in=RawSQL(sql, params))  # noqa: S611
        .filter(**{_text_lookup(q): q})
        .order_by()
        .annotate(kind=Value(table))
        .values_list("kind", "pk")
    )


def measure_text_condition(q: str) -> Q:
    """Measures whose text, or whose problem's text, contains `q` (case-insensitive for Latin
    letters, as `icontains`): two small queries now, and the condition is ids, not a scan."""
    if "\x00" in q:  # no text holds a NUL; PostgreSQL's LIKE fails on one, SQLite's stops at it
        return Q(pk__in=[])
    tokens = search_index.grams(q)
    if not tokens or not search_index.ready() or _too_many(tokens):
        return like_condition(q)
    measures = _candidates(Measure, search_index.MEASURES, q, tokens)
    problems = _candidates(Problem, search_index.PROBLEMS, q, tokens)
    found: dict[str, list[int]] = {search_index.MEASURES: [], search_index.PROBLEMS: []}
    for kind, pk in measures.union(problems, all=True):
        found[kind].append(pk)
    return Q(pk__in=found[search_index.MEASURES]) | Q(problem_id__in=found[search_index.PROBLEMS])


def ledger_condition(filters: Any) -> Q:
    """`measure_text_condition(filters.q)`, worked out once per filters object: the ledger's pager
    builds its queryset twice (count, then page) from the same filters of one request."""
    cached = getattr(filters, "_text_condition", None)
    if cached is None or cached[0] != filters.q:
        cached = (filters.q, measure_text_condition(filters.q))
        filters._text_condition = cached
    return cached[1]
