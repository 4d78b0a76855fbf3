"""The carbon-peak plan as editable data: plans, sections, tasks (and policy innovations),
the units responsible for them and each task's work items.

Every model here is seeded from `fixtures/plan.json` by `setup_park`; `seed_checksum`
lets a rerun tell an administrator's edit from an untouched row (see dezhou_carbon/seeding.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dezhou_carbon.evidence import EvidenceFile
from dezhou_carbon.i18n import localized


class BilingualName:
    """`name` answers in the active language: Chinese first, English when asked."""

    def localized(self, zh_field: str, en_field: str) -> str:
        return localized(getattr(self, zh_field), getattr(self, en_field))


class Plan(BilingualName, models.Model):
    """A carbon-peak plan a park tracks: its base year and milestone years."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    park_zh = models.CharField(_("园区"), max_length=200)
    park_en = models.CharField(_("园区英文名"), max_length=200, blank=True)
    issuing_basis = models.CharField(_("编制依据"), max_length=300, blank=True)
    base_year = models.PositiveSmallIntegerField(_("基准年"))
    first_milestone_year = models.PositiveSmallIntegerField(_("第一阶段目标年"))
    second_milestone_year = models.PositiveSmallIntegerField(_("第二阶段目标年"))
    overview_zh = models.TextField(_("总体要求"), blank=True)
    safeguards_zh = models.TextField(_("保障措施"), blank=True)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("方案")
        verbose_name_plural = _("方案")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return self.localized("name_zh", "name_en")

    @property
    def park(self) -> str:
        return self.localized("park_zh", "park_en")

    @property
    def overview_parts(self) -> tuple[str, list[str]]:
        """总体要求 as (its guiding paragraph, the aims: 到2025年… and 到2030年…)."""
        paragraphs = [p.strip() for p in self.overview_zh.split("\n") if p.strip()]
        if not paragraphs:
            return "", []
        aims = []
        for paragraph in paragraphs[1:]:
            start = paragraph.find("到2030年")
            aims += [paragraph[:start], paragraph[start:]] if start > 0 else [paragraph]
        return paragraphs[0], aims


class Department(BilingualName, models.Model):
    """A responsible unit (责任单位) of the park; imports and the API refer to it by code."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return self.localized("name_zh", "name_en")


class Section(BilingualName, models.Model):
    """A heading of the plan: 重点任务 (一)…(七), or 政策创新."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(_("代码"), max_length=20)
    numeral = models.CharField(_("序号"), max_length=10, blank=True)
    title_zh = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="section_code_unique_in_plan")
        ]
        verbose_name = _("章节")
        verbose_name_plural = _("章节")

    def __str__(self) -> str:
        return f"{self.numeral} {self.title_zh}".strip()

    @property
    def title(self) -> str:
        return self.localized("title_zh", "title_en")


class Task(BilingualName, models.Model):
    """One of the plan's key tasks (重点任务) or policy innovations (政策创新)."""

    class Kind(models.TextChoices):
        TASK = "task", _("重点任务")
        POLICY_INNOVATION = "policy_innovation", _("政策创新")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="tasks")
    code = models.CharField(_("编号"), max_length=10)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind, default=Kind.TASK)
    title_zh = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    text_zh = models.TextField(_("任务内容"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    departments = models.ManyToManyField(
        Department, through="Responsibility", related_name="tasks", verbose_name=_("责任单位")
    )
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="task_code_unique_in_plan")
        ]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")

    def __str__(self) -> str:
        return f"{self.code}. {self.title_zh}"

    @property
    def title(self) -> str:
        return self.localized("title_zh", "title_en")

    @property
    def lead(self) -> Responsibility | None:
        """The task's lead unit (牵头单位): its lead responsibility, first in the plan's
        order; None for a task without one. The one definition every page, API and
        service uses. Reads prefetched `responsibilities` when the caller prefetched them
        (no query per task), else one query."""
        leads = [r for r in self.responsibilities.all() if r.role == Responsibility.Role.LEAD]
        return min(leads, key=lambda r: (r.order, r.pk), default=None)


class ResponsibilityQuerySet(models.QuerySet):
    def lead_first(self):
        """Lead units first, then supporting units, each in the plan's order."""
        return self.order_by(
            models.Case(models.When(role="lead", then=0), default=1), "order", "pk"
        )


class Responsibility(models.Model):
    """A unit's role in a task: the first-listed unit leads (牵头), the others support (配合)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        SUPPORT = "support", _("配合")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="responsibilities")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="responsibilities"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    objects = ResponsibilityQuerySet.as_manager()

    class Meta:
        ordering = ["task", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "department"], name="responsibility_once_per_task"
            )
        ]
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")

    def __str__(self) -> str:
        return f"{self.task.code} · {self.department.code} · {self.get_role_display()}"


class WorkItem(BilingualName, models.Model):
    """A concrete work point (工作要点) of a task, tracked as a milestone with evidence."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="work_items")
    code = models.CharField(_("编号"), max_length=20)
    title_zh = models.CharField(_("工作要点"), max_length=300)
    title_en = models.CharField(_("英文"), max_length=300, blank=True)
    due_year = models.PositiveSmallIntegerField(_("完成年份"), null=True, blank=True)
    # Due at the end of this quarter of due_year (4 when the plan says only the year).
    due_quarter = models.PositiveSmallIntegerField(_("完成季度"), null=True, blank=True)
    # An optional quantity (green factories, PV MW, audits …): unit and target; what is
    # achieved comes from the parts' approved reports.
    quantity_unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    quantity_target = models.DecimalField(
        _("目标数量"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    # Computed targets this item restates (3.5 → T5): it shows their status and has no
    # hand-set one. A milestone target (T16, T17) is tied to the item that is its milestone.
    targets = models.ManyToManyField(
        "indicators.Target", related_name="work_items", blank=True, verbose_name=_("对应目标")
    )
    # No hand-set status: an item's state is derived from its parts' reports and the
    # committee's verification (tasks/progress.py), or is the status of the computed targets
    # it restates. The free text below is what lead units wrote before parts existed
    # (read-only; evidence is now files kept with part reports).
    evidence = models.TextField(_("佐证材料"), blank=True)
    verified_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_period = models.CharField(_("销号期间"), max_length=7, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    seed_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["task", "order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "code"], name="work_item_code_unique_in_task")
        ]
        verbose_name = _("工作要点")
        verbose_name_plural = _("工作要点")

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"

    @property
    def title(self) -> str:
        return self.localized("title_zh", "title_en")


class WorkItemPart(models.Model):
    """A responsible unit's own part of a work item: the task's lead unit and each
    supporting unit the plan names get one for every item of the task."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="parts")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="work_item_parts"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Responsibility.Role)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["work_item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "department"], name="one_part_per_unit")
        ]
        verbose_name = _("工作要点分工")
        verbose_name_plural = _("工作要点分工")

    def __str__(self) -> str:
        return f"{self.work_item.code} · {self.department.code}"

    @property
    def is_lead(self) -> bool:
        return self.role == Responsibility.Role.LEAD


class PartReport(models.Model):
    """A unit's quarterly report on its part, inside the reporting round of `period`:
    submitted → approved by its head → co-signed (会签) by the lead unit (supporting parts)
    → verified (销号) by the committee; returned at any decision with a comment. One row per
    part and period; every transition is an audit event carrying what was decided."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审核")
        COSIGNED = "cosigned", _("已会签")
        VERIFIED = "verified", _("已销号")
        RETURNED = "returned", _("已退回")

    part = models.ForeignKey(WorkItemPart, on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(_("期间"), max_length=7)
    progress = models.CharField(_("进展"), max_length=15, choices=Progress)
    quantity = models.DecimalField(
        _("完成数量"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    narrative = models.TextField(_("进展情况"))
    state = models.CharField(_("状态"), max_length=10, choices=State, default=State.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(_("退回意见"), blank=True)

    class Meta:
        ordering = ["part", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["part", "period"], name="one_report_per_part_period")
        ]
        indexes = [models.Index(fields=["period", "state"], name="part_report_period_state")]
        verbose_name = _("分工进展报告")
        verbose_name_plural = _("分工进展报告")

    def __str__(self) -> str:
        return f"{self.part} {self.period}"


class PartEvidence(EvidenceFile):
    """An evidence file of a part report, checked by content and kept with its SHA-256."""

    report = models.ForeignKey(PartReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="task-evidence/%Y/")

    class Meta:
        ordering = ["report", "pk"]
        verbose_name = _("佐证文件")
        verbose_name_plural = _("佐证文件")


class PartImport(models.Model):
    """A unit's filled-in parts spreadsheet: checked and kept as a preview (every row that
    would be reported), refused with every row error, or applied (each row reported through
    tasks.workflow.part_report_submit, all or nothing)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("待确认")
        REJECTED = "rejected", _("已拒绝")
        APPLIED = "applied", _("已导入")

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("期间"), max_length=7)
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=Status)
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    skipped = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("分工进展导入")
        verbose_name_plural = _("分工进展导入")

    def __str__(self) -> str:
        return f"{self.department.code} {self.period} {self.filename}"
