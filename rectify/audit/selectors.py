"""Reads of the audit trail: an object's timeline, the full log for the audit admin, and the
trail's newest change as a version of the data (`data_version`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from rectify.core import clock
from rectify.core.errors import Forbidden

from .describe import action_words, family_words, type_words
from .models import AuditEvent, AuditVerification
from .policies import can_read_audit_log
from .services import object_key


def audit_timeline(obj: models.Model, *, include_children: bool = True) -> QuerySet[AuditEvent]:
    """Events of one object (and of its children), oldest first. The caller scoped `obj`."""
    object_type, object_id = object_key(obj)
    condition = Q(object_type=object_type, object_id=object_id)
    if include_children:
        condition |= Q(parent_type=object_type, parent_id=object_id)
    return AuditEvent.objects.filter(condition).select_related("actor").order_by("at", "id")


# Events that record someone signing in or reading, not a change of the data.
SIGN_IN_ACTIONS = frozenset(
    {"accounts.login", "accounts.login_failed", "accounts.logout", "accounts.otp_verified", "accounts.otp_failed"}
)
READ_ACTIONS = SIGN_IN_ACTIONS | {"export.downloaded", "file.refused"}


def data_version(*, ignore: Collection[str] = READ_ACTIONS) -> int:
    """The number (seq) of the newest audit event that is not one of `ignore`, 0 when there is
    none. Every change of the data is audited inside the transaction that makes it (the services
    and the daily scan; audit.services.record), so while this number stands nothing a document is
    made from has changed: files made from the data are kept under it (documents.export_jobs).
    One step down the seq index from its top."""
    newest = AuditEvent.objects.exclude(action__in=ignore).order_by("-seq").values_list("seq", flat=True).first()
    return int(newest or 0)


def newest_event(*, ignore: Collection[str] = READ_ACTIONS) -> tuple[int, str]:
    """(seq, hash) of the newest event that is not one of `ignore`; (0, "") when there is none.
    The number alone may come again with other data after a restore from a backup (the trail goes
    on from the backup's last event); the hash (over the event and the chain before it) does not."""
    newest = AuditEvent.objects.exclude(action__in=ignore).order_by("-seq").values_list("seq", "hash").first()
    return (int(newest[0]), str(newest[1])) if newest else (0, "")


def data_mark(*, ignore: Collection[str] = READ_ACTIONS) -> str:
    """`data_version` with the newest event's hash (newest_event): "0" before the first event."""
    seq, digest = newest_event(ignore=ignore)
    return f"{seq}-{digest}" if seq else "0"


@dataclass(frozen=True)
class LogFilters:
    """The audit log's filters, as chosen from the page's lists (codes travel in the URL only)."""

    actor: str = ""  # the person's name as the events keep it
    object_type: str = ""
    action: str = ""  # one action, or a family ("report.")
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = ""  # an item's number or part of its name
    item: str = ""  # "type:id", from a link in the log


def audit_log(*, viewer: Any, filters: LogFilters | None = None) -> QuerySet[AuditEvent]:
    if not can_read_audit_log(viewer):
        raise Forbidden("只有审计管理员可以查看审计日志。")
    qs = AuditEvent.objects.select_related("actor").order_by("-at", "-seq")
    f = filters or LogFilters()
    if f.action:
        qs = qs.filter(action__startswith=f.action) if f.action.endswith(".") else qs.filter(action=f.action)
    if f.actor:
        qs = qs.filter(actor_label=f.actor)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.since:
        qs = qs.filter(at__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(at__lt=_day_start(f.until + dt.timedelta(days=1)))
    if f.q:
        qs = qs.filter(
            Q(object_id=f.q) | Q(object_repr__icontains=f.q) | Q(parent_id=f.q)
            if f.q.isdigit()
            else Q(object_repr__icontains=f.q)
        )
    if f.item and ":" in f.item:
        object_type, object_id = f.item.split(":", 1)
        qs = qs.filter(object_type=object_type, object_id=object_id)
    return qs


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.SHANGHAI)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


def audit_log_choices(*, viewer: Any) -> dict[str, Any]:
    """What the filters offer, in words: the people who have events, the kinds of item and the
    actions present in the log (grouped by family, each family also as a whole)."""
    if not can_read_audit_log(viewer):
        raise Forbidden("只有审计管理员可以查看审计日志。")
    events = AuditEvent.objects.order_by()
    # People first, then the programs that act (系统, 预警扫描…: no account) and failed sign-ins.
    acted = set(events.values_list("actor_label", "actor_id").distinct())
    programs = {label for label, user in acted if user is None}
    people = sorted({label for label, _ in acted}, key=lambda label: (label in programs, label))
    types = sorted(
        (Choice(t, type_words(t)) for t in set(events.values_list("object_type", flat=True).distinct())),
        key=lambda c: c.label,
    )
    families: dict[str, list[Choice]] = {}
    for action in sorted(set(events.values_list("action", flat=True).distinct())):
        families.setdefault(family_words(action), []).append(Choice(action, action_words(action)))
    groups = []
    for family, choices in sorted(families.items()):
        prefixes = {c.value.split(".", 1)[0] + "." for c in choices}
        whole = [Choice(prefixes.pop(), f"{family}：全部")] if len(prefixes) == 1 and len(choices) > 1 else []
        groups.append(ChoiceGroup(family, whole + sorted(choices, key=lambda c: c.label)))
    return {"people": [Choice(p, p or "系统") for p in people], "types": types, "actions": groups}


def last_verification(*, viewer: Any) -> AuditVerification | None:
    """The latest run of `rectify audit_verify` (or of the daily job), for the audit admin."""
    if not can_read_audit_log(viewer):
        raise Forbidden("只有审计管理员可以查看审计日志。")
    return AuditVerification.objects.order_by("-id").first()
