"""Writes of the committee's side: raising warnings from the stored results, the warning
response loop (acknowledge → the head's sign-off or return → resolve → close, evidence files
attached on the way), escalation of overdue ones, and the lead
departments' progress on their tasks. Every step is audited and notified."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from accounts.selectors import department_staff, people_with_role
from audit.services import audit_record
from dashboards.models import EarlyWarning, ProgressReport, WarningEvidence, WarningProgress
from dezhou_carbon.display import in_chinese, in_english
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.files import EvidenceFileRefused, evidence_file_check
from indicators.cache import page_changed
from indicators.models import DepartmentPeriod, EngineAlert, IndicatorResult, Target
from indicators.periods import quarter_text, ytd_text
from indicators.units import unit_text
from reporting.models import ReportingRound
from reporting.notifications import notify
from tasks.models import Department, Responsibility, Task

logger = logging.getLogger(__name__)
State = EarlyWarning.State
WARNING_STATUSES = {"yellow": EarlyWarning.Level.YELLOW, "red": EarlyWarning.Level.RED}
DEADLINE_RED_AFTER_DAYS = 30


def target_owners() -> dict[int, Department]:
    """The unit that owns each target's gap: its own owner when set (industrial solid waste
    → 生态环境分局), otherwise the lead department of its first task."""
    leads = {
        r.task_id: r.department
        for r in Responsibility.objects.filter(role=Responsibility.Role.LEAD)
        .select_related("department")
        .order_by("task_id", "order")
    }
    owners = {}
    for target in Target.objects.select_related("owner").prefetch_related("tasks"):
        if target.owner is not None:
            owners[target.pk] = target.owner
            continue
        tasks = sorted(target.tasks.all(), key=lambda t: t.order)
        for task in tasks:
            if task.pk in leads:
                owners[target.pk] = leads[task.pk]
                break
    return owners


def _staff(department: Department | None) -> list[User]:
    """Who answers a warning: the owning department's staff; the statistics office for a
    data anomaly that no department owns."""
    if department is None:
        return people_with_role(User.Role.STATISTICS_OFFICE)
    return department_staff(department)


def _committee() -> list[User]:
    return people_with_role(User.Role.COMMITTEE)


def _raise(
    *,
    key: str,
    kind: str,
    level: str,
    department,
    period: str,
    target=None,
    title_zh: str,
    title_en: str,
    message_zh: str,
    message_en: str,
    due_date: dt.date | None = None,
) -> EarlyWarning | None:
    """Create the live warning for `key`, or bring the live one up to date (a red level is
    never lowered while the warning is live; a move to red is audited and notified). A
    warning the committee closed is not raised again for the same period and level.
    Returns the warning when newly raised."""
    live = (
        EarlyWarning.objects.select_for_update()
        .filter(dedupe_key=key)
        .exclude(state=State.CLOSED)
        .first()
    )
    if live is not None:
        turns_red = level == EarlyWarning.Level.RED and live.level != level
        if live.period != period or turns_red:
            old = f"{live.level} {live.period}"
            live.period = period
            if turns_red:
                live.level = level
            live.message_zh, live.message_en = message_zh, message_en
            live.save()
            page_changed()
            audit_record(
                actor=None,
                action="warning_update",
                object_type="warning",
                object_id=live.pk,
                department_code=department.code if department else "",
                period=period,
                old_value=old,
                new_value=f"{live.level} {period}",
                reason=title_zh,
            )
            if turns_red:
                notify(
                    _staff(department),
                    kind="warning",
                    message_zh=f"【{in_chinese(live, 'level')}】{title_zh}",
                    message_en=f"[red] {title_en}",
                    link=f"/dashboards/warnings/{live.pk}/",
                    dedupe_key=f"warning-red:{live.pk}",
                    email=True,
                )
        return None
    closed = (
        EarlyWarning.objects.filter(dedupe_key=key, state=State.CLOSED)
        .order_by("-closed_at")
        .first()
    )
    if (
        closed is not None
        and closed.period == period
        and (level == closed.level or level == EarlyWarning.Level.YELLOW)
    ):
        return None  # already answered and closed for this very result
    try:
        with transaction.atomic():
            warning = EarlyWarning.objects.create(
                dedupe_key=key,
                kind=kind,
                level=level,
                department=department,
                period=period,
                target=target,
                title_zh=title_zh,
                title_en=title_en,
                message_zh=message_zh,
                message_en=message_en,
                due_date=due_date,
            )
    except IntegrityError:
        return None  # raised by a concurrent run
    page_changed()
    audit_record(
        actor=None,
        action="warning_raise",
        object_type="warning",
        object_id=warning.pk,
        department_code=department.code if department else "",
        period=period,
        new_value=level,
        reason=title_zh,
    )
    notify(
        _staff(department),
        kind="warning",
        message_zh=f"【{in_chinese(warning, 'level')}】{title_zh}",
        message_en=f"[{level}] {title_en}",
        link=f"/dashboards/warnings/{warning.pk}/",
        dedupe_key=f"warning:{warning.pk}",
        email=True,
    )
    return warning


def warning_raise(
    *,
    key: str,
    kind: str,
    level: str,
    department,
    period: str,
    title_zh: str,
    title_en: str,
    message_zh: str,
    message_en: str,
    due_date: dt.date | None = None,
) -> EarlyWarning | None:
    """Raise (or bring up to date) a warning of another app's check in the same loop as
    the engine's own: one live warning per `key`, audited and notified (e.g. the
    enterprises' reconciliation, a plan measure overdue, a visit's finding, whose
    `due_date` the department sees until it commits to its own when acknowledging)."""
    with transaction.atomic():
        return _raise(
            key=key,
            kind=kind,
            level=level,
            department=department,
            period=period,
            title_zh=title_zh,
            title_en=title_en,
            message_zh=message_zh,
            message_en=message_en,
            due_date=due_date,
        )


def _figure(value, places: int) -> str:
    """A stored value as the committee reads it: rounded half up to the indicator's places."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,}"


def _latest_park_results() -> dict[int, IndicatorResult]:
    """The latest judged result of each target (plain statistical basis, the park)."""
    latest: dict[int, IndicatorResult] = {}
    results = (
        IndicatorResult.objects.filter(scope="", variant="", target__isnull=False)
        .exclude(status="")
        .select_related("target", "indicator")
    )
    for result in results:
        rank = (result.year, result.quarter or 5)
        current = latest.get(result.target_id)
        if current is None or rank > (current.year, current.quarter or 5):
            latest[result.target_id] = result
    return latest


@transaction.atomic
def warnings_sync(*, today: dt.date | None = None) -> list[EarlyWarning]:
    """Raise or update warnings from what is stored now: a target whose latest result is
    yellow or red, a round past its deadline with departments not submitted, an engine
    alert. Safe to run any number of times: one live warning per subject."""
    today = today or timezone.localdate()
    owners = target_owners()
    raised = []
    for result in _latest_park_results().values():
        level = WARNING_STATUSES.get(result.status)
        if level is None:
            continue
        target = result.target
        status = in_chinese(result, "status")
        status_en = in_english(result, "status")
        shown = _figure(result.value, result.indicator.decimal_places)
        aim = _figure(result.target_value, result.indicator.decimal_places)
        raised.append(
            _raise(
                key=f"status:{target.code}",
                kind=EarlyWarning.Kind.STATUS,
                level=level,
                department=owners.get(target.pk),
                period=result.period,
                target=target,
                title_zh=f"{target.code} {target.title_zh}：{status}",
                title_en=f"{target.code} {target.title_en}: {status_en}",
                message_zh=f"{ytd_text(result.period)} {result.indicator.name_zh} 为 {shown}"
                f" {result.indicator.unit}，目标 {aim}（{status}）。",
                message_en=f"{ytd_text(result.period, 'en')} {result.indicator.name_en}: {shown} "
                f"{unit_text(result.indicator.unit, True)}, target {aim} ({status_en}).",
            )
        )
    from reporting.services import departments_of_round

    for reporting_round in ReportingRound.objects.filter(
        state=ReportingRound.State.OPEN, deadline__lt=today
    ):
        done = set(
            DepartmentPeriod.objects.filter(
                period=reporting_round.period,
                state__in=[DepartmentPeriod.State.SUBMITTED, DepartmentPeriod.State.APPROVED],
            ).values_list("department_id", flat=True)
        )
        late_days = (today - reporting_round.deadline).days
        for department in departments_of_round(reporting_round):
            if department.pk in done:
                continue
            raised.append(
                _raise(
                    key=f"deadline:{reporting_round.period}:{department.code}",
                    kind=EarlyWarning.Kind.DEADLINE,
                    level=EarlyWarning.Level.RED
                    if late_days > DEADLINE_RED_AFTER_DAYS
                    else EarlyWarning.Level.YELLOW,
                    department=department,
                    period=reporting_round.period,
                    title_zh=f"{department.name_zh} {quarter_text(reporting_round.period)} 逾期未报",
                    title_en=f"{department.name_en or department.code} {quarter_text(reporting_round.period, 'en')} "
                    "is overdue",
                    message_zh=f"截止日期 {reporting_round.deadline}，已逾期 {late_days} 天。",
                    message_en=f"Due {reporting_round.deadline}; {late_days} day(s) overdue.",
                )
            )
    for alert in EngineAlert.objects.filter(created_at__date__gte=today - dt.timedelta(days=30)):
        raised.append(
            _raise(
                key=f"anomaly:{alert.pk}",
                kind=EarlyWarning.Kind.ANOMALY,
                level=EarlyWarning.Level.RED,
                department=None,
                period="",
                title_zh=f"数据异常：{alert.message_zh[:150]}",
                title_en=f"Data anomaly: {alert.message_en[:250]}",
                message_zh=alert.message_zh,
                message_en=alert.message_en,
            )
        )
    raised += _work_warnings(today, owners)
    raised += _project_update_warnings(today)
    return [warning for warning in raised if warning is not None]


def _project_update_warnings(today: dt.date) -> list[EarlyWarning | None]:
    """Overdue warnings (yellow, red after the round's red delay) for the departments whose
    key projects have not reported a quarter whose round's deadline has passed; one live
    warning per department and quarter. Raised here, read from projects (a selector), so
    the projects app does not import the warning loop that imports it."""
    from projects.updates import missing_updates

    raised = []
    for reporting_round in ReportingRound.objects.filter(
        state=ReportingRound.State.OPEN, quarter__isnull=False, deadline__lt=today
    ):
        late_days = (today - reporting_round.deadline).days
        period = reporting_round.period
        for department, projects in missing_updates(period).items():
            codes = "、".join(p.code for p in projects[:10])
            raised.append(
                warning_raise(
                    key=f"project_update:{period}:{department.code}",
                    kind=EarlyWarning.Kind.DEADLINE,
                    level=EarlyWarning.Level.RED
                    if late_days > DEADLINE_RED_AFTER_DAYS
                    else EarlyWarning.Level.YELLOW,
                    department=department,
                    period=period,
                    title_zh=f"{department.name_zh} {period} 重点项目进展逾期未报",
                    title_en=f"{department.name_en or department.code} {period} key-project "
                    "updates are overdue",
                    message_zh=f"截止日期 {reporting_round.deadline}，已逾期 {late_days} 天；"
                    f"{len(projects)} 个项目未报送：{codes}。",
                    message_en=f"Due {reporting_round.deadline}; {late_days} day(s) overdue; "
                    f"{len(projects)} project(s) not reported.",
                )
            )
    return raised


def _work_warnings(today: dt.date, owners: dict) -> list[EarlyWarning | None]:
    """An overdue work item warns its lead unit; a milestone target past its year and not
    verified is red and warns its owner (management.md §3)."""
    from tasks.selectors import missed_milestones, overdue_work_items

    raised = []
    for item, lead, due in overdue_work_items(today):
        raised.append(
            _raise(
                key=f"work_item:{item.task.code}/{item.code}",
                kind=EarlyWarning.Kind.DEADLINE,
                level=EarlyWarning.Level.RED,
                department=lead,
                period=due,
                title_zh=f"工作要点 {item.code} 逾期未销号",
                title_en=f"Work item {item.code} is overdue",
                message_zh=f"“{item.title_zh}”应于 {due} 前完成并经管委会核验销号，目前尚未销号。",
                message_en=f"'{item.title_en or item.title_zh}' was due by the end of {due} "
                "and has not been verified.",
            )
        )
    for target in missed_milestones(today):
        raised.append(
            _raise(
                key=f"status:{target.code}",
                kind=EarlyWarning.Kind.STATUS,
                level=EarlyWarning.Level.RED,
                department=owners.get(target.pk),
                period=str(target.target_year),
                target=target,
                title_zh=f"{target.code} {target.title_zh}：逾期未实现",
                title_en=f"{target.code} {target.title_en}: missed",
                message_zh=f"里程碑目标应于 {target.target_year} 年实现，对应工作要点尚未销号。",
                message_en=f"The milestone was due in {target.target_year}; its work items "
                "are not verified.",
            )
        )
    return raised


def _locked(warning: EarlyWarning) -> EarlyWarning:
    return EarlyWarning.objects.select_for_update().get(pk=warning.pk)


def _refuse_state(warning: EarlyWarning, expected: str) -> None:
    raise ApplicationError(
        f"预警当前为“{in_chinese(warning, 'state')}”，不能执行该操作。",
        f"The warning is {warning.state}; expected {expected}.",
        code="invalid_state",
    )


def _heads(department: Department | None) -> list[User]:
    return [u for u in _staff(department) if u.role == User.Role.HEAD]


def _response_reaches_committee(warning: EarlyWarning) -> None:
    notify(
        _committee(),
        kind="warning_acknowledged",
        message_zh=f"预警“{warning.title_zh}”已响应，整改期限 {warning.due_date}。",
        message_en=f"'{warning.title_en}' was acknowledged; due {warning.due_date}.",
        link=f"/dashboards/warnings/{warning.pk}/",
    )


def finding_enterprise(warning: EarlyWarning):
    """The enterprise whose on-site finding (enterprises.Finding) the warning is; None for
    any other warning. Its energy manager answers it; its supervising department closes it."""
    if warning.kind != EarlyWarning.Kind.FINDING:
        return None
    finding = getattr(warning, "finding", None)
    return finding.visit.enterprise if finding is not None else None


def finding_link(warning: EarlyWarning, enterprise) -> str:
    return f"/enterprises/{enterprise.code}/findings/{warning.finding.pk}/"


def _may_answer(user, warning: EarlyWarning) -> bool:
    """The owning department's staff (the statistics office for a data anomaly), or, for a
    visit finding, the enterprise's own energy manager."""
    if permissions.can_answer_warning(user, warning.department_id):
        return True
    enterprise = finding_enterprise(warning)
    return enterprise is not None and permissions.can_answer_finding(user, enterprise)


def _energy_managers(enterprise) -> list[User]:
    return list(
        User.objects.filter(
            enterprise=enterprise, role=User.Role.ENERGY_MANAGER, is_active=True
        ).order_by("pk")
    )


@transaction.atomic
def warning_acknowledge(
    *, warning: EarlyWarning, user, response: str, plan: str, due_date: dt.date
) -> EarlyWarning:
    """The owning department's staff explain the situation and commit to a plan and a
    date: the response waits for the head's sign-off (`warning_sign_off`) before it reaches
    the committee. A data anomaly's response (the statistics office's) needs none."""
    warning = _locked(warning)
    if not _may_answer(user, warning):
        raise PermissionRefused(
            "只有责任单位可以响应预警。",
            "Only the owning department can respond.",
            code="permission_denied",
        )
    if warning.state != State.OPEN:
        _refuse_state(warning, "open")
    if not response.strip() or not plan.strip():
        raise ApplicationError(
            "请填写情况说明和整改措施。",
            "A response and a rectification plan are required.",
            code="required",
        )
    if due_date < timezone.localdate():
        raise ApplicationError(
            "整改期限不能早于今天。", "The due date cannot be in the past.", code="invalid"
        )
    # An enterprise answers its own finding: its commitment starts the rectification, and
    # its supervising department verifies the result before closing it.
    enterprise = finding_enterprise(warning) if permissions.is_energy_manager(user) else None
    needs_sign_off = warning.department_id is not None and enterprise is None
    warning.state = State.SUBMITTED if needs_sign_off else State.ACKNOWLEDGED
    warning.response, warning.rectification_plan = response, plan
    warning.due_date, warning.acknowledged_by, warning.acknowledged_at = (
        due_date,
        user,
        timezone.now(),
    )
    warning.signed_off_by, warning.signed_off_at = None, None
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_acknowledge",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.OPEN,
        new_value=warning.state,
        reason=response,
        details={"plan": plan, "due_date": due_date.isoformat()},
    )
    if enterprise is not None:
        notify(
            _staff(warning.department),
            kind="finding_acknowledged",
            message_zh=f"{enterprise.name}已响应现场监督发现的问题，整改期限 {due_date}。",
            message_en=f"{enterprise.name} acknowledged a finding of the on-site visit; due "
            f"{due_date}.",
            link=finding_link(warning, enterprise),
        )
    elif needs_sign_off:
        notify(
            _heads(warning.department),
            kind="warning_signoff_requested",
            message_zh=f"预警“{warning.title_zh}”的响应待您审签。",
            message_en=f"The response to '{warning.title_en}' awaits your sign-off.",
            link=f"/dashboards/warnings/{warning.pk}/",
        )
    else:
        _response_reaches_committee(warning)
    return warning


def _refuse_sign_off(user, warning: EarlyWarning) -> None:
    if not permissions.can_approve(user, warning.department_id):
        raise PermissionRefused(
            "只有责任单位负责人可以审签预警响应。",
            "Only the head of the owning department can sign the response off.",
            code="permission_denied",
        )
    if not permissions.can_approve_submission(
        user, warning.department_id, [warning.acknowledged_by_id]
    ):
        raise PermissionRefused(
            "响应由您本人填写，须由另一位负责人审签。",
            "You wrote this response: another head must sign it off (four eyes).",
            code="four_eyes",
        )


@transaction.atomic
def warning_sign_off(*, warning: EarlyWarning, user, comment: str = "") -> EarlyWarning:
    """The owning department's head signs the response off (not the person who wrote it):
    only now does it reach the committee, and the rectification starts."""
    warning = _locked(warning)
    _refuse_sign_off(user, warning)
    if warning.state != State.SUBMITTED:
        _refuse_state(warning, "submitted")
    warning.state = State.ACKNOWLEDGED
    warning.signed_off_by, warning.signed_off_at = user, timezone.now()
    warning.signoff_comment = comment
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_sign_off",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.SUBMITTED,
        new_value=warning.state,
        reason=comment,
    )
    _response_reaches_committee(warning)
    return warning


@transaction.atomic
def warning_response_return(*, warning: EarlyWarning, user, comment: str) -> EarlyWarning:
    """The owning department's head returns the response to its writer, saying why: the
    warning is open again (the response stays, to be revised)."""
    warning = _locked(warning)
    if not permissions.can_approve(user, warning.department_id):
        raise PermissionRefused(
            "只有责任单位负责人可以退回预警响应。",
            "Only the head of the owning department can return the response.",
            code="permission_denied",
        )
    if warning.state != State.SUBMITTED:
        _refuse_state(warning, "submitted")
    if not comment.strip():
        raise ApplicationError(
            "请填写退回理由。", "Say why the response is returned.", code="required"
        )
    writer = warning.acknowledged_by
    warning.state, warning.signoff_comment = State.OPEN, comment
    warning.signed_off_by, warning.signed_off_at = user, timezone.now()
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_response_return",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.SUBMITTED,
        new_value=warning.state,
        reason=comment,
    )
    if writer is not None:
        notify(
            [writer],
            kind="warning_response_returned",
            message_zh=f"预警“{warning.title_zh}”的响应被退回：{comment}",
            message_en=f"The response to '{warning.title_en}' was returned: {comment}",
            link=f"/dashboards/warnings/{warning.pk}/",
        )
    return warning


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # one evidence file of a warning
EVIDENCE_STATES = (State.OPEN, State.SUBMITTED, State.ACKNOWLEDGED)


@transaction.atomic
def warning_evidence_attach(*, warning: EarlyWarning, user, upload) -> WarningEvidence:
    """The owning department attaches a file to its response or rectification (until it
    reports the rectification done): checked by content, kept with its SHA-256."""
    warning = _locked(warning)
    if not _may_answer(user, warning):
        raise PermissionRefused(
            "只有责任单位可以上传佐证材料。",
            "Only the owning department can attach evidence.",
            code="permission_denied",
        )
    if warning.state not in EVIDENCE_STATES:
        _refuse_state(warning, "open, submitted or acknowledged")
    checked = evidence_file_check(upload, max_bytes=MAX_EVIDENCE_BYTES)
    evidence = WarningEvidence.objects.create(
        warning=warning,
        file=upload,
        name=checked.name,
        sha256=checked.sha256,
        kind=checked.kind,
        size=checked.size,
        stage=warning.state,
        uploaded_by=user,
    )
    audit_record(
        actor=user,
        action="warning_evidence_attach",
        object_type="warning",
        object_id=warning.pk,
        reason=checked.name,
        details={"file": evidence.pk, "sha256": checked.sha256, "kind": checked.kind},
    )
    return evidence


def warning_evidence_download(*, evidence: WarningEvidence, user) -> None:
    """Record who downloaded an evidence file (the view checks who may see the warning)."""
    audit_record(
        actor=user,
        action="warning_evidence_download",
        object_type="warning",
        object_id=evidence.warning_id,
        reason=evidence.name,
        details={"file": evidence.pk, "sha256": evidence.sha256},
    )


@transaction.atomic
def warning_resolve(*, warning: EarlyWarning, user, evidence: str) -> EarlyWarning:
    """The owning department reports the rectification done, with evidence."""
    warning = _locked(warning)
    if not _may_answer(user, warning):
        raise PermissionRefused(
            "只有责任单位可以提交整改结果。",
            "Only the owning department can resolve.",
            code="permission_denied",
        )
    if warning.state != State.ACKNOWLEDGED:
        _refuse_state(warning, "acknowledged")
    if not evidence.strip():
        raise ApplicationError("请提供整改佐证。", "Evidence is required.", code="required")
    warning.state, warning.evidence = State.RESOLVED, evidence
    warning.resolved_by, warning.resolved_at = user, timezone.now()
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_resolve",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.ACKNOWLEDGED,
        new_value=warning.state,
        reason=evidence,
    )
    enterprise = finding_enterprise(warning) if permissions.is_energy_manager(user) else None
    if enterprise is not None:  # the supervising department verifies and closes
        notify(
            _heads(warning.department),
            kind="finding_resolved",
            message_zh=f"{enterprise.name}报告现场监督发现的问题已整改，请核实销号。",
            message_en=f"{enterprise.name} reports a finding of the on-site visit rectified; "
            "please verify and close it.",
            link=finding_link(warning, enterprise),
        )
        return warning
    notify(
        _committee(),
        kind="warning_resolved",
        message_zh=f"预警“{warning.title_zh}”已整改，请销号。",
        message_en=f"'{warning.title_en}' was resolved; please close it.",
        link=f"/dashboards/warnings/{warning.pk}/",
    )
    return warning


@transaction.atomic
def warning_close(*, warning: EarlyWarning, user, comment: str = "") -> EarlyWarning:
    """The committee closes (销号) a resolved warning; a visit finding also its enterprise's
    supervising department's head, never the enterprise (nor who reported it done)."""
    warning = _locked(warning)
    _refuse_close(user, warning)
    if warning.state != State.RESOLVED:
        _refuse_state(warning, "resolved")
    warning.state, warning.closing_comment = State.CLOSED, comment
    warning.closed_by, warning.closed_at = user, timezone.now()
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_close",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.RESOLVED,
        new_value=warning.state,
        reason=comment,
    )
    notify(
        _staff(warning.department),
        kind="warning_closed",
        message_zh=f"预警“{warning.title_zh}”已销号。",
        message_en=f"'{warning.title_en}' was closed.",
        link=f"/dashboards/warnings/{warning.pk}/",
    )
    enterprise = finding_enterprise(warning)
    if enterprise is not None:
        notify(
            _energy_managers(enterprise),
            kind="finding_closed",
            message_zh=f"现场监督发现的问题已核实销号：{warning.finding.description}",
            message_en=f"The finding was verified and closed: {warning.finding.description}",
            link=finding_link(warning, enterprise),
        )
    return warning


def _refuse_close(user, warning: EarlyWarning) -> None:
    enterprise = finding_enterprise(warning)
    if enterprise is None:
        if not permissions.can_close_warnings(user):
            raise PermissionRefused(
                "只有管委会可以销号。",
                "Only the committee can close warnings.",
                code="permission_denied",
            )
        return
    if not permissions.can_close_finding(user, warning.department_id, warning.resolved_by_id):
        raise PermissionRefused(
            "现场监督发现的问题由企业主管部门负责人（或管委会）核实销号，企业和整改报告人不能自行销号。",
            "A finding is verified and closed by a head of the enterprise's supervising "
            "department (or the committee), never by the enterprise or whoever reported it "
            "done.",
            code="permission_denied",
        )


@transaction.atomic
def warning_resolution_return(*, warning: EarlyWarning, user, comment: str) -> EarlyWarning:
    """Who would close a resolved visit finding finds the rectification not done: it goes
    back to rectification (acknowledged) with the reason, and its answerers are told."""
    warning = _locked(warning)
    _refuse_close(user, warning)
    if warning.state != State.RESOLVED:
        _refuse_state(warning, "resolved")
    if not comment.strip():
        raise ApplicationError(
            "请填写退回整改的理由。", "Say why the rectification is sent back.", code="required"
        )
    resolver = warning.resolved_by
    warning.state, warning.closing_comment = State.ACKNOWLEDGED, comment
    warning.resolved_by, warning.resolved_at = None, None
    warning.save()
    page_changed()
    audit_record(
        actor=user,
        action="warning_resolution_return",
        object_type="warning",
        object_id=warning.pk,
        old_value=State.RESOLVED,
        new_value=warning.state,
        reason=comment,
    )
    enterprise = finding_enterprise(warning)
    if resolver is not None:
        notify(
            [resolver],
            kind="warning_resolution_returned",
            message_zh=f"“{warning.title_zh}”的整改未通过核实，请继续整改：{comment}",
            message_en=f"The rectification of '{warning.title_en}' was not accepted: {comment}",
            link=finding_link(warning, enterprise)
            if enterprise is not None
            else f"/dashboards/warnings/{warning.pk}/",
        )
    return warning


@transaction.atomic
def warning_progress_report(*, warning: EarlyWarning, user, note: str, upload=None):
    """Who answers the warning reports the rectification's progress while it runs, with an
    optional evidence file (checked by content, kept with its SHA-256)."""
    warning = _locked(warning)
    if not _may_answer(user, warning):
        raise PermissionRefused(
            "只有责任单位可以报告整改进展。",
            "Only whoever answers the warning can report progress.",
            code="permission_denied",
        )
    if warning.state != State.ACKNOWLEDGED:
        _refuse_state(warning, "acknowledged")
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ApplicationError(
            "请填写整改进展。", "Describe the progress of the rectification.", code="required"
        )
    if len(note) > 4000:
        raise ApplicationError(
            "整改进展不能超过 4000 个字符。",
            "The progress note cannot be longer than 4,000 characters.",
            code="too_long",
        )
    evidence = None
    if upload is not None:
        checked = evidence_file_check(upload, max_bytes=MAX_EVIDENCE_BYTES)
        evidence = WarningEvidence.objects.create(
            warning=warning,
            file=upload,
            name=checked.name,
            sha256=checked.sha256,
            kind=checked.kind,
            size=checked.size,
            stage=warning.state,
            uploaded_by=user,
        )
    progress = WarningProgress.objects.create(
        warning=warning, note=note, evidence=evidence, reported_by=user
    )
    page_changed()
    audit_record(
        actor=user,
        action="warning_progress_report",
        object_type="warning",
        object_id=warning.pk,
        reason=note[:500],
        details={"progress": progress.pk}
        | ({"file": evidence.pk, "sha256": evidence.sha256} if evidence else {}),
    )
    return progress


@transaction.atomic
def warnings_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate (督办) warnings left unanswered for a week or past their due date: the
    committee and the owning department's head are told, once per warning."""
    now = now or timezone.now()
    overdue = (
        EarlyWarning.objects.select_for_update().filter(escalated_at__isnull=True).overdue(now)
    )
    count = 0
    for warning in overdue:
        warning.escalated_at = now
        warning.save(update_fields=["escalated_at", "updated_at"])
        page_changed()
        audit_record(
            actor=None,
            action="warning_escalate",
            object_type="warning",
            object_id=warning.pk,
            new_value=warning.state,
        )
        notify(
            [*_committee(), *_heads(warning.department)],
            kind="warning_escalated",
            message_zh=f"【督办】预警“{warning.title_zh}”已超期未处理。",
            message_en=f"[Escalated] '{warning.title_en}' is overdue.",
            link=f"/dashboards/warnings/{warning.pk}/",
            dedupe_key=f"escalate:{warning.pk}",
            email=True,
        )
        count += 1
    return count


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # a progress report's attachment


def progress_report_submit(
    *, task: Task, period: str, text: str, user, attachment=None
) -> ProgressReport:
    """The lead department's quarterly progress report on a task. An attachment is judged
    by its content (documents, images, spreadsheets, archives; never programs or macros);
    a refused one is an attempt on record: audited as "evidence_file_refused" (in its own
    transaction), and nothing else is written."""
    lead = task.lead
    if lead is None or not permissions.can_enter_figures(user, lead.department_id):
        raise PermissionRefused(
            "只有牵头单位可以报送任务进展。",
            "Only the lead department can report progress.",
            code="permission_denied",
        )
    if not text.strip():
        raise ApplicationError("请填写进展情况。", "The report text is required.", code="required")
    checked = None
    if attachment is not None:
        try:
            checked = evidence_file_check(attachment, max_bytes=MAX_ATTACHMENT_BYTES)
        except EvidenceFileRefused as refusal:
            with transaction.atomic():
                audit_record(
                    actor=user,
                    action="evidence_file_refused",
                    object_type="task",
                    object_id=task.pk,
                    department_code=lead.department.code,
                    period=period,
                    reason=str(getattr(attachment, "name", ""))[:255],
                    details={
                        "code": refusal.code,
                        "size": getattr(attachment, "size", None),
                        "message_en": refusal.message_en,
                    },
                )
            raise
    return _progress_report_store(
        task=task, lead=lead, period=period, text=text, user=user,
        attachment=attachment, checked=checked,
    )  # fmt: skip


@transaction.atomic
def _progress_report_store(*, task, lead, period, text, user, attachment, checked):
    report = ProgressReport.objects.create(
        task=task,
        department=lead.department,
        period=period,
        text=text,
        submitted_by=user,
        attachment=attachment or "",
        attachment_name=checked.name if checked else "",
        attachment_sha256=checked.sha256 if checked else "",
        attachment_kind=checked.kind if checked else "",
    )
    audit_record(
        actor=user,
        action="progress_report",
        object_type="task",
        object_id=task.pk,
        department_code=lead.department.code,
        period=period,
        reason=text[:500],
        details=(
            {"attachment": checked.name, "sha256": checked.sha256, "kind": checked.kind}
            if checked
            else None
        ),
    )
    page_changed()  # the task board shows the report
    return report
