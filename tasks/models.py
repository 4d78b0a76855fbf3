"""The carbon-peak plan as editable data: plans, sections, tasks (and policy innovations),
the units responsible for them and each task's work items.

Every model here is seeded from `fixtures/plan.json` by `setup_park`; `seed_checksum`
lets a rerun tell an administrator's edit from an untouched row (see dezhou_carbon/seeding.py).
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName:
    """`name` answers in the active language: Chinese first, English when asked."""

    def localized(self, zh_field: str, en_field: str) -> str:
        zh = getattr(self, zh_field)
        en = getattr(self, en_field)
        if (get_language() or "zh-hans").startswith("en") and en:
            return en
        return zh


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

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="work_items")
    code = models.CharField(_("编号"), max_length=20)
    title_zh = models.CharField(_("工作要点"), max_length=300)
    title_en = models.CharField(_("英文"), max_length=300, blank=True)
    due_year = models.PositiveSmallIntegerField(_("完成年份"), null=True, blank=True)
    status = models.CharField(_("进展"), max_length=20, choices=Status, default=Status.NOT_STARTED)
    evidence = models.TextField(_("佐证材料"), blank=True)
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
