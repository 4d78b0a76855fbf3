"""Demo accounts and statistics for local trial only (`setup_park --demo`): a park as it
looks in the middle of a reporting quarter.

- People with names: the committee, the statistics office, an auditor, an administrator,
  and a clerk and a head for every department that reports.
- History to 2024 is loaded as approved by the administrator; from 2025 on every quarter
  went through the real workflow: the department's clerk entered and submitted it, its head
  approved it (four eyes: the approver is never the submitter).
- 2026 Q3 is mid-round: some departments approved, one waits for its head, one is still
  entering, one was returned with a comment.
- Work items in progress and done with evidence, progress reports, and warnings in each
  state (open, answered, rectified, closed).

Running it again changes nothing that is already there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "demo-password-2026"
# (user name, role, department, name). The first seven are the README's demo accounts.
DEMO_ACCOUNTS = [
    ("committee", User.Role.COMMITTEE, None, "王建国"),
    ("drs_clerk", User.Role.CLERK, "DRS", "李娜"),
    ("drs_head", User.Role.HEAD, "DRS", "张伟"),
    ("grid_clerk", User.Role.CLERK, "GRID", "赵磊"),
    ("stats", User.Role.STATISTICS_OFFICE, None, "陈静"),
    ("auditor", User.Role.AUDITOR, None, "孙立"),
    ("admin", User.Role.ADMINISTRATOR, None, "周敏"),
    ("grid_head", User.Role.HEAD, "GRID", "刘洋"),
    ("nrb_clerk", User.Role.CLERK, "NRB", "吴芳"),
    ("nrb_head", User.Role.HEAD, "NRB", "郑强"),
    ("eit_clerk", User.Role.CLERK, "EIT", "黄丽"),
    ("eit_head", User.Role.HEAD, "EIT", "何军"),
    ("eco_clerk", User.Role.CLERK, "ECO", "林燕"),
    ("eco_head", User.Role.HEAD, "ECO", "高峰"),
    ("con_clerk", User.Role.CLERK, "CON", "马超"),
    ("con_head", User.Role.HEAD, "CON", "罗红"),
    ("soc_clerk", User.Role.CLERK, "SOC", "谢敏"),
    ("soc_head", User.Role.HEAD, "SOC", "韩冰"),
    # Units that report no statistics but own parts of work items (3.5, 8.3, 8.4).
    ("inv_clerk", User.Role.CLERK, "INV", "钱坤"),
    ("inv_head", User.Role.HEAD, "INV", "孔伟"),
    ("urb_clerk", User.Role.CLERK, "URB", "曹宇"),
    ("urb_head", User.Role.HEAD, "URB", "彭辉"),
]
REPORTING_DEPARTMENTS = ("DRS", "GRID", "NRB", "EIT", "ECO", "CON", "SOC")
WORKFLOW_FROM_YEAR = 2025  # earlier history is loaded as approved
CURRENT_PERIOD = "2026Q3"
# Where each department stands in the current quarter (the rest approved it).
# (CON's items are building areas: the park's energy and CO₂ through Q3 are approved, so the
# energy budget reads its Q3 use.)
CURRENT_STATE = {"CON": "submitted", "EIT": "open", "ECO": "returned"}
RETURN_COMMENT = "一般工业固体废物综合利用量高于上年同期较多，请核对并补充说明。"
ROUNDS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025", "2026Q1", "2026Q2", "2026Q3")
# Each step is dated as it would have happened (dezhou_carbon.demo_clock): a quarter's
# round opens on the 20th of its last month; each department submits inside the round's
# window (REPORTING_DEADLINE_DAYS after the quarter), a few days apart in the plan's
# order, and its head approves the next day. A park is not perfect: one late submission
# and two returns (then resubmitted and approved) in 2025, so the assessment of 2025
# grades most units 良好 or 优秀 and one or two lower.
SUBMIT_AFTER_END = 3  # days after the period's end the first department submits
LATE = {("CON", "2025Q3"): 18}  # days after the period's end (the deadline is 15)
RETURNED = {("NRB", "2025Q1"), ("EIT", "2025Q2")}

Say = Callable[[str], None]


def demo_setup(say: Say | None = None) -> list[str]:
    """Create the demo people (password reset each run) and the park's data. `say` is
    told each step as it starts (the demo script shows progress); returns the summary."""
    say = say or (lambda _line: None)
    lines = ["", f"演示账号 / demo accounts (local trial only, password for all: {DEMO_PASSWORD}):"]
    people = _people(lines)
    from dashboards.models import EarlyWarning

    warnings_before = set(EarlyWarning.objects.values_list("pk", flat=True))
    say("历史数据(2020—2024年) / history 2020–2024")
    outcome = _history_load(people["admin"])
    lines.append(
        f"演示统计数据 / demo statistics: {outcome.row_count} rows of history, "
        f"{outcome.to_create} new versions"
    )
    say("填报轮次 / reporting rounds")
    _rounds_open(people["stats"])
    say("2025年以来各季度：填报、提交、审核 / quarters since 2025: entered, submitted, approved")
    steps = _quarters_report(people)
    lines.append(f"填报与审核 / entered and approved through the workflow: {steps} steps")
    say("重新计算指标 / recomputing the indicators")
    _recompute()
    say("工作要点与进展报告 / work items and progress reports")
    _plan_progress(people)
    say("工作要点分工报告 / reports on the parts of work items")
    from tasks.demo import tasks_2025_demo, tasks_demo

    lines += tasks_2025_demo(people)
    lines += tasks_demo(people)
    say("预警 / warnings")
    from dashboards.services import warnings_sync
    from dezhou_carbon.demo_clock import on_day

    # Raised the day after the current round's deadline (what was late or off track then).
    with on_day(WARNINGS_RAISED, 8, 0):
        warnings_sync()
    answered = _warnings_answer(people)
    warnings_now = set(EarlyWarning.objects.values_list("pk", flat=True))
    live = EarlyWarning.objects.exclude(state=EarlyWarning.State.CLOSED).count()
    lines.append(
        f"演示填报轮次与预警 / demo rounds and warnings: {len(ROUNDS)} rounds, "
        f"{len(warnings_now - warnings_before)} new warnings, {live} live, {answered} answered"
    )
    return lines


def _people(lines: list[str]) -> dict[str, User]:
    from tasks.models import Department

    people = {}
    for username, role, department_code, name in DEMO_ACCOUNTS:
        user, _created = User.objects.get_or_create(username=username)
        user.role = role
        user.first_name, user.last_name = name, ""
        user.department = Department.objects.get(code=department_code) if department_code else None
        # The admin pages serve reference data: staff access for those who edit it.
        user.is_staff = role in (
            User.Role.ADMINISTRATOR,
            User.Role.STATISTICS_OFFICE,
            User.Role.AUDITOR,
        )
        user.is_superuser = role == User.Role.ADMINISTRATOR
        user.set_password(DEMO_PASSWORD)
        user.save()
        people[username] = user
        lines.append(f"  {username:<12} {name} · {user.get_role_display()} {department_code or ''}")
    return people


def _history_load(administrator):
    from indicators.demo import demo_history_rows
    from indicators.exchange import item_specs
    from indicators.importing import parse_import_records
    from indicators.services import statistics_import

    parsed = parse_import_records(demo_history_rows(WORKFLOW_FROM_YEAR), item_specs())
    return statistics_import(parsed=parsed, user=administrator, source="demo", approve=True)


def _rounds_open(statistics_office) -> None:
    from dezhou_carbon.demo_clock import on_day
    from indicators.periods import Period
    from reporting.services import round_open

    for period in ROUNDS:
        end = Period.parse(period).end_date
        with on_day(end.replace(day=20)):
            round_open(period=period, user=statistics_office)


def _quarters_report(people: dict[str, User]) -> int:
    """Every department's periods since 2025 through the workflow, in one transaction so
    the recompute they ask for runs once, after it."""
    from indicators.demo import demo_rows_by_period

    values = demo_rows_by_period(WORKFLOW_FROM_YEAR)
    steps = 0
    with transaction.atomic():
        for period in sorted(values, key=_period_key):
            for code in REPORTING_DEPARTMENTS:
                target = CURRENT_STATE.get(code, "approved") if period == CURRENT_PERIOD else None
                steps += _department_period(
                    code, period, values[period], people, target=target or "approved"
                )
    return steps


def _period_key(period: str) -> tuple[int, int]:
    # A year's own round (its yearly items) after its fourth quarter.
    return (int(period[:4]), int(period[5]) if len(period) > 4 else 5)


def _report_days(code: str, period: str) -> dict[str, dt.date]:
    """When `code` entered and submitted `period` and its head decided (inside the round's
    window, LATE and RETURNED aside). Deterministic."""
    from django.conf import settings

    from indicators.periods import Period

    end = Period.parse(period).end_date
    after = LATE.get((code, period)) or SUBMIT_AFTER_END + REPORTING_DEPARTMENTS.index(code)
    submit = end + dt.timedelta(days=after)
    days = {"submit": submit, "decide": submit + dt.timedelta(days=1)}
    if (code, period) in RETURNED:
        days["resubmit"] = submit + dt.timedelta(days=3)
        days["approve"] = submit + dt.timedelta(days=4)
    else:
        days["approve"] = days["decide"]
    deadline = end + dt.timedelta(days=settings.REPORTING_DEADLINE_DAYS)
    assert (code, period) in LATE or days["approve"] <= deadline, (code, period)
    return days


def _department_period(code, period, values, people, *, target: str) -> int:
    """Bring one department's period to `target` (open, submitted, returned or approved)
    as its clerk and head would, each step on its day (`_report_days`); a period already
    there, or past it, is left alone."""
    from dezhou_carbon.demo_clock import on_day
    from indicators.models import DepartmentPeriod
    from reporting.workflow import (
        EntryValue,
        department_items,
        department_period_approve,
        department_period_return,
        department_period_save,
        department_period_submit,
        validate_department_period,
    )
    from tasks.models import Department

    department = Department.objects.get(code=code)
    items = department_items(department, period)
    if not items:
        return 0
    row = DepartmentPeriod.objects.filter(department=department, period=period).first()
    state = row.state if row else "not_started"
    if state == "approved" or state == target:
        return 0
    clerk, head = people[f"{code.lower()}_clerk"], people[f"{code.lower()}_head"]
    entered = {item.code: Decimal(values.get(item.code, "0")) for item in items}
    # Soft findings (a large change on last year) are explained, as a clerk would.
    findings = validate_department_period(
        department=department, period=period, values=entered, notes={}, for_submission=True
    )
    notes = {issue.item: "已核实：本期生产安排调整。" for issue in findings}
    entries = [EntryValue(c, v, notes.get(c, "")) for c, v in entered.items()]
    days = _report_days(code, period)
    steps = 0
    if state in ("not_started", "open", "returned"):
        with on_day(days["submit"], 9, 0):
            department_period_save(
                department=department, period=period, entries=entries, user=clerk
            )
        steps += 1
        if target == "open":
            return steps
        with on_day(days["submit"], 16, 0):
            department_period_submit(department=department, period=period, user=clerk)
        steps += 1
    if target == "returned":
        with on_day(days["decide"], 10, 0):
            department_period_return(
                department=department, period=period, user=head, comment=RETURN_COMMENT
            )
        return steps + 1
    if target == "approved" and "resubmit" in days:
        # Returned once with a question, answered and submitted again.
        with on_day(days["decide"], 10, 0):
            department_period_return(
                department=department, period=period, user=head, comment=RETURN_COMMENT
            )
        with on_day(days["resubmit"], 15, 0):
            department_period_submit(department=department, period=period, user=clerk)
        steps += 2
    if target == "approved":
        with on_day(days["approve"], 11, 0):
            department_period_approve(
                department=department, period=period, user=head, comment="数据已核对，同意。"
            )
        steps += 1
    return steps


def _recompute() -> None:
    """Compute every result now (the approvals asked for it; with a worker the requests
    are also queued, and computing twice changes nothing)."""
    from indicators.recompute import results_recompute

    results_recompute()


PROGRESS = "本季度按计划推进：完成阶段性任务，相关佐证材料已归档。"
PROGRESS_REPORTED = dt.date(2026, 10, 12)  # inside the 2026Q3 round
WARNINGS_RAISED = dt.date(2026, 10, 16)  # the day after the 2026Q3 deadline (a Friday)
# Each answered warning's days: the clerk's response and the head's sign-off (working
# days after WARNINGS_RAISED: most within the scheme's 5, one late), the rectification
# reported done, the committee's close.
ANSWER_DAYS = [
    {"answer": dt.date(2026, 10, 19), "sign_off": dt.date(2026, 10, 20)},
    {"answer": dt.date(2026, 10, 20), "sign_off": dt.date(2026, 10, 21),
     "resolve": dt.date(2026, 11, 10)},
    {"answer": dt.date(2026, 10, 19), "sign_off": dt.date(2026, 10, 19),
     "resolve": dt.date(2026, 11, 6), "close": dt.date(2026, 11, 13)},
    {"answer": dt.date(2026, 10, 23), "sign_off": dt.date(2026, 10, 26)},  # 6 working days
    {"answer": dt.date(2026, 10, 21), "sign_off": dt.date(2026, 10, 22),
     "resolve": dt.date(2026, 11, 17)},
]  # fmt: skip


def _plan_progress(people: dict[str, User]) -> None:
    """The lead department's clerk reports the quarter's progress on each task it leads,
    once. (Work items have no hand-set status: their parts' reports, seeded by
    tasks.demo, and the committee's verification give their state.)"""
    from dashboards.models import ProgressReport
    from dashboards.services import progress_report_submit
    from dezhou_carbon.demo_clock import on_day
    from dezhou_carbon.exceptions import ApplicationError
    from tasks.models import Responsibility, Task

    leads = Responsibility.objects.filter(
        role=Responsibility.Role.LEAD, department__code__in=REPORTING_DEPARTMENTS
    ).select_related("task", "department")
    for lead in leads.order_by("task__order", "task__code"):
        clerk = people[f"{lead.department.code.lower()}_clerk"]
        task = Task.objects.get(pk=lead.task_id)
        if not ProgressReport.objects.filter(task=task, period=CURRENT_PERIOD).exists():
            try:
                with on_day(PROGRESS_REPORTED, 10, 0):
                    progress_report_submit(
                        task=task, period=CURRENT_PERIOD, text=PROGRESS, user=clerk
                    )
            except ApplicationError:
                continue


def _warnings_answer(people: dict[str, User]) -> int:
    """Warnings in each state: of the live ones a department owns, the first two stay
    open, then one answered with a plan, one rectified, one closed (and so on), each step
    on its day (ANSWER_DAYS)."""
    from dashboards import services
    from dashboards.models import EarlyWarning
    from dezhou_carbon.exceptions import ApplicationError

    if EarlyWarning.objects.exclude(state=EarlyWarning.State.OPEN).exists():
        return 0  # answered on an earlier run
    owned = list(
        EarlyWarning.objects.filter(
            state=EarlyWarning.State.OPEN, department__code__in=REPORTING_DEPARTMENTS
        ).order_by("pk")
    )
    plan = ["open", "open", "acknowledged", "resolved", "closed", "acknowledged", "resolved"]
    from dezhou_carbon.demo_clock import on_day

    answered = 0
    days = iter(ANSWER_DAYS)
    for warning, goal in zip(owned, plan, strict=False):
        if goal == "open":
            continue
        when = next(days)
        code = warning.department.code.lower()
        clerk, head = people[f"{code}_clerk"], people[f"{code}_head"]
        try:
            # The clerk answers; where the head signs the answer off (four eyes), they do.
            with on_day(when["answer"], 10, 0):
                services.warning_acknowledge(
                    warning=warning,
                    user=clerk,
                    response="已组织专题分析，原因主要是重点项目投产初期能耗偏高。",
                    plan="加快余热利用改造，按月调度重点用能单位。",
                    due_date=dt.date(2027, 3, 31),
                )
            sign_off = getattr(services, "warning_sign_off", None)
            if sign_off is not None:
                with on_day(when["sign_off"], 15, 0):
                    sign_off(warning=warning, user=head, comment="同意上报。")
            if goal in ("resolved", "closed"):
                with on_day(when["resolve"], 10, 0):
                    services.warning_resolve(
                        warning=warning, user=head, evidence="整改报告及月度调度记录已上传归档。"
                    )
            if goal == "closed":
                with on_day(when["close"], 16, 0):
                    services.warning_close(
                        warning=warning, user=people["committee"], comment="整改到位，同意销号。"
                    )
        except ApplicationError:
            continue  # a step the warning's rules do not allow here: it stays where it is
        answered += 1
    return answered
