"""Reads for the plan pages."""

from django.db.models import Prefetch

from indicators.models import Target
from tasks.models import Plan, Responsibility, Section, Task


def plan_page_data(*, plan: Plan | None = None) -> Plan | None:
    """The plan with sections → tasks → responsibilities (lead first) → targets, fetched in
    a fixed number of queries whatever the size of the plan."""
    plan = plan or Plan.objects.order_by("pk").first()
    if plan is None:
        return None
    tasks = Task.objects.order_by("order").prefetch_related(
        Prefetch(
            "responsibilities",
            queryset=Responsibility.objects.select_related("department").lead_first(),
        ),
        Prefetch(
            "targets",
            queryset=Target.objects.select_related("indicator").order_by("order"),
        ),
        "work_items",
    )
    sections = (
        Section.objects.filter(plan=plan)
        .order_by("order")
        .prefetch_related(Prefetch("tasks", queryset=tasks))
    )
    plan.section_list = list(sections)
    plan.target_list = list(
        Target.objects.filter(plan=plan).select_related("indicator").order_by("order")
    )
    return plan
