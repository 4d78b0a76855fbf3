"""The quarterly reporting of the plan's work (management.md §3), one service function per
transition, each audited and told to the people who act next:

    unit reports its part ─ part_report_submit ─▶ submitted
    its head ─ part_report_approve ─▶ approved   (or part_report_return ─▶ returned)
    the lead unit's head ─ part_report_cosign ─▶ cosigned (会签; supporting parts only)
    the committee ─ work_item_verify ─▶ every part verified, the item 已销号
                  ─ work_item_verification_return ─▶ the lead's report returned, with comment

Reports are made inside the open reporting round of a quarter. Four eyes: whoever
submitted a report never approves, co-signs or verifies it (accounts.permissions).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from accounts.selectors import department_staff, people_with_role
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.files import evidence_file_check
from indicators.cache import page_changed
from indicators.numbers import NumberRefused, decimal_text, parse_number
from reporting.models import ReportingRound
from reporting.notifications import notify
from tasks.models import PartEvidence, PartReport, WorkItem, WorkItemPart

State = PartReport.State
TODO_LINK = "/tasks/todo/"
VERIFY_LINK = "/tasks/verification/"


def _bump_boards() -> None:
    """Cached pages that show work-item progress are rebuilt (indicators.cache)."""
    page_changed()


def _heads(department) -> list[User]:
    return department_staff(department, User.Role.HEAD)


def _lead_part(item: WorkItem) -> WorkItemPart | None:
    return item.parts.select_related("department").filter(role="lead").first()


def _refuse_state(report: PartReport, expected: str):
    return ApplicationError(
        f"该报告当前为“{report.get_state_display()}”，不能执行该操作。",
        f"The report is {report.state}; expected {expected}.",
        code="invalid_state",
    )


def _require_open_round(period: str) -> None:
    if not ReportingRound.objects.filter(
        period=period, quarter__isnull=False, state=ReportingRound.State.OPEN
    ).exists():
        raise ApplicationError(
            f"{period} 没有进行中的季度填报轮次，不能报送任务进展。",
            f"There is no open quarterly reporting round for {period}.",
            code="period_not_open",
        )


def _quantity(item: WorkItem, quantity, unit: str) -> Decimal | None:
    """The reported quantity in the item's own unit; a quantity in another unit (or for an
    item without one) is refused."""
    if quantity is None or (isinstance(quantity, str) and not quantity.strip()):
        return None
    if not item.quantity_unit:
        raise ApplicationError(
            f"工作要点 {item.code} 没有计量单位，不需要填写数量。",
            f"Work item {item.code} has no quantity to report.",
            code="no_quantity",
        )
    unit = (unit or "").strip()
    if unit and unit != item.quantity_unit:
        raise ApplicationError(
            f"数量的单位应为“{item.quantity_unit}”，而不是“{unit}”。",
            f"The quantity must be in {item.quantity_unit}, not {unit}.",
            code="wrong_unit",
        )
    try:
        value = quantity if isinstance(quantity, Decimal) else parse_number(str(quantity))
    except NumberRefused as refused:
        raise ApplicationError(
            f"数量无效：{refused.message_zh}",
            f"Invalid quantity: {refused.message_en}",
            code="invalid_quantity",
        ) from None
    if value < 0:
        raise ApplicationError(
            "数量不能为负数。", "The quantity cannot be negative.", code="invalid_quantity"
        )
    return value


@transaction.atomic
def part_report_submit(
    *,
    part: WorkItemPart,
    period: str,
    progress: str,
    narrative: str,
    user,
    quantity=None,
    quantity_unit: str = "",
    files=(),
) -> PartReport:
    """A unit reports its part for the quarter `period` (status, quantity, narrative,
    evidence files). A report still awaiting its head, or returned, may be reported again;
    a decided one may not. Refused (zh/en, nothing written) for another unit's part, a
    period without an open round, a bad status, a quantity in the wrong unit, no narrative,
    or an evidence file that is too large or of a forbidden type."""
    part = WorkItemPart.objects.select_related("work_item", "department").get(pk=part.pk)
    item = part.work_item
    if not permissions.can_report_part(user, part.department_id):
        raise PermissionRefused(
            "只能报送本单位承担的工作要点分工。",
            "You can only report your own unit's parts.",
            code="permission_denied",
        )
    _require_open_round(period)
    if progress not in PartReport.Progress.values:
        raise ApplicationError("进展状态无效。", "Invalid progress status.", code="invalid")
    if not (narrative or "").strip():
        raise ApplicationError(
            "请填写进展情况。", "A narrative of the progress is required.", code="required"
        )
    value = _quantity(item, quantity, quantity_unit)
    checked = [(upload, evidence_file_check(upload)) for upload in files]
    report = PartReport.objects.select_for_update().filter(part=part, period=period).first()
    old = None
    now = timezone.now()
    if report is None:
        report = PartReport(part=part, period=period)
    else:
        if report.state not in (State.SUBMITTED, State.RETURNED):
            raise _refuse_state(report, "submitted or returned")
        old = {"state": report.state, "progress": report.progress}
    report.progress, report.narrative, report.quantity = progress, narrative.strip(), value
    report.state, report.submitted_by, report.submitted_at = State.SUBMITTED, user, now
    report.approved_by = report.approved_at = None
    report.cosigned_by = report.cosigned_at = None
    report.save()
    for upload, checked_file in checked:
        PartEvidence.objects.create(
            report=report,
            file=upload,
            name=checked_file.name,
            kind=checked_file.kind,
            size=checked_file.size,
            sha256=checked_file.sha256,
            uploaded_by=user,
        )
    audit_record(
        actor=user,
        action="part_report_submit",
        object_type="part_report",
        object_id=report.pk,
        department_code=part.department.code,
        period=period,
        old_value=old,
        new_value={
            "work_item": item.code,
            "progress": progress,
            "quantity": decimal_text(value),
            "unit": item.quantity_unit if value is not None else "",
            "evidence": [c.sha256 for _u, c in checked],
        },
        reason=report.narrative[:500],
    )
    notify(
        [h for h in _heads(part.department) if h.pk != user.pk],
        kind="part_report_submitted",
        message_zh=f"工作要点 {item.code}（{part.department.name_zh}）{period} 进展待审核。",
        message_en=f"Work item {item.code} ({part.department.code}) {period} awaits approval.",
        link=TODO_LINK,
    )
    _bump_boards()
    return report


def _locked(report: PartReport) -> PartReport:
    return (
        PartReport.objects.select_for_update(of=("self",))
        .select_related("part__work_item", "part__department")
        .get(pk=report.pk)
    )


@transaction.atomic
def part_report_approve(*, report: PartReport, user) -> PartReport:
    """The unit's head approves its report (never their own: four eyes)."""
    report = _locked(report)
    part = report.part
    if not permissions.can_approve_submission(user, part.department_id, [report.submitted_by_id]):
        raise PermissionRefused(
            "只有本单位负责人可以审核，且报送人不能审核自己的报告。",
            "Only the unit's head can approve, and never their own report.",
            code="four_eyes" if user.pk == report.submitted_by_id else "permission_denied",
        )
    if report.state != State.SUBMITTED:
        raise _refuse_state(report, "submitted")
    report.state, report.approved_by, report.approved_at = State.APPROVED, user, timezone.now()
    report.save()
    _audit(report, user, "part_report_approve", State.SUBMITTED)
    if not part.is_lead:
        lead = _lead_part(part.work_item)
        if lead is not None:
            notify(
                _heads(lead.department),
                kind="part_report_cosign",
                message_zh=f"配合单位{part.department.name_zh}的工作要点 {part.work_item.code}"
                f" {report.period} 进展待会签。",
                message_en=f"{part.department.code}'s part of {part.work_item.code} "
                f"{report.period} awaits your co-sign.",
                link=TODO_LINK,
            )
    _bump_boards()
    return report


@transaction.atomic
def part_report_return(*, report: PartReport, user, comment: str) -> PartReport:
    """Return a report with a comment: its unit's head (submitted), or the lead unit's head
    at co-signing (an approved supporting part)."""
    report = _locked(report)
    part = report.part
    if not (comment or "").strip():
        raise ApplicationError("请填写退回意见。", "A comment is required.", code="required")
    if report.state == State.SUBMITTED:
        allowed = permissions.can_approve_submission(
            user, part.department_id, [report.submitted_by_id]
        )
    elif report.state == State.APPROVED and not part.is_lead:
        lead = _lead_part(part.work_item)
        allowed = lead is not None and permissions.can_approve_submission(
            user, lead.department_id, [report.submitted_by_id, report.approved_by_id]
        )
    else:
        raise _refuse_state(report, "submitted, or an approved supporting part")
    if not allowed:
        raise PermissionRefused(
            "您不能退回该报告。", "You cannot return this report.", code="permission_denied"
        )
    old = report.state
    report.state, report.return_comment = State.RETURNED, comment.strip()
    report.returned_by, report.returned_at = user, timezone.now()
    report.save()
    _audit(report, user, "part_report_return", old, reason=report.return_comment)
    _tell_unit_returned(report)
    _bump_boards()
    return report


@transaction.atomic
def part_report_cosign(*, report: PartReport, user) -> PartReport:
    """The lead unit's head co-signs (会签) an approved supporting part. Refused for a unit
    that is not the lead, for the lead's own part, and for whoever reported or approved it."""
    report = _locked(report)
    part = report.part
    lead = _lead_part(part.work_item)
    if part.is_lead or lead is None:
        raise ApplicationError(
            "牵头单位自己的分工无需会签。",
            "The lead unit's own part needs no co-sign.",
            code="invalid",
        )
    if not permissions.can_approve(user, lead.department_id):
        raise PermissionRefused(
            f"只有牵头单位（{lead.department.name_zh}）负责人可以会签配合单位的分工。",
            f"Only the lead unit's ({lead.department.code}) head can co-sign a supporting part.",
            code="cosign_not_lead",
        )
    if not permissions.can_approve_submission(
        user, lead.department_id, [report.submitted_by_id, report.approved_by_id]
    ):
        raise PermissionRefused(
            "不能会签自己报送或审核的报告。",
            "You cannot co-sign a report you reported or approved.",
            code="four_eyes",
        )
    if report.state != State.APPROVED:
        raise _refuse_state(report, "approved")
    report.state, report.cosigned_by, report.cosigned_at = State.COSIGNED, user, timezone.now()
    report.save()
    _audit(report, user, "part_report_cosign", State.APPROVED)
    _bump_boards()
    return report


def verification_readiness(item: WorkItem, period: str) -> tuple[PartReport | None, list]:
    """(the lead's report of `period`, the supporting parts not co-signed yet)."""
    reports = {
        r.part_id: r
        for r in PartReport.objects.filter(part__work_item=item, period=period).select_related(
            "part__department"
        )
    }
    lead_report, missing = None, []
    for part in item.parts.select_related("department"):
        report = reports.get(part.pk)
        if part.is_lead:
            lead_report = report
        elif report is None or report.state != State.COSIGNED:
            missing.append(part.department)
    return lead_report, missing


def _require_committee(user, report: PartReport | None) -> None:
    submitted = [report.submitted_by_id, report.approved_by_id] if report else []
    if not permissions.can_verify_work_items(user, submitted):
        raise PermissionRefused(
            "只有管委会可以核验销号工作要点。",
            "Only the management committee can verify work items.",
            code="permission_denied",
        )


@transaction.atomic
def work_item_verify(*, item: WorkItem, period: str, user, comment: str = "") -> WorkItem:
    """The committee verifies (销号) a work item from the evidence: the lead's approved
    report of `period` says it is done and every supporting part is co-signed."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    lead_report, missing = verification_readiness(item, period)
    _require_committee(user, lead_report)
    if item.verified_at is not None:
        raise ApplicationError("该工作要点已销号。", "Already verified.", code="invalid_state")
    if lead_report is None or lead_report.state != State.APPROVED:
        raise ApplicationError(
            "牵头单位的本期进展尚未审核，不能销号。",
            "The lead unit's report for this quarter is not approved yet.",
            code="not_ready",
        )
    if lead_report.progress != PartReport.Progress.DONE:
        raise ApplicationError(
            "牵头单位未报告完成，不能销号。",
            "The lead unit has not reported the item done.",
            code="not_ready",
        )
    if missing:
        names = "、".join(d.name_zh for d in missing)
        raise ApplicationError(
            f"配合单位尚未全部会签：{names}。",
            f"Supporting parts not co-signed yet: {', '.join(d.code for d in missing)}.",
            code="not_ready",
        )
    now = timezone.now()
    PartReport.objects.filter(part__work_item=item, period=period).update(
        state=State.VERIFIED, verified_by=user, verified_at=now
    )
    item.verified_at, item.verified_by, item.verified_period = now, user, period
    item.save(update_fields=["verified_at", "verified_by", "verified_period"])
    audit_record(
        actor=user,
        action="work_item_verify",
        object_type="work_item",
        object_id=item.pk,
        department_code=lead_report.part.department.code,
        period=period,
        old_value=State.APPROVED,
        new_value=State.VERIFIED,
        reason=comment,
        details={"work_item": item.code},
    )
    notify(
        department_staff(lead_report.part.department),
        kind="work_item_verified",
        message_zh=f"工作要点 {item.code} 已由管委会核验销号。",
        message_en=f"Work item {item.code} was verified by the committee.",
        link=TODO_LINK,
    )
    _bump_boards()
    return item


@transaction.atomic
def work_item_verification_return(*, item: WorkItem, period: str, user, comment: str) -> PartReport:
    """The committee returns the lead's report with a comment instead of verifying."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    lead_report, _missing = verification_readiness(item, period)
    _require_committee(user, lead_report)
    if not (comment or "").strip():
        raise ApplicationError("请填写退回意见。", "A comment is required.", code="required")
    if lead_report is None or lead_report.state != State.APPROVED:
        raise ApplicationError(
            "没有待核验的牵头单位报告。",
            "There is no lead report awaiting verification.",
            code="not_ready",
        )
    report = _locked(lead_report)
    report.state, report.return_comment = State.RETURNED, comment.strip()
    report.returned_by, report.returned_at = user, timezone.now()
    report.save()
    _audit(report, user, "work_item_verification_return", State.APPROVED, reason=comment)
    _tell_unit_returned(report)
    _bump_boards()
    return report


@transaction.atomic
def work_item_plan_set(
    *,
    item: WorkItem,
    user,
    reason: str,
    due_year: int | None,
    due_quarter: int | None,
    quantity_unit: str = "",
    quantity_target=None,
) -> WorkItem:
    """The committee sets what the plan left open: the due quarter and the quantity (unit,
    target) of a work item. Audited with the old and new values."""
    if not permissions.can_plan_work_items(user):
        raise PermissionRefused(
            "只有管委会可以设定工作要点的完成时限和数量。",
            "Only the management committee can set a work item's due quarter and quantity.",
            code="permission_denied",
        )
    if not (reason or "").strip():
        raise ApplicationError("请填写原因。", "A reason is required.", code="reason_required")
    if due_quarter is not None and due_quarter not in (1, 2, 3, 4):
        raise ApplicationError("季度应为 1—4。", "The quarter must be 1–4.", code="invalid")
    if due_year is not None and not 2020 <= int(due_year) <= 2100:
        raise ApplicationError("完成年份无效。", "Invalid due year.", code="invalid")
    target = None
    if quantity_target not in (None, ""):
        try:
            target = (
                quantity_target
                if isinstance(quantity_target, Decimal)
                else parse_number(str(quantity_target))
            )
        except NumberRefused as refused:
            raise ApplicationError(
                f"目标数量无效：{refused.message_zh}",
                f"Invalid quantity target: {refused.message_en}",
                code="invalid_quantity",
            ) from None
        if not quantity_unit.strip():
            raise ApplicationError(
                "有目标数量时须填写计量单位。",
                "A quantity target needs a unit.",
                code="required",
            )
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    old = {
        "due": f"{item.due_year}Q{item.due_quarter}" if item.due_year else None,
        "unit": item.quantity_unit,
        "target": decimal_text(item.quantity_target),
    }
    item.due_year = due_year
    item.due_quarter = (due_quarter or 4) if due_year else None
    item.quantity_unit, item.quantity_target = quantity_unit.strip(), target
    item.save()
    audit_record(
        actor=user,
        action="work_item_plan_set",
        object_type="work_item",
        object_id=item.pk,
        old_value=old,
        new_value={
            "due": f"{item.due_year}Q{item.due_quarter}" if item.due_year else None,
            "unit": item.quantity_unit,
            "target": decimal_text(item.quantity_target),
        },
        reason=reason.strip(),
        details={"work_item": item.code},
    )
    _bump_boards()
    return item


def part_report_reminders_send(*, reporting_round: ReportingRound, kind: str) -> int:
    """Remind the staff of every unit that has not reported all its open parts in a
    quarter's round, with the round's figure reminders (`kind` deadline_near or
    deadline_passed; reporting.services.reminders_send). Each person gets each reminder
    once. Returns how many were sent."""
    from tasks.selectors import part_completeness

    if reporting_round.quarter is None:
        return 0
    period, deadline = reporting_round.period, reporting_round.deadline.isoformat()
    sent = 0
    for row in part_completeness(period):
        if row.done:
            continue
        if kind == "deadline_near":
            zh = f"{period} 任务进展将于 {deadline} 截止，{row.department.name_zh}还有 {row.missing} 项工作要点分工未报送。"
            en = (
                f"{period} task progress is due on {deadline}; {row.department.code} has "
                f"{row.missing} part(s) of work items still to report."
            )
        else:
            zh = f"{period} 任务进展已于 {deadline} 截止，{row.department.name_zh}还有 {row.missing} 项工作要点分工未报送。"
            en = (
                f"{period} task progress was due on {deadline}; {row.department.code} has "
                f"not reported {row.missing} part(s) of work items."
            )
        sent += notify(
            department_staff(row.department),
            kind=f"parts_{kind}",
            message_zh=zh,
            message_en=en,
            link=TODO_LINK,
            dedupe_key=f"parts_{kind}:{period}",
            email=True,
        )
    return sent


def _audit(report: PartReport, user, action: str, old: str, reason: str = "") -> None:
    audit_record(
        actor=user,
        action=action,
        object_type="part_report",
        object_id=report.pk,
        department_code=report.part.department.code,
        period=report.period,
        old_value=old,
        new_value=report.state,
        reason=reason,
        details={"work_item": report.part.work_item.code},
    )


def _tell_unit_returned(report: PartReport) -> None:
    notify(
        department_staff(report.part.department),
        kind="part_report_returned",
        message_zh=f"工作要点 {report.part.work_item.code} {report.period} 的进展被退回：{report.return_comment}",
        message_en=f"Your report on {report.part.work_item.code} {report.period} was returned: "
        f"{report.return_comment}",
        link=TODO_LINK,
    )


def committee_members() -> list[User]:
    return people_with_role(User.Role.COMMITTEE)


def today() -> dt.date:
    return timezone.localdate()
