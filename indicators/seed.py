"""Loading the shipped items, indicators, targets, coefficients and counting rules."""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from dezhou_carbon.seeding import SeedReport, seed_row
from indicators.models import Coefficient, Indicator, MethodSetting, StatisticalItem, Target
from tasks.models import Department, Plan, Task

INDICATOR_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "indicators.json"


@transaction.atomic
def indicators_seed(
    *, plan: Plan, path: Path = INDICATOR_FIXTURE, report: SeedReport | None = None
) -> SeedReport:
    """Load or refresh items, indicators and targets (never overwriting an edit), and add
    coefficients and counting rules that do not exist yet. A coefficient or rule that
    exists is left alone: changing one is a new version, made by a person with a reason."""
    report = report or SeedReport()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    departments = {d.code: d for d in Department.objects.all()}

    items = {}
    for row in data["items"]:
        row = dict(row)
        code = row.pop("code")
        part_of = row.pop("part_of")
        row["department"] = departments[row["department"]]
        row["part_of"] = items[part_of] if part_of else None
        items[code] = seed_row(
            StatisticalItem, key={"code": code}, values=row, report=report, label=f"item {code}"
        )

    indicators = {}
    for row in data["indicators"]:
        row = dict(row)
        code = row.pop("code")
        indicators[code] = seed_row(
            Indicator, key={"code": code}, values=row, report=report, label=f"indicator {code}"
        )

    tasks = {t.code: t for t in Task.objects.filter(plan=plan)}
    targets = {}
    for row in data["targets"]:
        row = dict(row)
        code = row.pop("code")
        task_codes = row.pop("tasks")
        base_target = row.pop("base_target")
        row["indicator"] = indicators[row["indicator"]] if row["indicator"] else None
        row["base_target"] = targets[base_target] if base_target else None
        owner = row.pop("owner", None)
        row["owner"] = departments[owner] if owner else None
        row.setdefault("strict", False)
        for name in ("value", "tolerance"):
            row[name] = Decimal(row[name]) if row[name] is not None else None
        targets[code] = seed_row(
            Target,
            key={"plan": plan, "code": code},
            values=row,
            report=report,
            label=f"target {code}",
            m2m={"tasks": [tasks[c] for c in task_codes]},
        )

    for row in data["coefficients"]:
        exists = Coefficient.objects.filter(key=row["key"], year=row["year"]).exists()
        if not exists:
            Coefficient.objects.create(
                **{**row, "value": Decimal(row["value"])},
                version=1,
                is_current=True,
                reason="随系统预置 / shipped default",
            )
            report.created.append(f"coefficient {row['key']}@{row['year']}")
        else:
            report.unchanged += 1

    for row in data["method_settings"]:
        if not MethodSetting.objects.filter(key=row["key"]).exists():
            MethodSetting.objects.create(
                **row, version=1, is_current=True, reason="随系统预置 / shipped default"
            )
            report.created.append(f"method setting {row['key']}")
        else:
            report.unchanged += 1

    from tasks.services import work_item_targets_link

    work_item_targets_link()
    return report
