"""The hostile-input corpus (tests/hostile/, issue 14) through every upload entry point: the plan
import page, the complaint batch import page and API, progress evidence (page and API), close-out
evidence (page and API), on-site visit photos (page and API) and notice-reply attachments (page
and API). Uploads are raw multipart bodies, so names reach the server as an attacker writes them.

For every file at every entry point: never a 500; a refused file gets a Chinese message and leaves
nothing stored (no row, no file); nothing is written outside MEDIA_ROOT; what is kept is stored
under its SHA-256, shown under a safe name, and, if a picture, decodes as one; no response
carries /etc/passwd. Zip bombs, disguised executables, decompression-bomb pictures, SVG and PDFs
that run script are refused everywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from PIL import Image

from rectify.closeout.models import CloseoutApplication, CloseoutEvidence
from rectify.complaints.models import CaseImport
from rectify.core.files import CONTENT_ADDRESSED_RE
from rectify.ingestion.models import ImportJob
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.models import Evidence
from rectify.supervision import notices, visits
from rectify.supervision.models import Attachment, NoticeKind, SiteVisit

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "hostile" / "corpus"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CJK = re.compile(r"[\u4e00-\u9fff]")
PASSWD = re.compile(r"root:[x*!]?:0:0")
# Refused at every entry point, whatever it reads.
ALWAYS_REFUSED = {
    "zip bomb",
    "disguised executable",
    "decompression bomb",
    "SVG with script",
    "empty",
    "truncated",
    "PDF with JavaScript",
    "encrypted PDF",
}


def test_the_corpus_holds_at_least_40_hostile_files() -> None:
    hostile = [m for m in MANIFEST if m["category"] != "control"]
    assert len(hostile) >= 40
    for m in MANIFEST:
        data = (CORPUS / m["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == m["sha256"], m["file"]
        assert len(data) < 300 * 1024  # small files: a zip bomb is a small file that inflates
    categories = {m["category"] for m in hostile}
    assert {"zip bomb", "XXE", "billion laughs", "formula cells", "odd encoding", "odd name"} <= categories


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand: the file name goes out exactly as given (the test
    client would strip a path from it)."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, content in files:
        quoted = filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
        out.write(head.encode("utf-8") + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@dataclass
class Entry:
    """One upload entry point: who uses it, how a file goes in, what it stores."""

    name: str
    role: str
    reads: str  # evidence, plan, complaints
    send: Callable[[Client, Any, str, bytes], Any]
    stored: Callable[[Any], int]
    api: bool


def _share(unit: str, problem: str = "一") -> Assignment:
    return (
        Assignment.objects.filter(unit__name=unit, problem__number=problem, measure__isnull=False)
        .select_related("unit", "measure")
        .order_by("measure__seq")
        .first()
    )


def post(client: Client, url: str, fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> Any:
    body, content_type = multipart(fields, files)
    return client.post(url, data=body, content_type=content_type)


@dataclass
class World:
    users: dict[str, User]
    report: Any = None
    share: Any = None
    visit: Any = None
    notice: Any = None


def setup_world(users: dict[str, User]) -> World:
    world = World(users)
    world.share = _share("朔城区政府")
    period = periods.week_of(dt.date(2022, 10, 10), progress.calendar_rule())
    data = progress.ReportInput(progress_text="本周已完成排查。", next_plan="继续巡查。", percent=30)
    world.report = progress.report_save(
        actor=users["county_clerk"], assignment=world.share, period=period, data=data, submit=False
    )
    world.visit = visits.visit_record(
        actor=users["city_office"],
        data=visits.VisitInput(
            visited_on=dt.date(2022, 10, 1),
            region=OrgUnit.objects.get(name="朔城区"),
            title="现场督办",
            leaders="区领导",
            places="现场",
            findings="要求加快整改。",
        ),
    )
    draft = notices.notice_draft(
        actor=users["city_office"],
        data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=world.share.unit, measures=[world.share.measure]),
    )
    world.notice = notices.notice_issue(actor=users["city_office"], notice=draft)
    return world


ENTRIES = [
    Entry(
        "plan import page",
        "city_office",
        "plan",
        lambda c, w, n, b: post(c, reverse("ingestion:upload"), {}, [("file", n, b)]),
        lambda w: ImportJob.objects.count(),
        api=False,
    ),
    Entry(
        "complaint import page",
        "city_office",
        "complaints",
        lambda c, w, n, b: post(c, reverse("complaints:import"), {"source": "测试"}, [("file", n, b)]),
        lambda w: CaseImport.objects.count(),
        api=False,
    ),
    Entry(
        "complaint import API",
        "city_office",
        "complaints",
        lambda c, w, n, b: post(c, "/api/v1/complaint-imports/", {"source": "测试"}, [("file", n, b)]),
        lambda w: CaseImport.objects.count(),
        api=True,
    ),
    Entry(
        "evidence page",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(
            c, reverse("progress:evidence_upload", args=[w.report.pk]), {}, [(f"files-{w.share.pk}", n, b)]
        ),
        lambda w: Evidence.objects.filter(report=w.report).count(),
        api=False,
    ),
    Entry(
        "evidence API",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(c, f"/api/v1/reports/{w.report.pk}/evidence/", {}, [("file", n, b)]),
        lambda w: Evidence.objects.filter(report=w.report).count(),
        api=True,
    ),
    Entry(
        "close-out page",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(
            c,
            reverse("closeout:apply") + f"?assignment={w.share.pk}",
            {"assignment": str(w.share.pk), "statement": "已完成整改。"},
            [("files", n, b)],
        ),
        lambda w: CloseoutEvidence.objects.count() + CloseoutApplication.objects.count(),
        api=False,
    ),
    Entry(
        "close-out API",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(
            c, "/api/v1/closeouts/", {"assignment": str(w.share.pk), "statement": "已完成整改。"}, [("files", n, b)]
        ),
        lambda w: CloseoutEvidence.objects.count() + CloseoutApplication.objects.count(),
        api=True,
    ),
    Entry(
        "visit page",
        "city_office",
        "evidence",
        lambda c, w, n, b: post(
            c,
            reverse("supervision:visit_new"),
            {
                "region": str(OrgUnit.objects.get(name="朔城区").pk),
                "visited_on": "2022-10-01",
                "title": "现场督办",
                "leaders": "区领导",
                "places": "现场",
                "findings": "要求加快整改。",
            },
            [("photos", n, b)],
        ),
        lambda w: Attachment.objects.filter(visit__isnull=False).count() + SiteVisit.objects.count(),
        api=False,
    ),
    Entry(
        "visit photo API",
        "city_office",
        "evidence",
        lambda c, w, n, b: post(c, f"/api/v1/visits/{w.visit.pk}/photos/", {}, [("file", n, b)]),
        lambda w: Attachment.objects.filter(visit=w.visit).count(),
        api=True,
    ),
    Entry(
        "notice reply page",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(
            c,
            reverse("supervision:notice_action", args=[w.notice.pk, "reply"]),
            {"text": "已整改。"},
            [("files", n, b)],
        ),
        lambda w: Attachment.objects.filter(notice=w.notice).count(),
        api=False,
    ),
    Entry(
        "notice reply API",
        "county_clerk",
        "evidence",
        lambda c, w, n, b: post(c, f"/api/v1/notices/{w.notice.pk}/reply/", {"text": "已整改。"}, [("files", n, b)]),
        lambda w: Attachment.objects.filter(notice=w.notice).count(),
        api=True,
    ),
]


def message_of(response: Any, entry: Entry) -> str:
    """What the user is told: the API's JSON, the upload page's error, or the page's messages."""
    if entry.api:
        try:
            return json.dumps(response.json(), ensure_ascii=False)
        except ValueError:
            return ""
    said = [str(m) for m in get_messages(response.wsgi_request) if m.level >= constants.WARNING]
    page = response.content.decode("utf-8", "replace")
    for pattern in (r'id="upload-error">([^<]*)<', r'<h1 class="h5">请求有误</h1><p class="mb-0">([^<]*)<'):
        if found := re.search(pattern, page):
            said.append(found.group(1))
    return " ".join(said)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def check_stored_name(name: str, mime: str) -> list[str]:
    problems = []
    if "/" in name or "\\" in name or name.startswith("."):
        problems.append("a path or a leading dot")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        problems.append("control or bidi characters")
    if len(name) > 120:
        problems.append("too long")
    expected = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}.get(mime)
    if expected and not name.lower().endswith(expected):
        problems.append(f"does not end in {expected}")
    if name.split(".")[0].upper() in {"CON", "PRN", "AUX", "NUL"}:
        problems.append("a Windows device name")
    return problems


def stored_rows(world: World) -> list[Any]:
    return [*Evidence.objects.all(), *CloseoutEvidence.objects.all(), *Attachment.objects.all()]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_the_hostile_corpus_through_an_upload_entry_point(
    entry: Entry, users: dict[str, User], tmp_path: Path, settings: Any
) -> None:
    sandbox = tmp_path / "sandbox"
    media = sandbox / "media"
    settings.MEDIA_ROOT = media
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    (tmp_path / "upload-tmp").mkdir()
    world = setup_world(users)
    client = Client()
    client.force_login(users[entry.role])
    failures: list[str] = []
    accepted: list[str] = []
    for m in MANIFEST:
        content = (CORPUS / m["file"]).read_bytes()
        label = f"{entry.name} / {m['file']} as {m['upload_name'][:40]!r}"
        with transaction.atomic():
            before_rows, before_files = entry.stored(world), files_under(media)
            known = {(type(r), r.pk) for r in stored_rows(world)}
            try:
                response = entry.send(client, world, m["upload_name"], content)
            except Exception as exc:  # the test client re-raises what would be a 500
                failures.append(f"{label}: raised {exc!r}")
                transaction.set_rollback(True)
                continue
            text = response.content.decode("utf-8", "replace") if not response.streaming else ""
            message = message_of(response, entry)
            if response.status_code >= 500:
                failures.append(f"{label}: HTTP {response.status_code}")
            if PASSWD.search(text) or PASSWD.search(message) or "Traceback" in text:
                failures.append(f"{label}: the response shows a file of the server or a traceback")
            kept = entry.stored(world) > before_rows
            new_files = files_under(media) - before_files
            if not kept:
                if not CJK.search(message):
                    failures.append(f"{label}: refused without a Chinese message ({response.status_code} {message!r})")
                if new_files:
                    failures.append(f"{label}: refused, yet {len(new_files)} file(s) written")
                if entry.reads == "evidence" and m["evidence"] == "accept":
                    failures.append(f"{label}: an acceptable file was refused: {message}")
            else:
                accepted.append(m["file"])
                if m["category"] in ALWAYS_REFUSED or (entry.reads == "evidence" and m["evidence"] == "refuse"):
                    failures.append(f"{label}: accepted a file that must be refused")
                for row in stored_rows(world):
                    if (type(row), row.pk) in known:
                        continue
                    path = media / row.storage_name
                    if not CONTENT_ADDRESSED_RE.search(row.storage_name) or not path.resolve().is_relative_to(media):
                        failures.append(f"{label}: stored as {row.storage_name!r}")
                        continue
                    if hashlib.sha256(path.read_bytes()).hexdigest() != row.sha256:
                        failures.append(f"{label}: the stored bytes do not give the recorded SHA-256")
                    if row.content_type.startswith("image/"):
                        try:
                            with Image.open(path) as image:
                                image.load()
                        except Exception as exc:
                            failures.append(f"{label}: stored picture does not decode: {exc!r}")
                    for problem in check_stored_name(row.original_name, row.content_type):
                        failures.append(f"{label}: stored name {row.original_name!r}: {problem}")
                if entry.name == "plan import page":
                    job = ImportJob.objects.order_by("-pk").first()
                    review = client.get(reverse("ingestion:review", args=[job.pk])).content.decode()
                    if PASSWD.search(review) or PASSWD.search(json.dumps(job.parsed, ensure_ascii=False)):
                        failures.append(f"{label}: the review shows /etc/passwd")
            transaction.set_rollback(True)
    # Nothing written outside MEDIA_ROOT, nor where the traversal names point.
    outside = [p for p in files_under(sandbox) if not p.is_relative_to(media)]
    assert outside == []
    for target in (Path("/etc/cron.d/evil.png"), ROOT / "etc" / "passwd", sandbox / "etc", media.parent / "passwd"):
        assert not target.exists(), target
    assert failures == [], "\n".join(failures)
    if entry.reads == "evidence":
        controls = {m["file"] for m in MANIFEST if m["evidence"] == "accept"}
        assert controls <= set(accepted)  # the ordinary files and the oddly named photos go in


def test_stored_names_are_safe_whatever_the_name_says() -> None:
    """The names Django's own multipart parser would clean, given straight to the store (an
    import, a script): the store makes them safe itself."""
    from rectify.core import filetypes

    png = (CORPUS / "ok_photo.png").read_bytes()
    kind = filetypes.sniff(png, "x.png")
    for m in MANIFEST:
        if m["category"] == "odd name":
            name = filetypes.display_name(m["upload_name"], kind)
            assert check_stored_name(name, "image/png") == [], (m["upload_name"], name)
    assert filetypes.display_name("整改照片\u202egnp.exe", kind) == "整改照片gnp.png"
    assert filetypes.display_name("../../../../etc/passwd", kind) == "passwd.png"
    assert filetypes.display_name("CON.png", kind) == "_CON.png"


def test_the_upload_limit_holds_before_reading(settings: Any, users: dict[str, User], tmp_path: Path) -> None:
    """One byte over the evidence limit: refused with a Chinese message before the file is read."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECTIFY_MAX_EVIDENCE_BYTES = 1000
    world = setup_world(users)
    client = Client()
    client.force_login(users["county_clerk"])
    content = (CORPUS / "ok_photo.jpg").read_bytes()
    assert len(content) < 1000
    response = post(
        client, f"/api/v1/reports/{world.report.pk}/evidence/", {}, [("file", "a.jpg", content + os.urandom(1000))]
    )
    assert response.status_code == 400 and "上限" in json.dumps(response.json(), ensure_ascii=False)
    assert Evidence.objects.filter(report=world.report).count() == 0
