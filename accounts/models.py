"""People who use the product: each belongs to a department and has one role."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with a role; department staff also belong to one department."""

    class Role(models.TextChoices):
        COMMITTEE = "committee", _("管委会成员")
        CLERK = "clerk", _("部门填报员")
        HEAD = "head", _("部门负责人")
        STATISTICS_OFFICE = "statistics_office", _("统计办")
        AUDITOR = "auditor", _("审计人员")
        ADMINISTRATOR = "administrator", _("系统管理员")
        # An enterprise's energy manager (企业能源管理员): sees and reports only its own
        # enterprise (`enterprise`), nothing of the park or of any other enterprise.
        ENERGY_MANAGER = "energy_manager", _("企业能源管理员")
        NONE = "none", _("未分配角色")

    role = models.CharField(_("角色"), max_length=20, choices=Role, default=Role.NONE)
    department = models.ForeignKey(
        "tasks.Department",
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="energy_managers",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # Department staff cannot exist without a department: their whole scope is it.
            models.CheckConstraint(
                condition=~models.Q(role__in=["clerk", "head"])
                | models.Q(department__isnull=False),
                name="department_staff_have_a_department",
            ),
            # An energy manager belongs to exactly one enterprise, and only they do.
            models.CheckConstraint(
                condition=(models.Q(role="energy_manager") & models.Q(enterprise__isnull=False))
                | (~models.Q(role="energy_manager") & models.Q(enterprise__isnull=True)),
                name="energy_manager_has_one_enterprise",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def api_token_expiry():
    """A new or renewed token's expiry: settings.API_TOKEN_DAYS from now."""
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A person's key for scripts (`Authorization: Token <key>`). Only the key's SHA-256 is
    stored: the key itself is shown once, when it is created (accounts/tokens.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)  # recognisable, not secret
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # settings.API_TOKEN_DAYS after creation or the last renewal (accounts/tokens.py).
    expires_at = models.DateTimeField(_("到期时间"), default=api_token_expiry)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user_id} {self.name} {self.prefix}…"
