"""Writes to the plan: loading the shipped plan and (later) progress on work items."""

import json
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
            seed_row(
                WorkItem,
                key={"task": task, "code": item_code},
                values={**item, "order": order},
                report=report,
                label=f"work item {item_code}",
            )
    return report
