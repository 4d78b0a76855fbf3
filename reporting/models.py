"""Reporting rounds (one per quarter, and per year for yearly items) with their deadline,
and in-product notifications (reminders, returns, approvals)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportingRound(models.Model):
    """The reporting of one period: every department with items of that frequency reports
    its figures before the deadline."""

    class State(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    period = models.CharField(_("期间"), max_length=7, unique=True)
    year = models.PositiveSmallIntegerField(_("年"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    deadline = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-quarter"]
        verbose_name = _("填报轮次")
        verbose_name_plural = _("填报轮次")

    def __str__(self) -> str:
        return self.period

    @property
    def frequency(self) -> str:
        return "quarter" if self.quarter else "year"


class Notification(models.Model):
    """A message to one person in the product (and, for reminders, also by e-mail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    message_zh = models.TextField()
    message_en = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A reminder is sent once per person, round and kind, however often the job runs.
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class WorkCalendarYear(models.Model):
    """One year of China's official calendar as the State Council's notice gives it: its
    public holidays and its make-up working days (调休上班), with the notice as source.
    Working days are counted on it (reporting.workdays); an administrator records a new
    year (reporting.services.work_calendar_year_record, audited)."""

    year = models.PositiveSmallIntegerField(_("年"), unique=True)
    holidays = models.JSONField(_("放假日期"), default=list)
    workdays = models.JSONField(_("调休上班日期"), default=list)
    source = models.TextField(_("依据（通知名称、文号、日期）"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return str(self.year)
