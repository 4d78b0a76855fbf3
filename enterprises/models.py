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

from dezhou_carbon.count_targets import CountTarget
from dezhou_carbon.evidence import OptionalEvidence
from indicators.models import ReviewedPeriod


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
        _("国民经济行业（GB/T 4754-2017）"),
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
    DESIGNATED = "designated_5000", _("有关部门指定（≥5000吨标准煤）")
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
        _("门槛（吨标准煤）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    energy_tce = models.DecimalField(
        _("年综合能耗（当量值，吨标准煤）"), max_digits=24, decimal_places=6, null=True, blank=True
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
        _("年综合能耗（当量值，吨标准煤）"), max_digits=24, decimal_places=6
    )
    threshold_tce = models.DecimalField(_("门槛（吨标准煤）"), max_digits=12, decimal_places=2)
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


# --- 一企一策 plans, on-site supervision, certificates, benchmarks (issue 17 items 3–6) ---


class Measure(models.Model):
    """One measure of an enterprise's plan (一企一策): who owns it, by which quarter it is
    due, what it is expected to save and cost. Its state is that of its newest progress
    report; a measure is never deleted (a dropped one is reported cancelled)."""

    class State(models.TextChoices):
        PLANNED = "planned", _("未开始")
        IN_PROGRESS = "in_progress", _("实施中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="measures")
    title = models.CharField(_("措施"), max_length=200)
    description = models.TextField(_("内容"), blank=True)
    owner = models.CharField(_("责任人"), max_length=100)
    start_quarter = models.CharField(_("开始季度"), max_length=7)
    due_quarter = models.CharField(_("完成季度"), max_length=7)
    savings_tce = models.DecimalField(
        _("预计节能量（吨标准煤/年）"), max_digits=18, decimal_places=4
    )
    savings_tco2 = models.DecimalField(
        _("预计减碳量（吨二氧化碳/年）"), max_digits=18, decimal_places=4
    )
    investment = models.DecimalField(_("投资（万元）"), max_digits=18, decimal_places=2)
    state = models.CharField(_("状态"), max_length=15, choices=State, default=State.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "due_quarter", "pk"]
        indexes = [models.Index(fields=["state", "due_quarter"], name="measure_due_idx")]
        verbose_name = _("一企一策措施")
        verbose_name_plural = _("一企一策措施")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.title}"


class MeasureProgress(OptionalEvidence):
    """A quarter's status of a measure with its note and evidence. Never changed: a
    correction is a newer report of the same quarter."""

    file = models.FileField(_("佐证材料"), upload_to="enterprises/%Y/", blank=True)

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="progress")
    period = models.CharField(_("季度"), max_length=7)
    state = models.CharField(_("状态"), max_length=15, choices=Measure.State)
    note = models.TextField(_("进展说明"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure", "-period", "-reported_at", "-pk"]
        verbose_name = _("措施进展")
        verbose_name_plural = _("措施进展")

    def __str__(self) -> str:
        return f"{self.measure_id} {self.period} {self.state}"


class Visit(models.Model):
    """An on-site supervision visit (现场监督): when, who inspected, what was found."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="visits")
    visit_date = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=300)
    summary = models.TextField(_("检查情况"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "-visit_date", "-pk"]
        verbose_name = _("现场监督")
        verbose_name_plural = _("现场监督")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visit_date}"


class Finding(models.Model):
    """A finding of a visit: a rectification item with a due date, answered through the
    warning loop (acknowledge → sign-off → resolve → close) of its warning."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="findings")
    description = models.TextField(_("发现问题"))
    requirement = models.TextField(_("整改要求"))
    due_date = models.DateField(_("整改期限"))
    warning = models.OneToOneField(
        "dashboards.EarlyWarning",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="finding",
    )

    class Meta:
        ordering = ["visit", "pk"]
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.description[:30]}"


class CertificateKind(models.TextChoices):
    GREEN_FACTORY = "green_factory", _("绿色工厂")
    GREEN_SUPPLY_CHAIN = "green_supply_chain", _("绿色供应链")
    CLEAN_PRODUCTION = "clean_production", _("清洁生产审核")
    ENERGY_AUDIT = "energy_audit", _("能源审计/节能诊断")
    ENERGY_MANAGEMENT = "energy_management", _("能源管理体系（GB/T 23331）")
    CARBON_MANAGEMENT = "carbon_management", _("碳管理体系")


class CertificateLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    NONE = "", _("—")


class CertificateStage(models.TextChoices):
    STARTED = "started", _("已启动")
    ACCEPTED = "accepted", _("已验收")
    NONE = "", _("—")


class EnterpriseCertificate(OptionalEvidence):
    """A certificate, recognition or audit of an enterprise in a year (green factory at its
    level, a clean-production audit started or accepted, ...). Never changed."""

    file = models.FileField(_("佐证材料"), upload_to="enterprises/%Y/", blank=True)

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=CertificateKind)
    level = models.CharField(
        _("级别"), max_length=12, choices=CertificateLevel, blank=True, default=""
    )
    stage = models.CharField(
        _("阶段"), max_length=10, choices=CertificateStage, blank=True, default=""
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    issuer = models.CharField(_("发证或认定机构"), max_length=200, blank=True)
    number = models.CharField(_("证书或文件编号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "-year", "kind", "pk"]
        indexes = [models.Index(fields=["kind", "year"], name="certificate_kind_year_idx")]
        verbose_name = _("企业认证与审核")
        verbose_name_plural = _("企业认证与审核")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.year}"


class CertificateCountTarget(CountTarget):
    """A yearly target for a certificate counter (e.g. green factories of the year), set by
    the committee's decision through the governed target path: recorded by the statistics
    office or an administrator, approved by a committee member who is not the recorder,
    with reason and 文号. A change is a new version; the old one stays. The fields and the
    service are the ones footprints' counters use too (dezhou_carbon/count_targets.py, which
    also says why these are not the indicator engine's targets)."""

    counter = models.CharField(_("计数"), max_length=40)

    class Meta:
        ordering = ["counter", "year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["counter", "year"],
                condition=Q(is_current=True),
                name="certificate_count_target_one_current",
            )
        ]
        verbose_name = _("认证数量目标")
        verbose_name_plural = _("认证数量目标")


class Benchmark(models.Model):
    """An energy-efficiency benchmark (标杆 the advanced level, 基准 the minimum) of an
    industry (GB/T 4754 code or its prefix) or a product, with its source. Energy per unit
    of value added (tce/万元) is compared on the ledger; a product's unit consumption is
    shown beside it. Never changed: a newer row of the same subject and year replaces it."""

    class Metric(models.TextChoices):
        PER_VALUE_ADDED = "per_value_added", _("单位增加值能耗（吨标准煤/万元）")
        PER_PRODUCT = "per_product", _("单位产品能耗")

    industry = models.CharField(_("行业代码（或前缀）"), max_length=4, blank=True)
    product = models.CharField(_("产品"), max_length=100, blank=True)
    metric = models.CharField(_("指标"), max_length=20, choices=Metric)
    unit = models.CharField(_("单位"), max_length=40)
    advanced = models.DecimalField(_("标杆水平"), max_digits=18, decimal_places=6)
    baseline = models.DecimalField(_("基准水平"), max_digits=18, decimal_places=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.TextField(_("来源"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["industry", "product", "-year", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(source=""), name="benchmark_source")]
        verbose_name = _("能效标杆")
        verbose_name_plural = _("能效标杆")

    def __str__(self) -> str:
        return f"{self.industry or self.product} {self.advanced}/{self.baseline} {self.unit}"


class EnterprisePeriod(ReviewedPeriod):
    """An enterprise's own figures for one period (its energy manager's quarter), as one
    unit of review like a department's period: entered and submitted by the enterprise,
    approved or returned by a head of its supervising department, locked once approved."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="periods")
    # A correction after approval: the energy manager asks for it with a reason; a head of
    # the supervising department reopens the quarter with a reason (the revised figures
    # are new versions with that reason; the approved ones count until re-approval).
    correction_request = models.TextField(_("更正申请理由"), blank=True)
    correction_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction_requested_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(_("更正原因"), blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["enterprise", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period"], name="enterprise_period_unique"
            )
        ]
        verbose_name = _("企业报表")
        verbose_name_plural = _("企业报表")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} {self.state}"


class ProductOutput(models.Model):
    """An enterprise's output of one product in a year (产品产量), with the energy that
    product took where the enterprise makes several; its unit energy consumption is compared
    with the product's benchmark (enterprises/products.py). Entered or imported; a newer
    entry of the same product and year replaces the old one (audited with the old value)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="outputs")
    year = models.PositiveSmallIntegerField(_("年度"))
    product = models.CharField(_("产品"), max_length=100)
    quantity = models.DecimalField(_("产量"), max_digits=24, decimal_places=6)
    unit = models.CharField(_("单位"), max_length=20)
    energy_tce = models.DecimalField(
        _("产品综合能耗（吨标准煤）"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise", "-year", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "product"], name="product_output_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="product_output_positive"),
        ]
        verbose_name = _("产品产量")
        verbose_name_plural = _("产品产量")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.product} {self.quantity} {self.unit}"
