"""OrgUnit tree (市 → 县（市、区）/开发区 → 部门/乡镇 → 企业), group phrases, and memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core.models import TimestampedModel


class UnitKind(models.TextChoices):
    REGION = "region", "行政区"
    PARTY = "party", "党委"
    GOVERNMENT = "government", "政府"
    DEPARTMENT = "department", "部门"
    ADMIN_COMMITTEE = "admin_committee", "管委会"
    ENTERPRISE = "enterprise", "企业"
    LEADING_GROUP = "leading_group", "领导小组"
    OFFICE = "office", "办公室"


class OrgUnit(TimestampedModel):
    """A unit. `path` is the materialized path ("0001.0004.") so a subtree is a prefix scan."""

    name = models.CharField("名称", max_length=120, unique=True)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    aliases = models.JSONField("别名", default=list, blank=True)
    is_active = models.BooleanField("有效", default=True)
    merged_into = models.ForeignKey(
        "self", verbose_name="已并入", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort = models.PositiveIntegerField(default=0)
    # 挂牌督办 / 约谈 while in force (kept by supervision.services).
    flags = models.JSONField("督办标记", default=list, blank=True)
    # 发文机关代字 of an office that issues documents, e.g. 朔整改办 (朔整改办函〔2022〕12号).
    doc_abbr = models.CharField("发文机关代字", max_length=30, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = "单位"
        verbose_name_plural = "单位"

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label


class UnitGroup(models.Model):
    """A group phrase as plans write it (各县（市、区）政府) and the units it stands for.

    `exact` groups fan out to every member; inexact ones (各相关…, 市直相关部门) list their
    members only as candidates for a coordinator to confirm.
    """

    phrase = models.CharField("组合称谓", max_length=120, unique=True)
    members = models.ManyToManyField(OrgUnit, verbose_name="成员单位", blank=True, related_name="groups")
    exact = models.BooleanField("确定展开", default=True)

    class Meta:
        verbose_name = "单位组合称谓"
        verbose_name_plural = "单位组合称谓"

    def __str__(self) -> str:
        return self.phrase


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "整改办"
    CLERK = "clerk", "责任单位联络员"
    ACCEPTANCE = "acceptance", "验收组"
    LEADER = "leader", "领导"


class Membership(models.Model):
    """A user's business role at a unit. System and audit admins have no membership at all."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]
        verbose_name = "岗位"
        verbose_name_plural = "岗位"

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


__all__ = ["Membership", "OrgUnit", "Q", "Role", "UnitGroup", "UnitKind"]
