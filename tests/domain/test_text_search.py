"""The ledger's text filter answers from the bigram index (plans.search_index) and says exactly what
the LIKE filter says: the same measures for every query, on SQLite and PostgreSQL, and the index
stays in step with every way a measure's or a problem's text is written."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Q

from rectify.orgs.models import OrgUnit
from rectify.plans import editing, search, search_index, services, writer
from rectify.plans.editing import MeasureInput, UnitRole
from rectify.plans.models import Chapter, Measure, Plan, Problem

pytestmark = pytest.mark.django_db

# Chinese of the ledger, Latin in both cases, digits, full-width forms, punctuation LIKE treats
# specially (% _ \), quotes, and letters whose case rules differ between SQLite's LIKE (ASCII only)
# and PostgreSQL's UPPER() (Unicode): ſ/s, K (Kelvin)/k, ß, İ, Σ/σ/ς, é and e + a combining accent.
ALPHABET = list("扬尘巡查整改污染治理煤矸石环境监管到位不力") + list("abcKSsxyzABXYZ") + list("0123456789")
ALPHABET += list("，。：；（）、 .-%_\\'\"")
ALPHABET += ["Ａ", "ａ", "１", "ſ", "\u212a", "ß", "İ", "Σ", "σ", "ς", "é", "e\u0301"]


def _ids(condition: Any) -> set[int]:
    return set(Measure.objects.filter(condition).values_list("pk", flat=True))


def _seed_place() -> tuple[Plan, Chapter]:
    plan = Plan.objects.order_by("pk").first()
    assert plan is not None
    return plan, Chapter.objects.filter(plan=plan).order_by("index").first()  # type: ignore[return-value]


def _problem(plan: Plan, chapter: Chapter, index: int, text: str, measures: list[str]) -> list[Measure]:
    """A problem and its measures written as the plan import writes them."""
    deadline = services.typed_deadline_values("2022年12月底前")
    problem = writer.problem_row(
        plan=plan,
        chapter=chapter,
        number=f"测{index}",
        index=1000 + index,
        text=text,
        goal="",
        responsible_person="",
        acceptance_unit_name="",
        acceptance_unit=None,
        deadline=deadline,
    )
    rows = [writer.MeasureRow(number="", text=t, deadline=deadline) for t in measures]
    return writer.measure_rows(problem, rows)


def _random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


@pytest.fixture
def generated() -> list[str]:
    """60 problems with 1–3 measures of random text; returns every text written."""
    rng = random.Random(16)
    plan, chapter = _seed_place()
    texts: list[str] = []
    for i in range(60):
        problem_text = _random_text(rng, rng.randint(1, 40))
        measures = [_random_text(rng, rng.randint(0, 30)) for _ in range(rng.randint(1, 3))]
        _problem(plan, chapter, i, problem_text, measures)
        texts += [problem_text, *measures]
    return texts


def _queries(texts: list[str], rng: random.Random) -> Iterator[str]:
    """Substrings of the texts (1, 2, 3, 5 and 12 characters), the same with Latin case swapped,
    random strings (mostly no match), and the characters with special case or LIKE rules."""
    for size in (1, 2, 2, 3, 5, 12):
        for _ in range(12):
            text = rng.choice([t for t in texts if len(t) >= size] or ["扬尘"])
            start = rng.randint(0, len(text) - size)
            piece = text[start : start + size]
            yield piece
            yield piece.swapcase()
    for size in (2, 3, 4):
        for _ in range(8):
            yield _random_text(rng, size)
    yield from ["%", "_", "\\", "'", '"', "%_", "a%", "s", "S", "ſ", "k", "K", "\u212a", "ß", "SS", "ss"]
    yield from ["İ", "i", "I", "Σ", "σ", "ς", "é", "e", "E\u0301", "Ａ", "a", "ａ", "A", "１", "1", "无此内容"]


def _spy_on_like(monkeypatch: Any) -> tuple[Any, list[str]]:
    """The real LIKE condition, and the queries the search handed to it from now on."""
    like = search.like_condition
    calls: list[str] = []

    def spy(q: str) -> Any:
        calls.append(q)
        return like(q)

    monkeypatch.setattr(search, "like_condition", spy)
    return like, calls


def test_every_query_finds_exactly_what_the_like_filter_finds(generated: list[str], monkeypatch: Any) -> None:
    assert search_index.ready()
    like, like_calls = _spy_on_like(monkeypatch)
    seed = list(Problem.objects.values_list("text", flat=True)[:20]) + list(
        Measure.objects.values_list("text", flat=True)[:40]
    )
    queries = list(dict.fromkeys(q.strip() for q in _queries(generated + seed, random.Random(7)) if q.strip()))
    matched = 0
    for q in queries:
        got = _ids(search.measure_text_condition(q))
        assert got == _ids(like(q)), q
        matched += bool(got)
    # The test means something: most queries matched, and most were answered from the index.
    assert matched > len(queries) // 2
    two_or_more = [q for q in queries if len(q) >= 2]
    assert len([q for q in like_calls if len(q) >= 2]) < len(two_or_more) // 4, like_calls


def test_a_common_query_falls_back_to_like_and_still_agrees(generated: list[str], monkeypatch: Any) -> None:
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    like, like_calls = _spy_on_like(monkeypatch)
    common = max(("扬尘", "整改", "ab", "污染"), key=lambda q: len(_ids(like(q))))
    assert len(_ids(like(common))) > 3
    assert _ids(search.measure_text_condition(common)) == _ids(like(common))
    assert common in like_calls


def test_the_seed_plan_is_found_through_the_index(monkeypatch: Any) -> None:
    """The imported seed plan (written by the plan import) is in the index: a phrase from one of
    its measures finds that measure without the LIKE scan."""
    monkeypatch.setattr(search, "like_condition", lambda q: pytest.fail(f"LIKE scan for {q}"))
    for measure in Measure.objects.order_by("pk")[:30]:
        piece = measure.text[3:9].strip()
        if len(piece) < 2:
            continue
        found = _ids(search.measure_text_condition(piece))
        assert measure.pk in found, piece
        expected = set(Measure.objects.filter(text__icontains=piece).values_list("pk", flat=True)) | set(
            Measure.objects.filter(problem__text__icontains=piece).values_list("pk", flat=True)
        )
        assert found == expected, piece


def test_texts_a_tsvector_cannot_hold_are_still_found() -> None:
    """More than 256 of one bigram, or more than 16383 characters: PostgreSQL keeps such a text
    without grams and the search still finds it (SQLite's index has no such limits)."""
    plan, chapter = _seed_place()
    repeated = "扬尘" * 300 + "巡查到位"
    long_text = "".join(random.Random(3).choice("煤矸石治理监管") for _ in range(17000)) + "末尾的整改"
    (m1,) = _problem(plan, chapter, 1, "问题", [repeated])
    (m2,) = _problem(plan, chapter, 2, long_text, ["措施"])
    for q, measure in (("尘巡查到", m1), ("尘扬尘扬", m1), ("末尾的整改", m2)):
        got = _ids(search.measure_text_condition(q))
        assert measure.pk in got
        assert got == _ids(search.like_condition(q))
    assert not any(search_index.differences().values())


def _unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def test_edits_and_new_items_are_searchable_at_once(users: Any) -> None:
    office = users["city_office"]
    plan, chapter = _seed_place()
    problem = editing.problem_create(
        actor=office,
        plan=plan,
        chapter=chapter,
        text="自查发现，某洗煤厂露天堆场未全封闭。",
        deadline="2022年12月底前",
        source="self_check",
        measures=[MeasureInput(text="督促洗煤厂建设全封闭储煤棚。", units=[UnitRole(_unit("市生态环境局"))])],
    )
    (measure,) = Measure.objects.filter(problem=problem)
    assert _ids(search.measure_text_condition("露天堆场")) == {measure.pk}
    assert _ids(search.measure_text_condition("储煤棚")) == {measure.pk}
    added = editing.measure_create(
        actor=office, problem=problem, text="开展洗煤行业专项检查。", units=[UnitRole(_unit("市工信局"))]
    )
    assert _ids(search.measure_text_condition("洗煤行业")) == {added.pk}
    editing.measure_update(actor=office, measure=measure, version=measure.version, text="改为建设防风抑尘网。")
    assert _ids(search.measure_text_condition("防风抑尘网")) == {measure.pk}
    assert _ids(search.measure_text_condition("储煤棚")) == set()
    assert not any(search_index.differences().values())


def test_the_import_and_the_edits_leave_the_index_in_step_with_the_texts() -> None:
    assert search_index.differences() == {search_index.MEASURES: {}, search_index.PROBLEMS: {}}
    with connection.cursor() as cursor:  # the index loses a row and keeps a stale one
        table = search_index.MEASURES
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {table} WHERE rowid = (SELECT min(rowid) FROM {table})")
        else:
            cursor.execute(f"DELETE FROM {table} WHERE measure_id = (SELECT min(measure_id) FROM {table})")
    Measure.objects.filter(pk=Measure.objects.order_by("-pk")[0].pk).update(text="改写而未重建索引")
    assert search_index.differences()[search_index.MEASURES] == {"missing": 1, "stale": 1}
    with pytest.raises(CommandError, match="缺少 1 条"):
        call_command("reindex_search", "--check")
    call_command("reindex_search")
    call_command("reindex_search", "--check")
    assert _ids(search.measure_text_condition("改写而未重建")) == {Measure.objects.order_by("-pk")[0].pk}


def test_without_the_index_the_filter_is_the_like_scan(monkeypatch: Any) -> None:
    like = search.like_condition
    q = Measure.objects.order_by("pk")[0].text[2:6]
    monkeypatch.setattr(search, "like_condition", lambda q: ("like", q))
    assert search.measure_text_condition("扬") == ("like", "扬")  # one character: no bigram
    assert search.measure_text_condition(q) != ("like", q)
    monkeypatch.setattr(search_index, "ready", lambda connection=None: False)
    assert search.measure_text_condition(q) == ("like", q)
    assert _ids(like(q))  # and the LIKE scan finds it


def test_folding_is_per_character_and_keeps_the_length() -> None:
    for text in ["扬尘 ABC", "ſ\u212aßİΣς", "e\u0301Ａ%_", "\ud800x"]:
        assert len(search_index.fold(text)) == len(text)
    assert search_index.fold("ABC ſ\u212a") == search_index.fold("abc Sk")
    assert search_index.grams("巡查整改") == ["巡查", "查整", "整改"]
    assert search_index.grams("扬") == []


def _icontains_ids(q: str) -> set[int]:
    """The ledger's text filter as Django's icontains writes it, independently of plans.search."""
    problems = Problem.objects.filter(text__icontains=q).values("pk")
    return _ids(Q(text__icontains=q) | Q(problem_id__in=problems))


def test_the_like_filter_is_icontains_for_every_query_with_or_without_case(generated: list[str]) -> None:
    queries = list(dict.fromkeys(q for q in _queries(generated, random.Random(11)) if q))
    caseless = [q for q in queries if search.caseless(q)]
    # Both kinds are tried: queries of Chinese, digits and punctuation, and queries with letters.
    assert len(caseless) > 20 and len(queries) - len(caseless) > 20
    matched = 0
    for q in queries:
        got = _ids(search.like_condition(q))
        assert got == _icontains_ids(q), q
        matched += bool(got)
    assert matched > len(queries) // 2


def test_a_caseless_query_skips_upper_on_postgresql_only() -> None:
    def sql(condition: Any) -> str:
        return str(Measure.objects.filter(condition).query)

    problems = Problem.objects.filter(text__icontains="巡查").values("pk")
    icontains = Q(text__icontains="巡查") | Q(problem_id__in=problems)
    if connection.vendor == "postgresql":
        assert "UPPER" in sql(icontains) and "UPPER" not in sql(search.like_condition("巡查"))
        assert "UPPER" in sql(search.like_condition("巡查a"))
    else:
        assert sql(search.like_condition("巡查")) == sql(icontains)


def test_no_character_changes_case_into_a_caseless_one() -> None:
    """`caseless` is safe: upper-casing (or lower-, title-, fold-casing) any character of Unicode
    never yields a character the rule calls caseless unless it is that character itself."""
    made: set[str] = set()
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        for mapped in (c.upper(), c.lower(), c.title(), c.casefold()):
            if mapped != c:
                made.update(mapped)
    assert len(made) > 2000  # the mappings were read
    assert [c for c in made if search.caseless(c)] == []
    assert search.caseless("巡查 ，。：（）１2023") and not search.caseless("巡查A") and not search.caseless("Ⓐ")
