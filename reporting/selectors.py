"""Reads behind the reporting pages: a department's rounds, the entry and review rows of a
department-period, the completeness board, version history and notifications.

Every function answers with a fixed number of queries, whatever the number of items or
departments (the board's count is asserted in tests)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.labels import action_label
from audit.models import AuditEvent
from dezhou_carbon import display
from indicators import validation
from indicators.models import DepartmentPeriod, Figure, LockException, StatisticalItem
from indicators.numbers import NumberRefused, decimal_text, parse_optional_number
from reporting.models import Notification, ReportingRound
from reporting.services import departments_of_round
from reporting.workflow import (
    checked_period,
    department_items,
    latest_figures,
    parse_period,
    period_accepts_entry,
    validate_department_period,
)
from tasks.models import Department

PeriodState = DepartmentPeriod.State
NOT_STARTED = "not_started"
DONE_STATES = (PeriodState.SUBMITTED, PeriodState.APPROVED)
STATE_LABELS = {
    NOT_STARTED: _("未开始"),
    PeriodState.OPEN: _("填报中"),
    PeriodState.SUBMITTED: _("已提交"),
    PeriodState.RETURNED: _("已退回"),
    PeriodState.APPROVED: _("已审核锁定"),
}


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


# --- numbers --------------------------------------------------------------------------------


def is_rate(item: StatisticalItem) -> bool:
    """Growth rates are compared in percentage points, not as a relative change."""
    return item.code in validation.GROWTH_ITEMS or item.unit == "%"


def change_text(item: StatisticalItem, value: Decimal | None, last_year: Decimal | None) -> str:
    """Year-on-year change as the entry page shows it (entry.js computes the same live)."""
    if value is None or last_year is None:
        return ""
    if is_rate(item):
        return display.number(value - last_year, 1, signed=True)
    if last_year <= 0:
        return ""
    return display.percent((value / last_year - 1) * 100, 1, signed=True)


def change_is_large(item: StatisticalItem, value: Decimal | None, last_year) -> bool:
    if value is None or last_year is None or is_rate(item) or last_year <= 0:
        return False
    return abs(value / last_year - 1) > validation.YOY_CHANGE_NEEDING_NOTE


# --- one department-period -------------------------------------------------------------------


@dataclass
class PeriodStatus:
    """Where a department's period stands, and whether its figures may change now."""

    department: Department
    period: str
    row: DepartmentPeriod | None
    exception: LockException | None
    reporting_round: ReportingRound | None
    today: date

    @property
    def state(self) -> str:
        return self.row.state if self.row else NOT_STARTED

    @property
    def state_label(self) -> str:
        return state_label(self.state)

    @property
    def entry_open(self) -> bool:
        """The period takes figures at all: it has ended, or its round is open."""
        round_open = (
            self.reporting_round is not None
            and self.reporting_round.state == ReportingRound.State.OPEN
        )
        return period_accepts_entry(self.period, today=self.today, round_open=round_open)

    @property
    def writable(self) -> bool:
        if not self.entry_open:
            return False
        if self.state in (NOT_STARTED, PeriodState.OPEN, PeriodState.RETURNED):
            return True
        return self.state == PeriodState.APPROVED and self.exception is not None

    @property
    def correcting(self) -> bool:
        """Approved and unlocked for a correction: changed figures need a reason."""
        return self.state == PeriodState.APPROVED and self.exception is not None

    @property
    def deadline(self) -> date | None:
        return self.reporting_round.deadline if self.reporting_round else None

    @property
    def late(self) -> bool:
        return is_late(self.deadline, self.state, self.today)


def is_late(deadline: date | None, state: str, today: date) -> bool:
    return deadline is not None and today > deadline and state not in DONE_STATES


def period_status(department: Department, period: str, *, now: datetime | None = None):
    now = now or timezone.now()
    row = (
        DepartmentPeriod.objects.filter(department=department, period=period)
        .select_related("submitted_by", "decided_by")
        .first()
    )
    exception = None
    if row is not None:
        exception = (
            LockException.objects.filter(department_period=row, valid_until__gt=now)
            .select_related("granted_by")
            .order_by("-valid_until")
            .first()
        )
    return PeriodStatus(
        department=department,
        period=period,
        row=row,
        exception=exception,
        reporting_round=ReportingRound.objects.filter(period=period).first(),
        today=timezone.localdate(now),
    )


@dataclass
class EntryRow:
    """One item of the entry (or review) form: what was reported before and now."""

    item: StatisticalItem
    figure: Figure | None  # the newest version, any state but withdrawn
    previous: Decimal | None  # the previous period's counting value
    last_year: Decimal | None  # the same period last year's counting value
    value: str = ""  # what the input shows: the stored value, or what was typed
    note: str = ""
    version: int = 0  # the version the form saw (0: none yet)
    issues: list[dict] = field(default_factory=list)
    conflict: dict | None = None
    error: str = ""

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def rate(self) -> bool:
        return is_rate(self.item)

    @property
    def previous_text(self) -> str:
        return decimal_text(self.previous) or ""

    @property
    def last_year_text(self) -> str:
        return decimal_text(self.last_year) or ""

    def _typed(self) -> Decimal | None:
        try:
            return parse_optional_number(self.value)
        except NumberRefused:
            return None

    @property
    def change(self) -> str:
        return change_text(self.item, self._typed(), self.last_year)

    @property
    def change_large(self) -> bool:
        return change_is_large(self.item, self._typed(), self.last_year)

    @property
    def hard_issues(self) -> list[dict]:
        return [i for i in self.issues if i["severity"] == validation.HARD]

    @property
    def soft_issues(self) -> list[dict]:
        return [i for i in self.issues if i["severity"] == validation.SOFT]


def entry_rows(department: Department, period: str) -> list[EntryRow]:
    """Every item the department reports for the period, with its newest version, the
    previous period's and the same period last year's counting (approved) values."""
    items = department_items(department, period)
    figures = latest_figures(department, period)
    checked = checked_period(period)
    before = checked.previous().code
    last_year = checked.same_period_last_year().code
    counting: dict[tuple[str, str], Decimal] = {
        (code, figure_period): value
        for code, figure_period, value in Figure.objects.counting()
        .filter(scope="", item__in=items, period__in={before, last_year})
        .values_list("item__code", "period", "value")
    }
    rows = []
    for item in items:
        figure = figures.get(item.code)
        rows.append(
            EntryRow(
                item=item,
                figure=figure,
                previous=counting.get((item.code, before)),
                last_year=counting.get((item.code, last_year)),
                value=decimal_text(figure.value) if figure else "",
                note=figure.note if figure else "",
                version=figure.version if figure else 0,
            )
        )
    return rows


def stored_issues(department: Department, period: str, rows: list[EntryRow]) -> None:
    """Attach to each row the issues of the stored values (soft ones ask for a note)."""
    stored = [row for row in rows if row.figure is not None]
    if not stored:
        return
    issues = validate_department_period(
        department=department,
        period=period,
        values={row.code: row.figure.value for row in stored},
        notes={row.code: row.figure.note for row in stored},
        for_submission=False,
    )
    attach_issues(rows, [issue.as_dict() for issue in issues])


def attach_issues(rows: list[EntryRow], issues: list[dict]) -> list[dict]:
    """Put each issue on its item's row; returns the issues of no row of the form."""
    by_code = {row.code: row for row in rows}
    orphans = []
    for issue in issues:
        row = by_code.get(issue.get("item"))
        if row is None:
            orphans.append(issue)
        else:
            row.issues.append(issue)
    return orphans


# --- index and board -----------------------------------------------------------------------


@dataclass
class RoundRow:
    reporting_round: ReportingRound
    state: str
    late: bool

    @property
    def state_label(self) -> str:
        return state_label(self.state)


def department_rounds(department: Department, *, today: date | None = None) -> list[RoundRow]:
    """The rounds the department reports in (those of its items' frequencies), newest
    first, with the department's state in each."""
    today = today or timezone.localdate()
    frequencies = set(
        StatisticalItem.objects.filter(department=department).values_list("frequency", flat=True)
    )
    rounds = ReportingRound.objects.all()
    if frequencies == {StatisticalItem.Frequency.QUARTER}:
        rounds = rounds.filter(quarter__isnull=False)
    elif frequencies == {StatisticalItem.Frequency.YEAR}:
        rounds = rounds.filter(quarter__isnull=True)
    elif not frequencies:
        return []
    rounds = list(rounds.order_by("-year", "-quarter"))
    states = dict(
        DepartmentPeriod.objects.filter(
            department=department, period__in=[r.period for r in rounds]
        ).values_list("period", "state")
    )
    rows = []
    for reporting_round in rounds:
        state = states.get(reporting_round.period, NOT_STARTED)
        rows.append(
            RoundRow(reporting_round, state, is_late(reporting_round.deadline, state, today))
        )
    return rows


@dataclass
class RoundSummary:
    reporting_round: ReportingRound
    departments: int
    submitted: int
    approved: int
    returned: int

    @property
    def outstanding(self) -> int:
        return self.departments - self.submitted - self.approved


def round_summaries() -> list[RoundSummary]:
    """Every round, newest first, with how many of its departments stand where."""
    rounds = list(ReportingRound.objects.order_by("-year", "-quarter"))
    if not rounds:
        return []
    per_frequency = Counter(
        frequency
        for _department, frequency in StatisticalItem.objects.values_list(
            "department_id", "frequency"
        )
        .order_by()
        .distinct()
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    for period, state, number in (
        DepartmentPeriod.objects.filter(period__in=[r.period for r in rounds])
        .order_by()
        .values_list("period", "state")
        .annotate(number=Count("id"))
    ):
        counts[period][state] += number
    return [
        RoundSummary(
            reporting_round=r,
            departments=per_frequency[r.frequency],
            submitted=counts[r.period][PeriodState.SUBMITTED],
            approved=counts[r.period][PeriodState.APPROVED],
            returned=counts[r.period][PeriodState.RETURNED],
        )
        for r in rounds
    ]


@dataclass
class BoardRow:
    department: Department
    row: DepartmentPeriod | None
    exception: LockException | None
    items_total: int
    items_filled: int
    late: bool

    @property
    def state(self) -> str:
        return self.row.state if self.row else NOT_STARTED

    @property
    def state_label(self) -> str:
        return state_label(self.state)


def round_of(period: str) -> tuple[ReportingRound, bool]:
    """The round of `period`, and whether it was opened (an unsaved one when not)."""
    found = ReportingRound.objects.filter(period=period).first()
    if found is not None:
        return found, True
    year, quarter = parse_period(period)
    return ReportingRound(period=period, year=year, quarter=quarter), False


def board_rows(
    reporting_round: ReportingRound, *, opened: bool = True, now: datetime | None = None
) -> list[BoardRow]:
    """Each department of the round: its state, who submitted and decided when, its active
    lock exception and how many of its items have a value. Six queries, whatever the number
    of departments."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = reporting_round.period
    departments = departments_of_round(reporting_round)
    periods = {
        row.department_id: row
        for row in DepartmentPeriod.objects.filter(
            period=period, department__in=departments
        ).select_related("submitted_by", "decided_by")
    }
    exceptions: dict[int, LockException] = {}
    for exception in LockException.objects.filter(
        department_period__in=[row.pk for row in periods.values()], valid_until__gt=now
    ).order_by("valid_until"):
        exceptions[exception.department_period_id] = exception  # the longest-lasting wins
    totals = dict(
        StatisticalItem.objects.filter(
            department__in=departments, frequency=reporting_round.frequency
        )
        .order_by()
        .values_list("department_id")
        .annotate(number=Count("id"))
    )
    filled = dict(
        Figure.objects.latest()
        .filter(period=period, scope="", department__in=departments)
        .exclude(state=Figure.State.WITHDRAWN)
        .order_by()
        .values_list("department_id")
        .annotate(number=Count("id"))
    )
    deadline = reporting_round.deadline if opened else None
    rows = []
    for department in departments:
        row = periods.get(department.pk)
        state = row.state if row else NOT_STARTED
        rows.append(
            BoardRow(
                department=department,
                row=row,
                exception=exceptions.get(row.pk) if row else None,
                items_total=totals.get(department.pk, 0),
                items_filled=filled.get(department.pk, 0),
                late=is_late(deadline, state, today),
            )
        )
    return rows


# --- history -------------------------------------------------------------------------------


def figure_versions(department: Department, period: str, item: str = "") -> list[Figure]:
    """Every version of every figure of the department-period (or of one item), item by
    item, oldest first (each with `value_text`, its value as people write it)."""
    figures = Figure.objects.filter(department=department, period=period)
    if item:
        figures = figures.filter(item__code=item)
    versions = list(
        figures.select_related("item", "entered_by", "submitted_by", "decided_by").order_by(
            "item__order", "item__code", "scope", "version"
        )
    )
    for figure in versions:
        figure.value_text = decimal_text(figure.value)
    return versions


@dataclass
class AuditLine:
    event: AuditEvent
    item_name: str = ""

    @property
    def action_label(self) -> str:
        return action_label(self.event.action)

    @staticmethod
    def _shown(value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            # Warning levels too: "yellow 2025" (warning_update) word by word.
            from dashboards.models import EarlyWarning

            labels = {**dict(EarlyWarning.Level.choices), **STATE_LABELS}
            return " ".join(str(labels.get(word, word)) for word in value.split(" "))
        if isinstance(value, dict):
            # A step's state with its version ({"state": "approved", "version": 1}): its
            # words and v1, not Python's notation; nested details are left to the record.
            shown = [
                f"v{inner}" if key == "version" else AuditLine._shown(inner)
                for key, inner in value.items()
                if isinstance(inner, (str, int)) and not isinstance(inner, bool)
            ]
            return " · ".join(part for part in shown if part)
        return str(value)

    @property
    def old(self) -> str:
        return self._shown(self.event.old_value)

    @property
    def new(self) -> str:
        return self._shown(self.event.new_value)

    @property
    def item(self) -> str:
        details = self.event.details
        return details.get("item", "") if isinstance(details, dict) else ""


def audit_events(department: Department, period: str, item: str = "") -> list[AuditLine]:
    """Every audit event recorded for the department and period, oldest first; for one
    item, its own events and the department-level steps (submit, approve …) that decided it."""
    names = {
        item.code: item.name
        for item in StatisticalItem.objects.filter(department=department).only(
            "code", "name_zh", "name_en"
        )
    }
    lines = []
    events = AuditEvent.objects.filter(department_code=department.code, period=period)
    for event in events.select_related("actor").order_by("at", "id"):
        line = AuditLine(event)
        if item and line.item not in ("", item):
            continue
        line.item_name = names.get(line.item, line.item)
        lines.append(line)
    return lines


# --- notifications -------------------------------------------------------------------------


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user, *, limit: int = 200) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def work_calendar():
    """The official calendar of every recorded year (reporting.workdays.WorkCalendar), one
    query."""
    from reporting.models import WorkCalendarYear
    from reporting.workdays import WorkCalendar

    return WorkCalendar.of_years(
        WorkCalendarYear.objects.order_by("year").values_list("year", "holidays", "workdays")
    )
