"""What the park measures and promises, and what it computed.

- StatisticalItem: a raw statistic staff report (data-exchange §1).
- Figure: one reported value, immutable; a correction is a new version.
- Coefficient / MethodSetting: versioned conversion factors and counting rules (methodology).
- Indicator / Target: what is computed and what the plan promises.
- IndicatorResult: the stored, traced outcome of a recompute; pages and exports read these.
- MethodTrace: one method trace, stored once for every result that shares it.
- RecomputeRequest: the durable "needs recompute" row written with the data it concerns.
"""

import hashlib
import json
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dezhou_carbon.i18n import localized
from indicators.calculations import FORMULAS
from indicators.fields import IdListField

PARK_SCOPE = ""  # the whole park; enterprise scopes are 18-character credit codes


class Indicator(models.Model):
    """A computed indicator (data-exchange §3 codes), with its unit and good direction."""

    class Direction(models.IntegerChoices):
        HIGHER_IS_BETTER = 1, _("越高越好")
        LOWER_IS_BETTER = -1, _("越低越好")

    class PathKind(models.TextChoices):
        GEOMETRIC = "geometric", _("几何路径（强度、总量）")
        LINEAR = "linear", _("线性路径（占比）")

    code = models.CharField(_("代码"), max_length=60, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=30)
    direction = models.SmallIntegerField(_("方向"), choices=Direction)
    path_kind = models.CharField(_("路径类型"), max_length=10, choices=PathKind)
    has_base_year = models.BooleanField(_("计算较基准年变化"), default=True)
    decimal_places = models.PositiveSmallIntegerField(_("显示小数位"), default=2)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    # The formula as people read it, from the one text the engine also writes into every
    # method trace (calculations.FORMULAS): never stored here, so the two cannot drift.
    @property
    def formula_zh(self) -> str:
        formula = FORMULAS.get(self.code)
        return formula.zh if formula else ""

    @property
    def formula_en(self) -> str:
        formula = FORMULAS.get(self.code)
        return formula.en if formula else ""


class Target(models.Model):
    """A quantitative promise of the plan (T1…T17), judged against one indicator."""

    class Kind(models.TextChoices):
        LEVEL = "level", _("到目标年达到")
        HOLD = "hold", _("每期保持")
        REDUCTION_VS_BASE = "reduction_vs_base", _("较基准年下降")
        REDUCTION_VS_TARGET = "reduction_vs_target", _("较另一目标年实际值下降")
        MILESTONE = "milestone", _("里程碑（是/否）")
        INCREASE = "increase", _("较基准年提高")

    class Qualifier(models.TextChoices):
        BINDING = "binding", _("约束性")
        ABOUT = "about", _("左右")
        STRIVE = "strive", _("力争")
        HOLD = "hold", _("保持/稳定")

    plan = models.ForeignKey("tasks.Plan", on_delete=models.CASCADE, related_name="targets")
    code = models.CharField(_("编号"), max_length=10)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="targets"
    )
    title_zh = models.CharField(_("目标"), max_length=200)
    title_en = models.CharField(_("英文"), max_length=300, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind)
    qualifier = models.CharField(_("表述"), max_length=10, choices=Qualifier)
    # Level/hold: the level in the indicator's unit. Reductions: the percentage (18 = −18 %).
    # Empty means "value to be set by an administrator" (T3/T4 are assigned from above).
    value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=6, null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("目标年"), null=True, blank=True)
    base_year = models.PositiveSmallIntegerField(_("基准年"), null=True, blank=True)
    base_target = models.ForeignKey(
        "self",
        verbose_name=_("基数目标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chained_targets",
        help_text=_("较另一目标年实际值下降时：以该目标年的实际值为基数"),
    )
    # Met within this band: percentage points for shares and reductions, indicator units
    # for holds of intensities. Empty: the qualifier's default (methodology §7).
    tolerance = models.DecimalField(
        _("容差"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    # 突破/超过: met only strictly beyond the value (400.00 does not 突破 400).
    strict = models.BooleanField(_("严格超过（突破）"), default=False)
    # The unit that answers for the target; empty: the lead unit of its first task.
    owner = models.ForeignKey(
        "tasks.Department",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_targets",
    )
    # The plan's own promise (value, year, …) as it was before the first governed change;
    # empty while the target is unchanged. Charts draw it beside the revised path.
    original = models.JSONField(_("原目标"), null=True, blank=True, editable=False)
    year_is_stated = models.BooleanField(_("原文给出年份"), default=True)
    source_sentence_zh = models.TextField(_("原文"), blank=True)
    note_zh = models.TextField(_("说明"), blank=True)
    tasks = models.ManyToManyField("tasks.Task", related_name="targets", blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="target_code_unique_in_plan")
        ]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"

    @property
    def title(self) -> str:
        return localized(self.title_zh, self.title_en)

    @property
    def awaits_value(self) -> bool:
        """True while an administrator still has to enter the value (T3/T4)."""
        return self.kind not in (self.Kind.MILESTONE, self.Kind.INCREASE) and self.value is None


class TargetRevision(models.Model):
    """One governed change of a target (indicators/targets.py::target_change): what changed,
    from what to what, why, on which authorising document, approved by whom. Never edited."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("修订序号"))
    changes = models.JSONField(_("变更内容"))  # {field: {"old": text, "new": text}}
    reason = models.TextField(_("变更原因"))
    document_no = models.CharField(_("批准文号"), max_length=120)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["target", "number"]
        constraints = [
            models.UniqueConstraint(fields=["target", "number"], name="target_revision_once")
        ]
        verbose_name = _("目标调整记录")
        verbose_name_plural = _("目标调整记录")

    def __str__(self) -> str:
        return f"{self.target.code} #{self.number} {self.document_no}"


class StatisticalItem(models.Model):
    """A raw statistic a department reports each period (data-exchange §1)."""

    class Frequency(models.TextChoices):
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年度")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("求和")
        LATEST = "latest", _("取最新值")
        AS_PUBLISHED = "as_published", _("按公布值（累计）")

    code = models.CharField(_("代码"), max_length=60, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20)
    frequency = models.CharField(_("频率"), max_length=10, choices=Frequency)
    aggregation = models.CharField(_("汇总方式"), max_length=15, choices=Aggregation)
    department = models.ForeignKey(
        "tasks.Department",
        verbose_name=_("填报单位"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    non_negative = models.BooleanField(_("不得为负"), default=True)
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("所属总量"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        help_text=_("“其中”项：数值不得超过所属总量"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("统计指标项")
        verbose_name_plural = _("统计指标项")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class ImportBatch(models.Model):
    """One import (file or JSON rows): what it contained and what it changed."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已导入")
        DRY_RUN = "dry_run", _("试运行")
        REJECTED = "rejected", _("已拒绝")
        PREVIEW = "preview", _("待确认")
        UNDONE = "undone", _("已撤销")

    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    source = models.CharField(_("来源"), max_length=20, default="file")
    status = models.CharField(_("状态"), max_length=10, choices=Status)
    approve = models.BooleanField(_("导入即审核"), default=False)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增或修订"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # A department's upload: its preview rows wait here until confirmed.
    department = models.ForeignKey(
        "tasks.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("期间"), max_length=7, blank=True)
    preview_rows = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")

    def __str__(self) -> str:
        return f"{self.filename or self.source} {self.created_at:%Y-%m-%d %H:%M}"


def _figure_person() -> models.ForeignKey:
    """Who entered, submitted or decided a figure. Not indexed: nothing looks figures up by
    person (users are deactivated, never deleted), and an import writes 100,000 rows."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )


class FigureQuerySet(models.QuerySet):
    def counting(self):
        """The approved version in force for each (item, period, scope): what results use."""
        return self.filter(counts=True)

    def latest(self):
        """The newest version of each (item, period, scope), whatever its state."""
        return self.filter(is_latest=True)


class Figure(models.Model):
    """One reported value of an item for a period and scope. Never overwritten: a
    correction is a new version that `supersedes` the one it replaces."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤销")

    # Figures are written 100,000 at a time by imports, and every index costs each row: no
    # single-column index where a composite one starts with the column (`item`:
    # figure_version_unique, `department`: figure_department_idx), nor on the people.
    item = models.ForeignKey(
        StatisticalItem, on_delete=models.PROTECT, related_name="figures", db_index=False
    )
    department = models.ForeignKey(
        "tasks.Department", on_delete=models.PROTECT, related_name="figures", db_index=False
    )
    period = models.CharField(_("期间"), max_length=7)
    year = models.PositiveSmallIntegerField(_("年"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    scope = models.CharField(_("统计范围"), max_length=18, blank=True, default=PARK_SCOPE)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=6)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The version this one replaced (an undone upload's versions are withdrawn, and the
    # next correction supersedes the version they had replaced, hence not one-to-one).
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    is_latest = models.BooleanField(default=True)
    counts = models.BooleanField(default=False)
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.DRAFT)
    note = models.TextField(_("备注"), blank=True)
    reason = models.TextField(_("修订原因"), blank=True)
    entered_by = _figure_person()
    entered_at = models.DateTimeField(auto_now_add=True)
    submitted_by = _figure_person()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = _figure_person()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("审核意见"), blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="figures"
    )

    objects = FigureQuerySet.as_manager()

    class Meta:
        ordering = ["item", "period", "scope", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "period", "scope", "version"], name="figure_version_unique"
            ),
            models.UniqueConstraint(
                fields=["item", "period", "scope"],
                condition=Q(is_latest=True),
                name="figure_one_latest_version",
            ),
            models.UniqueConstraint(
                fields=["item", "period", "scope"],
                condition=Q(counts=True),
                name="figure_one_counting_version",
            ),
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="figure_quarter_1_to_4",
            ),
            models.CheckConstraint(
                condition=~Q(counts=True) | Q(state="approved"),
                name="figure_only_approved_counts",
            ),
        ]
        indexes = [
            models.Index(fields=["counts", "scope", "year"], name="figure_counting_idx"),
            models.Index(fields=["department", "period", "state"], name="figure_department_idx"),
        ]
        verbose_name = _("统计数据")
        verbose_name_plural = _("统计数据")

    def __str__(self) -> str:
        scope = self.scope or "园区"
        return f"{self.item_id} {self.period} {scope} v{self.version} = {self.value}"


class Coefficient(models.Model):
    """A conversion coefficient or emission factor, versioned and sourced.

    `year` 0 means "every year"; otherwise the row holds that year's value (coal rate of
    thermal power supply, grid emission factor of that data year). A change is a new
    version; the old row stays for the results that used it.
    """

    class Tag(models.TextChoices):
        VERIFIED = "V", _("[V] 官方表格")
        SECONDARY = "S", _("[S] 二手来源")
        COMPUTED = "C", _("[C] 计算所得")
        ADMINISTRATOR = "A", _("[A] 管理员设定")

    key = models.CharField(_("代码"), max_length=60)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("适用年份（0=所有年份）"), default=0)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=10)
    unit = models.CharField(_("单位"), max_length=30)
    source = models.TextField(_("来源"), blank=True)
    tag = models.CharField(_("可信度"), max_length=1, choices=Tag)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("现行"), default=True)
    reason = models.TextField(_("变更原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "year", "version"], name="coefficient_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key", "year"],
                condition=Q(is_current=True),
                name="coefficient_one_current",
            ),
        ]
        verbose_name = _("折算系数")
        verbose_name_plural = _("折算系数")

    def __str__(self) -> str:
        year = f" {self.year}" if self.year else ""
        return f"{self.key}{year} = {self.value} {self.unit} (v{self.version})"


class MethodSetting(models.Model):
    """A counting rule (non-fossil rule, CO₂ electricity basis, price basis …), versioned."""

    key = models.CharField(_("代码"), max_length=60)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    value = models.JSONField(_("取值"))
    description_zh = models.TextField(_("说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("现行"), default=True)
    reason = models.TextField(_("变更原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="method_setting_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(is_current=True), name="method_setting_one_current"
            ),
        ]
        verbose_name = _("计算口径")
        verbose_name_plural = _("计算口径")

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


def trace_key(document: dict) -> uuid.UUID:
    """A method trace's id, from its content: the first 128 bits of the SHA-256 of its
    JSON with sorted keys, so equal documents get the same id whatever their key order
    (PostgreSQL's jsonb reorders keys; SQLite keeps them) and a writer knows the id of a
    trace without asking the database."""
    text = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return uuid.UUID(hex=hashlib.sha256(text.encode()).hexdigest()[:32])


class MethodTrace(models.Model):
    """How a result was computed: formula, counting rule and rule versions, the coefficients
    used (key, version, value, source), notes. Thousands of results share a few thousand
    distinct traces (same formula, coefficients and rules), so each is stored once, with
    its content's key as its id (`trace_key`), and results point to it; a trace is never
    changed or deleted (on PostgreSQL a trigger refuses both)."""

    id = models.UUIDField(primary_key=True, editable=False)
    document = models.JSONField()

    class Meta:
        verbose_name = _("计算方法记录")
        verbose_name_plural = _("计算方法记录")

    def __str__(self) -> str:
        return str(self.id)[:8]


def method_traces_store(documents) -> list[uuid.UUID]:
    """Store the traces of `documents` not stored yet; their ids, in the same order."""
    keys = [trace_key(document) for document in documents]
    by_key = dict(zip(keys, documents, strict=True))
    stored = set(MethodTrace.objects.filter(pk__in=list(by_key)).values_list("pk", flat=True))
    missing = sorted(key for key in by_key if key not in stored)
    if missing:
        MethodTrace.objects.bulk_create(
            [MethodTrace(pk=key, document=by_key[key]) for key in missing],
            ignore_conflicts=True,  # stored by another transaction meanwhile: the same trace
        )
    return keys


class IndicatorResult(models.Model):
    """The computed value and status of an indicator for a period and scope, with the
    method trace (coefficient and rule versions; see MethodTrace) and the input figure ids
    that produced it.

    `method` reads the trace's document (select_related("trace") when reading many); on an
    unsaved result (a preview, or before it is written) it can be set, and `save()` or
    `results_traces_resolve` stores it as a trace."""

    class Status(models.TextChoices):
        ACHIEVED = "achieved", _("达标")
        GREEN = "green", _("进展顺利")
        YELLOW = "yellow", _("进度滞后")
        RED = "red", _("形势严峻")
        NO_DATA = "no_data", _("无数据")

    class Variant(models.TextChoices):
        PLAIN = "", _("统计口径")
        EXCLUDING_FEEDSTOCK = "excl_feedstock", _("扣除原料用能")
        EXCLUDING_FEEDSTOCK_AND_NON_FOSSIL = (
            "excl_feedstock_non_fossil",
            _("扣除原料用能和非化石能源"),
        )

    # Results are derived data, rewritten by one writer (indicators.recompute) from ids it
    # reads from the same tables in the same transaction. Every index and every row-by-row
    # foreign-key check costs each of the ~700,000 rows of a full recompute (the deferred
    # checks of `indicator` and `trace` alone took ~7 s at commit), so: no single-column
    # index where the unique constraint starts with the column or nothing looks results up
    # by it, and no database constraint on `indicator` (deleted only through the ORM,
    # which cascades) or `trace` (traces are never changed or deleted: a trigger refuses).
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    period = models.CharField(_("期间"), max_length=7)
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)  # None = the whole year
    scope = models.CharField(max_length=18, blank=True, default=PARK_SCOPE)
    variant = models.CharField(max_length=30, blank=True, default="", choices=Variant)
    value = models.DecimalField(max_digits=34, decimal_places=12, null=True, blank=True)
    change_vs_base = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    change_yoy = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    target = models.ForeignKey(
        Target,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="results",
        db_index=False,
    )
    target_value = models.DecimalField(max_digits=34, decimal_places=12, null=True, blank=True)
    target_pending_base = models.BooleanField(default=False)
    path_value = models.DecimalField(max_digits=34, decimal_places=12, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, blank=True)
    completion = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    time_progress = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    required_annual_change = models.DecimalField(
        max_digits=24, decimal_places=12, null=True, blank=True
    )
    projection = models.DecimalField(max_digits=34, decimal_places=12, null=True, blank=True)
    provisional = models.BooleanField(default=False)
    trace = models.ForeignKey(
        MethodTrace,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    input_figure_ids = IdListField()
    computed_at = models.DateTimeField(auto_now=True)

    _method = None  # a document set on this instance and not stored as a trace yet

    class Meta:
        ordering = ["indicator", "scope", "variant", "year", "quarter"]
        constraints = [
            # One result per (indicator, period, scope, variant); `year` is part of
            # `period`, so adding it changes nothing that is unique. In this order the
            # constraint's index is also the one every recompute reads by (scope, from a
            # year on), and a recompute's rows, which arrive scope by scope, go into it
            # next to each other instead of all over it (a second index cost ~2 s of
            # each full recompute).
            models.UniqueConstraint(
                fields=["scope", "year", "indicator", "period", "variant"],
                name="indicator_result_unique",
            )
        ]
        verbose_name = _("指标计算结果")
        verbose_name_plural = _("指标计算结果")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period} {self.scope or '园区'} = {self.value}"

    def save(self, *args, **kwargs):
        if self._method is not None or self.trace_id is None:
            results_traces_resolve([self])
        super().save(*args, **kwargs)

    @property
    def method(self) -> dict:
        if self._method is not None:
            return self._method
        return self.trace.document if self.trace_id is not None else {}

    @method.setter
    def method(self, document: dict) -> None:
        self._method = document


def results_traces_resolve(results) -> None:
    """Point each result to the stored trace of its `method` (storing new traces), as
    bulk_create needs: it calls no save()."""
    pending = [r for r in results if r._method is not None or r.trace_id is None]
    if not pending:
        return
    documents = [r.method for r in pending]
    for result, key, document in zip(
        pending, method_traces_store(documents), documents, strict=True
    ):
        result.trace = MethodTrace(pk=key, document=document)
        result._method = None


class RecomputeRequest(models.Model):
    """A durable "results from `from_year` on need recomputing" note, written in the same
    transaction as the data that caused it; the sweep re-queues any the broker lost."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待计算")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    ALL_SCOPES = "*"

    scope = models.CharField(max_length=18, blank=True, default=PARK_SCOPE)  # "*": every scope
    from_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # Repeated edits coalesce into the one pending request.
            models.UniqueConstraint(
                fields=["scope"], condition=Q(status="pending"), name="one_pending_recompute"
            )
        ]

    def __str__(self) -> str:
        return f"recompute {self.scope or 'park'} from {self.from_year} ({self.status})"


class EngineAlert(models.Model):
    """Something the engine noticed that a person must look at (e.g. the nightly
    reconciliation found a stored result that differs from a full recompute)."""

    kind = models.CharField(max_length=40)
    message_zh = models.TextField()
    message_en = models.TextField()
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message_en}"


class ReviewedPeriod(models.Model):
    """One period's figures as one unit of review (DHIS2's approval): submitted together,
    approved or returned together, locked once approved. A department's period and an
    enterprise's own quarter are both this; each adds whose figures they are."""

    class State(models.TextChoices):
        OPEN = "open", _("填报中")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")

    period = models.CharField(_("期间"), max_length=7)
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.OPEN)
    version = models.PositiveIntegerField(default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("审核意见"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DepartmentPeriod(ReviewedPeriod):
    """A department's figures for one period, as one unit of review."""

    department = models.ForeignKey(
        "tasks.Department", on_delete=models.PROTECT, related_name="periods"
    )

    class Meta:
        ordering = ["period", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "period"], name="department_period_unique"
            )
        ]
        verbose_name = _("部门报表")
        verbose_name_plural = _("部门报表")

    def __str__(self) -> str:
        return f"{self.department_id} {self.period} {self.state}"


class LockException(models.Model):
    """A time-boxed permission, granted with a reason by the statistics office, to change
    an approved (locked) department-period."""

    department_period = models.ForeignKey(
        DepartmentPeriod, on_delete=models.PROTECT, related_name="lock_exceptions"
    )
    reason = models.TextField(_("原因"))
    valid_until = models.DateTimeField(_("有效期至"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("解锁例外")
        verbose_name_plural = _("解锁例外")

    def __str__(self) -> str:
        return f"{self.department_period} until {self.valid_until:%Y-%m-%d %H:%M}"
