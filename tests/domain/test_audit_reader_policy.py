"""`can_read_audit_log` asks for the audit permission in one query (the layout asks on every page)
and answers what `user.has_perm` answers, for every way a user may hold it or not."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectify.audit.policies import AUDIT_PERMISSION, can_read_audit_log

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no cached answers


def test_the_answer_is_has_perms_for_every_way_of_holding_it() -> None:
    audit = Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")
    other = Permission.objects.exclude(pk=audit.pk).first()
    assert other is not None
    auditors, others = Group.objects.create(name="审计"), Group.objects.create(name="其他")
    auditors.permissions.add(audit)
    others.permissions.add(other)
    users = {
        "nothing": User.objects.create_user("nothing"),
        "direct": User.objects.create_user("direct"),
        "group": User.objects.create_user("group"),
        "other group": User.objects.create_user("other_group"),
        "other permission": User.objects.create_user("other_permission"),
        "inactive direct": User.objects.create_user("inactive_direct", is_active=False),
        "inactive group": User.objects.create_user("inactive_group", is_active=False),
        "superuser": User.objects.create_superuser("root"),
    }
    users["direct"].user_permissions.add(audit)
    users["inactive direct"].user_permissions.add(audit)
    users["group"].groups.add(auditors, others)
    users["inactive group"].groups.add(auditors)
    users["other group"].groups.add(others)
    users["other permission"].user_permissions.add(other)
    answers = {name: can_read_audit_log(_fresh(u)) for name, u in users.items()}
    expected = {name: _fresh(u).has_perm(AUDIT_PERMISSION) and not u.is_superuser for name, u in users.items()}
    assert answers == expected
    assert {name for name, yes in answers.items() if yes} == {"direct", "group"}


def test_it_asks_once_per_user_object() -> None:
    user = User.objects.create_user("audit_reader_once")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="audit", codename="view_auditevent"))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert can_read_audit_log(user) and can_read_audit_log(user)
    assert len(queries) == 1
