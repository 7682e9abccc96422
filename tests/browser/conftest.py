"""A real server for browser tests: its own SQLite file, migrated and loaded with the demo data,
served by gunicorn exactly as scripts/start does, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "Browser-Passw0rd-2022"


# The test server's environment, for commands a test runs against its database (the nightly jobs).
SERVER_ENV: dict[str, str] = {}


def rectify_command(*args: str) -> str:
    """Run `rectify <args>` against the test server's database; returns its output."""
    rectify = str(Path(sys.executable).parent / "rectify")
    done = subprocess.run([rectify, *args], env=SERVER_ENV, check=True, cwd=ROOT, capture_output=True, text=True)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("server")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'browser.sqlite3'}", "RECTIFY_VAR_DIR": str(tmp)}
    # The journeys log in with a password only, as the demo does (scripts/start): no second factor.
    env.setdefault("RECTIFY_2FA_REQUIRED_ROLES", "none")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    SERVER_ENV.update(env)
    rectify = str(Path(sys.executable).parent / "rectify")
    subprocess.run([rectify, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([rectify, "load_demo", "--password", PASSWORD], env=env, check=True, cwd=ROOT, capture_output=True)
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "-c",
            str(ROOT / "config" / "gunicorn.py"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # A background worker beside it, as scripts/start runs one (documents.jobs); polls every 0.2 s.
    worker = subprocess.Popen(
        [rectify, "db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("test server did not start")
        yield url
    finally:
        for process in (proc, worker):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("RECTIFY_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is missing: apt-get install -y chromium (scripts/bootstrap --test does it)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def login(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
