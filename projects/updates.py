"""The quarterly updates of the key projects inside the reporting round (issue 18 item 5),
one service per transition, each audited and told to the people who act next:

    the project's department ─ project_update_submit ─▶ submitted (a new version)
    its head ─ project_update_approve ─▶ approved   (or project_update_return ─▶ returned)

An update that reports a stage beyond the project's current one gives the day it was reached
(within or before the quarter, not in the future). The stage moves only when the update is
approved, through the stage-change rules of `projects.services` (date order, no 开工 without
a review opinion above the threshold), in the approval's transaction: a refused stage change
refuses the approval (code `stage_change_refused`, the rule's reason in both languages) and
nothing is written. The same rules are checked at submission, so the department hears first.

An update is made inside the open quarterly reporting round of its quarter. Four eyes: whoever
submitted an update never approves it (accounts.permissions.can_approve_submission). The
round's deadline drives the reminders (`update_reminders_send`, from the round's daily
reminder job) and the overdue warnings (dashboards.services, from `missing_updates`), as for
the departments' figures."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from accounts.selectors import department_staff
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.files import evidence_file_check
from projects import services
from projects.models import (
    STAGE_ORDER,
    Project,
    ProjectUpdate,
    ProjectUpdateEvidence,
    Stage,
    StageEvent,
)
from reporting.models import ReportingRound
from reporting.notifications import notify

State = ProjectUpdate.State
# Projects that report every quarter: from 立项 until 投产 (a reserve project has nothing to
# report yet; an accepted one has finished).
REPORTING_STAGES = STAGE_ORDER[
    STAGE_ORDER.index(Stage.APPROVED) : STAGE_ORDER.index(Stage.ACCEPTANCE)
]
DONE_STATES = (State.SUBMITTED, State.APPROVED)


def _link(project: Project) -> str:
    return f"/projects/{project.pk}/#updates"


def _require_open_round(period: str) -> ReportingRound:
    found = ReportingRound.objects.filter(
        period=period, quarter__isnull=False, state=ReportingRound.State.OPEN
    ).first()
    if found is None:
        raise ApplicationError(
            f"{period} 没有进行中的季度填报轮次，不能报送项目进展。",
            f"There is no open quarterly reporting round for {period}.",
            code="period_not_open",
        )
    return found


def _amounts(investment: dict | None) -> dict[str, str]:
    try:
        return services.investment_amounts(investment)
    except ApplicationError as refused:
        if refused.code != "not_a_number":
            raise
        raise ApplicationError(f"完成投资无效：{refused.message_zh}",
                               f"Invalid investment: {refused.message_en}",
                               code="invalid_number") from None  # fmt: skip


def _moves_stage(project: Project, stage: str) -> bool:
    return STAGE_ORDER.index(stage) > STAGE_ORDER.index(project.stage)


def _stage_date_check(project: Project, period: str, stage: str, stage_date) -> dt.date | None:
    """The day a new stage was reached: required when the update moves the project on, not
    after the quarter's end nor in the future; the stage-change rules must hold."""
    from indicators.periods import Period

    if not _moves_stage(project, stage):
        return None
    if stage_date is None:
        raise ApplicationError(
            f"报送的阶段“{Stage(stage).label}”晚于项目当前阶段“{Stage(project.stage).label}”，"
            "请填写到达该阶段的日期。",
            f"The update reports '{stage}', beyond the project's '{project.stage}': give the "
            "day it was reached.",
            code="stage_date_required",
        )
    quarter_end = Period.parse(period).end_date
    if stage_date > quarter_end or stage_date > timezone.localdate():
        raise ApplicationError(
            f"到达阶段日期 {stage_date} 晚于 {period} 季度末或今天。",
            f"The stage date {stage_date} is after the end of {period} or today.",
            code="stage_date_after_period",
        )
    services.stage_change_check(project, stage, stage_date)
    return stage_date


def latest_update(project: Project, period: str) -> ProjectUpdate | None:
    return project.updates.filter(period=period).order_by("-version").first()


@transaction.atomic
def project_update_submit(
    *, user, project: Project, period: str, investment_completed: dict, stage: str,
    milestone: str = "", files=(), stage_date: dt.date | None = None,
) -> ProjectUpdate:  # fmt: skip
    """The project's department reports its quarter: investment completed in the quarter by
    funding source (万元), the stage reached, the milestone and evidence files (checked by
    content, kept with their SHA-256). A returned or still-waiting update may be reported
    again (a new version); an approved one may not. Refused (zh/en, nothing written) for
    another department's project, a quarter without an open round, an unknown stage or
    funding source, a negative or non-numeric amount, a refused file, or a new stage without
    its date or against the stage-change rules."""
    project = Project.objects.select_for_update().select_related("department").get(pk=project.pk)
    if not permissions.can_report_project(user, project.department_id):
        raise PermissionRefused(
            "只能报送本部门负责的项目进展。",
            "You can only report the projects of your own department.",
            code="permission_denied",
        )
    _require_open_round(period)
    if stage not in STAGE_ORDER:
        raise ApplicationError(
            f"阶段“{stage}”无效。", f"Stage '{stage}' is not known.", code="bad_stage"
        )
    amounts = _amounts(investment_completed)
    checked = [(upload, evidence_file_check(upload)) for upload in files]
    previous = latest_update(project, period)
    if previous is not None and previous.state == State.APPROVED:
        raise ApplicationError(
            f"{project.code} {period} 的进展已审核，不能再报送。",
            f"The update of {project.code} for {period} is approved and cannot be reported again.",
            code="invalid_state",
        )
    stage_date = _stage_date_check(project, period, stage, stage_date)
    update = ProjectUpdate.objects.create(
        project=project, period=period, version=(previous.version + 1) if previous else 1,
        investment_completed=amounts, stage=stage, stage_date=stage_date,
        milestone=(milestone or "").strip(), submitted_by=user,
    )  # fmt: skip
    for upload, checked_file in checked:
        ProjectUpdateEvidence.objects.create(
            update=update, file=upload, name=checked_file.name, kind=checked_file.kind,
            size=checked_file.size, sha256=checked_file.sha256, uploaded_by=user,
        )  # fmt: skip
    audit_record(
        actor=user, action="project_update_submit", object_type="project", object_id=project.pk,
        department_code=project.department.code, period=period,
        old_value=None if previous is None else previous.state,
        new_value={"version": update.version, "investment": amounts, "stage": stage,
                   "stage_date": stage_date and stage_date.isoformat(),
                   "evidence": [c.sha256 for _u, c in checked]},
        reason=update.milestone[:500],
    )  # fmt: skip
    notify(
        [h for h in department_staff(project.department, User.Role.HEAD) if h.pk != user.pk],
        kind="project_update_submitted",
        message_zh=f"重点项目 {project.code} {period} 进展待审核。",
        message_en=f"Key project {project.code} {period} update awaits approval.",
        link=_link(project),
    )
    return update


def _locked(update: ProjectUpdate) -> ProjectUpdate:
    return (
        ProjectUpdate.objects.select_for_update(of=("self",))
        .select_related("project__department")
        .get(pk=update.pk)
    )


def _decide_check(user, update: ProjectUpdate) -> None:
    if update.state != State.SUBMITTED:
        raise ApplicationError(
            f"该进展当前为“{update.get_state_display()}”，不能执行该操作。",
            f"The update is {update.state}; expected submitted.",
            code="invalid_state",
        )
    newest = latest_update(update.project, update.period)
    if newest is not None and newest.pk != update.pk:
        raise ApplicationError("该进展已有更新版本。", "A newer version of this update exists.",
                               code="invalid_state")  # fmt: skip
    if not permissions.can_approve_submission(
        user, update.project.department_id, [update.submitted_by_id]
    ):
        raise PermissionRefused(
            "只有项目责任部门的负责人可以审核，且报送人不能审核自己的报送（四眼原则）。",
            "Only a head of the project's department can decide, and never on their own "
            "update (four eyes).",
            code="four_eyes" if user.pk == update.submitted_by_id else "permission_denied",
        )


def _audit(update: ProjectUpdate, user, action: str, reason: str = "") -> None:
    audit_record(
        actor=user, action=action, object_type="project", object_id=update.project_id,
        department_code=update.project.department.code, period=update.period,
        old_value=State.SUBMITTED, new_value={"state": update.state, "version": update.version},
        reason=reason,
    )  # fmt: skip


@transaction.atomic
def project_update_approve(*, update: ProjectUpdate, user) -> ProjectUpdate:
    """A head of the project's department approves the update (never their own). When it
    reports a stage beyond the project's current one, the stage moves in this transaction
    through the stage-change service; a refusal there refuses the approval."""
    update = _locked(update)
    _decide_check(user, update)
    project = (
        Project.objects.select_for_update().select_related("department").get(pk=update.project_id)
    )
    update.state, update.decided_by, update.decided_at = State.APPROVED, user, timezone.now()
    update.save(update_fields=["state", "decided_by", "decided_at"])
    _audit(update, user, "project_update_approve")
    if _moves_stage(project, update.stage):
        _stage_from_update(update, project, user)
    return update


def _stage_from_update(update: ProjectUpdate, project: Project, user) -> None:
    evidence = f"{update.period} 季度进展 v{update.version}"
    if update.milestone:
        evidence += f"：{update.milestone}"
    hashes = [e.sha256 for e in update.evidence.all()]
    if hashes:
        evidence += "（佐证 SHA-256：" + "、".join(hashes) + "）"
    try:
        services.stage_apply(
            user=user, project=project, stage=update.stage, actual_date=update.stage_date,
            evidence=evidence, source=f"project_update:{update.pk}",
        )  # fmt: skip
    except ApplicationError as refused:
        raise ApplicationError(
            f"该进展报告项目进入“{Stage(update.stage).label}”，但阶段变更未通过，不能审核："
            f"{refused.message_zh}请退回该进展，或先补全项目信息。",
            f"The update reports the stage '{update.stage}', which was refused, so the update "
            f"cannot be approved: {refused.message_en} Return it, or complete the project first.",
            code="stage_change_refused",
            details={"reason": refused.code},
        ) from None


@transaction.atomic
def project_update_return(*, update: ProjectUpdate, user, comment: str) -> ProjectUpdate:
    """A head of the project's department returns the update with a comment."""
    update = _locked(update)
    if not (comment or "").strip():
        raise ApplicationError("请填写退回意见。", "A comment is required.", code="required")
    _decide_check(user, update)
    update.state, update.decided_by, update.decided_at = State.RETURNED, user, timezone.now()
    update.return_comment = comment.strip()
    update.save(update_fields=["state", "decided_by", "decided_at", "return_comment"])
    _audit(update, user, "project_update_return", reason=update.return_comment)
    project = update.project
    notify(
        department_staff(project.department),
        kind="project_update_returned",
        message_zh=f"重点项目 {project.code} {update.period} 的进展被退回：{update.return_comment}",
        message_en=f"The update of key project {project.code} {update.period} was returned: "
        f"{update.return_comment}",
        link=_link(project),
    )
    return update


# --- Deadlines: reminders and overdue warnings from the round's machinery ----------------


def _owes(project: Project, approved_on: dt.date | None, quarter_end: dt.date) -> bool:
    """A project owes a quarter from the one in which it was approved (立项) — or, without
    a 立项 date, registered — onwards."""
    since = approved_on or timezone.localdate(project.created_at)
    return since <= quarter_end


def missing_updates(period: str) -> dict:
    """{department: [project, …]} of the projects in a reporting stage that owe `period`
    and whose newest update of it is neither submitted nor approved (three queries,
    whatever the number of projects)."""
    from indicators.periods import Period

    quarter_end = Period.parse(period).end_date
    projects = list(Project.objects.filter(stage__in=REPORTING_STAGES).select_related("department"))
    approved_on: dict[int, dt.date] = {}
    for project_id, day in (
        StageEvent.objects.filter(stage=Stage.APPROVED, actual_date__isnull=False)
        .order_by("recorded_at", "id")
        .values_list("project_id", "actual_date")
    ):
        approved_on[project_id] = day  # the newest record of the stage counts
    newest = {
        row["project_id"]: row["version"]
        for row in ProjectUpdate.objects.filter(period=period)
        .values("project_id")
        .annotate(version=Max("version"))
    }
    done = set(
        ProjectUpdate.objects.filter(period=period, state__in=DONE_STATES).values_list(
            "project_id", "version"
        )
    )
    missing: dict = {}
    for project in projects:
        if (project.pk, newest.get(project.pk)) in done:
            continue
        if not _owes(project, approved_on.get(project.pk), quarter_end):
            continue
        missing.setdefault(project.department, []).append(project)
    return missing


def _quarter_rounds(**filters):
    return ReportingRound.objects.filter(
        state=ReportingRound.State.OPEN, quarter__isnull=False, **filters
    )


def update_reminders_send(*, today: dt.date | None = None, remind_days: int = 3) -> int:
    """Remind the departments whose projects have not reported the quarter: `remind_days`
    before the round's deadline, and once it has passed. Each person gets each reminder
    once per round (the notifications' dedupe key). Returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    for reporting_round in _quarter_rounds():
        days_left = (reporting_round.deadline - today).days
        if 0 <= days_left <= remind_days:
            kind = "project_update_deadline_near"
        elif days_left < 0:
            kind = "project_update_deadline_passed"
        else:
            continue
        deadline, period = reporting_round.deadline.isoformat(), reporting_round.period
        for department, projects in missing_updates(period).items():
            codes = "、".join(p.code for p in projects[:10]) + ("等" if len(projects) > 10 else "")
            codes_en = ", ".join(p.code for p in projects[:10]) + (
                " …" if len(projects) > 10 else ""
            )
            if kind == "project_update_deadline_near":
                zh = f"{period} 重点项目进展将于 {deadline} 截止，尚未报送：{codes}。"
                en = (
                    f"{period} key-project updates are due on {deadline}; not reported: {codes_en}."
                )
            else:
                zh = f"{period} 重点项目进展已于 {deadline} 截止，尚未报送：{codes}。"
                en = f"{period} key-project updates were due on {deadline}; not reported: {codes_en}."
            sent += notify(
                department_staff(department), kind=kind, message_zh=zh, message_en=en,
                link=f"/projects/?department={department.pk}",
                dedupe_key=f"{kind}:{period}", email=True,
            )  # fmt: skip
    return sent
