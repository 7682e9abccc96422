"""信息公开 of 月通报 and 工作简报: only issued documents, only the city office puts one on the public
portal or takes it off (service, document pages, API), audited; the public PDF drops the editor's
name and masks complainants' data. The portal's pages themselves: tests/web/test_portal.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.documents import publishing as document_publishing
from rectify.documents import services as documents
from rectify.documents.models import Briefing, Circular
from tests.web.test_portal import FROZEN, make_docs, pdf_text
from tests.web.test_weekly_loop import api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(tmp_path: Path, settings: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def docs(users: Any) -> dict[str, Any]:
    return make_docs(users)


def test_the_document_publication_service(users: Any, docs: Any) -> None:
    office = users["city_office"]
    with pytest.raises(DomainError, match="已印发"):
        document_publishing.document_publish(actor=office, doc=docs["draft"])
    with pytest.raises(Forbidden):
        document_publishing.document_publish(actor=users["county_office"], doc=docs["kept"])
    with pytest.raises(ConcurrentChange):
        document_publishing.document_publish(actor=office, doc=docs["circular"])  # already public
    document_publishing.document_publish(actor=office, doc=docs["circular"], public=False)
    assert Circular.objects.get(pk=docs["circular"].pk).published_on is None
    assert AuditEvent.objects.filter(action="circular.unpublished", object_id=str(docs["circular"].pk)).exists()


def test_the_document_pages_publish_for_the_city_office(client_for: Any, docs: Any) -> None:
    kept: Briefing = docs["kept"]
    page = client_for("city_office").get(reverse("documents:briefing", args=[kept.pk])).content.decode()
    assert 'data-testid="publish"' in page
    assert (
        'data-testid="publish"'
        not in client_for("leader").get(reverse("documents:briefing", args=[kept.pk])).content.decode()
    )
    client_for("city_office").post(reverse("documents:briefing_publish", args=[kept.pk]))
    assert Briefing.objects.get(pk=kept.pk).published_on == dt.date(2022, 10, 8)
    assert Client().get(reverse("portal:briefing_pdf", args=[kept.pk])).status_code == 200
    client_for("county_office").post(reverse("documents:circular_unpublish", args=[docs["circular"].pk]))
    assert Circular.objects.get(pk=docs["circular"].pk).published_on is not None  # refused
    client_for("city_office").post(reverse("documents:circular_unpublish", args=[docs["circular"].pk]))
    assert Circular.objects.get(pk=docs["circular"].pk).published_on is None
    assert Client().get(reverse("portal:circular_pdf", args=[docs["circular"].pk])).status_code == 404


def test_the_public_pdfs_drop_the_editor_and_mask_personal_data(users: Any, docs: Any) -> None:
    office = users["city_office"]
    b = documents.briefing_draft(actor=office, period_start=dt.date(2022, 8, 1), period_end=dt.date(2022, 8, 31))
    Briefing.objects.filter(pk=b.pk).update(
        editor="编辑测试乙",
        sections=[{"heading": "", "items": [{"title": "回访", "paragraphs": ["举报人欧阳测试丙，电话13812345678。"]}]}],
    )
    b.refresh_from_db()
    documents.briefing_issue(actor=office, briefing=b)
    document_publishing.document_publish(actor=office, doc=b)
    text = pdf_text(Client().get(reverse("portal:briefing_pdf", args=[b.pk])).content)
    assert "回访" in text and "欧阳测试丙" not in text and "13812345678" not in text and "编辑测试乙" not in text
    assert Client().get(reverse("documents:briefing_pdf", args=[b.pk])).status_code == 302  # the staff copy: login


def test_the_api_publishes_documents(users: Any, docs: Any) -> None:
    url = f"/api/v1/briefings/{docs['kept'].pk}/publishing/"
    response = api(users, "city_office").post(url, {"is_public": True}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {
        "id": docs["kept"].pk,
        "is_public": True,
        "published_on": "2022-10-08",
    }
    again = api(users, "city_office").post(url, {"is_public": True}, content_type="application/json")
    assert again.status_code == 409
    draft = f"/api/v1/circulars/{docs['draft'].pk}/publishing/"
    refused = api(users, "city_office").post(draft, {"is_public": True}, content_type="application/json")
    assert refused.status_code == 400 and "已印发" in refused.json()["detail"]
    assert api(users, "county_office").post(url, {"is_public": False}, content_type="application/json").status_code in (
        403,
        404,
    )
