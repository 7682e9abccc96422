"""Separation of duties in the Django admin (/sysadmin/), kept as a fallback: the system
administrator's own pages are /accounts/manage/ (tests/web/test_user_management.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.orgs.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db


def test_the_sysadmin_cannot_grant_permissions_or_superuser(client_for: Any, users: Any) -> None:
    page = client_for("sysadmin").get(f"/sysadmin/auth/user/{users['county_clerk'].pk}/change/").content.decode()
    assert 'name="username"' in page
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page and 'name="user_permissions"' not in page


def test_the_sysadmin_cannot_edit_the_audit_admin(client_for: Any, users: Any) -> None:
    response = client_for("sysadmin").post(
        f"/sysadmin/auth/user/{users['auditor'].pk}/change/", {"username": "auditor2", "is_active": "on"}
    )
    assert response.status_code == 403
    users["auditor"].refresh_from_db()
    assert users["auditor"].username == "auditor"


def test_the_sysadmin_cannot_give_itself_a_business_role(client_for: Any, users: Any) -> None:
    unit = OrgUnit.objects.get(name="市生态环境保护督察整改工作领导小组办公室")
    response = client_for("sysadmin").post(
        "/sysadmin/orgs/membership/add/", {"user": users["sysadmin"].pk, "unit": unit.pk, "role": "coordinator"}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=users["sysadmin"]).exists()


def test_membership_changes_are_audited(client_for: Any, users: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    response = client_for("sysadmin").post(
        "/sysadmin/orgs/membership/add/", {"user": users["county_clerk"].pk, "unit": unit.pk, "role": "clerk"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="orgs.membership_granted")
    assert event.actor == users["sysadmin"] and event.after["unit"] == "市水利局"


def test_the_sysadmin_lands_on_the_house_style_pages_not_the_django_admin(client_for: Any) -> None:
    landing = client_for("sysadmin").get(reverse("dashboards:landing"))
    assert landing.status_code == 302 and landing["Location"] == "/accounts/manage/"


def test_both_ways_write_the_same_membership_audit_facts(client_for: Any, users: Any) -> None:
    unit = OrgUnit.objects.get(name="市水利局")
    admin = client_for("sysadmin")
    admin.post("/sysadmin/orgs/membership/add/", {"user": users["county_clerk"].pk, "unit": unit.pk, "role": "clerk"})
    admin.post(f"/accounts/manage/{users['dept_clerk'].pk}/roles/", {"unit": unit.pk, "role": "clerk"})
    old, new = AuditEvent.objects.filter(action="orgs.membership_granted").order_by("id")
    assert set(old.after) == set(new.after) and old.parent_type == new.parent_type
