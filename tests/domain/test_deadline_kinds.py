"""The model's deadline kinds and the pure grammar's kinds are one list with one set of labels."""

from rectify.plans import deadlines
from rectify.plans.models import DeadlineKind


def test_model_choices_match_the_grammar() -> None:
    assert dict(DeadlineKind.choices) == {str(k): v for k, v in deadlines.KIND_LABELS.items()}


def test_model_recurrences_match_the_grammar() -> None:
    from rectify.plans.models import Recurrence

    assert dict(Recurrence.choices) == {str(k): v for k, v in deadlines.RECURRENCE_LABELS.items()}
    assert set(deadlines.RECURRENCE_MONTHS) == set(Recurrence.values)
