"""The park's enterprises and its key energy-using units (重点用能单位, management.md §1).

- Enterprise: one register row per unified social credit code (the figures' `scope`).
- KeyUnitDesignation: a person's decision that an enterprise is (or no longer is) a key
  unit, with its basis, year and reason; the newest decision is in force. Never changed.
- DesignationSuggestion: what the product suggests a person decides (threshold reached in
  the last complete year, or a designated unit below it for two years).
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LeadingIndustry(models.TextChoices):
    ELECTRONICS = "electronics", _("电子信息")
    NEW_ENERGY_MATERIALS = "new_energy_materials", _("新能源新材料")
    HIGH_END_EQUIPMENT = "high_end_equipment", _("高端装备制造")
    FOOD = "food", _("食品研发制造")
    BIOMEDICINE = "biomedicine", _("生物医药")
    NONE = "", _("无")


class Enterprise(models.Model):
    """An enterprise of the park, identified by its unified social credit code."""

    code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200)
    industry = models.CharField(
        _("国民经济行业(GB/T 4754-2017)"),
        max_length=4,
        validators=[RegexValidator(r"^[0-9]{4}$", _("应为 4 位行业小类代码"))],
        help_text=_("行业小类代码，例如 3985"),
    )
    leading_industry = models.CharField(
        _("主导产业"), max_length=30, choices=LeadingIndustry, blank=True, default=""
    )
    above_scale = models.BooleanField(_("规模以上"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    supervising_department = models.ForeignKey(
        "tasks.Department",
        verbose_name=_("主管部门"),
        on_delete=models.PROTECT,
        related_name="supervised_enterprises",
    )
    # The decision in force (newest KeyUnitDesignation), kept here so lists filter cheaply.
    is_key_unit = models.BooleanField(_("重点用能单位"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["is_key_unit", "code"], name="enterprise_key_idx")]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class DesignationBasis(models.TextChoices):
    THRESHOLD = "threshold_10000", _("年综合能耗≥1万吨标准煤")
    DESIGNATED = "designated_5000", _("有关部门指定(≥5000吨标准煤)")
    BELOW_THRESHOLD = "below_threshold", _("连续两年低于门槛")
    OTHER = "other", _("其他")


class KeyUnitDesignation(models.Model):
    """A decision that an enterprise is (or, `designated` False, no longer is) a key
    energy-using unit from `year` on; a reason is required, and the row never changes."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="designations"
    )
    designated = models.BooleanField(_("列为重点用能单位"), default=True)
    basis = models.CharField(_("依据"), max_length=20, choices=DesignationBasis)
    year = models.PositiveSmallIntegerField(_("年度"))
    threshold_tce = models.DecimalField(
        _("门槛(吨标准煤)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    energy_tce = models.DecimalField(
        _("年综合能耗(当量值，吨标准煤)"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    reason = models.TextField(_("理由"))
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="designation_has_reason")
        ]
        verbose_name = _("重点用能单位认定")
        verbose_name_plural = _("重点用能单位认定")

    def __str__(self) -> str:
        verb = "列入" if self.designated else "移出"
        return f"{self.enterprise_id} {verb} {self.year}"


class DesignationSuggestion(models.Model):
    """The product's suggestion to designate (or to revoke) a key unit, for a person to
    confirm or dismiss with a reason."""

    class Kind(models.TextChoices):
        DESIGNATE = "designate", _("建议列入")
        REVOKE = "revoke", _("建议移出")

    class State(models.TextChoices):
        OPEN = "open", _("待决定")
        CONFIRMED = "confirmed", _("已确认")
        DISMISSED = "dismissed", _("已驳回")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="suggestions")
    kind = models.CharField(_("建议"), max_length=10, choices=Kind)
    year = models.PositiveSmallIntegerField(_("依据年度"))
    energy_tce = models.DecimalField(
        _("年综合能耗(当量值，吨标准煤)"), max_digits=24, decimal_places=6
    )
    threshold_tce = models.DecimalField(_("门槛(吨标准煤)"), max_digits=12, decimal_places=2)
    explanation_zh = models.TextField(_("说明"))
    explanation_en = models.TextField(_("英文说明"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.OPEN)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["state", "enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind", "year"], name="one_suggestion_per_year"
            )
        ]
        verbose_name = _("认定建议")
        verbose_name_plural = _("认定建议")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.year} ({self.state})"


class RegisterUpload(models.Model):
    """A register file checked and shown as a preview; confirming it imports exactly the
    rows that were previewed (all or nothing)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("待确认")
        APPLIED = "applied", _("已导入")
        REJECTED = "rejected", _("已拒绝")

    sha256 = models.CharField(max_length=64)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status)
    table = models.JSONField(default=list, blank=True)
    formula_cells = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("企业名录导入")
        verbose_name_plural = _("企业名录导入")

    def __str__(self) -> str:
        return f"{self.filename} {self.status}"
