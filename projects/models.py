"""Key projects, their energy review and carbon assessment (政策创新二, management.md §2).

- Project: a fixed-asset investment project of an enterprise of the register, with its stage
  (储备 → 立项 → 节能审查 → 碳评 → 开工 → 投产 → 验收) and investment by funding source.
- StageEvent: a stage reached (or planned), with its date and evidence; never changed.
- EnergyReview: the project's annual energy by carrier, converted with the registry, which
  authority reviews it, and the opinion (authority, 文号, date, approved energy, coal,
  conditions). A new review is a new row.
- CarbonAssessment: the project's annual CO₂ with its method trace, intensities and the
  industry benchmark with its source.
Written through `projects.services` only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dezhou_carbon.evidence import EvidenceFile


class Stage(models.TextChoices):
    RESERVE = "reserve", _("储备")
    APPROVED = "approved", _("立项")
    ENERGY_REVIEW = "energy_review", _("节能审查")
    CARBON_ASSESSMENT = "carbon_assessment", _("碳评")
    CONSTRUCTION = "construction", _("开工")
    OPERATION = "operation", _("投产")
    ACCEPTANCE = "acceptance", _("验收")


STAGE_ORDER = list(Stage.values)

# The energy carriers of a review or an assessment (projects.calculations.CARRIERS), by name.
CARRIER_LABELS = {
    "coal_raw": _("原煤"), "coal_washed": _("洗精煤"),
    "coke": _("焦炭"), "crude_oil": _("原油"),
    "fuel_oil": _("燃料油"), "gasoline": _("汽油"),
    "kerosene": _("煤油"), "diesel": _("柴油"),
    "lpg": _("液化石油气"), "natural_gas": _("天然气"),
    "electricity": _("电力"), "heat": _("热力"),
}  # fmt: skip


class FundingSource(models.TextChoices):
    CENTRAL_BUDGET = "central_budget", _("中央预算内投资")
    SPECIAL_BONDS = "special_bonds", _("专项债")
    SELF_RAISED = "self_raised", _("企业自筹")
    BANK_LOANS = "bank_loans", _("银行贷款")
    OTHER = "other", _("其他")


class Project(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", _("新建")
        EXPANSION = "expansion", _("改扩建")
        RETROFIT = "retrofit", _("技术改造")
        EXISTING = "existing", _("存量")

    code = models.CharField(_("项目代码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    kind = models.CharField(_("类型"), max_length=10, choices=Kind)
    department = models.ForeignKey(
        "tasks.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT,
        related_name="projects",
    )  # fmt: skip
    tasks = models.ManyToManyField("tasks.Task", verbose_name=_("关联任务"), blank=True)
    work_items = models.ManyToManyField(
        "tasks.WorkItem", verbose_name=_("关联工作要点"), blank=True
    )
    stage = models.CharField(_("当前阶段"), max_length=20, choices=Stage, default=Stage.RESERVE)
    # {funding source: 万元} planned; completion is reported quarterly.
    investment_planned = models.JSONField(_("计划投资（万元）"), default=dict)
    annual_output = models.DecimalField(
        _("达产年产值（万元）"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    value_added = models.DecimalField(
        _("达产年增加值（万元，2020年价）"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    product_quantity = models.DecimalField(
        _("达产年产品产量"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    product_unit = models.CharField(_("产品单位"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StageEvent(models.Model):
    """A stage's planned or actual date (a correction is a new row; the newest counts)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_events")
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage)
    planned_date = models.DateField(_("计划日期"), null=True, blank=True)
    actual_date = models.DateField(_("实际日期"), null=True, blank=True)
    evidence = models.TextField(_("佐证"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "recorded_at", "id"]
        verbose_name = _("项目阶段")
        verbose_name_plural = _("项目阶段")

    def __str__(self) -> str:
        return f"{self.project_id} {self.stage}"


class EnergyReview(models.Model):
    class Authority(models.TextChoices):
        PROVINCIAL = "provincial", _("省级节能审查")
        LOCAL = "local", _("市县节能审查")
        NONE = "none", _("不单独审查（承诺制）")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="energy_reviews")
    # [{"carrier", "quantity", "unit"}] at full production; for a renovation also before.
    uses = models.JSONField(_("年能源消费"))
    uses_before = models.JSONField(_("改造前年能源消费"), default=list, blank=True)
    calorific_tce = models.DecimalField(_("年综合能耗（当量值）"), max_digits=24, decimal_places=6)
    equal_value_tce = models.DecimalField(
        _("年综合能耗（等价值）"), max_digits=24, decimal_places=6
    )
    electricity_wan_kwh = models.DecimalField(
        _("年电力消费（万kWh）"), max_digits=24, decimal_places=6
    )
    coal_t = models.DecimalField(_("年煤炭消费（t）"), max_digits=24, decimal_places=6)
    authority = models.CharField(_("审查权限"), max_length=12, choices=Authority)
    thresholds_version = models.PositiveIntegerField(default=0)
    trace = models.JSONField(default=dict)
    # The opinion (none when no separate review is needed).
    opinion_authority = models.CharField(_("审查机关"), max_length=100, blank=True)
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    opinion_date = models.DateField(_("审查意见日期"), null=True, blank=True)
    approved_calorific_tce = models.DecimalField(
        _("核定年综合能耗（当量值）"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    approved_equal_value_tce = models.DecimalField(
        _("核定年综合能耗（等价值）"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    approved_coal_t = models.DecimalField(
        _("核定年煤炭消费（t）"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    conditions = models.TextField(_("审查意见要求"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-recorded_at", "-id"]
        verbose_name = _("节能审查")
        verbose_name_plural = _("节能审查")

    def __str__(self) -> str:
        return f"{self.project_id} {self.document_no or self.authority}"


class CarbonAssessment(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="carbon_assessments"
    )
    year = models.PositiveSmallIntegerField(_("核算年份"))
    uses = models.JSONField(_("年能源消费"))
    process = models.JSONField(_("过程排放"), default=list, blank=True)
    fuels_t = models.DecimalField(max_digits=24, decimal_places=6)
    process_t = models.DecimalField(max_digits=24, decimal_places=6)
    electricity_t = models.DecimalField(max_digits=24, decimal_places=6)
    heat_t = models.DecimalField(max_digits=24, decimal_places=6)
    total_t = models.DecimalField(_("年二氧化碳排放（t）"), max_digits=24, decimal_places=6)
    per_product = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    per_value_added = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    benchmark = models.DecimalField(
        _("行业基准"), max_digits=24, decimal_places=10, null=True, blank=True
    )
    benchmark_source = models.TextField(_("基准来源"), blank=True)
    conclusion = models.TextField(_("评价结论"), blank=True)
    measures = models.TextField(_("减排措施"), blank=True)
    trace = models.JSONField(default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(benchmark__isnull=True) | ~Q(benchmark_source=""),
                name="carbon_assessment_benchmark_sourced",
            )
        ]
        verbose_name = _("碳排放评价")
        verbose_name_plural = _("碳排放评价")

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"


class ProjectUpdate(models.Model):
    """A project's quarterly update inside the reporting round (issue 18 item 5): investment
    completed in the quarter by funding source, the stage it has reached and its milestone,
    with evidence files. Submitted by the project's responsible department and approved or
    returned by its head (four eyes). A resubmission is a new version; the newest counts."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    period = models.CharField(_("季度"), max_length=7)
    version = models.PositiveSmallIntegerField(default=1)
    # {funding source: 万元} completed in this quarter.
    investment_completed = models.JSONField(_("本季度完成投资（万元）"), default=dict)
    stage = models.CharField(_("所处阶段"), max_length=20, choices=Stage)
    # The day a stage beyond the project's current one was reached (required then): the
    # approval records it through the stage-change service (projects.updates).
    stage_date = models.DateField(_("到达阶段日期"), null=True, blank=True)
    milestone = models.TextField(_("形象进度"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(_("退回意见"), blank=True)

    class Meta:
        ordering = ["project", "period", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period", "version"], name="project_update_version_once"
            )
        ]
        indexes = [models.Index(fields=["period", "state"], name="project_update_period_state")]
        verbose_name = _("项目季度进展")
        verbose_name_plural = _("项目季度进展")

    def __str__(self) -> str:
        return f"{self.project_id} {self.period} v{self.version}"

    @property
    def investment_total(self):
        from decimal import Decimal

        return sum((Decimal(v) for v in self.investment_completed.values()), Decimal(0))


class ProjectUpdateEvidence(EvidenceFile):
    """An evidence file of a quarterly update, checked by content and kept with its SHA-256."""

    update = models.ForeignKey(ProjectUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="project-evidence/%Y/")

    class Meta:
        ordering = ["update", "pk"]
        verbose_name = _("佐证文件")
        verbose_name_plural = _("佐证文件")
