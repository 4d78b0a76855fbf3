"""A department's quarter, as one unit of work: save drafts, submit (after validation),
approve or return, lock, grant a lock exception, correct, undo an upload.

Each service is one transaction that locks the department-period row first (the same
order `figure_record` uses), writes its audit record and notifies the people concerned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from accounts.selectors import department_staff
from audit.services import audit_record
from dezhou_carbon.display import in_chinese
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators import selectors, validation
from indicators.cache import page_changed
from indicators.calculations import FOSSIL_FUELS
from indicators.locks import department_periods_lock, exceptions_active
from indicators.models import (
    DepartmentPeriod,
    Figure,
    ImportBatch,
    LockException,
    StatisticalItem,
)
from indicators.numbers import decimal_text
from indicators.periods import Period, PeriodError, quarter_text
from indicators.recompute import recompute_request
from indicators.services import FigureInput, figure_record
from reporting.models import ReportingRound
from reporting.notifications import notify
from tasks.models import Department

State = Figure.State
PeriodState = DepartmentPeriod.State
HISTORY_QUARTERS = 8


def four_eyes_refusal() -> PermissionRefused:
    """The approver submitted (some of) what they would approve."""
    return PermissionRefused(
        "您提交了本期数据，不能由您本人审核（四眼原则），请由部门其他负责人审核。",
        "You submitted figures of this period and cannot approve them yourself (four eyes); "
        "another head of the department must approve.",
        code="four_eyes",
    )


def checked_period(period: str) -> Period:
    """The period a service was given, which must be a canonical code (`2024Q3`, `2024`,
    ASCII: the edges canonicalise what people type); a 400 in both languages otherwise, so
    that `２０２４Q3` can never become a second, empty 2024Q3."""
    try:
        return Period.parse(period)
    except PeriodError as error:
        raise ApplicationError(error.message_zh, error.message_en, code="bad_period") from error


def parse_period(period: str) -> tuple[int, int | None]:
    """`checked_period` as (year, quarter): '2024Q3' → (2024, 3), '2024' → (2024, None)."""
    checked = checked_period(period)
    return checked.year, checked.quarter


def period_accepts_entry(period: str, *, today: date, round_open: bool) -> bool:
    """The one rule for which periods take figures (pages, API, uploads alike): a period
    that has ended, or one whose reporting round the statistics office has opened."""
    return round_open or checked_period(period).end_date < today


def entry_period_check(period: str, *, today: date | None = None) -> None:
    """Refuse (`period_not_ended`) saving or submitting figures of a period that has not
    ended and has no open round (a quarter still running, or one years ahead)."""
    today = today or timezone.localdate()
    round_open = ReportingRound.objects.filter(
        period=period, state=ReportingRound.State.OPEN
    ).exists()
    if period_accepts_entry(period, today=today, round_open=round_open):
        return
    ends = checked_period(period).end_date.isoformat()
    raise ApplicationError(
        f"{quarter_text(period)} 尚未结束（{ends} 结束）且未开启填报轮次，不能填报或提交数据。",
        f"{quarter_text(period, 'en')} has not ended yet (it ends on {ends}) and no reporting round is open "
        "for it: figures cannot be entered or submitted.",
        code="period_not_ended",
    )


def enterprise_quarter_scopes(period: str):
    """The scopes of enterprises whose own figures of `period` are under their own review
    (enterprises.quarters): a department's approval or return never decides them."""
    from enterprises.models import EnterprisePeriod

    return EnterprisePeriod.objects.filter(period=period).values("enterprise__code")


def department_items(department: Department, period: str) -> list[StatisticalItem]:
    """The items the department reports for this period (quarterly or yearly ones)."""
    _year, quarter = parse_period(period)
    frequency = "quarter" if quarter else "year"
    return list(
        StatisticalItem.objects.filter(department=department, frequency=frequency)
        .select_related("part_of")
        .order_by("order")
    )


def latest_figures(department: Department, period: str) -> dict[str, Figure]:
    """The newest version (any state but withdrawn) of each item of the department."""
    return {
        figure.item.code: figure
        for figure in Figure.objects.latest()
        .filter(department=department, period=period, scope="")
        .exclude(state=State.WITHDRAWN)
        .select_related("item", "entered_by")
    }


def _counting_history(items: list[StatisticalItem], year: int, quarter: int | None):
    """Same period last year and up to eight earlier periods, from approved figures."""
    last_year_period = Period(year, quarter).same_period_last_year().code
    rows = (
        Figure.objects.counting()
        .filter(scope="", item__in=items)
        .values_list("item__code", "year", "quarter", "period", "value")
    )
    same_period, history = {}, {}
    for code, figure_year, figure_quarter, period, value in rows:
        if period == last_year_period:
            same_period[code] = value
        before = (figure_year, figure_quarter or 0) < (year, quarter or 0)
        if before and bool(figure_quarter) == bool(quarter):
            history.setdefault(code, []).append(((figure_year, figure_quarter or 0), value))
    history = {
        code: [value for _key, value in sorted(values)[-HISTORY_QUARTERS:]]
        for code, values in history.items()
    }
    return same_period, history


def _fossil_energy_tce(values: dict[str, Decimal | None]) -> Decimal | None:
    book = selectors.coefficient_book()
    reported = [fuel for fuel in FOSSIL_FUELS if values.get(fuel) is not None]
    if not reported:
        return None
    return sum((values[fuel] * book.lookup(f"tce.{fuel}").value for fuel in reported), Decimal(0))


def validate_department_period(
    *,
    department: Department,
    period: str,
    values: dict[str, Decimal | None],
    notes: dict[str, str],
    for_submission: bool,
) -> list[validation.Issue]:
    """Hard and soft issues of these values (the form's, an upload's, or the stored ones)."""
    year, quarter = parse_period(period)
    items = department_items(department, period)
    rules = {
        item.code: validation.ItemRule(
            item.code,
            item.name_zh,
            item.name_en or item.code,
            item.non_negative,
            item.part_of.code if item.part_of else None,
        )
        for item in items
    }
    same_period, history = _counting_history(items, year, quarter)
    return validation.validate_values(
        {code: values.get(code) for code in rules},
        notes,
        rules=rules,
        same_period_last_year=same_period,
        history=history,
        fossil_energy_tce=_fossil_energy_tce(values),
        required=set(rules) if for_submission else None,
    )


def figures_approve(submitted: list[Figure], *, superseded, user, now, comment: str) -> None:
    """The submitted versions count from now on, approved with the decision's comment;
    the versions they replace (`superseded`, the same items' counting rows) stop counting.
    A department's period and an enterprise's own quarter approve their figures alike."""
    superseded.exclude(pk__in=[f.pk for f in submitted]).update(counts=False)
    Figure.objects.filter(pk__in=[f.pk for f in submitted]).update(
        state=State.APPROVED,
        counts=True,
        decided_by=user,
        decided_at=now,
        decision_comment=comment,
    )


def period_decision(
    row,
    *,
    state: str,
    user,
    now,
    comment: str,
    object_type: str,
    department_code: str,
    details: dict | None = None,
):
    """Record a reviewer's decision on a submitted period (indicators.models.ReviewedPeriod:
    a department's period or an enterprise's own quarter): its state, who decided when and
    why, a new version, the pages' cache, and the audit record (`approve` or `return`)."""
    old_state = row.state
    row.state, row.decided_by, row.decided_at, row.comment = state, user, now, comment
    row.version += 1
    row.save()
    page_changed()
    audit_record(
        actor=user,
        action="approve" if state == PeriodState.APPROVED else "return",
        object_type=object_type,
        object_id=row.pk,
        department_code=department_code,
        period=row.period,
        old_value=old_state,
        new_value=row.state,
        reason=comment,
        details=details,
    )
    return row


@dataclass(frozen=True)
class EntryValue:
    item_code: str
    value: Decimal | None
    note: str = ""
    expected_version: int | None = None


@transaction.atomic
def department_period_save(
    *,
    department: Department,
    period: str,
    entries: list[EntryValue],
    user,
    reason: str = "",
    batch: ImportBatch | None = None,
) -> list[Figure]:
    """Save the form's values as drafts: one new version per changed value; a stale form
    (someone saved first) is refused with both values; values failing a hard rule are
    refused with every issue. Empty values are left alone."""
    if not permissions.can_enter_figures(user, department.pk):
        raise PermissionRefused(
            "您只能填报本部门的数据。",
            "You can only enter your own department's figures.",
            code="permission_denied",
        )
    year, quarter = parse_period(period)
    entry_period_check(period)
    items = {item.code: item for item in department_items(department, period)}
    unknown = [e.item_code for e in entries if e.item_code not in items]
    if unknown:
        raise ApplicationError(
            f"不属于本部门本期的指标项：{', '.join(unknown)}",
            f"Not an item of this department and period: {', '.join(unknown)}",
            code="unknown_item",
        )
    filled = [e for e in entries if e.value is not None]
    current = latest_figures(department, period)
    values = {code: figure.value for code, figure in current.items()}
    values.update({e.item_code: e.value for e in filled})
    notes = {code: figure.note for code, figure in current.items()}
    notes.update({e.item_code: e.note for e in entries})
    hard = [
        issue
        for issue in validate_department_period(
            department=department, period=period, values=values, notes=notes, for_submission=False
        )
        if issue.severity == validation.HARD
    ]
    if hard:
        raise ApplicationError(
            "有数据未通过校验，未保存。",
            "Some values failed validation; nothing was saved.",
            code="invalid",
            details=[issue.as_dict() for issue in hard],
        )
    inputs, expected = [], {}
    for entry in filled:
        item = items[entry.item_code]
        inputs.append(FigureInput(item, year, quarter, "", entry.value, entry.note))
        if entry.expected_version is not None:
            expected[(item.pk, period, "")] = entry.expected_version
    outcome = figure_record(
        inputs, user=user, state=State.DRAFT, reason=reason, expected_versions=expected, batch=batch
    )
    for figure in outcome.created:
        audit_record(
            actor=user,
            action="figure_enter",
            object_type="figure",
            object_id=figure.pk,
            department_code=department.code,
            period=period,
            old_value=decimal_text(figure.supersedes.value) if figure.supersedes_id else None,
            new_value=decimal_text(figure.value),
            reason=reason,
            details={"item": figure.item.code, "version": figure.version},
        )
    return outcome.created


def _lock(department: Department, period: str) -> DepartmentPeriod:
    checked_period(period)  # a row for `２０２４Q3` would be a phantom beside 2024Q3's
    return department_periods_lock({(department.pk, period)})[(department.pk, period)]


@transaction.atomic
def department_period_submit(*, department: Department, period: str, user) -> DepartmentPeriod:
    """Submit the department's period for approval once every item is filled, no hard rule
    fails and every soft finding is explained in its note."""
    if not permissions.can_enter_figures(user, department.pk):
        raise PermissionRefused(
            "您只能提交本部门的数据。",
            "You can only submit your own department's figures.",
            code="permission_denied",
        )
    entry_period_check(period)
    row = _lock(department, period)
    now = timezone.now()
    if row.state == PeriodState.SUBMITTED:
        raise ApplicationError(
            "已提交，等待审核。", "Already submitted and awaiting approval.", code="invalid_state"
        )
    if row.state == PeriodState.APPROVED and row.pk not in exceptions_active([row], now):
        raise ApplicationError(
            "已审核锁定，不能再次提交。", "Approved and locked.", code="period_locked"
        )
    current = latest_figures(department, period)
    issues = validate_department_period(
        department=department,
        period=period,
        values={code: f.value for code, f in current.items()},
        notes={code: f.note for code, f in current.items()},
        for_submission=True,
    )
    blocking = validation.blocking(issues)
    if blocking:
        raise ApplicationError(
            f"有 {len(blocking)} 个问题需要先处理，未提交。",
            f"{len(blocking)} issue(s) must be resolved first; nothing was submitted.",
            code="validation_failed",
            details=[issue.as_dict() for issue in blocking],
        )
    pending = [f for f in current.values() if f.state in (State.DRAFT, State.RETURNED)]
    Figure.objects.filter(pk__in=[f.pk for f in pending]).update(
        state=State.SUBMITTED, submitted_by=user, submitted_at=now
    )
    old_state = row.state
    row.state, row.submitted_by, row.submitted_at = PeriodState.SUBMITTED, user, now
    row.version += 1
    row.save()
    page_changed()
    audit_record(
        actor=user,
        action="submit",
        object_type="department_period",
        object_id=row.pk,
        department_code=department.code,
        period=period,
        old_value=old_state,
        new_value=row.state,
        details={"figures": len(pending)},
    )
    notify(
        department_staff(department, User.Role.HEAD),
        kind="submitted",
        message_zh=f"{department.name_zh} {quarter_text(period)} 数据已提交，请审核。",
        message_en=f"{department.name_en or department.code} {quarter_text(period, 'en')} was submitted for approval.",
        link=f"/reporting/{period}/review/{department.code}/",
    )
    return row


@transaction.atomic
def department_period_approve(
    *, department: Department, period: str, user, comment: str = ""
) -> DepartmentPeriod:
    """Approve the submitted period: its figures count from now on, the period locks, any
    lock exception ends, and results from its year on are recomputed after commit."""
    if not permissions.can_approve(user, department.pk):
        raise PermissionRefused(
            "只有本部门负责人可以审核。",
            "Only the department's head can approve.",
            code="permission_denied",
        )
    row = _lock(department, period)
    if row.state != PeriodState.SUBMITTED:
        raise ApplicationError(
            f"当前状态为“{in_chinese(row, 'state')}”，不能审核。",
            f"The period is {row.state}; only a submitted one can be approved.",
            code="invalid_state",
        )
    own_review = enterprise_quarter_scopes(period)
    pending = (
        Figure.objects.filter(
            department=department,
            period=period,
            is_latest=True,
            state__in=[State.DRAFT, State.RETURNED],
        )
        .exclude(scope__in=own_review)
        .count()
    )
    if pending:
        raise ApplicationError(
            f"还有 {pending} 项数据未提交，不能审核；请退回部门补充提交。",
            f"{pending} figure(s) of this period are not submitted; return it to the "
            "department to complete the submission.",
            code="not_all_submitted",
        )
    now = timezone.now()
    submitted = list(
        Figure.objects.select_for_update()
        .filter(department=department, period=period, is_latest=True, state=State.SUBMITTED)
        .exclude(scope__in=own_review)
        .order_by("pk")
    )
    submitters = {row.submitted_by_id, *(f.submitted_by_id for f in submitted)}
    if not permissions.can_approve_submission(user, department.pk, submitters):
        raise four_eyes_refusal()
    figures_approve(
        submitted,
        superseded=Figure.objects.filter(
            department=department,
            period=period,
            counts=True,
            item_id__in=[f.item_id for f in submitted],
            scope__in={f.scope for f in submitted},
        ),
        user=user,
        now=now,
        comment=comment,
    )
    LockException.objects.filter(department_period=row, valid_until__gt=now).update(valid_until=now)
    period_decision(
        row,
        state=PeriodState.APPROVED,
        user=user,
        now=now,
        comment=comment,
        object_type="department_period",
        department_code=department.code,
        details={"figures": len(submitted)},
    )
    year, _quarter = parse_period(period)
    recompute_request(from_year=year, reason=f"approve {department.code} {period}")
    notify(
        department_staff(department, User.Role.CLERK, User.Role.HEAD),
        kind="approved",
        message_zh=f"{department.name_zh} {quarter_text(period)} 数据已审核通过。",
        message_en=f"{department.name_en or department.code} {quarter_text(period, 'en')} was approved.",
        link=f"/reporting/{period}/",
    )
    return row


@transaction.atomic
def department_period_return(
    *, department: Department, period: str, user, comment: str
) -> DepartmentPeriod:
    """Return the submitted period to the department with a comment (required)."""
    if not permissions.can_approve(user, department.pk):
        raise PermissionRefused(
            "只有本部门负责人可以退回。",
            "Only the department's head can return figures.",
            code="permission_denied",
        )
    if not comment.strip():
        raise ApplicationError(
            "退回时必须填写意见。",
            "A comment is required to return figures.",
            code="comment_required",
        )
    row = _lock(department, period)
    if row.state != PeriodState.SUBMITTED:
        raise ApplicationError(
            f"当前状态为“{in_chinese(row, 'state')}”，不能退回。",
            f"The period is {row.state}; only a submitted one can be returned.",
            code="invalid_state",
        )
    now = timezone.now()
    Figure.objects.filter(
        department=department, period=period, is_latest=True, state=State.SUBMITTED
    ).exclude(scope__in=enterprise_quarter_scopes(period)).update(
        state=State.RETURNED, decided_by=user, decided_at=now, decision_comment=comment
    )
    period_decision(
        row,
        state=PeriodState.RETURNED,
        user=user,
        now=now,
        comment=comment,
        object_type="department_period",
        department_code=department.code,
    )
    notify(
        department_staff(department, User.Role.CLERK),
        kind="returned",
        message_zh=f"{department.name_zh} {quarter_text(period)} 数据被退回：{comment}",
        message_en=f"{department.name_en or department.code} {quarter_text(period, 'en')} was returned: {comment}",
        link=f"/reporting/{period}/",
    )
    return row


@transaction.atomic
def lock_exception_grant(
    *, department: Department, period: str, reason: str, hours: int, user
) -> LockException:
    """Let the department correct an approved period for `hours` (1 to 168)."""
    if not permissions.can_manage_reference_data(user):
        raise PermissionRefused(
            "只有统计办可以开通解锁。",
            "Only the statistics office can grant a lock exception.",
            code="permission_denied",
        )
    if not reason.strip():
        raise ApplicationError("请填写解锁原因。", "A reason is required.", code="reason_required")
    if not 1 <= hours <= 168:
        raise ApplicationError(
            "解锁时长须在 1 至 168 小时之间。",
            "The exception must last 1 to 168 hours.",
            code="invalid",
        )
    row = _lock(department, period)
    if row.state != PeriodState.APPROVED:
        raise ApplicationError(
            "只有已审核锁定的数据需要解锁。",
            "Only an approved (locked) period needs an exception.",
            code="invalid_state",
        )
    if not permissions.can_grant_lock_exception(user, {row.submitted_by_id}):
        raise PermissionRefused(
            "您提交了本期数据，不能为其开通解锁（四眼原则），请由统计办其他人员办理。",
            "You submitted this period and cannot unlock it yourself (four eyes); another "
            "member of the statistics office must grant the exception.",
            code="four_eyes",
        )
    exception = LockException.objects.create(
        department_period=row,
        reason=reason,
        granted_by=user,
        valid_until=timezone.now() + timedelta(hours=hours),
    )
    page_changed()
    audit_record(
        actor=user,
        action="unlock",
        object_type="department_period",
        object_id=row.pk,
        department_code=department.code,
        period=period,
        reason=reason,
        details={"valid_until": exception.valid_until.isoformat(), "hours": hours},
    )
    notify(
        department_staff(department, User.Role.CLERK, User.Role.HEAD),
        kind="unlocked",
        message_zh=f"{department.name_zh} {quarter_text(period)} 已限时解锁 {hours} 小时，可提交更正：{reason}",
        message_en=f"{department.name_en or department.code} {quarter_text(period, 'en')} is unlocked for "
        f"{hours} h for a correction: {reason}",
        link=f"/reporting/{period}/",
    )
    return exception


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> int:
    """Withdraw every version an upload created, while none of them is approved; the
    versions they replaced are the newest again. Returns how many were withdrawn."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    allowed = (
        permissions.can_run_imports(user)
        if batch.department_id is None
        else permissions.can_enter_figures(user, batch.department_id)
    )
    if not allowed:
        raise PermissionRefused(
            "您不能撤销这次导入。", "You cannot undo this import.", code="permission_denied"
        )
    if batch.status != ImportBatch.Status.APPLIED:
        raise ApplicationError(
            "这次导入不能撤销。", "This import cannot be undone.", code="invalid_state"
        )
    figures = list(batch.figures.select_related("item").order_by("pk"))
    department_periods_lock({(f.department_id, f.period) for f in figures})
    if any(f.state == State.APPROVED for f in figures):
        raise ApplicationError(
            "导入的数据已有审核通过的，不能撤销；请提交更正。",
            "Some imported figures are approved; submit a correction instead.",
            code="already_approved",
        )
    if any(not f.is_latest for f in figures):
        raise ApplicationError(
            "导入后数据又被修改过，不能撤销。",
            "Figures changed after this import; it cannot be undone.",
            code="changed_since",
        )
    now = timezone.now()
    Figure.objects.filter(pk__in=[f.pk for f in figures]).update(
        state=State.WITHDRAWN, is_latest=False
    )
    Figure.objects.filter(pk__in=[f.supersedes_id for f in figures if f.supersedes_id]).update(
        is_latest=True
    )
    # A period the import had put up for review, with nothing submitted left, reopens.
    for department_id, period in {(f.department_id, f.period) for f in figures}:
        still_submitted = Figure.objects.filter(
            department_id=department_id, period=period, is_latest=True, state=State.SUBMITTED
        ).exists()
        if not still_submitted:
            DepartmentPeriod.objects.filter(
                department_id=department_id, period=period, state=PeriodState.SUBMITTED
            ).update(state=PeriodState.OPEN)
    batch.status, batch.undone_by, batch.undone_at = ImportBatch.Status.UNDONE, user, now
    batch.save(update_fields=["status", "undone_by", "undone_at"])
    page_changed()
    audit_record(
        actor=user,
        action="undo",
        object_type="import",
        object_id=batch.pk,
        department_code=batch.department.code if batch.department else "",
        period=batch.period,
        reason=batch.filename,
        details={"figures": len(figures)},
    )
    return len(figures)
