"""docs/api.md's worked examples, each run as a program against a live server (issue 17, "Docs").

The server is the browser tests' (`tests/browser/conftest.py`: gunicorn and a task worker on their
own SQLite file, migrated and loaded with `rectify load_demo`), started once more for this module.
Every demo user gets a read-write and a read-only API token from the token service. Each
```python block marked `<!-- example: name -->` in docs/api.md, behind the `<!-- example-setup -->`
block, is then run by this Python in an empty directory with only what the document promises in
its environment (BASE_URL, <USER>_TOKEN, <USER>_READ_TOKEN, PHOTO); it must exit 0 and say what it
did, and where `CHECKS` names it, its effect must show on the server.

Adding an example is adding a marked block to docs/api.md (its last section says how); an
optional check goes in `CHECKS`, an example that needs more than the one server names it with
`needs=…` and gets it from `NEEDS`.

Runs in the SQLite pass (scripts/test); the PostgreSQL pass skips it, since its server is SQLite
whatever the suite's database is."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.browser.conftest import rectify_command
from tests.browser.conftest import server as server  # the fixture, started for this module too

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the examples' server is SQLite; the SQLite pass runs them"
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api.md"
DEMO_USERS = [
    "city_office",
    "county_office",
    "county_clerk",
    "dept_clerk",
    "acceptance",
    "leader",
    "sysadmin",
    "auditor",
]
DEFAULT_TIMEOUT = 300


# --- the examples in the document ----------------------------------------------------------------

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MARKER = re.compile(r"<!--\s*(example-setup|not-run|example:\s*(?P<name>[\w-]+)(?P<options>[^>]*?))\s*-->\s*$")


@dataclass
class Example:
    name: str
    code: str
    line: int
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Doc:
    setup: str = ""
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_doc(text: str) -> Doc:
    """The setup block and the examples, in document order; `problems` lists python blocks with no
    marker on the line before them, a second setup block and repeated names."""
    doc = Doc()
    for fence in FENCE.finditer(text):
        line = text.count("\n", 0, fence.start()) + 1
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        if marker is None:
            doc.problems.append(f"docs/api.md:{line}: a python block without <!-- example: … --> or <!-- not-run -->")
        elif marker.group(1) == "example-setup":
            if doc.setup:
                doc.problems.append(f"docs/api.md:{line}: a second <!-- example-setup --> block")
            doc.setup = fence.group(1)
        elif marker.group("name"):
            options = dict(o.split("=", 1) for o in marker.group("options").split() if "=" in o)
            if any(e.name == marker.group("name") for e in doc.examples):
                doc.problems.append(f"docs/api.md:{line}: a second example named {marker.group('name')}")
            doc.examples.append(Example(marker.group("name"), fence.group(1), line, options))
    return doc


DOC_EXAMPLES = read_doc(DOC.read_text(encoding="utf-8"))


# --- the server, its tokens and what the examples are given --------------------------------------


@dataclass
class Live:
    url: str
    tokens: dict[str, str]  # "COUNTY_CLERK_TOKEN" → "rt_…", "COUNTY_CLERK_READ_TOKEN" → …
    photo: Path

    def get(self, path: str, user: str = "city_office") -> Any:
        """GET /api/v1/<path> as one demo user; JSON, or the bytes of a download."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {self.tokens[f'{user.upper()}_TOKEN']}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return json.loads(body) if response.headers.get_content_type() == "application/json" else body

    def every(self, path: str, user: str = "city_office") -> list[Any]:
        rows, url = [], self.url + path
        while url:
            page = self.get(url.removeprefix(self.url), user)
            rows += page["results"]
            url = page["next"]
        return rows


ISSUE_TOKENS = """
import json
from django.contrib.auth.models import User
from rectify.accounts.services import token_issue

tokens = {}
for username in %r:
    user = User.objects.get(username=username)
    tokens[f"{username.upper()}_TOKEN"] = token_issue(actor=user, name="docs/api.md 示例")[1]
    tokens[f"{username.upper()}_READ_TOKEN"] = token_issue(actor=user, name="docs/api.md 只读", read_only=True)[1]
print(json.dumps(tokens))
"""


def _photo(path: Path) -> Path:
    """A JPEG no earlier run has uploaded (random pixels), so its SHA-256 finds this run's evidence."""
    from PIL import Image

    pixels = random.Random().randbytes(64 * 48 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 48), pixels).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="module")
def live(server: str, tmp_path_factory: pytest.TempPathFactory) -> Live:
    # rectify_command runs against the server started last: the one `server` just gave this module.
    output = rectify_command("shell", "--no-imports", "-c", ISSUE_TOKENS % (DEMO_USERS,))
    tokens = json.loads(output.strip().splitlines()[-1])
    return Live(server, tokens, _photo(tmp_path_factory.mktemp("examples") / "现场照片.jpg"))


# Extra environment for an example marked `needs=<key>`: a function of the pytest request (to ask
# for fixtures, e.g. a second instance) returning variables.
def _province(request: pytest.FixtureRequest) -> dict[str, str]:
    """The province for the ledger sync: the same server plays it (its mirror tables are apart from
    its own ledger); two instances' files are loaded in tests/domain/test_exchange_roundtrip.py."""
    live: Live = request.getfixturevalue("live")
    return {"PROVINCE_URL": live.url, "PROVINCE_TOKEN": live.tokens["CITY_OFFICE_TOKEN"]}


NEEDS: dict[str, Callable[[pytest.FixtureRequest], dict[str, str]]] = {"province": _province}


def example_env(live: Live, home: Path, extra: dict[str, str]) -> dict[str, str]:
    """Only what docs/api.md promises (no DATABASE_URL, no proxies: the examples talk HTTP only)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "BASE_URL": live.url,
        "PHOTO": str(live.photo),
        **live.tokens,
        **extra,
    }


# --- what an example must have changed on the server --------------------------------------------


def check_weekly_report(live: Live, output: str) -> None:
    """This run's photo is evidence on an accepted weekly report with its text, and the server
    serves it back byte for byte."""
    sha256 = hashlib.sha256(live.photo.read_bytes()).hexdigest()
    accepted = live.every("/api/v1/reports/?kind=weekly&status=accepted")
    ours = [(r, e) for r in accepted for e in r["evidence"] if e["sha256"] == sha256]
    assert len(ours) == 1, f"no accepted weekly report carries this run's photo ({len(accepted)} accepted)"
    report, evidence = ours[0]
    assert report["progress_text"] and report["next_plan"] and report["percent"] == 40
    assert report["return_reason"] == "请写明排查的点位数量。"  # returned once before it was accepted
    assert live.get(evidence["download_url"], user="county_clerk") == live.photo.read_bytes()


def check_plan_import(live: Live, output: str) -> None:
    """The plan the example committed is in the ledger with its problem and two measures."""
    plans = [p for p in live.every("/api/v1/plans/") if "（API示例" in p["title"].replace(" ", "")]
    assert len(plans) == 1, plans
    problems = live.every(f"/api/v1/problems/?plan={plans[0]['id']}")
    assert len(problems) == 1 and "餐饮油烟" in problems[0]["text"]
    measures = live.every(f"/api/v1/measures/?problem={problems[0]['id']}")
    assert len(measures) == 2


def check_ledger_sync(live: Live, output: str) -> None:
    """The province lists the city with the figures its file states."""
    mirrors = live.get("/api/v1/exchange/mirrors/")
    assert [m["city"] for m in mirrors] == ["朔州市"] and mirrors[0]["matches_file"]


CHECKS: dict[str, Callable[[Live, str], None]] = {
    "weekly-report": check_weekly_report,
    "plan-import": check_plan_import,
    "ledger-sync": check_ledger_sync,
}


# --- the tests ------------------------------------------------------------------------------------


def test_every_python_block_in_the_api_doc_is_run_or_marked_not_run() -> None:
    assert not DOC_EXAMPLES.problems, "\n".join(DOC_EXAMPLES.problems)
    assert DOC_EXAMPLES.setup, "docs/api.md has no <!-- example-setup --> block"
    assert DOC_EXAMPLES.examples, "docs/api.md has no example"
    assert set(CHECKS) <= {e.name for e in DOC_EXAMPLES.examples}, "CHECKS names an example docs/api.md lacks"


def test_the_marker_reader_finds_examples_options_and_unmarked_blocks() -> None:
    text = (
        "<!-- example-setup -->\n```python\nA = 1\n```\n\n"
        "<!-- example: one timeout=20 needs=province -->\n```python\nprint(A)\n```\n"
        "<!-- not-run -->\n```python\nnot run\n```\n"
        "text\n```python\nunmarked\n```\n"
    )
    doc = read_doc(text)
    assert doc.setup == "A = 1\n"
    assert [(e.name, e.code, e.options) for e in doc.examples] == [
        ("one", "print(A)\n", {"timeout": "20", "needs": "province"})
    ]
    assert doc.problems == ["docs/api.md:15: a python block without <!-- example: … --> or <!-- not-run -->"]


@pytest.mark.parametrize("example", DOC_EXAMPLES.examples, ids=lambda e: e.name)
def test_the_api_doc_example_runs_against_a_live_server(
    example: Example, live: Live, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    unknown = set(example.options) - {"timeout", "needs"}
    assert not unknown, f"example {example.name}: unknown marker options {sorted(unknown)}"
    needs = example.options.get("needs", "")
    assert needs in NEEDS or not needs, f"example {example.name} needs={needs}: add it to NEEDS in {__file__}"
    extra = NEEDS[needs](request) if needs else {}
    script = tmp_path / f"{example.name}.py"
    # Blank lines keep the example's own line numbers close to docs/api.md's in a traceback.
    script.write_text(f"{DOC_EXAMPLES.setup}\n\n{example.code}", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, script.name],
        cwd=tmp_path,
        env=example_env(live, tmp_path, extra),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=int(example.options.get("timeout", DEFAULT_TIMEOUT)),
    )
    report = f"docs/api.md:{example.line} example {example.name} → exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    print(report)
    assert done.returncode == 0, report
    assert done.stdout.strip(), f"example {example.name} printed nothing: an example says what it did"
    if example.name in CHECKS:
        try:
            CHECKS[example.name](live, done.stdout)
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{exc.url} → {exc.code}: {exc.read().decode(errors='replace')}") from exc
