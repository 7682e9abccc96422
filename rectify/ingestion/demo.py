"""Demo data: the Shuozhou directory, a user for every role, and the seed plan imported
through the real importer (never typed into code)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.services import directory_load
from rectify.plans.models import Plan

from .services import build_review, guess_start_on, parse_upload, plan_commit, text_hint

DIRECTORY = Path(__file__).resolve().parents[1] / "orgs" / "data" / "shuozhou.json"
SEED_PLAN = Path(__file__).resolve().parent / "samples" / "shuozhou_2022_plan.txt"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str | None
    unit: str | None
    description: str


DEMO_USERS = [
    DemoUser(
        "city_office", "市整改办 王明", Role.COORDINATOR, "市生态环境保护督察整改工作领导小组办公室", "整改办（市级）"
    ),
    DemoUser("county_office", "朔城区整改办 李华", Role.COORDINATOR, "朔城区整改办", "整改办（县级）"),
    DemoUser("county_clerk", "朔城区政府 张丽", Role.CLERK, "朔城区政府", "责任单位联络员（县区）"),
    DemoUser("dept_clerk", "市生态环境局 赵强", Role.CLERK, "市生态环境局", "责任单位联络员（市直部门）"),
    DemoUser("acceptance", "验收组 孙伟", Role.ACCEPTANCE, "市督察整改落实情况验收工作领导小组", "验收组"),
    DemoUser("leader", "市领导 周平", Role.LEADER, "市政府", "领导（只读）"),
    DemoUser("sysadmin", "系统管理员", None, None, "系统管理员（不看业务数据）"),
    DemoUser("auditor", "审计管理员", None, None, "审计管理员（只看审计日志）"),
]

SYSADMIN_PERMS = [
    ("auth", "user", ["add", "change", "view"]),
    ("orgs", "membership", ["add", "change", "delete", "view"]),
    ("orgs", "orgunit", ["view"]),
]


def ensure_role_groups() -> tuple[Group, Group]:
    sysadmins, _ = Group.objects.get_or_create(name="系统管理员")
    perms = []
    for app, model, actions in SYSADMIN_PERMS:
        perms += list(
            Permission.objects.filter(content_type__app_label=app, codename__in=[f"{a}_{model}" for a in actions])
        )
    sysadmins.permissions.set(perms)
    auditors, _ = Group.objects.get_or_create(name="审计管理员")
    auditors.permissions.set(Permission.objects.filter(content_type__app_label="audit", codename="view_auditevent"))
    return sysadmins, auditors


@transaction.atomic
def load_demo(*, password: str | None = None) -> dict[str, object]:
    """Idempotent: existing users keep their passwords unless one is given."""
    directory_load(actor="演示数据", data=json.loads(DIRECTORY.read_text(encoding="utf-8")))
    sysadmins, auditors = ensure_role_groups()
    credentials: dict[str, str] = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(username=spec.username)
        user.first_name = spec.full_name
        if created or password:
            secret = password or secrets.token_urlsafe(9)
            user.set_password(secret)
            credentials[spec.username] = secret
        if spec.username == "sysadmin":
            user.is_staff = True
            user.groups.add(sysadmins)
        if spec.username == "auditor":
            user.groups.add(auditors)
        user.save()
        if spec.role and spec.unit:
            Membership.objects.get_or_create(user=user, unit=OrgUnit.objects.get(name=spec.unit), role=spec.role)
    data = SEED_PLAN.read_bytes()
    parsed = parse_upload(data, SEED_PLAN.name)
    plan = build_review(parsed).duplicate_of
    if plan is None:
        plan = plan_commit(
            actor="演示数据",
            parsed=parsed,
            overrides=None,
            start_on=guess_start_on(text_hint(data, SEED_PLAN.name)),
            source_name=SEED_PLAN.name,
            source_sha256=hashlib.sha256(data).hexdigest(),
        )
    return {"credentials": credentials, "plan": plan, "plans": Plan.objects.count()}
