"""Fixtures for the parser tests: the seed plan, its parse, and a CJK font for PDFs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers import ParsedPlan, parse_plan, plan_to_dict

from .builders import find_cjk_font, make_truetype_subset

GOLDEN = Path(__file__).parent / "golden"
# The seed plan as published (shipped with the app for the demo data).
SEED_PATH = Path(__file__).resolve().parents[2] / "rectify" / "ingestion" / "samples" / "shuozhou_2022_plan.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_plan(seed_text: str) -> ParsedPlan:
    return parse_plan(seed_text)


@pytest.fixture(scope="session")
def seed_dict(seed_plan: ParsedPlan) -> dict[str, Any]:
    return plan_to_dict(seed_plan)


@pytest.fixture(scope="session")
def cjk_font(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    source = find_cjk_font()
    if source is None:
        pytest.skip("no Noto CJK font installed (apt-get install fonts-noto-cjk): cannot build a PDF with Chinese text")
    extra = "（）：；，。、μ³一二三四五六七八九十是牵头配合"
    target = tmp_path_factory.mktemp("font") / "noto-sc-subset.ttf"
    return make_truetype_subset(source, seed_text + extra, target)
