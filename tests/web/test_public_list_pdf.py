"""The public 一览表 PDF (/public/complaints/<pk>.pdf): final once published (no 草稿 mark, no
"（草稿）"), A4 landscape with every column and every case, rows flowing several to a page, and
rendered once per content (the next download is a cache read)."""

from __future__ import annotations

import io
import math
import re
from typing import Any
from unittest import mock

import pdfplumber
import pytest
from django.test import Client
from django.urls import reverse

from rectify.complaints import importing
from rectify.complaints import selectors as complaint_selectors
from rectify.complaints import services as complaint_services
from rectify.complaints.models import ComplaintBatch
from rectify.complaints.synthetic import batch_file
from rectify.plans.models import Problem
from rectify.portal.views import PUBLIC_HEADERS

CASES = 24
ROWS_PER_PAGE = 4  # at least


@pytest.fixture
def batch(users: Any, settings: Any) -> ComplaintBatch:
    settings.RECTIFY_PUBLIC_CACHE_SECONDS = 0  # the page cache off: the PDF's own cache is tested
    name, data = batch_file(CASES, batch_no=3)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(
        actor=users["city_office"], job=job, problem=Problem.objects.get(number="十八")
    )
    complaint_services.batch_publish(actor=users["city_office"], batch=batch)
    return batch


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.django_db
def test_the_published_list_is_final_landscape_and_has_every_column_and_case(batch: ComplaintBatch) -> None:
    response = Client().get(reverse("portal:complaint_batch_pdf", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    rows = complaint_selectors.public_rows(batch)
    assert len(rows) >= CASES // 2
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        pages = pdf.pages
        assert all(p.width > p.height for p in pages)  # A4 landscape
        text = squash("".join(p.extract_text() or "" for p in pages))
        first = squash(pages[0].extract_text() or "")
        second = squash(pages[1].extract_text() or "") if len(pages) > 1 else ""
        assert len(pages) <= math.ceil(len(rows) / ROWS_PER_PAGE) + 1
        for page in pages:  # nothing runs off the right edge
            assert all(c["x1"] <= page.width - 20 for c in page.chars)
    assert "草稿" not in text
    assert "朔州市生态环境保护督察整改工作领导小组办公室" in text
    for header in PUBLIC_HEADERS:
        assert header in first
        if second:
            assert header in second  # the header row repeats on every page
    for row in rows:
        assert row.code in text
        assert squash(row.status) in text


@pytest.mark.django_db
def test_the_list_is_rendered_once_and_then_read_from_the_cache(batch: ComplaintBatch) -> None:
    url = reverse("portal:complaint_batch_pdf", args=[batch.pk])
    first = Client().get(url).content
    with mock.patch("rectify.portal.views.render_pdf") as render:
        again = Client().get(url).content
    render.assert_not_called()
    assert again == first
