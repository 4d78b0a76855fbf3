"""Writes to the plan: loading the shipped plan, the units' parts of work items and the
targets work items are tied to. The quarterly reporting of parts is tasks/workflow.py."""

import json
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import transaction

from dezhou_carbon.seeding import SeedReport, seed_row
from tasks.models import Department, Plan, Responsibility, Section, Task, WorkItem

PLAN_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "plan.json"


@transaction.atomic
def plan_seed(*, path: Path = PLAN_FIXTURE, report: SeedReport | None = None) -> SeedReport:
    """Load or refresh the plan from its fixture; idempotent, never overwrites an edit."""
    report = report or SeedReport()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    plan_data = dict(data["plan"])
    code = plan_data.pop("code")
    plan = seed_row(Plan, key={"code": code}, values=plan_data, report=report, label=f"plan {code}")

    departments = {}
    for row in data["departments"]:
        row = dict(row)
        department_code = row.pop("code")
        departments[department_code] = seed_row(
            Department,
            key={"code": department_code},
            values=row,
            report=report,
            label=f"department {department_code}",
        )

    sections = {}
    for row in data["sections"]:
        row = dict(row)
        section_code = row.pop("code")
        sections[section_code] = seed_row(
            Section,
            key={"plan": plan, "code": section_code},
            values=row,
            report=report,
            label=f"section {section_code}",
        )

    for row in data["tasks"]:
        row = dict(row)
        task_code = row.pop("code")
        responsibilities = row.pop("responsibilities")
        work_items = row.pop("work_items")
        row["section"] = sections[row["section"]]
        task = seed_row(
            Task,
            key={"plan": plan, "code": task_code},
            values=row,
            report=report,
            label=f"task {task_code}",
        )
        for order, responsibility in enumerate(responsibilities, start=1):
            seed_row(
                Responsibility,
                key={"task": task, "department": departments[responsibility["department"]]},
                values={"role": responsibility["role"], "order": order},
                report=report,
                label=f"responsibility {task_code}/{responsibility['department']}",
            )
        for order, item in enumerate(work_items, start=1):
            item = dict(item)
            item_code = item.pop("code")
            item.pop("targets", None)  # tied after the targets exist: work_item_targets_link
            seed_row(
                WorkItem,
                key={"task": task, "code": item_code},
                values={**item, "order": order},
                report=report,
                label=f"work item {item_code}",
            )
    work_item_parts_seed(plan=plan)
    return report


# --- parts of work items ---------------------------------------------------------------------


def work_item_parts_seed(*, plan: Plan | None = None) -> int:
    """Give every responsible unit of a task its own part of each of the task's work items
    (the lead unit and each supporting unit the plan names). Idempotent; returns how many
    parts were created."""
    from tasks.models import WorkItemPart

    plan = plan or Plan.objects.order_by("pk").first()
    if plan is None:
        return 0
    existing = set(
        WorkItemPart.objects.filter(work_item__task__plan=plan).values_list(
            "work_item_id", "department_id"
        )
    )
    responsibilities = defaultdict(list)
    for responsibility in Responsibility.objects.filter(task__plan=plan).order_by("order", "pk"):
        responsibilities[responsibility.task_id].append(responsibility)
    new = [
        WorkItemPart(
            work_item=item,
            department_id=responsibility.department_id,
            role=responsibility.role,
            order=responsibility.order,
        )
        for item in WorkItem.objects.filter(task__plan=plan)
        for responsibility in responsibilities[item.task_id]
        if (item.pk, responsibility.department_id) not in existing
    ]
    WorkItemPart.objects.bulk_create(new)
    return len(new)


def work_item_targets_link(*, path: Path = PLAN_FIXTURE) -> int:
    """Tie work items to the targets they restate or are the milestone of, as the plan
    fixture says (`"targets": ["T5"]`); an item already tied (by the committee) is left
    alone. Run after the targets are seeded. Returns how many items were tied."""
    from indicators.models import Target

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    targets = {t.code: t for t in Target.objects.all()}
    tied = 0
    for task in data["tasks"]:
        for row in task["work_items"]:
            codes = row.get("targets") or []
            if not codes:
                continue
            item = WorkItem.objects.filter(task__code=task["code"], code=row["code"]).first()
            if item is None or item.targets.exists():
                continue
            item.targets.set([targets[c] for c in codes if c in targets])
            tied += 1
    return tied
