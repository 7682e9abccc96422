"""docs/state-machines.md and the code's transition tables agree, and the guards hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rectify.core.errors import DomainError
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.models import ImportJob
from rectify.ingestion.services import import_commit, import_discard, import_prepare

DOC = Path(__file__).resolve().parents[2] / "docs" / "state-machines.md"


def documented(section: str) -> set[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8").split(f"## {section}")[1].split("\n## ")[0]
    return set(re.findall(r"^\| (\w+) \| (\w+) \|$", text, flags=re.M)) - {("from", "to")}


def test_import_job_transitions_match_the_document() -> None:
    code = {(a, b) for a, targets in ImportJob.TRANSITIONS.items() for b in targets}
    assert documented("ImportJob") == code
    assert set(ImportJob.TRANSITIONS) == set(ImportJob.Status.values)


@pytest.mark.django_db
def test_a_discarded_job_cannot_be_committed_and_vice_versa(users: Any) -> None:
    data = SEED_PLAN.read_bytes().replace("朔州市".encode(), "某市".encode(), 1)
    job = import_prepare(actor=users["city_office"], data=data, filename="p.txt")
    import_discard(actor=users["city_office"], job=job)
    with pytest.raises(DomainError, match="已被处理"):
        import_commit(actor=users["city_office"], job=job)
    with pytest.raises(DomainError, match="已被处理"):
        import_discard(actor=users["city_office"], job=job)
