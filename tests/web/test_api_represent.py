"""`rectify.api.serializers.represent` says a measure or a problem with one shared serializer per
class (its fields built once): exactly what a new serializer's `.data` says, object after object,
with nothing of one object left in the next one's answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rectify.api.serializers import MeasureSerializer, ProblemSerializer, represent
from rectify.plans import selectors
from rectify.plans.models import Measure, Problem

from .test_api_ledger_rows import _fill_the_optional_fields

pytestmark = pytest.mark.django_db


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def test_a_shared_measure_serializer_says_what_a_new_one_says_for_every_measure() -> None:
    _fill_the_optional_fields()
    measures = list(selectors.with_ledger_relations(Measure.objects.select_related("problem").order_by("pk")))
    assert len(measures) > 10
    for measure in measures + measures[::-1]:  # both ways: nothing carried from the one before
        shared = represent(MeasureSerializer, measure)
        fresh = MeasureSerializer(measure).data
        assert list(shared) == list(fresh) and _json(shared) == _json(fresh)
        assert shared.serializer.instance is measure  # as `.data` gives it (the browsable API reads it)


def test_a_shared_problem_serializer_says_what_a_new_one_says_for_every_problem() -> None:
    problems = list(Problem.objects.select_related("plan", "chapter", "acceptance_unit").order_by("pk"))
    assert len(problems) > 10
    for problem in problems + problems[::-1]:
        assert _json(represent(ProblemSerializer, problem)) == _json(ProblemSerializer(problem).data)
