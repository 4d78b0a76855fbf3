"""What the committee watches and acts on: warnings (预警) with their response loop, and the
lead departments' quarterly progress reports on their tasks."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# No response signed off this long after a warning was raised, it is overdue (and
# escalates); an acknowledged one is overdue once its due date has passed.
RESPONSE_DUE_AFTER = dt.timedelta(days=7)


class EarlyWarningQuerySet(models.QuerySet):
    """The warning rules as queries, one definition each (pages, API, jobs)."""

    def visible_to(self, user) -> EarlyWarningQuerySet:
        """The warnings `user` may see (accounts.permissions.can_see_warning as a query)."""
        from accounts import permissions

        if permissions.can_read_all_data(user):
            return self
        if permissions.is_department_staff(user):
            return self.filter(department_id=user.department_id)
        return self.none()

    def live(self) -> EarlyWarningQuerySet:
        """Not closed (销号) yet."""
        return self.exclude(state=EarlyWarning.State.CLOSED)

    def overdue(self, now: dt.datetime) -> EarlyWarningQuerySet:
        """What escalates: no response signed off RESPONSE_DUE_AFTER after the warning was
        raised (open, or answered but waiting for the head's sign-off: the committee has
        nothing yet), or acknowledged and past its due date."""
        return self.filter(overdue_condition(now))


def overdue_condition(now: dt.datetime) -> Q:
    """`EarlyWarning.objects.overdue(now)` as a condition (for filtered counts)."""
    State = EarlyWarning.State
    return Q(state__in=[State.OPEN, State.SUBMITTED], created_at__lt=now - RESPONSE_DUE_AFTER) | Q(
        state=State.ACKNOWLEDGED, due_date__lt=timezone.localdate(now)
    )


class EarlyWarning(models.Model):
    """A warning raised by the engine (a yellow or red target, a missed deadline, a data
    anomaly), owned by a department, answered and closed: open → submitted (the staff's
    response, rectification plan, due date) → acknowledged once the department's head has
    signed the response off (only then does it reach the committee; the head may return it
    to open) → resolved (evidence) → closed by the committee. A data anomaly has no
    department: the statistics office answers it and its response needs no head's sign-off.
    Evidence files (WarningEvidence) can be attached while the warning is answered."""

    class Kind(models.TextChoices):
        STATUS = "status", _("目标预警")
        DEADLINE = "deadline", _("逾期未报")
        ANOMALY = "anomaly", _("数据异常")
        FINDING = "finding", _("现场监督整改")
        FEEDBACK = "feedback", _("评估反馈整改")

    class Level(models.TextChoices):
        YELLOW = "yellow", _("二级预警（黄）")
        RED = "red", _("一级预警（红）")

    class State(models.TextChoices):
        OPEN = "open", _("待响应")
        SUBMITTED = "submitted", _("待负责人审签")
        ACKNOWLEDGED = "acknowledged", _("整改中")
        RESOLVED = "resolved", _("待销号")
        CLOSED = "closed", _("已销号")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind)
    level = models.CharField(_("级别"), max_length=10, choices=Level)
    state = models.CharField(_("状态"), max_length=15, choices=State, default=State.OPEN)
    dedupe_key = models.CharField(max_length=120)
    target = models.ForeignKey(
        "indicators.Target", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "tasks.Department",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
    )
    period = models.CharField(_("期间"), max_length=7, blank=True)
    title_zh = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=300, blank=True)
    message_zh = models.TextField(_("说明"))
    message_en = models.TextField(_("英文说明"), blank=True)
    response = models.TextField(_("情况说明"), blank=True)
    rectification_plan = models.TextField(_("整改措施"), blank=True)
    due_date = models.DateField(_("整改期限"), null=True, blank=True)
    evidence = models.TextField(_("整改佐证"), blank=True)
    closing_comment = models.TextField(_("销号意见"), blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # The department head's sign-off of the response (or the return, with its comment).
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signoff_comment = models.TextField(_("审签意见"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级督办时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EarlyWarningQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One warning per subject until it is closed; a later period updates it.
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(state="closed"), name="one_live_warning"
            )
        ]
        indexes = [models.Index(fields=["state", "department"], name="warning_state_idx")]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.title_zh}"

    def is_overdue(self, now: dt.datetime) -> bool:
        """The same rule as `EarlyWarning.objects.overdue(now)`, for a row in hand."""
        if self.state in (self.State.OPEN, self.State.SUBMITTED):
            return self.created_at < now - RESPONSE_DUE_AFTER
        if self.state == self.State.ACKNOWLEDGED and self.due_date is not None:
            return self.due_date < timezone.localdate(now)
        return False


class WarningEvidence(models.Model):
    """A file the owning department attaches to a warning's response or rectification,
    checked by its content (dezhou_carbon/files.py) and kept with its SHA-256, so that an
    auditor can show the file downloaded is the one submitted. Never changed or deleted."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="warnings/%Y/")
    name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField()
    stage = models.CharField(max_length=15)  # the warning's state when it was attached
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["warning", "uploaded_at", "pk"]
        verbose_name = _("预警佐证材料")
        verbose_name_plural = _("预警佐证材料")

    def __str__(self) -> str:
        return f"{self.warning_id} {self.name}"


class WarningProgress(models.Model):
    """A report of rectification progress on a warning while it is being rectified (an
    enterprise's energy manager on its visit finding, or the owning department): what was
    done, with an optional evidence file (WarningEvidence). Never changed or deleted."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.PROTECT, related_name="progress")
    note = models.TextField(_("整改进展"))
    evidence = models.OneToOneField(
        WarningEvidence, null=True, blank=True, on_delete=models.PROTECT, related_name="progress"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["warning", "reported_at", "pk"]
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")

    def __str__(self) -> str:
        return f"{self.warning_id} {self.note[:30]}"


class ProgressReport(models.Model):
    """A lead department's quarterly report on one of its tasks (text and an attachment)."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="reports")
    department = models.ForeignKey(
        "tasks.Department", on_delete=models.PROTECT, related_name="progress_reports"
    )
    period = models.CharField(_("期间"), max_length=7)
    text = models.TextField(_("进展情况"))
    attachment = models.FileField(_("附件"), upload_to="progress/%Y/", blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    # Checked by content on upload (dezhou_carbon/files.py); the digest shows later that
    # the stored file is the one submitted.
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    attachment_kind = models.CharField(max_length=20, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "-period", "-submitted_at"]
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")

    def __str__(self) -> str:
        return f"{self.task.code} {self.period}"
