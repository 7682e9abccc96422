"""The HTML ledger's page of rows without model instances.

`templatetags.ledger.ledger_row` prints a measure with its problem, chapter, shares (with their
units) and milestones. Built as model objects through select_related and two prefetches, a page
of 50 measures was ~500 objects whose dates and JSON Django converted field by field, and the
prefetch machinery cloned a queryset per measure: more than the rest of the page together
(docs/benchmarks.md). Here the same page is four flat queries (`values()`: the measures, their
problems with the chapter, the shares with their unit, the milestones) turned into small
read-only objects that answer exactly the attributes the row reads;
tests/web/test_api_ledger_rows.py renders both and compares the HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from rectify.core import clock

from . import warning_text
from .models import Assignment, ItemStatus, Measure, Milestone, Problem, Recurrence

_STATUS_LABELS: dict[str, str] = dict(ItemStatus.choices)
_RECURRENCE_LABELS: dict[str, str] = dict(Recurrence.choices)

MEASURE_COLUMNS = (
    "id",
    "problem_id",
    "number",
    "text",
    "source",
    "status",
    "progress",
    "warning_level",
    "last_report_at",
    "deadline_raw",
    "deadline_kind",
    "due_on",
    "start_on",
    "deadline_parts",
    "recurrence",
)
PROBLEM_COLUMNS = ("id", "number", "text", "flags", "source", "recurred", "chapter__number", "chapter__title")
SHARE_COLUMNS = (
    "id",
    "measure_id",
    "unit_id",
    "unit__name",
    "unit__flags",
    "unit__path",
    "phrase",
    "role",
    "status",
    "progress",
    "due_on",
    "due_extended",
    "warning_level",
    "warning_reasons",
)


class Related:
    """What `measure.assignments` / `measure.milestones` answer: `.all()`, from a list."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def all(self) -> list[Any]:
        return self._items


class Row:
    """A flat row read by attribute (`row.unit.name`); `pk` is its id."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    if TYPE_CHECKING:  # its attributes are its columns

        def __getattr__(self, name: str) -> Any: ...

    @property
    def pk(self) -> Any:
        return self.__dict__["id"]


class ShareRow(Row):
    @property
    def warning_summary(self) -> str:  # as Assignment.warning_summary
        return warning_text.reasons_summary(self.warning_reasons, self.today)


class MeasureRow(Row):
    def get_status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)

    def get_recurrence_display(self) -> str:
        return _RECURRENCE_LABELS.get(self.recurrence, self.recurrence)


def ledger_page(measures: QuerySet[Measure], start: int, stop: int) -> list[MeasureRow]:
    """Rows `start:stop` of `measures` (a `measure_list` queryset), four queries at most."""
    rows = list(measures.select_related(None).values(*MEASURE_COLUMNS)[start:stop])
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    problems = {
        p["id"]: Row(
            id=p["id"],
            number=p["number"],
            text=p["text"],
            flags=p["flags"],
            source=p["source"],
            recurred=p["recurred"],
            chapter=Row(number=p["chapter__number"], title=p["chapter__title"]),
        )
        for p in Problem.objects.filter(pk__in={r["problem_id"] for r in rows}).values(*PROBLEM_COLUMNS)
    }
    shares: dict[int, list[ShareRow]] = {pk: [] for pk in ids}
    today = clock.today()  # the day the reasons are worded for, once a page
    for a in Assignment.objects.filter(measure_id__in=ids).order_by("measure_id", "role", "id").values(*SHARE_COLUMNS):
        unit = None
        if a["unit_id"] is not None:
            unit = Row(id=a["unit_id"], name=a["unit__name"], flags=a["unit__flags"], path=a["unit__path"])
        shares[a["measure_id"]].append(
            ShareRow(**{k: v for k, v in a.items() if not k.startswith("unit__")}, unit=unit, today=today)
        )
    milestones: dict[int, list[Row]] = {pk: [] for pk in ids}
    for ms in Milestone.objects.filter(measure_id__in=ids).order_by("measure_id", "seq").values("measure_id", "due_on"):
        milestones[ms["measure_id"]].append(Row(due_on=ms["due_on"]))
    return [
        MeasureRow(
            **r,
            problem=problems[r["problem_id"]],
            assignments=Related(shares[r["id"]]),
            milestones=Related(milestones[r["id"]]),
        )
        for r in rows
    ]
