"""AuditEvent: the single history of every change (留痕), also each object's timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rectify.core import clock

GENESIS = "0" * 64


class AuditEvent(models.Model):
    """One change. `seq`, `prev_hash` and `hash` chain the events (chain.py): editing, deleting,
    inserting or reordering a row afterwards breaks the chain, and `rectify audit_verify` names
    the first broken link."""

    # Gapless, in the order the events were written (not their `at`, which the demo may set back).
    seq = models.PositiveBigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", default=clock.now, db_index=True)
    # No database constraint and no SET NULL: deleting an account must not rewrite (and so break)
    # its audit rows; the id stays as written, the name in `actor_label`.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
    )
    actor_label = models.CharField("操作人名称", max_length=150, blank=True)
    action = models.CharField("动作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象编号", max_length=40)
    object_repr = models.CharField("对象", max_length=300, blank=True)
    # The parent lets a problem's timeline include its measures' events in one indexed query.
    parent_type = models.CharField(max_length=60, blank=True)
    parent_id = models.CharField(max_length=40, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx"),
            models.Index(fields=["parent_type", "parent_id", "at"], name="audit_parent_idx"),
        ]
        verbose_name = "留痕记录"
        verbose_name_plural = "留痕记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


class AuditChainHead(models.Model):
    """One row: the last event's number and hash. Appending locks it (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway), so two writers never
    link to the same event; verification compares it with the last row, so a deleted or forged
    last event shows."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = "留痕链头"
        verbose_name_plural = "留痕链头"

    def __str__(self) -> str:
        return f"第 {self.seq} 条 {self.hash[:12]}"


class AuditVerification(models.Model):
    """One run of `rectify audit_verify`: kept beside the chain, never in it (writing an event
    while verifying would move the head being verified)."""

    at = models.DateTimeField("校验时间", default=clock.now)
    trigger = models.CharField("发起", max_length=40)
    events = models.PositiveBigIntegerField("校验条数", default=0)
    head_seq = models.PositiveBigIntegerField("链头序号", default=0)
    head_hash = models.CharField("链头哈希", max_length=64, blank=True)
    ok = models.BooleanField("完整", default=True)
    broken_seq = models.PositiveBigIntegerField("断点序号", null=True, blank=True)
    broken_id = models.BigIntegerField("断点记录编号", null=True, blank=True)
    broken_kind = models.CharField("断点类型", max_length=20, blank=True)
    message = models.TextField("结论", blank=True)
    seconds = models.FloatField("用时（秒）", default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "留痕校验"
        verbose_name_plural = "留痕校验"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'完整' if self.ok else '断链'}"


# What the filters and exports call each action (audit/words.py has each as a sentence; the code
# stays in the database only).
ACTION_LABELS = {
    "assignment.confirmed": "确认责任单位",
    "calendar.changed": "修改报送日历",
    "directory.loaded": "载入单位目录",
    "evidence.added": "上传佐证材料",
    "evidence.removed": "移除佐证材料",
    "import.discarded": "放弃导入",
    "import.parsed": "解析方案",
    "import.read_failed": "方案读取失败",
    "import.uploaded": "上传方案待读取",
    "import.reviewed": "审核导入",
    "membership.changed": "调整岗位",
    "membership.deleted": "删除岗位",
    "plan.imported": "导入方案",
    "problem.deadline_changed": "修改整改时限",
    "problem.imported": "导入问题",
    "problem.created": "手工添加问题",
    "measure.created": "手工添加措施",
    "measure.updated": "修改整改措施",
    "problem.leader_added": "指定包联领导",
    "problem.leader_removed": "移除包联领导",
    "problem.linked": "关联前后轮次的同一问题",
    "problem.unlinked": "解除前后轮次关联",
    "round.created": "新建督察轮次",
    "round.updated": "修改督察轮次",
    "plan.round_set": "方案归入督察轮次",
    "report.drafted": "填写进展报告",
    "report.edited": "修改进展报告",
    "report.submitted": "提交进展报告",
    "report.resubmitted": "重新提交进展报告",
    "report.returned": "退回进展报告",
    "report.accepted": "采纳进展报告",
    "scan.completed": "预警扫描",
    "warnings.reassessed": "重新评估预警",
    "scan.reassessed": "扫描重新评估预警",
    "token.issued": "签发 API 令牌",
    "token.revoked": "吊销 API 令牌",
    "notice.drafted": "起草督办文书",
    "notice.updated": "修改督办文书草稿",
    "notice.issued": "印发督办文书",
    "notice.replied": "回复督办文书",
    "notice.reply_returned": "退回督办回复",
    "notice.closed": "督办办结",
    "notice.escalated": "督办升级",
    "notice.cancelled": "作废督办草稿",
    "flag.set": "挂牌督办/约谈",
    "flag.lifted": "解除挂牌督办/约谈",
    "extension.requested": "申请延期",
    "extension.approved": "批准延期",
    "extension.refused": "不予批准延期",
    "visit.recorded": "现场督办",
    "visit.task_done": "督办任务完成",
    "visit.photo_added": "上传现场照片",
    "closeout.applied": "申请销号",
    "closeout.consented": "会签同意销号",
    "closeout.resubmitted": "重新申请销号",
    "closeout.withdrawn": "撤回销号申请",
    "closeout.returned": "退回销号申请",
    "closeout.site_check": "要求现场核查",
    "closeout.accepted": "验收通过",
    "closeout.published": "验收通过并公示",
    "closeout.objected": "公示异议",
    "closeout.closed": "销号",
    "closeout.reopened": "反弹重开",
    "indicator.defined": "设定量化指标",
    "indicator.reported": "填报指标值",
    "handover.made": "生成交账包",
    "handover.schedule_changed": "修改交账日程",
    "export.downloaded": "下载导出文件（含个人信息）",
    "mirror.imported": "导入各市对账文件",
    "file.refused": "拒绝下载（文件缺失或已被改动）",
    "complaints.parsed": "解析交办件",
    "complaints.imported": "导入交办件",
    "complaints.discarded": "放弃导入交办件",
    "complaints.attached": "交办件关联整改问题",
    "complaints.published": "公开交办件办理结果",
    "complaint.created": "登记交办件",
    "complaint.assigned": "分派交办件",
    "complaint.updated": "填报办理情况",
    "complaint.closed": "交办件办结",
    "complaint.revisited": "回访",
    "complaint.noticed": "交办件督办",
    "unit.created": "新增单位",
    "unit.merged": "合并单位",
    "unit.renamed": "单位更名",
    "user.changed": "修改用户",
    "briefing.cancelled": "作废工作简报",
    "briefing.drafted": "起草工作简报",
    "briefing.issued": "印发工作简报",
    "briefing.updated": "修改工作简报",
    "circular.cancelled": "作废月通报",
    "circular.generated": "生成月通报",
    "circular.issued": "印发月通报",
    "circular.refreshed": "更新月通报数据",
    "circular.updated": "修改月通报",
    "circular.published": "公开月通报",
    "circular.unpublished": "撤下公开的月通报",
    "briefing.published": "公开工作简报",
    "briefing.unpublished": "撤下公开的工作简报",
    "measure.deadline_changed": "修改措施整改时限",
    "plan.publishing_changed": "调整方案公开范围",
    "demo.history_loaded": "载入演示历史",
    "briefing.series_set": "设置简报期号",
    "county_item.submitted": "报送县区动态稿件",
    "county_item.adopted": "采用县区动态稿件",
    "county_item.declined": "未采用县区动态稿件",
    "county_item.released": "县区动态稿件退出简报",
}
