"""Documents the offices compile from the data: the 月通报 (Circular, one per office and month,
ranking the responsible units) and the 工作简报 (Briefing, numbered 第N期 per office and year).

Both are drafts until a coordinator issues them; issuing numbers them gaplessly (core.numbering)
and freezes what they say. A 月通报 shares the 通 series of its office with 通报 notices
(朔整改办通〔2022〕3号), since both are 通报 of that office.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core.models import StoredFileFields, TimestampedModel
from rectify.orgs.models import OrgUnit


class DocStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发"
    CANCELLED = "cancelled", "已作废"


# docs/state-machines.md: the same table for 月通报 and 工作简报.
DOC_TRANSITIONS: dict[str, set[str]] = {
    DocStatus.DRAFT: {DocStatus.ISSUED, DocStatus.CANCELLED},
    DocStatus.ISSUED: set(),
    DocStatus.CANCELLED: set(),
}


class Circular(TimestampedModel):
    """月通报: how each responsible unit of the office's region stood in one month.

    `figures` is the computed table (services.circular_figures, as JSON); a draft refreshes it
    on request, issuing freezes it. `intro` and `closing` are the office's own words around it.
    """

    issuer = models.ForeignKey(OrgUnit, verbose_name="发文机关", on_delete=models.PROTECT, related_name="+")
    # The region the office covers (its units are ranked): the issuer's nearest region.
    region = models.ForeignKey(OrgUnit, verbose_name="范围", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    status = models.CharField("状态", max_length=20, choices=DocStatus.choices, default=DocStatus.DRAFT)
    title = models.CharField("标题", max_length=200)
    intro = models.TextField("导语", blank=True)
    closing = models.TextField("工作要求", blank=True)
    figures = models.JSONField("统计数据", default=dict, blank=True)
    as_of = models.DateField("数据截止日期")
    computed_at = models.DateTimeField("统计时间")
    number = models.CharField("发文字号", max_length=60, blank=True)
    number_year = models.PositiveSmallIntegerField("编号年度", null=True, blank=True)
    serial = models.PositiveIntegerField("序号", null=True, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # 信息公开: an issued document the city office put on the public portal (documents.publishing).
    published_on = models.DateField("公开日期", null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "month"], condition=~Q(status="cancelled"), name="circular_once_per_month"
            ),
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="circular_number_once"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="circular_month_range"),
        ]
        verbose_name = "月通报"
        verbose_name_plural = "月通报"

    def __str__(self) -> str:
        return self.number or f"{self.year}年{self.month}月通报（草稿）"

    @property
    def period_label(self) -> str:
        return f"{self.year}年{self.month}月"


class Briefing(TimestampedModel):
    """工作简报 第N期: a lead article on the period's work and 县区动态 from on-site visits.

    `sections` is [{"heading": "", "items": [{"title": "…", "paragraphs": ["…"]}]}, …]: drafted
    from the data (services.briefing_draft), then edited by the office.
    """

    issuer = models.ForeignKey(OrgUnit, verbose_name="编印单位", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(OrgUnit, verbose_name="范围", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=20, choices=DocStatus.choices, default=DocStatus.DRAFT)
    # Year and 期数 of the office's series, assigned when issued (drafts have none).
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    issue_no = models.PositiveIntegerField("期数", null=True, blank=True)
    series_title = models.CharField("刊头", max_length=120)
    date = models.DateField("日期")
    editor = models.CharField("编辑", max_length=60, blank=True)
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    sections = models.JSONField("栏目", default=list, blank=True)
    # 版记: 报/送/发 lines (the office's last ones are offered on the next draft: BriefingSeries).
    report_to = models.CharField("报", max_length=500, blank=True)
    copy_to = models.CharField("送", max_length=500, blank=True)
    send_to = models.CharField("发", max_length=500, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # 信息公开: an issued document the city office put on the public portal (documents.publishing).
    published_on = models.DateField("公开日期", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "issue_no"], condition=Q(issue_no__isnull=False), name="briefing_issue_once"
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="briefing_period"),
        ]
        verbose_name = "工作简报"
        verbose_name_plural = "工作简报"

    def __str__(self) -> str:
        if self.issue_no:
            return f"工作简报 {self.year}年第{self.issue_no}期"
        return "工作简报（草稿）"


class BriefingSeries(models.Model):
    """An office's 工作简报 series settings: the 报/送/发 lines it last used (offered on the next
    draft). The 期数 itself lives in the office's gapless counter (core.Counter, scope
    "<issuer>:briefing", per year); the office may set where it stands (上一期为第N期)."""

    issuer = models.OneToOneField(OrgUnit, verbose_name="编印单位", on_delete=models.PROTECT, related_name="+")
    report_to = models.CharField("报", max_length=500, blank=True)
    copy_to = models.CharField("送", max_length=500, blank=True)
    send_to = models.CharField("发", max_length=500, blank=True)

    class Meta:
        verbose_name = "简报设置"
        verbose_name_plural = "简报设置"

    def __str__(self) -> str:
        return f"{self.issuer} 简报设置"


class CountyItemStatus(models.TextChoices):
    SUBMITTED = "submitted", "待采用"
    ADOPTED = "adopted", "已采用"
    DECLINED = "declined", "未采用"


class CountyItem(TimestampedModel):
    """县区动态 稿件: a county office's item offered to the city office's 工作简报. The city office
    picks it into a draft (已采用) or declines it (未采用); `briefing` is the draft it went into."""

    unit = models.ForeignKey(OrgUnit, verbose_name="报送单位", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(OrgUnit, verbose_name="县区", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")  # sanitized HTML (briefing_rich.sanitize)
    status = models.CharField(
        "状态", max_length=20, choices=CountyItemStatus.choices, default=CountyItemStatus.SUBMITTED
    )
    briefing = models.ForeignKey(
        Briefing, null=True, blank=True, verbose_name="采用于", on_delete=models.SET_NULL, related_name="county_items"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "县区动态稿件"
        verbose_name_plural = "县区动态稿件"

    def __str__(self) -> str:
        return self.title


class CountyItemPhoto(StoredFileFields):
    """A photo sent with a 县区动态 稿件 (stored like progress evidence, checked by its hash)."""

    item = models.ForeignKey(CountyItem, on_delete=models.PROTECT, related_name="photos")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "稿件照片"
        verbose_name_plural = "稿件照片"
