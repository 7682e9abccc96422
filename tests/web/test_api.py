"""The JSON API: token auth, filters, totals, the committed OpenAPI schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rectify.accounts.models import ApiToken
from rectify.accounts.services import token_issue
from rectify.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_a_bearer_token_authenticates_as_its_user(users: Any) -> None:
    _, raw = token_issue(actor=users["county_clerk"], name="对接")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    data = client.get("/api/v1/measures/?page_size=500").json()
    assert data["count"] > 0
    assert all("朔城区政府" in {a["unit_name"] for a in m["assignments"]} for m in data["results"])
    assert ApiToken.objects.get(user=users["county_clerk"]).last_used_at is not None


def test_a_revoked_or_wrong_token_is_refused(users: Any) -> None:
    token, raw = token_issue(actor=users["county_clerk"], name="对接")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/measures/").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/measures/").status_code == 401


def test_only_a_hash_of_the_token_is_stored(users: Any) -> None:
    token, raw = token_issue(actor=users["leader"], name="x")
    assert raw not in token.key_hash


def test_measure_filters_take_several_statuses_and_return_the_total(client_for: Any) -> None:
    client = client_for("city_office")
    data = client.get("/api/v1/measures/?kind=annual,external&page_size=3").json()
    assert data["count"] == 9
    assert len(data["results"]) == 3
    assert client.get("/api/v1/measures/?status=in_progress&status=closed").json()["count"] == 92
    assert client.get("/api/v1/measures/?due_after=2025-01-01").json()["count"] == 5  # （十四）2 + （三十二）3


def test_units_can_be_created_in_one_call_by_the_city_office(client_for: Any) -> None:
    root = OrgUnit.objects.get(depth=0)
    body = {"name": "市应急管理局", "kind": "department", "parent": root.pk, "aliases": ["市应急局"]}
    response = client_for("city_office").post("/api/v1/units/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["aliases"] == ["市应急局"]
    refused = client_for("county_office").post("/api/v1/units/", {**body, "name": "y"}, content_type="application/json")
    assert refused.status_code == 403


def test_the_committed_openapi_schema_matches_the_code(client_for: Any) -> None:
    generated = client_for("city_office").get(reverse("api:schema") + "?format=json").json()
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert generated == committed, "API changed: run `make schema` and commit docs/openapi.json"


def test_the_api_docs_page_is_served_locally(client_for: Any) -> None:
    page = client_for("city_office").get(reverse("api:docs")).content.decode()
    assert "swagger" in page.lower() and "cdn" not in page
