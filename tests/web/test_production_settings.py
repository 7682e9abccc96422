"""Production defaults (issue 14, point 7): RECTIFY_PRODUCTION=1 turns on HSTS, the HTTPS redirect
and secure cookies, and `check --deploy` has nothing to say; every page carries the
Content-Security-Policy (no inline script, no eval, no framing); the API schema and its docs page
need a login unless RECTIFY_PUBLIC_API_DOCS opens them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def run_in_production(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RECTIFY_", "DATABASE_URL"))},
        "RECTIFY_PRODUCTION": "1",
        "RECTIFY_SECRET_KEY": secrets.token_urlsafe(64),
        "RECTIFY_ALLOWED_HOSTS": "rectify.example.gov.cn",
        "RECTIFY_VAR_DIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_deploy_in_production_mode_is_clean(tmp_path: Path) -> None:
    result = run_in_production(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (1 silenced)." in output, output


def test_check_deploy_does_complain_without_production_mode(tmp_path: Path) -> None:
    """The check above is not vacuous: the same command without RECTIFY_PRODUCTION names them."""
    result = run_in_production(tmp_path, "check", "--deploy", RECTIFY_PRODUCTION="0")
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, output


SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k, None) for k in ["
    "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT',"
    "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY',"
    "'SECURE_PROXY_SSL_HEADER', 'DEBUG', 'RECTIFY_PUBLIC_API_DOCS', 'SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME',"
    "'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_HTTPONLY']}))"
)


def production_settings(tmp_path: Path, **extra: str) -> dict[str, Any]:
    result = run_in_production(tmp_path, "shell", "-c", SHOW, **extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_mode_turns_on_https_only(tmp_path: Path) -> None:
    values = production_settings(tmp_path)
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False  # a deliberate choice (RECTIFY_HSTS_PRELOAD)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-") and values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_HTTPONLY"] is True and values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["DEBUG"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when the operator names it
    assert values["RECTIFY_PUBLIC_API_DOCS"] is False


def test_the_proxy_header_comes_from_a_setting(tmp_path: Path) -> None:
    values = production_settings(tmp_path, RECTIFY_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    values = production_settings(tmp_path, RECTIFY_PROXY_SSL_HEADER="X-Forwarded-Ssl=on")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_in_production(tmp_path, "check", RECTIFY_SECRET_KEY="")
    assert result.returncode != 0 and "RECTIFY_SECRET_KEY" in result.stderr


def test_https_redirect_and_hsts_header(settings: Any, client: Any, db: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- Content-Security-Policy ---------------------------------------------------------------


def directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user", "name"),
    [
        (None, "accounts:login"),
        (None, "portal:home"),
        ("city_office", "plans:plans"),
        ("county_clerk", "progress:todo"),
        ("sysadmin", "admin:index"),
        ("sysadmin", "accounts:manage_users"),
    ],
)
def test_every_page_carries_the_policy(client_for: Any, user: str | None, name: str) -> None:
    response = client_for(user).get(reverse(name), follow=True)
    assert response.status_code == 200
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"] and csp["style-src-attr"] == ["'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]


def test_stored_files_keep_their_own_stricter_policy() -> None:
    from rectify.core import http

    source = Path(http.__file__).read_text(encoding="utf-8")
    assert "default-src 'none'" in source  # stored_file_response sets it; django-csp leaves it alone


TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "rectify").glob("*/templates"))]


def test_no_template_holds_an_inline_script_or_event_handler() -> None:
    """CSP refuses them: every script is a static file, data goes through json_script."""
    import re

    offenders = []
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    js_url = re.compile(r"(href|action|src)\s*=\s*[\"']?\s*javascript:", re.I)
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for pattern in (inline_script, handler, js_url):
                for m in pattern.finditer(text):
                    offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert offenders == []


def test_htmx_adds_no_style_element_and_evaluates_nothing() -> None:
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '<meta name="htmx-config"' in base
    config = json.loads(base.split('<meta name="htmx-config" content=\'')[1].split("'")[0])
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False
    assert "hx-on" not in base and "js:" not in base


# --- the API schema and docs ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_schema_and_docs_need_a_login(client_for: Any) -> None:
    anonymous = client_for(None)
    assert anonymous.get(reverse("api:schema")).status_code in {401, 403}
    docs = anonymous.get(reverse("api:docs"))
    assert docs.status_code == 302 and reverse("accounts:login") in docs["Location"]
    signed_in = client_for("county_clerk")
    assert signed_in.get(reverse("api:schema") + "?format=json").status_code == 200
    page = signed_in.get(reverse("api:docs"))
    assert page.status_code == 200
    csp = directives(page)
    assert csp["script-src"] == ["'self'"]
    assert any(v.startswith("'sha256-") for v in csp["style-src"])  # its one <style> block, by hash


@pytest.mark.django_db
def test_a_token_reads_the_schema(users: Any, client: Any) -> None:
    from rectify.accounts.services import token_issue

    _token, secret = token_issue(actor=users["county_clerk"], name="schema")
    response = client.get(reverse("api:schema") + "?format=json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")


def test_a_setting_opens_the_schema_and_docs(tmp_path: Path) -> None:
    """RECTIFY_PUBLIC_API_DOCS=1 (read when the URLs load: a fresh process)."""
    code = (
        "from django.test import Client; c = Client(HTTP_HOST='rectify.example.gov.cn');"
        "print(c.get('/api/v1/openapi.json', secure=True).status_code, c.get('/api/v1/docs/', secure=True).status_code)"
    )
    result = run_in_production(tmp_path, "shell", "-c", code, RECTIFY_PUBLIC_API_DOCS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "200 200"
