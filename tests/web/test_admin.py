"""Separation of duties in the system admin's site."""

from __future__ import annotations

from typing import Any

import pytest

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
