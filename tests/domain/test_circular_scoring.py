"""The 月通报's scoring rule by property (documents/scoring.py): random per-unit figures and
weights — a unit that reported always ranks above one that reported nothing and completed
nothing; the named units are exactly the bottom N below full marks and those under the threshold;
weights that would break the guarantee are refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify.documents.scoring import NOTICE_LABELS, UnitFigures, Weights, named_ids, rank
from rectify.supervision.models import NoticeKind

counts = st.integers(min_value=0, max_value=400)


@st.composite
def unit_figures(draw: Any, uid: int) -> UnitFigures:
    shares = draw(st.integers(min_value=1, max_value=80))
    completed = draw(st.integers(min_value=0, max_value=shares))
    due = draw(st.integers(min_value=0, max_value=shares))
    due_done = draw(st.integers(min_value=0, max_value=min(due, completed)))
    overdue = due - due_done
    owed = draw(counts)
    on_time = draw(st.integers(min_value=0, max_value=owed))
    late = draw(st.integers(min_value=0, max_value=owed - on_time))
    return UnitFigures(
        unit_id=uid,
        unit=f"单位{uid}",
        path=f"{uid:04d}.",
        shares=shares,
        completed=completed,
        due=due,
        due_done=due_done,
        overdue=overdue,
        red=draw(st.integers(min_value=overdue, max_value=shares)),
        reports_owed=owed,
        reports_on_time=on_time,
        reports_late=late,
        reports_missing=owed - on_time - late,
        notices={"reminder": draw(st.integers(min_value=0, max_value=6))},
        reopened=draw(st.integers(min_value=0, max_value=4)),
    )


weights = st.builds(
    Weights,
    report=st.floats(min_value=0.5, max_value=100),
    complete=st.floats(min_value=0, max_value=100),
    green=st.floats(min_value=0, max_value=100),
    late=st.floats(min_value=0.01, max_value=1),
    notice=st.floats(min_value=0, max_value=50),
    reopen=st.floats(min_value=0, max_value=50),
)


def many(low: int, high: int) -> Any:
    return st.integers(low, high).flatmap(lambda k: st.tuples(*[unit_figures(i) for i in range(k)]))


@given(many(2, 30), weights)
def test_a_unit_with_no_report_and_nothing_done_never_ranks_above_one_that_reported(
    rows: tuple[UnitFigures, ...], w: Weights
) -> None:
    ranked = rank(list(rows), w)
    idle = [f for f in ranked if f.reports_owed and f.reports_filed == 0 and f.completed == 0]
    reported = [f for f in ranked if f.reports_filed > 0]
    for r in reported:
        for i in idle:
            assert r.score > i.score and r.rank < i.rank
    assert all(f.score == 0 for f in idle)
    assert all(0 <= f.score <= w.full + 0.1 for f in ranked)


@given(many(1, 25), st.integers(0, 30), st.floats(0, 100))
def test_named_is_the_bottom_n_below_full_marks_and_everyone_under_the_threshold(
    rows: tuple[UnitFigures, ...], n: int, below: float
) -> None:
    w = Weights()
    ranked = rank(list(rows), w)
    named = set(named_ids(ranked, n=n, below=below, full=w.full))
    lost = [f for f in ranked if f.score < w.full]
    for f in ranked:
        strictly_lower = sum(1 for g in lost if g.score < f.score)
        in_bottom = f.score < w.full and strictly_lower < n
        assert (f.unit_id in named) == (in_bottom or f.score < below), f


@pytest.mark.parametrize("bad", [{"report": 0}, {"late": 0}, {"late": 1.5}, {"notice": -1}, {"bonus": 3}])
def test_weights_that_would_break_the_guarantee_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Weights.from_mapping(bad)


def test_the_rules_notice_labels_are_the_notice_kinds() -> None:
    assert list(NOTICE_LABELS.items()) == [(k, str(label)) for k, label in NoticeKind.choices]
