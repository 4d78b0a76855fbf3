"""Product carbon footprints (政策创新三, management.md §5).

- EmissionFactor: the factor library (materials, transport modes, GWP100 of gases), each
  factor versioned and sourced like the coefficient registry; energy carriers are NOT here:
  their factors come from `indicators.Coefficient`, never duplicated.
- IndustryReference: a reference footprint for a product or industry, with its source.
- Study: one product's footprint study of an enterprise of the register, with its rules,
  inventory (InventoryLine, Omission), its stored result and its review state.
- Certificate: a certification or label resting on an approved study.

Studies are written through `footprints.services` only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dezhou_carbon.count_targets import CountTarget as CountTargetBase
from footprints import calculations as fc


class FactorCategory(models.TextChoices):
    MATERIAL = "material", _("原材料")
    TRANSPORT = "transport", _("运输")
    GAS = "gas", _("温室气体（GWP100）")
    OTHER = "other", _("其他")


class EmissionFactor(models.Model):
    """A factor of the library: CO₂e per unit. A change is a new version; the old row stays
    for the studies that used it, and those studies are marked outdated."""

    key = models.CharField(_("代码"), max_length=80)
    name_zh = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    category = models.CharField(_("类别"), max_length=12, choices=FactorCategory)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=10)
    unit = models.CharField(_("单位"), max_length=30, help_text=_("例如 kgCO₂e/kg、kgCO₂e/t·km"))
    source = models.TextField(_("来源"))
    year = models.PositiveSmallIntegerField(_("数据年份"))
    region = models.CharField(_("地区"), max_length=40, blank=True, default="中国")
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("现行"), default=True)
    reason = models.TextField(_("变更原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "key", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "year", "version"], name="footprint_factor_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key", "year"],
                condition=Q(is_current=True),
                name="footprint_factor_one_current",
            ),
        ]
        verbose_name = _("碳足迹排放因子")
        verbose_name_plural = _("碳足迹排放因子")

    def __str__(self) -> str:
        return f"{self.key} {self.year} = {self.value} {self.unit} (v{self.version})"


class IndustryReference(models.Model):
    """A reference footprint (industry average or benchmark) a study is compared with."""

    name_zh = models.CharField(_("参考产品"), max_length=120)
    leading_industry = models.CharField(_("主导产业"), max_length=30, blank=True)
    declared_unit = models.CharField(_("声明单位"), max_length=60)
    value = models.DecimalField(_("参考值（kgCO₂e/声明单位）"), max_digits=24, decimal_places=6)
    source = models.TextField(_("来源"))
    year = models.PositiveSmallIntegerField(_("年份"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_zh", "-year"]
        verbose_name = _("行业参考值")
        verbose_name_plural = _("行业参考值")

    def __str__(self) -> str:
        return f"{self.name_zh} {self.year}"


class Study(models.Model):
    class Boundary(models.TextChoices):
        CRADLE_TO_GATE = fc.BOUNDARY_CRADLE_TO_GATE, _("从摇篮到大门")
        CRADLE_TO_GRAVE = fc.BOUNDARY_CRADLE_TO_GRAVE, _("从摇篮到坟墓")

    class Allocation(models.TextChoices):
        MASS = fc.ALLOCATION_MASS, _("质量分配")
        ECONOMIC = fc.ALLOCATION_ECONOMIC, _("经济价值分配")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="footprint_studies",
    )
    product_key = models.SlugField(
        _("产品代码"), max_length=60, help_text=_("同一产品各年度研究使用同一代码，用于版本比较")
    )
    product_zh = models.CharField(_("产品"), max_length=120)
    product_en = models.CharField(_("产品（英文）"), max_length=200, blank=True)
    leading_industry = models.CharField(_("主导产业"), max_length=30)
    declared_unit = models.CharField(_("声明单位"), max_length=60)
    boundary = models.CharField(
        _("系统边界"), max_length=20, choices=Boundary, default=Boundary.CRADLE_TO_GATE
    )
    reference_year = models.PositiveSmallIntegerField(_("基准年"))
    allocation = models.CharField(
        _("分配方法"), max_length=10, choices=Allocation, default=Allocation.MASS
    )
    # [[co-product, per cent], ...] including this product; empty: no co-products.
    shares = models.JSONField(_("联产品分配比例"), default=list, blank=True)
    cutoff_line_percent = models.DecimalField(
        _("单项舍弃上限（%）"),
        max_digits=5,
        decimal_places=2,
        default=fc.DEFAULT_CUTOFF_LINE_PERCENT,
    )
    cutoff_total_percent = models.DecimalField(
        _("合计舍弃上限（%）"),
        max_digits=5,
        decimal_places=2,
        default=fc.DEFAULT_CUTOFF_TOTAL_PERCENT,
    )
    grid_region = models.CharField(_("电网排放因子区域"), max_length=20, default="shandong")
    reference = models.ForeignKey(
        IndustryReference,
        verbose_name=_("行业参考值"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="studies",
    )
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.DRAFT)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("审核意见"), blank=True)
    # The stored result (services.study_compute); none until computed.
    total = models.DecimalField(
        _("碳足迹（kgCO₂e/声明单位）"), max_digits=34, decimal_places=12, null=True, blank=True
    )
    by_stage = models.JSONField(default=dict, blank=True)
    primary_percent = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    cutoff_passed = models.BooleanField(null=True, blank=True)
    trace = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    outdated = models.BooleanField(_("因子已更新，待重算"), default=False)
    outdated_reason = models.TextField(blank=True)
    lines_version = models.PositiveIntegerField(default=0)  # bumped by every inventory change
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_key", "-reference_year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "product_key", "reference_year"],
                name="footprint_study_one_per_product_year",
            )
        ]
        verbose_name = _("产品碳足迹研究")
        verbose_name_plural = _("产品碳足迹研究")

    def __str__(self) -> str:
        return f"{self.product_zh} {self.reference_year}"


class InventoryLine(models.Model):
    class Stage(models.TextChoices):
        RAW_MATERIALS = fc.STAGE_RAW_MATERIALS, _("原材料获取")
        PRODUCTION = fc.STAGE_PRODUCTION, _("生产")
        TRANSPORT = fc.STAGE_TRANSPORT, _("运输")
        USE = fc.STAGE_USE, _("使用")
        END_OF_LIFE = fc.STAGE_END_OF_LIFE, _("废弃处置")

    class Kind(models.TextChoices):
        MATERIAL = fc.KIND_MATERIAL, _("物料")
        ENERGY = fc.KIND_ENERGY, _("能源")
        TRANSPORT = fc.KIND_TRANSPORT, _("运输")
        PROCESS = fc.KIND_PROCESS, _("过程排放")

    class Quality(models.TextChoices):
        PRIMARY = fc.QUALITY_PRIMARY, _("初级数据")
        SECONDARY = fc.QUALITY_SECONDARY, _("次级数据")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="lines")
    no = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("名称"), max_length=120)
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind)
    quantity = models.DecimalField(_("数量"), max_digits=24, decimal_places=10)
    unit = models.CharField(_("单位"), max_length=20)
    # A library factor by key, or an energy carrier whose factor is the registry's.
    factor_key = models.CharField(_("排放因子代码"), max_length=80, blank=True)
    energy_carrier = models.CharField(_("能源品种"), max_length=30, blank=True)
    quality = models.CharField(
        _("数据质量"), max_length=10, choices=Quality, default=Quality.SECONDARY
    )
    mass_kg = models.DecimalField(
        _("质量（kg）"), max_digits=24, decimal_places=10, null=True, blank=True
    )

    class Meta:
        ordering = ["study", "no"]
        constraints = [
            models.UniqueConstraint(fields=["study", "no"], name="footprint_line_no_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="footprint_line_quantity_ge_0"
            ),
        ]
        verbose_name = _("清单行")
        verbose_name_plural = _("清单行")

    def __str__(self) -> str:
        return f"{self.study_id}#{self.no} {self.name}"


class Omission(models.Model):
    """An input left out under the cut-off rule, with its mass per declared unit."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="omissions")
    name = models.CharField(_("名称"), max_length=120)
    mass_kg = models.DecimalField(_("质量（kg）"), max_digits=24, decimal_places=10)

    class Meta:
        ordering = ["study", "id"]
        verbose_name = _("舍弃项")
        verbose_name_plural = _("舍弃项")

    def __str__(self) -> str:
        return f"{self.study_id} {self.name}"


class Certificate(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="certificates")
    body = models.CharField(_("认证机构"), max_length=120)
    number = models.CharField(_("证书编号"), max_length=80)
    standard = models.CharField(_("依据标准"), max_length=80, default="GB/T 24067-2024")
    label = models.BooleanField(_("碳足迹标识"), default=False)
    valid_from = models.DateField(_("有效期自"))
    valid_to = models.DateField(_("有效期至"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["body", "number"], name="footprint_certificate_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="footprint_certificate_valid_range",
            ),
        ]
        verbose_name = _("碳足迹证书")
        verbose_name_plural = _("碳足迹证书")

    def __str__(self) -> str:
        return f"{self.body} {self.number}"


class CountTarget(CountTargetBase):
    """A yearly target for a footprint counter (the policy innovation's indicator), set by
    the committee's decision: recorded by the statistics office with reason and 文号, approved
    by a committee member. A change is a new version; the old one stays. The fields and the
    service are shared with the certificate counters (dezhou_carbon/count_targets.py)."""

    class Counter(models.TextChoices):
        APPROVED_STUDIES = "approved_studies", _("已审核的碳足迹研究")
        CERTIFIED_PRODUCTS = "certified_products", _("获认证的产品")

    counter = models.CharField(_("计数"), max_length=30, choices=Counter)

    class Meta:
        ordering = ["counter", "year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["counter", "year"],
                condition=Q(is_current=True),
                name="footprint_count_target_one_current",
            )
        ]
        verbose_name = _("碳足迹计数目标")
        verbose_name_plural = _("碳足迹计数目标")
