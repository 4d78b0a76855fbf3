"""The park's energy and carbon budget (用能预算管理, management.md §2).

- Budget: one version of a year's budget — total energy B_E (tce, on the basis the
  committee picks: 当量 or 等价) and CO₂ B_CO2 (t), assigned from above or derived (path
  intensity × expected value added); drafted by the projects department (DRS) or the
  statistics office, approved by a committee member who did not draft it, with a reason
  and 文号. A revision is a new version; the approved one before it is superseded, never
  changed.
- Allocation: a version's share for an existing enterprise (baseline: its last complete
  year), an approved new project (approved energy × the share of the year it operates)
  and the reserve (B − Σ allocations).
- BudgetStatus: what the recompute derived from approved results for one quarter of the
  year: use year to date, the seasonal share, the year-end forecast and the status
  (green / yellow / red), with the statuses of the enterprises' allocations.
Written through `budgets.services` only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ENERGY = {"max_digits": 24, "decimal_places": 6}


class Budget(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("待批准")
        APPROVED = "approved", _("已批准")
        SUPERSEDED = "superseded", _("已被新版本取代")

    class Basis(models.TextChoices):
        CALORIFIC = "calorific", _("当量值")
        EQUAL_VALUE = "equal_value", _("等价值")

    class Derivation(models.TextChoices):
        ASSIGNED = "assigned", _("上级下达")
        DERIVED = "derived", _("按路径强度测算")

    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"))
    state = models.CharField(_("状态"), max_length=12, choices=State, default=State.DRAFT)
    basis = models.CharField(_("考核口径"), max_length=12, choices=Basis)
    derivation = models.CharField(_("预算来源"), max_length=10, choices=Derivation)
    energy_tce = models.DecimalField(_("用能预算（吨标准煤）"), **ENERGY)
    co2_t = models.DecimalField(_("碳排放预算（吨二氧化碳）"), **ENERGY)
    # The derivation's inputs (B = path intensity × last value added × (1 + growth)).
    path_intensity = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    co2_path_intensity = models.DecimalField(
        max_digits=24, decimal_places=10, null=True, blank=True
    )
    base_value_added = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    real_growth_percent = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True
    )
    department = models.ForeignKey(
        "tasks.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT,
        related_name="budgets",
    )  # fmt: skip
    note = models.TextField(_("编制说明"), blank=True)
    trace = models.JSONField(default=dict)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("批准理由"), blank=True)
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="budget_version_unique"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(state="approved"), name="one_approved_budget_a_year"
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | (~Q(document_no="") & ~Q(reason="")),
                name="approved_budget_has_document_and_reason",
            ),
        ]
        verbose_name = _("用能预算")
        verbose_name_plural = _("用能预算")

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"


class Allocation(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("存量企业")
        PROJECT = "project", _("新建项目")
        RESERVE = "reserve", _("预留")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="allocations")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    energy_tce = models.DecimalField(_("分配用能（吨标准煤）"), **ENERGY)
    co2_t = models.DecimalField(_("分配碳排放（吨二氧化碳）"), **ENERGY)
    # Baseline year for an enterprise; approved energy and operating share for a project.
    trace = models.JSONField(default=dict)

    class Meta:
        ordering = ["budget", "kind", "id"]
        verbose_name = _("预算分配")
        verbose_name_plural = _("预算分配")

    def __str__(self) -> str:
        return f"{self.budget} {self.kind} {self.energy_tce}"


class BudgetStatus(models.Model):
    class Status(models.TextChoices):
        GREEN = "green", _("正常")
        YELLOW = "yellow", _("预警（黄）")
        RED = "red", _("超预算（红）")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="statuses")
    quarter = models.PositiveSmallIntegerField(_("季度"))
    period = models.CharField(_("期间"), max_length=7)
    use_tce = models.DecimalField(_("累计用能"), **ENERGY)
    use_co2_t = models.DecimalField(_("累计碳排放"), **ENERGY)
    share = models.DecimalField(max_digits=20, decimal_places=12)
    co2_share = models.DecimalField(max_digits=20, decimal_places=12)
    forecast_tce = models.DecimalField(_("全年预测用能"), **ENERGY)
    forecast_co2_t = models.DecimalField(_("全年预测碳排放"), **ENERGY)
    energy_status = models.CharField(max_length=10, choices=Status)
    co2_status = models.CharField(max_length=10, choices=Status)
    status = models.CharField(_("状态"), max_length=10, choices=Status)
    # {allocation id: {"use": "…", "forecast": "…", "status": "…"}} for the enterprises.
    allocations = models.JSONField(default=dict)
    trace = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["budget", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "quarter"], name="budget_status_unique")
        ]
        verbose_name = _("预算执行")
        verbose_name_plural = _("预算执行")

    def __str__(self) -> str:
        return f"{self.budget} {self.period} {self.status}"
