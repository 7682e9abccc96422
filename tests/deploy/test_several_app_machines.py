"""Several app machines (docs/operations.md, "Several app machines"): two gunicorn app servers and
two `rectify db_worker` processes against ONE PostgreSQL database, with one shared media
directory (each "host" keeps its own var directory and cache, as separate machines would).

- A clerk signs in on app A and files a weekly report with an evidence file (the API, through the
  session and its CSRF token); app B, with the same cookie, lists the report and serves the file,
  byte for byte.
- Two schedulers (`rectify run_scheduler --once`) run at the same time, and one more run of the
  day is forced into the queue: the two workers share the runs, and every daily job ran exactly
  once (the scan's own table counts one scan).
- The public 一览表 PDF asked for on A is rendered by one of the workers and downloaded from B.

Runs in the CI's PostgreSQL pass (`.ci/run`: DATABASE_URL=postgres://…); skipped on SQLite. It
makes its own database on the test server and drops it afterwards."""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (the CI's PostgreSQL pass)"),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Deploy-Passw0rd-2022"
TODAY = "2022-10-08"
CLERK = "county_clerk"
PUBLISHED_BATCH = "from rectify.complaints import selectors; print(selectors.published_batches().first().pk)"


# --- the database and the processes ------------------------------------------------------------


def _admin_params() -> dict[str, Any]:
    s = connection.settings_dict
    return {
        "host": s.get("HOST") or None,
        "port": s.get("PORT") or None,
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
    }


@contextmanager
def pg_database() -> Iterator[str]:
    """A new empty database on the test server; its URL. Dropped afterwards."""
    import psycopg

    name = f"rectify_deploy_{uuid.uuid4().hex[:8]}"
    with closing(psycopg.connect(dbname="postgres", autocommit=True, **_admin_params())) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the shared database directly (not through Rectify's code)."""
    import psycopg

    with closing(psycopg.connect(url)) as db:
        return db.execute(sql, params).fetchall()  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    database_url: str
    media: Path
    tmp: Path
    env: dict[str, str]
    a: str = ""
    b: str = ""
    workers: tuple[str, ...] = ()

    def host_env(self, host: str) -> dict[str, str]:
        """One machine's environment: the shared database and media, its own var dir and cache."""
        return {**self.env, "RECTIFY_VAR_DIR": str(self.tmp / host)}

    def rectify(self, *args: str, host: str = "admin", check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "rectify"), *args],
            env=self.host_env(host),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"rectify {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.tmp.glob("*.log"))
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("deploy")
    with pg_database() as url:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(
            DATABASE_URL=url,
            RECTIFY_MEDIA_ROOT=str(tmp / "shared-media"),  # the shared volume
            RECTIFY_TODAY=TODAY,
            RECTIFY_2FA_REQUIRED_ROLES="none",
            RECTIFY_TASKS_BACKEND="database",
        )
        c = Cluster(database_url=url, media=tmp / "shared-media", tmp=tmp, env=env)
        c.rectify("migrate", "--noinput", "-v", "0")
        c.rectify("load_demo", "--password", PASSWORD)
        c.rectify("load_demo_complaints")
        processes: list[subprocess.Popen[bytes]] = []

        def start(name: str, args: list[str]) -> None:
            log = (tmp / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(args, env=c.host_env(name), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            )

        try:
            for name in ("a", "b"):
                port = _free_port()
                start(name, [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "--threads", "4", "--worker-class", "gthread"])  # fmt: skip
                setattr(c, name, f"http://127.0.0.1:{port}")
            c.workers = ("deploy-worker-1", "deploy-worker-2")
            for i, worker_id in enumerate(c.workers, 1):
                start(f"worker{i}", [str(BIN / "rectify"), "db_worker", "--queue-name", "*", "--no-reload",
                                     "--interval", "0.2", "--no-startup-delay", "--worker-id", worker_id])  # fmt: skip
            for base in (c.a, c.b):
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                            raise RuntimeError(f"app server {base} did not start\n{c.logs()}") from None
                        time.sleep(0.2)
            yield c
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


# --- a browser's worth of HTTP -----------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """Cookies kept across both app servers, as one browser behind one proxy would send them."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)

    def request(
        self, method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def login(self, base: str, username: str) -> None:
        page = self.get(base + "/accounts/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD})
        done = self.request("POST", base + "/accounts/login/", form.encode(), {"Referer": base + "/accounts/login/"})
        assert done.status == 200 and "sessionid" in {c.name for c in self.jar}, done.text[:500]

    def api(self, method: str, url: str, payload: dict[str, Any]) -> Response:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken"), "Referer": url}
        return self.request(method, url, json.dumps(payload).encode(), headers)

    def upload(self, url: str, filename: str, content: bytes, content_type: str) -> Response:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRFToken": self.cookie("csrftoken"),
            "Referer": url,
        }
        return self.request("POST", url, body, headers)


def a_photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 110, 60)).save(out, format="PNG")
    return out.getvalue()


# --- the checks --------------------------------------------------------------------------------


def test_a_report_filed_on_one_app_server_is_listed_and_its_file_served_by_the_other(cluster: Cluster) -> None:
    c = cluster
    (assignment,) = query(
        c.database_url,
        "SELECT a.id FROM plans_assignment a JOIN orgs_membership m ON m.unit_id = a.unit_id "
        "JOIN auth_user u ON u.id = m.user_id WHERE u.username = %s AND a.measure_id IS NOT NULL ORDER BY a.id LIMIT 1",
        (CLERK,),
    )[0]
    clerk = Browser()
    clerk.login(c.a, CLERK)
    created = clerk.api(
        "POST",
        c.a + "/api/v1/reports/",
        {"assignment": assignment, "kind": "weekly", "period_start": TODAY, "percent": 40,
         "progress_text": "本周完成堆场苫盖 3 处。", "next_plan": "下周完成验收材料整理。"},
    )  # fmt: skip
    assert created.status == 201, created.text
    report = created.json()["id"]
    photo = a_photo()
    added = clerk.upload(f"{c.a}/api/v1/reports/{report}/evidence/", "苫盖现场.png", photo, "image/png")
    assert added.status == 201, added.text
    evidence = added.json()
    assert evidence["sha256"] == hashlib.sha256(photo).hexdigest()
    submitted = clerk.api("POST", f"{c.a}/api/v1/reports/{report}/submit/", {})
    assert submitted.status == 200 and submitted.json()["status"] == "submitted", submitted.text

    # The database both servers share says so, by a query of its own.
    assert query(c.database_url, "SELECT status FROM progress_progressreport WHERE id = %s", (report,)) == [
        ("submitted",)
    ]
    # The file is on the shared volume, not in either server's own var directory.
    stored = [p for p in c.media.rglob("*") if p.is_file() and p.read_bytes() == photo]
    assert len(stored) == 1
    assert not any(any((c.tmp / host).rglob(stored[0].name)) for host in ("a", "b"))

    # App B: the same session (sessions live in the database), the report and the file.
    listed = clerk.get(f"{c.b}/api/v1/reports/?status=submitted&page_size=500")
    assert listed.status == 200, listed.text
    rows = {r["id"]: r for r in listed.json()["results"]}
    assert report in rows and [e["id"] for e in rows[report]["evidence"]] == [evidence["id"]]
    served = clerk.get(f"{c.b}/api/v1/evidence/{evidence['id']}/file/")
    assert served.status == 200 and served.body == photo
    page = clerk.get(f"{c.b}/progress/reports/{report}/")
    assert page.status == 200 and "苫盖现场.png" in page.text and "本周完成堆场苫盖 3 处。" in page.text


def test_two_schedulers_and_two_workers_run_each_daily_job_once(cluster: Cluster) -> None:
    c = cluster
    schedulers = [
        subprocess.Popen(
            [str(BIN / "rectify"), "run_scheduler", "--once"],
            env=c.host_env(host),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for host in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120) for p in schedulers]
    assert all(p.returncode == 0 for p in schedulers), outputs
    said = [out for out, _ in outputs]
    # One of them enqueued the day's run; the other found it queued (or already done).
    assert sum("已加入后台队列" in out for out in said) == 1, said
    assert sum("已完成或已在队列中" in out for out in said) == 1, said
    # A third run of the same day forced into the queue past the scheduler's check, as if
    # schedulers had raced without it: the workers still run each job once.
    c.rectify("shell", "-c", f"from rectify.supervision.daily import daily_run; daily_run.enqueue(day='{TODAY}')")

    path = "rectify.supervision.daily.daily_run"
    deadline = time.monotonic() + 90
    waiting = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = %s AND status = ANY(%s)"
    while query(c.database_url, waiting, (path, ["READY", "RUNNING"])) != [(0,)]:
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.3)
    tasks = query(
        c.database_url,
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
        (path,),
    )
    assert len(tasks) == 2 and {status for status, _ in tasks} == {"SUCCESSFUL"}, tasks
    assert {w for _, ids in tasks for w in ids} <= set(c.workers)

    jobs = json.loads(
        c.rectify(
            "shell", "-c", "import json; from rectify.supervision.daily import jobs; print(json.dumps(jobs()))"
        ).stdout.splitlines()[-1]
    )
    runs = query(c.database_url, "SELECT job, status, attempts FROM supervision_dailyrun WHERE day = %s", (TODAY,))
    assert sorted(runs) == sorted((job, "done", 1) for job, _ in jobs)
    # Counted by the scan's own table: one scan of the day.
    assert query(c.database_url, "SELECT count(*) FROM supervision_scanrun WHERE today = %s", (TODAY,)) == [(1,)]
    # A later scheduler anywhere adds nothing.
    assert "已完成或已在队列中" in c.rectify("run_scheduler", "--once", host="b").stdout
    assert (
        len(query(c.database_url, "SELECT id FROM django_tasks_database_dbtaskresult WHERE task_path = %s", (path,)))
        == 2
    )


def test_a_document_asked_for_on_one_server_is_rendered_by_a_worker_and_downloaded_from_the_other(
    cluster: Cluster,
) -> None:
    c = cluster
    batch = c.rectify("shell", "-c", PUBLISHED_BATCH).stdout.split()[-1]
    reader = Browser()
    asked = reader.get(f"{c.a}/public/complaints/{batch}.pdf")
    assert asked.status == 202 and 'data-state="queued"' in asked.text, asked.text[:500]

    deadline = time.monotonic() + 90
    while True:
        status = reader.get(f"{c.b}/public/complaints/{batch}.pdf?job=status")
        state = re.search(r'data-state="(\w+)"', status.text)
        assert state and state[1] in {"queued", "running", "done"}, status.text[:800]
        if state[1] == "done":
            break
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.3)
    pdf = reader.get(f"{c.b}/public/complaints/{batch}.pdf")
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf" and pdf.body.startswith(b"%PDF")
    # Rendered once, by one of the two workers, into the shared volume.
    (ids,) = query(
        c.database_url,
        "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = %s AND status = 'SUCCESSFUL'",
        ("rectify.documents.jobs.render_document",),
    )[0]
    assert len(ids) == 1 and ids[0] in c.workers
    digest = hashlib.sha256(pdf.body).hexdigest()
    assert (c.media / "rendered" / digest[:2] / f"{digest}.pdf").read_bytes() == pdf.body
    # And A serves the same file now, without a new task.
    again = reader.get(f"{c.a}/public/complaints/{batch}.pdf")
    assert again.status == 200 and again.body == pdf.body
