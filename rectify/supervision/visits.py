"""On-site supervision records (现场督办): leaders, places, findings, photos and follow-up tasks —
the raw material of a 工作简报's 县区动态."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.files import file_store
from rectify.core.formats import format_cn_date
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem
from rectify.progress import services as progress

from . import policies
from .models import (
    Attachment,
    SiteVisit,
    VisitTask,
)

# --- 现场督办 ------------------------------------------------------------------------------------


@dataclass
class VisitInput:
    visited_on: dt.date
    region: OrgUnit
    title: str
    leaders: str
    places: str
    findings: str
    problems: Sequence[Problem] = ()
    cases: str = ""
    tasks: Sequence[tuple[OrgUnit, str, dt.date | None]] = ()
    files: Sequence[tuple[str, bytes]] = ()


@transaction.atomic
def visit_record(*, actor: Any, data: VisitInput) -> SiteVisit:
    if not policies.can_record_visit(actor, data.region):
        raise Forbidden("只有整改办可以登记现场督办。")
    missing = [
        label
        for label, value in (
            ("标题", data.title),
            ("带队领导", data.leaders),
            ("地点", data.places),
            ("发现问题及督办要求", data.findings),
        )
        if not value.strip()
    ]
    if missing:
        raise DomainError("请填写：" + "、".join(missing) + "。")
    if data.visited_on > clock.today():
        raise DomainError("督办日期不能晚于今天。")
    stored = [file_store(name, content) for name, content in data.files]
    visit = SiteVisit.objects.create(
        visited_on=data.visited_on,
        region=data.region,
        title=data.title.strip()[:200],
        leaders=data.leaders.strip()[:500],
        places=data.places.strip()[:500],
        cases=data.cases.strip(),
        findings=data.findings.strip(),
        created_by=actor,
    )
    visit.problems.set(data.problems)
    for unit, text, due in data.tasks:
        if text.strip():
            VisitTask.objects.create(visit=visit, unit=unit, text=text.strip(), due_on=due)
    for s in stored:
        Attachment.objects.create(visit=visit, uploaded_by=actor, **s.fields())
    record(
        actor=actor,
        action="visit.recorded",
        obj=visit,
        parent=data.region,
        after={"title": visit.title, "date": visit.visited_on.isoformat(), "photos": len(stored)},
    )
    for problem in data.problems:
        record(actor=actor, action="visit.recorded", obj=problem, note=f"{visit.visited_on:%Y-%m-%d} {visit.title}")
    for unit, text, due in data.tasks:
        if text.strip():
            notify(
                recipients=progress.unit_clerks([unit.pk]).get(unit.pk, []),
                message=Message(
                    kind="supervision",
                    subject=f"【现场督办任务】{visit.title}",
                    body=f"{text.strip()}" + (f"（完成时限：{format_cn_date(due)}）" if due else ""),
                    url=reverse("supervision:visit", args=[visit.pk]),
                    dedupe_key=f"visit:{visit.pk}:task:{unit.pk}",
                ),
            )
    return visit


@transaction.atomic
def visit_photo_add(*, actor: Any, visit: SiteVisit, filename: str, content: bytes) -> Attachment:
    if not policies.can_record_visit(actor, visit.region):
        raise Forbidden("只有整改办可以上传现场照片。")
    stored = file_store(filename, content)
    photo = Attachment.objects.create(visit=visit, uploaded_by=actor, **stored.fields())
    record(
        actor=actor,
        action="visit.photo_added",
        obj=visit,
        after={"file": stored.original_name, "sha256": stored.sha256},
    )
    return photo


@transaction.atomic
def visit_task_done(*, actor: Any, task: VisitTask) -> VisitTask:
    if not (policies.can_record_visit(actor, task.visit.region) or policies.can_file(actor, task.unit)):
        raise Forbidden("只有整改办或该任务的责任单位可以标记完成。")
    if VisitTask.objects.filter(pk=task.pk, done_on__isnull=True).update(done_on=clock.today()) != 1:
        raise ConcurrentChange("该任务已被标记完成。")
    task.refresh_from_db()
    record(actor=actor, action="visit.task_done", obj=task.visit, note=task.text[:100])
    return task
