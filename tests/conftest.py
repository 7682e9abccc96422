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
    from rectify.demo.publish import demo_publish
    from rectify.ingestion.demo import load_demo

    with django_db_blocker.unblock():
        plan = load_demo(password=PASSWORD)["plan"]
        demo_publish(plan)  # type: ignore[arg-type]  # as `rectify load_demo` does
        User.objects.get_or_create(username="outsider", defaults={"first_name": "无岗位用户"})


@pytest.fixture(scope="session", autouse=True)
def _static_files_found_when_asked() -> Any:
    """Every test Client loads the middleware anew, and WhiteNoise's start walks every static file
    of the finders (~320 files, with node_modules' vendor folders): ~70 ms per client, about a
    fifth of the suite's time. A server process does that walk once; in the tests WhiteNoise looks
    a file up when it is asked for (its autorefresh mode), which serves the same files."""
    from django.test.utils import override_settings

    with override_settings(WHITENOISE_AUTOREFRESH=True):
        yield


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


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> None:
    """Each test its own empty in-memory cache: the portal's cached pages never leak from one test
    (or one test run on this machine) into another."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture(autouse=True)
def _signed_in_by_force_login(settings: Any) -> None:
    """client.force_login stands for a completed login, second factor included, and a session does
    not idle out while a test jumps through the weeks: the suite requires no second factor and has
    no idle limit (docs/security.md). test_two_factor.py and test_login_protection.py turn them on."""
    settings.RECTIFY_2FA_REQUIRED_ROLES = frozenset()
    settings.RECTIFY_SESSION_IDLE_MINUTES = 0


@pytest.fixture(autouse=True)
def _tasks_run_in_the_request(settings: Any) -> None:
    """Background tasks (documents.jobs) run inside the request that enqueues them, so a download
    answers with its file as before; tests/web/test_background_documents.py queues them in the
    database and runs a real worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass (DATABASE_URL=postgres://…, .ci/run) is there for the database: the pure
    parser tests (tests/parsers/, bytes in, dataclasses out) that touch no database run in the
    SQLite pass only, where they behave exactly the same."""
    import os

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    once = pytest.mark.skip(reason="纯解析测试，不访问数据库：只在 SQLite 轮运行")
    for item in items:
        in_parsers = "tests/parsers/" in item.nodeid.replace("\\", "/")
        uses_db = item.get_closest_marker("django_db") or DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        if in_parsers and not uses_db:
            item.add_marker(once)
