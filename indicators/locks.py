"""The lock of a department's period: once approved, its figures cannot change unless the
statistics office granted a lock exception that is still valid. Checked in the one place
figures are written (indicators.services.figure_record), under the same row lock that approval
takes, so an import racing an approval can never land in an approved period."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from dezhou_carbon.exceptions import ApplicationError
from indicators.models import DepartmentPeriod, LockException
from indicators.periods import quarter_text

Pair = tuple[int, str]  # (department id, period label)


def department_periods_lock(pairs: set[Pair]) -> dict[Pair, DepartmentPeriod]:
    """Create missing department-period rows and lock them all (SELECT … FOR UPDATE, in
    primary-key order, the order every service locks them in)."""
    if not pairs:
        return {}
    DepartmentPeriod.objects.bulk_create(
        [DepartmentPeriod(department_id=d, period=p) for d, p in sorted(pairs)],
        ignore_conflicts=True,
    )
    condition = Q()
    for department_id, period in pairs:
        condition |= Q(department_id=department_id, period=period)
    rows = DepartmentPeriod.objects.select_for_update().filter(condition).order_by("pk")
    return {(row.department_id, row.period): row for row in rows}


def exceptions_active(rows, now: datetime) -> set[int]:
    """Ids of the department-periods among `rows` with a lock exception valid at `now`."""
    return set(
        LockException.objects.filter(
            department_period__in=[row.pk for row in rows], valid_until__gt=now
        ).values_list("department_period_id", flat=True)
    )


def assert_writable(periods: dict[Pair, DepartmentPeriod], pairs: set[Pair], now) -> None:
    """Refuse (nothing written) when any of `pairs` is submitted or approved without a
    valid lock exception."""
    rows = [periods[pair] for pair in sorted(pairs)]
    closed = [
        row
        for row in rows
        if row.state not in (DepartmentPeriod.State.OPEN, DepartmentPeriod.State.RETURNED)
    ]
    if not closed:
        return
    excepted = exceptions_active(closed, now)
    for row in closed:
        if row.pk in excepted:
            continue
        department = row.department
        if row.state == DepartmentPeriod.State.SUBMITTED:
            raise ApplicationError(
                f"{department.name_zh} {quarter_text(row.period)} 的数据已提交待审核，不能修改；"
                "如需修改，请部门负责人退回。",
                f"{department.name_en or department.code} {quarter_text(row.period, 'en')} is submitted for "
                "approval and cannot change; ask the department head to return it.",
                code="period_submitted",
            )
        raise ApplicationError(
            f"{department.name_zh} {quarter_text(row.period)} 的数据已审核锁定；如需更正，请统计办开通限时解锁。",
            f"{department.name_en or department.code} {quarter_text(row.period, 'en')} is approved and locked; "
            "the statistics office can grant a time-boxed lock exception for a correction.",
            code="period_locked",
        )
