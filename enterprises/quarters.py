"""An enterprise's own quarter (企业季度填报, issue 17 #9): its energy manager enters the
enterprise's quarterly energy figures as drafts and submits them; a head of the supervising
department approves or returns them, like a department's period (reporting/workflow.py),
never the person who submitted (four eyes). One service per transition; each locks the
enterprise-period row first, writes its audit record and notifies the people concerned.

The figures are the engine's enterprise figures (`Figure.scope` = the credit code), so an
approved quarter feeds the enterprise's energy and CO₂ results, its ledger row and the
reconciliation exactly as imported enterprise figures do."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from accounts.selectors import department_staff
from audit.services import audit_record
from dezhou_carbon.display import in_chinese
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises.models import Enterprise, EnterprisePeriod
from indicators import validation
from indicators.cache import page_changed
from indicators.models import Figure, StatisticalItem
from indicators.numbers import decimal_text
from indicators.periods import quarter_text
from indicators.recompute import recompute_request
from indicators.services import FigureInput, figure_record
from reporting.notifications import notify
from reporting.workflow import (
    EntryValue,
    checked_period,
    entry_period_check,
    figures_approve,
    four_eyes_refusal,
    period_decision,
)

State = Figure.State
PeriodState = EnterprisePeriod.State

# What an enterprise reports each quarter (the energy carriers of its energy balance and its
# industrial value added): the items the engine computes an enterprise's energy, CO₂ and
# energy intensity from.
ENTERPRISE_ITEMS = (
    "coal_raw",
    "coal_washed",
    "coke",
    "fuel_oil",
    "gasoline",
    "diesel",
    "lpg",
    "natural_gas",
    "heat_purchased",
    "electricity_grid",
    "electricity_green",
    "electricity_pv",
    "energy_feedstock",
    "iva_current",
)


def enterprise_items() -> list[StatisticalItem]:
    return list(
        StatisticalItem.objects.filter(code__in=ENTERPRISE_ITEMS, frequency="quarter")
        .select_related("part_of")
        .order_by("order", "code")
    )


def enterprise_figures(enterprise: Enterprise, period: str) -> dict[str, Figure]:
    """The newest version (any state but withdrawn) of each of the enterprise's items."""
    return {
        figure.item.code: figure
        for figure in Figure.objects.latest()
        .filter(scope=enterprise.code, period=period, item__code__in=ENTERPRISE_ITEMS)
        .exclude(state=State.WITHDRAWN)
        .select_related("item", "entered_by")
    }


def quarter_checked(period: str) -> str:
    """A canonical quarter code (`2026Q3`); a year or a malformed code is refused."""
    checked = checked_period(period)
    if checked.quarter is None:
        raise ApplicationError(
            "企业按季度填报，请选择季度（例如 2026Q3）。",
            "Enterprises report by quarter: choose a quarter (e.g. 2026Q3).",
            code="bad_period",
        )
    return checked.code


def _entry_refused(user, enterprise: Enterprise, where: str) -> PermissionRefused:
    """Someone who may not enter this enterprise's figures tried: an energy manager of
    another enterprise is audited as an attempt to reach it."""
    if permissions.is_energy_manager(user):
        from enterprises.services import enterprise_access_refused_record

        enterprise_access_refused_record(user=user, code=enterprise.code, where=where)
    return PermissionRefused(
        "您只能填报和提交本企业的数据。",
        "You can only enter and submit your own enterprise's figures.",
        code="permission_denied",
    )


def imported_approved(enterprise: Enterprise, period: str) -> bool:
    """The quarter's figures are already in force from an import (the statistics office's
    approved history): the enterprise's own quarter starts approved, a correction is the
    supervising department's (nothing is overwritten without a reason)."""
    return (
        Figure.objects.latest()
        .filter(scope=enterprise.code, period=period, state=State.APPROVED)
        .exists()
    )


def quarter_state(enterprise: Enterprise, period: str, row: EnterprisePeriod | None) -> str:
    """The quarter's state as its page shows it (before its row exists too)."""
    if row is not None:
        return row.state
    return PeriodState.APPROVED if imported_approved(enterprise, period) else PeriodState.OPEN


def _lock(enterprise: Enterprise, period: str) -> EnterprisePeriod:
    row, created = EnterprisePeriod.objects.get_or_create(enterprise=enterprise, period=period)
    if created and imported_approved(enterprise, period):
        EnterprisePeriod.objects.filter(pk=row.pk).update(state=PeriodState.APPROVED)
    return EnterprisePeriod.objects.select_for_update().get(enterprise=enterprise, period=period)


def _open_for_entry(row: EnterprisePeriod) -> None:
    if row.state == PeriodState.SUBMITTED:
        raise ApplicationError(
            f"{quarter_text(row.period)} 的数据已提交待审核，不能修改；如需修改，请主管部门退回。",
            f"{quarter_text(row.period, 'en')} is submitted for review and cannot change; ask "
            "the supervising department to return it.",
            code="period_submitted",
        )
    if row.state == PeriodState.APPROVED:
        raise ApplicationError(
            f"{quarter_text(row.period)} 的数据已审核锁定；如需更正，请申请更正，由主管部门负责人重新打开。",
            f"{quarter_text(row.period, 'en')} is approved and locked; ask for a correction, "
            "which a head of the supervising department reopens.",
            code="period_locked",
        )


def validate_quarter(
    values: dict[str, Decimal | None], notes: dict[str, str], *, for_submission: bool
) -> list[validation.Issue]:
    """The hard and soft rules of the department form, on the enterprise's items."""
    rules = {
        item.code: validation.ItemRule(
            item.code,
            item.name_zh,
            item.name_en or item.code,
            item.non_negative,
            item.part_of.code if item.part_of else None,
        )
        for item in enterprise_items()
    }
    return validation.validate_values(
        {code: values.get(code) for code in rules},
        notes,
        rules=rules,
        required=set(rules) if for_submission else None,
    )


def enterprise_quarter_save(
    *,
    enterprise: Enterprise,
    period: str,
    entries: list[EntryValue],
    user,
    where: str = "",
    batch=None,
) -> list[Figure]:
    """Save the enterprise's values of a quarter as drafts (one new version per changed
    value); a stale form, an item that is not the enterprise's, or a value failing a hard
    rule is refused with nothing written."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, where or "enterprise_quarter_save")
    period = quarter_checked(period)
    entry_period_check(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _open_for_entry(row)
        items = {item.code: item for item in enterprise_items()}
        unknown = [e.item_code for e in entries if e.item_code not in items]
        if unknown:
            raise ApplicationError(
                f"不属于企业填报的指标项：{', '.join(unknown)}",
                f"Not an item enterprises report: {', '.join(unknown)}",
                code="unknown_item",
            )
        filled = [e for e in entries if e.value is not None]
        current = enterprise_figures(enterprise, period)
        values = {code: figure.value for code, figure in current.items()}
        values.update({e.item_code: e.value for e in filled})
        notes = {code: figure.note for code, figure in current.items()}
        notes.update({e.item_code: e.note for e in entries})
        hard = [
            issue
            for issue in validate_quarter(values, notes, for_submission=False)
            if issue.severity == validation.HARD
        ]
        if hard:
            raise ApplicationError(
                "有数据未通过校验，未保存。",
                "Some values failed validation; nothing was saved.",
                code="invalid",
                details=[issue.as_dict() for issue in hard],
            )
        checked = checked_period(period)
        inputs, expected = [], {}
        for entry in filled:
            item = items[entry.item_code]
            inputs.append(
                FigureInput(
                    item, checked.year, checked.quarter, enterprise.code, entry.value, entry.note
                )
            )
            if entry.expected_version is not None:
                expected[(item.pk, period, enterprise.code)] = entry.expected_version
        outcome = figure_record(
            inputs,
            user=user,
            state=State.DRAFT,
            reason=row.reopen_reason,  # a correction revises approved figures: its reason
            expected_versions=expected,
            enterprise_period=True,
            batch=batch,  # an upload's (enterprises.quarter_file)
        )
        department_code = enterprise.supervising_department.code
        for figure in outcome.created:
            audit_record(
                actor=user,
                action="figure_enter",
                object_type="figure",
                object_id=figure.pk,
                department_code=department_code,
                period=period,
                old_value=decimal_text(figure.supersedes.value) if figure.supersedes_id else None,
                new_value=decimal_text(figure.value),
                reason=figure.reason,
                details={
                    "item": figure.item.code,
                    "version": figure.version,
                    "scope": enterprise.code,
                },
            )
        return outcome.created


def enterprise_quarter_submit(
    *, enterprise: Enterprise, period: str, user, where: str = ""
) -> EnterprisePeriod:
    """Submit the enterprise's quarter for review once every item is filled, no hard rule
    fails and every soft finding is explained in its note."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, where or "enterprise_quarter_submit")
    period = quarter_checked(period)
    entry_period_check(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _open_for_entry(row)
        current = enterprise_figures(enterprise, period)
        issues = validate_quarter(
            {code: f.value for code, f in current.items()},
            {code: f.note for code, f in current.items()},
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
        now = timezone.now()
        pending = [f for f in current.values() if f.state in (State.DRAFT, State.RETURNED)]
        Figure.objects.filter(pk__in=[f.pk for f in pending]).update(
            state=State.SUBMITTED, submitted_by=user, submitted_at=now
        )
        old_state = row.state
        row.state, row.submitted_by, row.submitted_at = PeriodState.SUBMITTED, user, now
        row.version += 1
        row.save()
        page_changed()
        department = enterprise.supervising_department
        audit_record(
            actor=user,
            action="submit",
            object_type="enterprise_period",
            object_id=row.pk,
            department_code=department.code,
            period=period,
            old_value=old_state,
            new_value=row.state,
            details={"figures": len(pending), "scope": enterprise.code},
        )
        notify(
            department_staff(department, User.Role.HEAD),
            kind="submitted",
            message_zh=f"{enterprise.name} {quarter_text(period)} 企业数据已提交，请审核。",
            message_en=f"{enterprise.name} ({enterprise.code}) {quarter_text(period, 'en')} "
            "was submitted for review.",
            link=quarter_link(enterprise, period),
        )
        return row


def quarter_link(enterprise: Enterprise, period: str) -> str:
    from django.urls import reverse

    return reverse("enterprises:quarter", args=[enterprise.code, period])


def _managers(enterprise: Enterprise) -> list[User]:
    return list(
        User.objects.filter(enterprise=enterprise, role=User.Role.ENERGY_MANAGER, is_active=True)
    )


def _review_refused(verb_zh: str, verb_en: str) -> PermissionRefused:
    return PermissionRefused(
        f"只有企业主管部门的负责人可以{verb_zh}。",
        f"Only a head of the enterprise's supervising department can {verb_en}.",
        code="permission_denied",
    )


def _submitted(row: EnterprisePeriod, verb_zh: str, verb_en: str) -> None:
    if row.state != PeriodState.SUBMITTED:
        raise ApplicationError(
            f"当前状态为“{in_chinese(row, 'state')}”，不能{verb_zh}。",
            f"The quarter is {row.state}; only a submitted one can be {verb_en}.",
            code="invalid_state",
        )


def enterprise_quarter_approve(
    *, enterprise: Enterprise, period: str, user, comment: str = ""
) -> EnterprisePeriod:
    """Approve the submitted quarter: its figures count from now on, the quarter locks,
    and the enterprise's results from its year on are recomputed after commit."""
    department = enterprise.supervising_department
    if not permissions.can_approve(user, department.pk):
        raise _review_refused("审核", "approve")
    period = quarter_checked(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _submitted(row, "审核", "approved")
        submitted = list(
            Figure.objects.select_for_update()
            .filter(scope=enterprise.code, period=period, is_latest=True, state=State.SUBMITTED)
            .order_by("pk")
        )
        submitters = {row.submitted_by_id, *(f.submitted_by_id for f in submitted)}
        if not permissions.can_review_enterprise_period(user, enterprise, submitters):
            raise four_eyes_refusal()
        # Σ enterprises beyond the park's approved figure: refused, nothing written.
        from enterprises.excess import refuse_excess

        refuse_excess(enterprise=enterprise, period=period, figures=submitted)
        now = timezone.now()
        figures_approve(
            submitted,
            superseded=Figure.objects.filter(
                scope=enterprise.code,
                period=period,
                counts=True,
                item_id__in=[f.item_id for f in submitted],
            ),
            user=user,
            now=now,
            comment=comment,
        )
        period_decision(
            row,
            state=PeriodState.APPROVED,
            user=user,
            now=now,
            comment=comment,
            object_type="enterprise_period",
            department_code=department.code,
            details={"figures": len(submitted), "scope": enterprise.code},
        )
        recompute_request(
            from_year=checked_period(period).year,
            scopes={enterprise.code},
            reason=f"approve {enterprise.code} {period}",
        )
        notify(
            _managers(enterprise),
            kind="approved",
            message_zh=f"{enterprise.name} {quarter_text(period)} 企业数据已审核通过。",
            message_en=f"{enterprise.name} {quarter_text(period, 'en')} was approved.",
            link=quarter_link(enterprise, period),
        )
        return row


def enterprise_quarter_return(
    *, enterprise: Enterprise, period: str, user, comment: str
) -> EnterprisePeriod:
    """Return the submitted quarter to the enterprise with a comment (required)."""
    department = enterprise.supervising_department
    if not permissions.can_approve(user, department.pk):
        raise _review_refused("退回", "return figures")
    if not comment.strip():
        raise ApplicationError(
            "退回时必须填写意见。",
            "A comment is required to return figures.",
            code="comment_required",
        )
    period = quarter_checked(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _submitted(row, "退回", "returned")
        now = timezone.now()
        Figure.objects.filter(
            scope=enterprise.code, period=period, is_latest=True, state=State.SUBMITTED
        ).update(state=State.RETURNED, decided_by=user, decided_at=now, decision_comment=comment)
        period_decision(
            row,
            state=PeriodState.RETURNED,
            user=user,
            now=now,
            comment=comment,
            object_type="enterprise_period",
            department_code=department.code,
            details={"scope": enterprise.code},
        )
        notify(
            _managers(enterprise),
            kind="returned",
            message_zh=f"{enterprise.name} {quarter_text(period)} 企业数据被退回：{comment}",
            message_en=f"{enterprise.name} {quarter_text(period, 'en')} was returned: {comment}",
            link=quarter_link(enterprise, period),
        )
        return row


def _reason(reason: str, zh: str, en: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ApplicationError(zh, en, code="reason_required")
    if len(reason) > 2000:
        raise ApplicationError(
            "理由不能超过 2000 个字符。",
            "The reason cannot be longer than 2,000 characters.",
            code="too_long",
        )
    return reason


def _approved(row: EnterprisePeriod, verb_zh: str, verb_en: str) -> None:
    if row.state != PeriodState.APPROVED:
        raise ApplicationError(
            f"当前状态为“{in_chinese(row, 'state')}”，只有已审核的季度可以{verb_zh}。",
            f"The quarter is {row.state}; only an approved one can be {verb_en}.",
            code="invalid_state",
        )


def enterprise_quarter_correction_request(
    *, enterprise: Enterprise, period: str, user, reason: str, where: str = ""
) -> EnterprisePeriod:
    """The enterprise's energy manager asks for a correction of an approved quarter, with
    a reason; a head of the supervising department decides (reopens it or not)."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, where or "enterprise_quarter_correction_request")
    reason = _reason(reason, "请填写更正理由。", "Say why the quarter needs a correction.")
    period = quarter_checked(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _approved(row, "申请更正", "corrected")
        if row.correction_requested_at is not None:
            raise ApplicationError(
                "已申请更正，等待主管部门处理。",
                "A correction was already asked for; the supervising department decides.",
                code="already_requested",
            )
        row.correction_request = reason
        row.correction_requested_by, row.correction_requested_at = user, timezone.now()
        row.save()
        page_changed()
        department = enterprise.supervising_department
        audit_record(
            actor=user,
            action="enterprise_quarter_correction_request",
            object_type="enterprise_period",
            object_id=row.pk,
            department_code=department.code,
            period=period,
            reason=reason,
            details={"scope": enterprise.code},
        )
        notify(
            department_staff(department, User.Role.HEAD),
            kind="correction_requested",
            message_zh=f"{enterprise.name} 申请更正 {quarter_text(period)} 企业数据：{reason}",
            message_en=f"{enterprise.name} asks to correct {quarter_text(period, 'en')}: {reason}",
            link=quarter_link(enterprise, period),
        )
        return row


def enterprise_quarter_reopen(
    *, enterprise: Enterprise, period: str, user, reason: str
) -> EnterprisePeriod:
    """A head of the supervising department reopens an approved quarter for a correction,
    with a reason (on the energy manager's request or on its own finding). Nothing is
    overwritten: the approved figures keep counting; the corrected values are new
    versions carrying the reason, submitted and approved again like the first time."""
    department = enterprise.supervising_department
    if not permissions.can_approve(user, department.pk):
        raise _review_refused("重新打开更正", "reopen a quarter for a correction")
    reason = _reason(reason, "请填写更正原因。", "A reason for the correction is required.")
    period = quarter_checked(period)
    with transaction.atomic():
        row = _lock(enterprise, period)
        _approved(row, "重新打开更正", "reopened")
        now = timezone.now()
        row.state = PeriodState.OPEN
        row.reopen_reason, row.reopened_by, row.reopened_at = reason, user, now
        requested = row.correction_request
        row.correction_request, row.correction_requested_by, row.correction_requested_at = (
            "",
            None,
            None,
        )
        row.version += 1
        row.save()
        page_changed()
        audit_record(
            actor=user,
            action="enterprise_quarter_reopen",
            object_type="enterprise_period",
            object_id=row.pk,
            department_code=department.code,
            period=period,
            old_value=PeriodState.APPROVED,
            new_value=row.state,
            reason=reason,
            details={"scope": enterprise.code, "requested": requested},
        )
        notify(
            _managers(enterprise),
            kind="reopened",
            message_zh=f"{enterprise.name} {quarter_text(period)} 企业数据已重新打开更正：{reason}",
            message_en=f"{enterprise.name} {quarter_text(period, 'en')} was reopened for a "
            f"correction: {reason}",
            link=quarter_link(enterprise, period),
        )
        return row
