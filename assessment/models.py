"""The units' responsibility assessment (目标责任评价考核, management.md §4): the scheme of a
year as versioned data approved by the committee with its 文号; a year's assessment frozen
from a snapshot of the records, explained by the units, adjusted by the committee with
reasons, signed off (four eyes) and followed by rewards or sanctions. Nothing is updated
after sign-off (the services refuse); every change is an audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scheme(models.Model):
    """The rules of a year's assessment (year 0: the default for years without their own):
    components and weights, the score of each target status, deductions, the warning
    response window and the grade bands (assessment.calculations.rules_checked). A change
    is a new version; the old ones stay."""

    year = models.PositiveSmallIntegerField(_("适用年度（0=默认）"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    rules = models.JSONField(_("考核规则"))
    document_no = models.CharField(_("批准文号"), max_length=120, blank=True)
    reason = models.TextField(_("制定或修订理由"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="scheme_version_unique"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(is_current=True), name="one_current_scheme"
            ),
        ]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return f"{self.year or '默认'} v{self.version}"


class Assessment(models.Model):
    """One year's assessment: frozen from a snapshot of the records (stored JSON with its
    SHA-256) under the year's scheme, then signed off. Its scores are computed from the
    snapshot, the scheme and the adjustments; at sign-off they are stored with their hash."""

    class State(models.TextChoices):
        FROZEN = "frozen", _("已冻结待审定")
        SIGNED_OFF = "signed_off", _("已审定")

    year = models.PositiveSmallIntegerField(_("考核年度"), unique=True)
    state = models.CharField(_("状态"), max_length=12, choices=State, default=State.FROZEN)
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="assessments")
    snapshot = models.JSONField(_("冻结数据"))
    snapshot_sha256 = models.CharField(max_length=64)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField()
    scores = models.JSONField(_("审定结果"), null=True, blank=True)
    scores_sha256 = models.CharField(max_length=64, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signoff_comment = models.TextField(_("审定意见"), blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")

    def __str__(self) -> str:
        return f"{self.year} {self.state}"

    @property
    def signed_off(self) -> bool:
        return self.state == self.State.SIGNED_OFF


class Explanation(models.Model):
    """A unit's explanation (情况说明) of its scores; a later one is shown, none is changed."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="explanations"
    )
    department = models.ForeignKey("tasks.Department", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("情况说明"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "department", "-written_at", "-pk"]
        verbose_name = _("单位情况说明")
        verbose_name_plural = _("单位情况说明")

    def __str__(self) -> str:
        return f"{self.department_id} {self.written_at:%Y-%m-%d}"


class Adjustment(models.Model):
    """The committee's bonus or deduction (加减分) to a unit's total, with its reason."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="adjustments")
    department = models.ForeignKey("tasks.Department", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("加减分"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("理由"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "department", "pk"]
        verbose_name = _("加减分")
        verbose_name_plural = _("加减分")

    def __str__(self) -> str:
        return f"{self.department_id} {self.points}"


class Consequence(models.Model):
    """A reward or sanction (奖惩) the committee decided on a signed-off assessment."""

    class Kind(models.TextChoices):
        COMMENDATION = "commendation", _("通报表扬")
        INTERVIEW = "interview", _("约谈")
        CRITICISM = "criticism", _("通报批评")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="consequences"
    )
    department = models.ForeignKey("tasks.Department", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("奖惩"), max_length=15, choices=Kind)
    reason = models.TextField(_("理由"))
    document_no = models.CharField(_("文号"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "department", "pk"]
        verbose_name = _("奖惩")
        verbose_name_plural = _("奖惩")

    def __str__(self) -> str:
        return f"{self.department_id} {self.kind}"


class RankingExport(models.Model):
    """A requested export of a year's (or a quarter's preview) ranking, rendered by a job
    when a worker is configured (assessment.services.ranking_export_request; the row is
    what the sweep re-queues if the broker loses it) and stored with its SHA-256 and the
    snapshot it was rendered from."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (xlsx)"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    period = models.CharField(_("期间"), max_length=7)
    format = models.CharField(_("格式"), max_length=4, choices=Format)
    language = models.CharField(_("语言"), max_length=7)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status, default=Status.PENDING)
    error = models.TextField(blank=True)
    source = models.CharField(max_length=12, blank=True)  # signed_off / frozen / preview
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("考核结果导出")
        verbose_name_plural = _("考核结果导出")

    def __str__(self) -> str:
        return f"{self.period} {self.format} {self.status}"

    @property
    def content_type(self) -> str:
        return {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self.format]
