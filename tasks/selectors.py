"""Reads for the plan pages and the accountable work (to-do, verification queue)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.utils import timezone

from dezhou_carbon.i18n import localized, page_language
from indicators.models import Target
from indicators.periods import period_code, quarter_text
from reporting.models import ReportingRound
from tasks import progress
from tasks.models import (
    Department,
    PartReport,
    Plan,
    Responsibility,
    Section,
    Task,
    WorkItem,
    WorkItemPart,
)

# The pilot plan's base year (plan.md): what the engine assumes before a plan is loaded.
DEFAULT_BASE_YEAR = 2020


def plan_base_year(default: int | None = DEFAULT_BASE_YEAR) -> int | None:
    """The plan's base year (the first plan loaded), or `default` when there is none yet.
    One query. The one lookup of it: the engine, the preview, coefficient revisions and
    the indicator page all ask here."""
    plan = Plan.objects.order_by("pk").only("base_year").first()
    return plan.base_year if plan else default


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


# --- the accountable work: parts, reports, to-do, verification -------------------------------


@dataclass
class ItemRow:
    """A work item as the boards show it: its derived state (or its targets' status), its
    parts with this quarter's reports, and the quantity achieved so far."""

    item: WorkItem
    state: str
    parts: list[WorkItemPart] = field(default_factory=list)
    reports: dict[int, PartReport] = field(default_factory=dict)  # part id → report
    achieved: Decimal | None = None

    @property
    def state_label(self) -> str:
        zh, en = progress.STATE_LABELS.get(self.state, (self.state, self.state))
        return localized(zh, en)

    @property
    def restates_targets(self) -> bool:
        return bool(getattr(self.item, "target_list", None))

    @property
    def due_label(self) -> str:
        if self.item.due_year is None:
            return "—"
        return quarter_text(
            period_code(self.item.due_year, self.item.due_quarter or 4), page_language()
        )


LIST_LIMIT = 50  # decisions listed on a to-do page (the oldest first)


def current_task_period() -> str | None:
    """The quarter whose round is open now (the newest one), where parts are reported."""
    reporting_round = (
        ReportingRound.objects.filter(quarter__isnull=False, state=ReportingRound.State.OPEN)
        .order_by("-year", "-quarter")
        .first()
    )
    return reporting_round.period if reporting_round else None


def _latest_reports(item_ids) -> dict[int, PartReport]:
    """The newest report of every part of these items (one query, a row per part however
    many quarters were reported: the newest period is found in the database by the
    (part, period) unique index)."""
    from django.db.models import OuterRef, Subquery

    newest = PartReport.objects.filter(part=OuterRef("part")).order_by("-period").values("period")
    latest: dict[int, PartReport] = {}
    for report in (
        PartReport.objects.filter(part__work_item_id__in=item_ids, period=Subquery(newest[:1]))
        .only(
            "id",
            "part_id",
            "period",
            "progress",
            "state",
            "quantity",
            "narrative",
            "return_comment",
        )
        .order_by("part_id", "-period")
    ):
        latest.setdefault(report.part_id, report)
    return latest


def item_rows(
    items: list[WorkItem], *, today: dt.date | None = None, states: bool = True
) -> list[ItemRow]:
    """Rows for these items (their parts and targets prefetched as `part_list` and
    `target_list`): the derived state from the newest reports. Two queries; one with
    `states=False` (the quantity achieved only: no newest reports are read, and each row's
    state is "" and its reports empty — the verification queue shows the lead's report it
    lists, not the item's state)."""
    today = today or timezone.localdate()
    latest = _latest_reports([item.pk for item in items]) if states else {}
    achieved = dict(
        PartReport.objects.filter(
            part__work_item_id__in=[item.pk for item in items],
            state__in=[
                PartReport.State.APPROVED,
                PartReport.State.COSIGNED,
                PartReport.State.VERIFIED,
            ],
            quantity__isnull=False,
        )
        .order_by()
        .values("part__work_item_id")
        .annotate(total=Sum("quantity"))
        .values_list("part__work_item_id", "total")
    )
    rows = []
    for item in items:
        parts = getattr(item, "part_list", None)
        if parts is None:
            parts = list(item.parts.all())
        reports = {p.pk: latest[p.pk] for p in parts if p.pk in latest}
        lead = next((p for p in parts if p.is_lead), None)
        lead_report = reports.get(lead.pk) if lead else None
        decided = {
            PartReport.State.APPROVED,
            PartReport.State.COSIGNED,
            PartReport.State.VERIFIED,
        }
        state = (
            progress.item_state(
                due=progress.due_date(item.due_year, item.due_quarter),
                verified=item.verified_at is not None,
                lead_progress=lead_report.progress
                if lead_report and lead_report.state in decided
                else None,
                started=any(
                    r.progress != PartReport.Progress.NOT_STARTED for r in reports.values()
                ),
                today=today,
            )
            if states
            else ""
        )
        rows.append(ItemRow(item, state, parts, reports, achieved.get(item.pk)))
    return rows


def _items_with_parts():
    return WorkItem.objects.select_related("task").prefetch_related(
        Prefetch(
            "parts",
            queryset=WorkItemPart.objects.select_related("department").order_by("order", "pk"),
            to_attr="part_list",
        ),
        Prefetch("targets", queryset=Target.objects.order_by("order"), to_attr="target_list"),
    )


@dataclass
class UnitTodo:
    department: Department
    period: str | None
    parts_to_report: list[tuple[ItemRow, WorkItemPart, PartReport | None]]
    approvals: list[PartReport]
    cosigns: list[PartReport]
    returned: list[PartReport]
    figures: list  # (reporting round, the department's state) still to enter or submit
    warnings: list
    rectifications: list
    overdue: list[ItemRow]
    counts: dict = field(default_factory=dict)  # approvals, cosigns, returned: all of them


def unit_todo(department: Department, *, today: dt.date | None = None) -> UnitTodo:
    """What waits for a unit: its parts to report this quarter, its reports awaiting its
    head, supporting parts awaiting its co-sign as lead, returned reports, figures to enter,
    warnings to answer and rectifications due. A fixed number of queries however many
    items, parts and reports there are."""
    from dashboards.models import EarlyWarning
    from indicators.models import DepartmentPeriod, StatisticalItem

    today = today or timezone.localdate()
    period = current_task_period()
    parts = list(
        WorkItemPart.objects.filter(department=department, work_item__verified_at__isnull=True)
        .values_list("work_item_id", flat=True)
        .order_by()
    )
    items = list(_items_with_parts().filter(pk__in=parts).order_by("task__order", "order"))
    rows = item_rows(items, today=today)
    to_report = []
    for row in rows:
        mine = next(p for p in row.parts if p.department_id == department.pk)
        report = row.reports.get(mine.pk)
        if period and (report is None or report.period != period or report.state == "returned"):
            to_report.append((row, mine, report if report and report.period == period else None))
    waiting = PartReport.objects.select_related(
        "part__work_item", "part__department", "submitted_by", "approved_by"
    ).prefetch_related("evidence")
    # Decisions waiting are shown oldest quarter first, at most LIST_LIMIT of each (the
    # counts say how many there are): a page people read, whatever the backlog.
    approvals = waiting.filter(part__department=department, state=PartReport.State.SUBMITTED)
    led = WorkItemPart.objects.filter(department=department, role="lead").values("work_item_id")
    cosigns = waiting.filter(
        part__work_item_id__in=led, part__role="support", state=PartReport.State.APPROVED
    )
    returned = waiting.filter(part__department=department, state=PartReport.State.RETURNED)
    counts = {
        "approvals": approvals.count(),
        "cosigns": cosigns.count(),
        "returned": returned.count(),
    }
    order = ("period", "part__work_item__task__order", "part__work_item__order", "part__order")
    approvals = list(approvals.order_by(*order)[:LIST_LIMIT])
    cosigns = list(cosigns.order_by(*order)[:LIST_LIMIT])
    returned = list(returned.order_by("-returned_at", "pk")[:LIST_LIMIT])
    rounds = ReportingRound.objects.filter(state=ReportingRound.State.OPEN).order_by(
        "-year", "-quarter"
    )
    states = dict(
        DepartmentPeriod.objects.filter(department=department).values_list("period", "state")
    )
    reports_figures = StatisticalItem.objects.filter(department=department).exists()
    figures = [
        (r, states.get(r.period, "not_started"))
        for r in rounds
        if reports_figures and states.get(r.period) not in ("submitted", "approved")
    ]
    live = EarlyWarning.objects.filter(department=department).exclude(
        state=EarlyWarning.State.CLOSED
    )
    warnings = list(live.filter(state=EarlyWarning.State.OPEN).order_by("-created_at")[:50])
    rectifications = list(
        live.filter(state=EarlyWarning.State.ACKNOWLEDGED).order_by("due_date", "pk")[:50]
    )
    overdue = [row for row in rows if row.state == progress.OVERDUE]
    return UnitTodo(
        department=department,
        period=period,
        parts_to_report=to_report,
        approvals=approvals,
        cosigns=cosigns,
        returned=returned,
        figures=figures,
        warnings=warnings,
        rectifications=rectifications,
        overdue=overdue,
        counts=counts,
    )


@dataclass
class VerificationRow:
    row: ItemRow
    period: str
    lead_report: PartReport
    waiting_for: list[Department]
    support_reports: list[PartReport] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.waiting_for


def verification_queue_size() -> int:
    return _verifiable().count()


def _verifiable():
    return PartReport.objects.filter(
        part__role="lead",
        state=PartReport.State.APPROVED,
        progress=PartReport.Progress.DONE,
        part__work_item__verified_at__isnull=True,
    )


def verification_queue(*, limit: int = LIST_LIMIT) -> list[VerificationRow]:
    """Items whose lead unit's approved report says done and that are not verified yet
    (the oldest quarter first, at most `limit`), with the supporting parts' reports and
    those still to co-sign. A fixed number of queries."""
    leads = list(
        _verifiable()
        .select_related("part__department", "submitted_by", "approved_by")
        .prefetch_related("evidence")
        .order_by("period", "part__work_item_id")[:limit]
    )
    if not leads:
        return []
    items = {
        item.pk: item
        for item in _items_with_parts().filter(pk__in={r.part.work_item_id for r in leads})
    }
    periods = {r.period for r in leads}
    supporting = {
        (r.part_id, r.period): r
        for r in PartReport.objects.filter(
            part__work_item_id__in=items, part__role="support", period__in=periods
        )
        .select_related("part__department", "submitted_by", "approved_by")
        .prefetch_related("evidence")
    }
    cosigned = {key for key, r in supporting.items() if r.state == PartReport.State.COSIGNED}
    rows = {row.item.pk: row for row in item_rows(list(items.values()), states=False)}
    queue = []
    for report in leads:
        row = rows[report.part.work_item_id]
        waiting = [
            part.department
            for part in row.parts
            if not part.is_lead and (part.pk, report.period) not in cosigned
        ]
        reports = [
            supporting[(part.pk, report.period)]
            for part in row.parts
            if (part.pk, report.period) in supporting
        ]
        queue.append(VerificationRow(row, report.period, report, waiting, reports))
    queue.sort(key=lambda v: (v.row.item.task.order, v.row.item.order))
    return queue


def overdue_work_items(today: dt.date) -> list[tuple[WorkItem, Department | None, str]]:
    """(item, its lead unit, the due quarter) for every item whose due quarter has ended
    and that is not verified. Items tied to a target are left to the target's own warning
    (a computed target's status, a missed milestone). Two queries."""
    items = list(
        WorkItem.objects.filter(
            due_year__isnull=False, verified_at__isnull=True, targets__isnull=True
        )
        .select_related("task")
        .prefetch_related(
            Prefetch(
                "parts",
                queryset=WorkItemPart.objects.filter(role="lead").select_related("department"),
                to_attr="lead_parts",
            )
        )
        .order_by("task__order", "order")
    )
    overdue = []
    for item in items:
        due = progress.due_date(item.due_year, item.due_quarter)
        if due is not None and today > due:
            lead = item.lead_parts[0].department if item.lead_parts else None
            overdue.append((item, lead, f"{item.due_year}Q{item.due_quarter or 4}"))
    return overdue


def missed_milestones(today: dt.date) -> list[Target]:
    """Milestone targets whose year has passed while an item tied to them is not verified
    (or none is tied). Two queries."""
    milestones = list(
        Target.objects.filter(kind=Target.Kind.MILESTONE, target_year__isnull=False)
        .prefetch_related("work_items")
        .order_by("order")
    )
    return [
        target
        for target in milestones
        if progress.milestone_status(
            target_year=target.target_year,
            items_verified=[i.verified_at is not None for i in target.work_items.all()],
            today=today,
        )
        == progress.MILESTONE_RED
    ]


@dataclass
class PartCompletenessRow:
    """A unit's task parts in a quarter's round: its open parts (items not verified yet),
    how many it has reported (a report of the quarter that is not returned) and how many
    were returned to it."""

    department: Department
    due: int
    reported: int
    returned: int
    late: bool = False
    approved: int = 0  # approved by the unit's head (co-signed or verified since included)

    @property
    def missing(self) -> int:
        return self.due - self.reported

    @property
    def done(self) -> bool:
        return self.missing <= 0


def part_completeness(period: str, *, deadline: dt.date | None = None, today=None):
    """Each unit with open parts and how many of them it reported in `period`: the task
    side of the completeness board, the overview and the reminders. Three queries,
    whatever the number of units, parts and reports."""
    from django.db.models import Count, Q

    today = today or timezone.localdate()
    open_parts = WorkItemPart.objects.filter(work_item__verified_at__isnull=True).order_by()
    due = dict(open_parts.values_list("department_id").annotate(number=Count("id")))
    if not due:
        return []
    reports = PartReport.objects.filter(
        period=period, part__work_item__verified_at__isnull=True
    ).order_by()
    returned_state = Q(state=PartReport.State.RETURNED)
    decided = Q(
        state__in=[
            PartReport.State.APPROVED,
            PartReport.State.COSIGNED,
            PartReport.State.VERIFIED,
        ]
    )
    counted = {
        unit: (reported, returned, approved)
        for unit, reported, returned, approved in reports.values_list("part__department_id")
        .annotate(
            reported=Count("id", filter=~returned_state),
            returned=Count("id", filter=returned_state),
            approved=Count("id", filter=decided),
        )
        .values_list("part__department_id", "reported", "returned", "approved")
    }
    rows = []
    for department in Department.objects.filter(pk__in=due).order_by("order", "code"):
        reported, returned, approved = counted.get(department.pk, (0, 0, 0))
        row = PartCompletenessRow(department, due[department.pk], reported, returned)
        row.approved = approved
        row.late = deadline is not None and today > deadline and not row.done
        rows.append(row)
    return rows
