"""The audit trail: one append-only row per business action (who, when, what, old → new, why).

No code path updates or deletes an AuditEvent; on PostgreSQL a trigger (migration 0002)
refuses UPDATE and DELETE outright.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One business action, recorded when it happened and never changed afterwards."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人（文本）"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=50, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=50, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    department_code = models.CharField(_("部门"), max_length=20, blank=True, db_index=True)
    period = models.CharField(_("期间"), max_length=10, blank=True)
    old_value = models.JSONField(_("原值"), null=True, blank=True)
    new_value = models.JSONField(_("新值"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    details = models.JSONField(_("详情"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"
