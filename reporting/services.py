"""Writes of the reporting calendar: opening and closing rounds, changing a round's
deadline, and the reminders around deadlines. Each change of a round goes through one of
these services (the admin uses them too), is audited and moves the page generation."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.selectors import department_staff
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.followups import ROUND_CLOSED, announce
from indicators.cache import page_changed
from indicators.models import DepartmentPeriod, StatisticalItem
from indicators.periods import Period
from reporting.models import ReportingRound
from reporting.notifications import notify
from reporting.workflow import parse_period
from tasks.models import Department


def default_deadline(year: int, quarter: int | None) -> dt.date:
    """By default a round closes 15 days after its period ends (REPORTING_DEADLINE_DAYS)."""
    return Period(year, quarter).end_date + dt.timedelta(days=settings.REPORTING_DEADLINE_DAYS)


@transaction.atomic
def round_open(*, period: str, user, deadline: dt.date | None = None) -> ReportingRound:
    """Open the reporting round of `period` (idempotent: an existing round is returned)."""
    if not permissions.can_manage_reference_data(user):
        raise PermissionRefused(
            "只有统计办可以开启填报轮次。",
            "Only the statistics office can open a reporting round.",
            code="permission_denied",
        )
    year, quarter = parse_period(period)
    existing = ReportingRound.objects.filter(period=period).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            reporting_round = ReportingRound.objects.create(
                period=period,
                year=year,
                quarter=quarter,
                deadline=deadline or default_deadline(year, quarter),
                created_by=user,
            )
    except IntegrityError:
        return ReportingRound.objects.get(period=period)
    page_changed()
    audit_record(
        actor=user,
        action="round_open",
        object_type="round",
        object_id=reporting_round.pk,
        period=period,
        details={"deadline": reporting_round.deadline.isoformat()},
    )
    return reporting_round


def _refuse_unless_manager(user, zh: str, en: str) -> None:
    if not permissions.can_manage_reference_data(user):
        raise PermissionRefused(zh, en, code="permission_denied")


@transaction.atomic
def round_close(*, reporting_round: ReportingRound, user, reason: str = "") -> ReportingRound:
    """Close the round: its report data is frozen once the closing commits (the reports app
    follows up; if the broker is down, its sweep freezes the round later). Closing a closed
    round changes nothing."""
    _refuse_unless_manager(
        user,
        "只有统计办可以结束填报轮次。",
        "Only the statistics office can close a reporting round.",
    )
    reporting_round = ReportingRound.objects.select_for_update().get(pk=reporting_round.pk)
    if reporting_round.state == ReportingRound.State.CLOSED:
        return reporting_round
    reporting_round.state = ReportingRound.State.CLOSED
    reporting_round.save(update_fields=["state"])
    page_changed()
    audit_record(
        actor=user,
        action="round_close",
        object_type="round",
        object_id=reporting_round.pk,
        period=reporting_round.period,
        old_value=ReportingRound.State.OPEN,
        new_value=ReportingRound.State.CLOSED,
        reason=reason,
    )
    transaction.on_commit(
        lambda pk=reporting_round.pk: announce(ROUND_CLOSED, reporting_round_id=pk), robust=True
    )
    return reporting_round


@transaction.atomic
def round_deadline_change(
    *, reporting_round: ReportingRound, deadline: dt.date, user, reason: str
) -> ReportingRound:
    """Move an open round's deadline (with a reason); reminders and overdue warnings follow
    the new date."""
    _refuse_unless_manager(
        user,
        "只有统计办可以调整截止日期。",
        "Only the statistics office can change a round's deadline.",
    )
    if not reason.strip():
        raise ApplicationError(
            "调整截止日期须填写原因。",
            "A reason is required to change the deadline.",
            code="reason_required",
        )
    reporting_round = ReportingRound.objects.select_for_update().get(pk=reporting_round.pk)
    if reporting_round.state != ReportingRound.State.OPEN:
        raise ApplicationError(
            "填报轮次已结束，不能调整截止日期。",
            "The round is closed; its deadline cannot change.",
            code="invalid_state",
        )
    if deadline < Period(reporting_round.year, reporting_round.quarter).end_date:
        raise ApplicationError(
            "截止日期不能早于期末。",
            "The deadline cannot be before the period ends.",
            code="invalid",
        )
    old = reporting_round.deadline
    if deadline == old:
        return reporting_round
    reporting_round.deadline = deadline
    reporting_round.save(update_fields=["deadline"])
    page_changed()
    audit_record(
        actor=user,
        action="round_deadline_change",
        object_type="round",
        object_id=reporting_round.pk,
        period=reporting_round.period,
        old_value=old.isoformat(),
        new_value=deadline.isoformat(),
        reason=reason,
    )
    return reporting_round


def departments_of_round(reporting_round: ReportingRound) -> list[Department]:
    """Departments with items of the round's frequency."""
    ids = StatisticalItem.objects.filter(frequency=reporting_round.frequency).values_list(
        "department_id", flat=True
    )
    return list(Department.objects.filter(pk__in=set(ids)).order_by("order"))


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind clerks and heads of departments that have not submitted: three days before a
    round's deadline, and once it has passed; in a quarter's round also the units that have
    not reported all their task parts. Safe to run any number of times a day: each person
    gets each reminder once. Returns how many were sent."""
    from tasks.workflow import part_report_reminders_send

    today = today or timezone.localdate()
    sent = 0
    for reporting_round in ReportingRound.objects.filter(state=ReportingRound.State.OPEN):
        days_left = (reporting_round.deadline - today).days
        if 0 <= days_left <= settings.REPORTING_REMIND_DAYS_BEFORE:
            kind = "deadline_near"
        elif days_left < 0:
            kind = "deadline_passed"
        else:
            continue
        done = set(
            DepartmentPeriod.objects.filter(
                period=reporting_round.period,
                state__in=[DepartmentPeriod.State.SUBMITTED, DepartmentPeriod.State.APPROVED],
            ).values_list("department_id", flat=True)
        )
        for department in departments_of_round(reporting_round):
            if department.pk in done:
                continue
            people = department_staff(department)
            deadline = reporting_round.deadline.isoformat()
            if kind == "deadline_near":
                zh = f"{reporting_round.period} 统计数据将于 {deadline} 截止，请尽快填报提交。"
                en = f"{reporting_round.period} statistics are due on {deadline}; please submit."
            else:
                zh = f"{reporting_round.period} 统计数据已于 {deadline} 截止，{department.name_zh}尚未提交。"
                en = (
                    f"{reporting_round.period} statistics were due on {deadline}; "
                    f"{department.name_en or department.code} has not submitted."
                )
            sent += notify(
                people,
                kind=kind,
                message_zh=zh,
                message_en=en,
                link=f"/reporting/{reporting_round.period}/",
                dedupe_key=f"{kind}:{reporting_round.period}",
                email=True,
            )
        # The units' task parts of a quarter are reminded like its figures.
        sent += part_report_reminders_send(reporting_round=reporting_round, kind=kind)
    from projects.updates import update_reminders_send  # the key projects' quarter, too

    sent += update_reminders_send(today=today, remind_days=settings.REPORTING_REMIND_DAYS_BEFORE)
    return sent


WORK_CALENDAR_FILE = settings.BASE_DIR / "fixtures" / "work_calendar.json"


def work_calendar_rows(path=None) -> list[dict]:
    """The years of fixtures/work_calendar.json, each checked (reporting.workdays): year,
    holidays and workdays as ISO text, source."""
    import json

    from reporting import workdays

    document = json.loads((path or WORK_CALENDAR_FILE).read_text(encoding="utf-8"))
    rows = []
    for entry in document["years"]:
        holidays, days_off = entry["holidays"], entry["workdays"]
        checked = workdays.year_checked(
            entry["year"],
            workdays.days_parsed(holidays, "放假日期", "Holidays"),
            workdays.days_parsed(days_off, "调休上班日期", "Make-up working days"),
        )
        rows.append(
            {
                "year": entry["year"],
                "holidays": checked[0],
                "workdays": checked[1],
                "source": entry["source"],
            }
        )
    return rows


def work_calendar_seed() -> int:
    """The notices' years of fixtures/work_calendar.json stored where missing (a year an
    administrator recorded is kept as they recorded it). Idempotent; returns how many
    years were stored."""
    from reporting.models import WorkCalendarYear

    known = set(WorkCalendarYear.objects.values_list("year", flat=True))
    new = [WorkCalendarYear(**row) for row in work_calendar_rows() if row["year"] not in known]
    WorkCalendarYear.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def work_calendar_year_record(
    *, year: int, holidays: list[str], workdays: list[str], source: str, user
):
    """Record (or correct) one year of the official calendar from its State Council
    notice: holidays and make-up working days as lines of dates or runs
    (2027-02-06..2027-02-14), and the notice as source. Administrators only; refused in
    zh/en with nothing written; audited with the old and new days."""
    from reporting import workdays as calendar
    from reporting.models import WorkCalendarYear

    if not permissions.can_record_work_calendar(user):
        raise PermissionRefused(
            "只有系统管理员可以维护工作日历。",
            "Only an administrator can record the working-day calendar.",
            code="permission_denied",
        )
    if not (source or "").strip():
        raise ApplicationError(
            "须写明依据（国务院办公厅节假日安排通知的名称、文号和日期），未保存。",
            "Give the source (the State Council notice's title, number and date). "
            "Nothing was saved.",
            code="source_required",
        )
    days_off, days_on = calendar.year_checked(
        year,
        calendar.days_parsed(holidays, "放假日期", "Holidays"),
        calendar.days_parsed(workdays, "调休上班日期", "Make-up working days"),
    )
    row = WorkCalendarYear.objects.select_for_update().filter(year=year).first()
    old = (
        {"holidays": row.holidays, "workdays": row.workdays, "source": row.source} if row else None
    )
    new = {"holidays": days_off, "workdays": days_on, "source": source.strip()}
    if old == new:
        return row
    if row is None:
        row = WorkCalendarYear(year=year)
    row.holidays, row.workdays, row.source, row.recorded_by = (
        days_off,
        days_on,
        new["source"],
        user,
    )
    row.save()
    page_changed()
    audit_record(
        actor=user,
        action="work_calendar_record",
        object_type="work_calendar",
        object_id=year,
        old_value=old,
        new_value=new,
        reason=new["source"],
    )
    return row
