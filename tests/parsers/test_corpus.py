"""The corpus: layouts other offices publish, each parsed against its hand-checked golden JSON.

Plain text (.txt), web pages (.html, one saved as GBK) and Word files built from
corpus_docx.py. A `<name>.units` file beside a layout lists the unit names the caller's
directory knows for it. Regenerate after a deliberate change with
`UPDATE_GOLDEN=1 pytest tests/parsers/test_corpus.py`, then read every changed golden file
against its layout before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers import parse_plan_bytes, plan_to_dict

from .builders import build_docx
from .corpus_docx import DOCX_LAYOUTS

CORPUS = Path(__file__).parent / "corpus"
GOLDEN = CORPUS / "golden"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".html"))
LAYOUTS = sorted([*FILES, *(f"{name}.docx" for name in DOCX_LAYOUTS)])


def corpus_bytes(name: str) -> bytes:
    if name.endswith(".docx"):
        return build_docx(DOCX_LAYOUTS[name.removesuffix(".docx")])
    return (CORPUS / name).read_bytes()


def corpus_dict(name: str) -> dict[str, Any]:
    units_file = CORPUS / (name.rsplit(".", 1)[0] + ".units")
    known = units_file.read_text(encoding="utf-8").split() if units_file.exists() else None
    return plan_to_dict(parse_plan_bytes(corpus_bytes(name), name, known_units=known))


def golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / (name.rsplit(".", 1)[0] + ".json")).read_text(encoding="utf-8"))


def test_the_corpus_has_at_least_twenty_layouts_in_three_formats() -> None:
    assert len(LAYOUTS) >= 20
    assert {name.rsplit(".", 1)[1] for name in LAYOUTS} == {"txt", "html", "docx"}
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(n.rsplit(".", 1)[0] for n in LAYOUTS)


@pytest.mark.parametrize("name", LAYOUTS)
def test_each_layout_matches_its_golden_file(name: str) -> None:
    parsed = corpus_dict(name)
    path = GOLDEN / (name.rsplit(".", 1)[0] + ".json")
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(parsed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert parsed == golden(name)
