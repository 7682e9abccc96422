"""The cast, built once: the demo directory, one user per role, the seed plan imported."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rectify.plans.models import Problem

PASSWORD = "Demo-Passw0rd-2022"
CAST = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader", "sysadmin", "auditor"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from rectify.ingestion.demo import load_demo

    with django_db_blocker.unblock():
        load_demo(password=PASSWORD)
        User.objects.get_or_create(username="outsider", defaults={"first_name": "无岗位用户"})


@pytest.fixture
def users(db: Any) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=[*CAST, "outsider"])}


@pytest.fixture
def client_for(users: dict[str, User]) -> Any:
    def make(username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(users[username])
        return client

    return make


@pytest.fixture
def problems(db: Any) -> dict[str, Problem]:
    return {p.number: p for p in Problem.objects.all()}
