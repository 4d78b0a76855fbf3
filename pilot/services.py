"""Writes of the pilot app, one service per state change, each audited: opening a year's
workspace, writing, submitting, approving and returning a section, freezing the report,
asking for an export and generating it (the job's one service), recording the submission
and the evaluators' feedback (each point a rectification item in the warning loop)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from pilot import rendering, selectors
from pilot.models import (
    AnnualReport,
    FeedbackPoint,
    OwnerChange,
    ReportExport,
    ReportSection,
    SectionVersion,
)

logger = logging.getLogger(__name__)
State = ReportSection.State

MAX_NARRATIVE = 20_000


def _refuse(allowed: bool, zh: str, en: str) -> None:
    if not allowed:
        raise PermissionRefused(zh, en, code="forbidden")


def _not_frozen(report: AnnualReport) -> None:
    if report.is_frozen:
        raise ConflictError(
            "报告已定稿，不能再修改。",
            "The report is frozen and can no longer be changed.",
            code="frozen",
        )


def annual_report_open(*, year: int, user) -> AnnualReport:
    """Open the year's workspace with its sections, each owned by its default unit."""
    from tasks.models import Department

    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以建立年度试点进展报告。",
        "Only the management committee may open an annual pilot report.",
    )
    if not 2020 <= int(year) <= 2035:
        raise ApplicationError(
            "年度须在 2020—2035 年之间。", "The year must be between 2020 and 2035.", code="year"
        )
    departments = {d.code: d for d in Department.objects.all()}
    fallback = departments.get("DRS") or next(iter(departments.values()), None)
    try:
        with transaction.atomic():
            report = AnnualReport.objects.create(year=year, created_by=user)
            for order, key in enumerate(ReportSection.Key.values):
                ReportSection.objects.create(
                    report=report,
                    key=key,
                    order=order,
                    owner=departments.get(selectors.SECTION_OWNERS[key], fallback),
                )
            audit_record(
                actor=user,
                action="pilot_report_open",
                object_type="pilot_report",
                object_id=report.pk,
                period=str(year),
            )
            workspace_build(report_id=report.pk)
    except IntegrityError:
        raise ConflictError(
            f"{year}年度的试点进展报告已建立。",
            f"The {year} pilot report already exists.",
            code="exists",
        ) from None
    return report


def _locked_section(section: ReportSection) -> ReportSection:
    return (
        ReportSection.objects.select_for_update()
        .select_related("report", "owner")
        .get(pk=section.pk)
    )


def section_save(
    *, section: ReportSection, narrative: str, user, base_version: int | None = None
) -> ReportSection:
    """Write a draft section's narrative (the owning unit's staff). Every save that changes
    the text adds a version (SectionVersion); none is overwritten. `base_version`, the
    version the writer started from, refuses a save over someone else's newer one."""
    _refuse(
        permissions.can_write_pilot_section(user, section.owner_id),
        "只有该章节责任单位的人员可以编写。",
        "Only the staff of the section's responsible unit may write it.",
    )
    narrative = (narrative or "").replace("\r\n", "\n").strip()
    if len(narrative) > MAX_NARRATIVE:
        raise ApplicationError(
            f"文字说明不能超过 {MAX_NARRATIVE} 字。",
            f"The narrative cannot exceed {MAX_NARRATIVE} characters.",
            code="too_long",
        )
    with transaction.atomic():
        section = _locked_section(section)
        _refuse(
            permissions.can_write_pilot_section(user, section.owner_id),
            "只有该章节责任单位的人员可以编写。",
            "Only the staff of the section's responsible unit may write it.",
        )
        _not_frozen(section.report)
        if section.state != State.DRAFT:
            raise ConflictError(
                "只有起草中的章节可以修改；已提交的章节须先由管委会退回。",
                "Only a draft section can be changed; a submitted one must be returned first.",
                code="not_draft",
            )
        latest = section.versions.order_by("-number").values_list("number", flat=True).first()
        latest = latest or 0
        if base_version is not None and base_version != latest:
            raise ConflictError(
                f"该章节已有人保存了新版本（第 {latest} 版），请刷新后在最新版本上修改。",
                f"Someone saved a newer version ({latest}) of this section: reload and edit "
                "the latest version.",
                code="stale_version",
            )
        if narrative == section.narrative:
            return section  # nothing changed: no new version
        old = section.narrative
        SectionVersion.objects.create(
            section=section, number=latest + 1, narrative=narrative, saved_by=user
        )
        section.narrative = narrative
        section.save(update_fields=["narrative"])
        audit_record(
            actor=user,
            action="pilot_section_save",
            object_type="pilot_section",
            object_id=section.pk,
            department_code=section.owner.code,
            period=str(section.report.year),
            old_value=old,
            new_value=narrative,
            details={"section": section.key, "version": latest + 1},
        )
    return section


def section_reassign(*, section: ReportSection, owner, reason: str, user) -> ReportSection:
    """Move a draft section to another responsible unit: the committee, with a reason
    (kept as an OwnerChange and audited). A submitted section is returned first; an
    approved or frozen one is not moved."""
    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以调整章节的责任单位。",
        "Only the management committee may reassign a section.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "调整责任单位须填写理由。",
            "A reassignment needs a reason.",
            code="reason_required",
        )
    if len(reason) > 1000:
        raise ApplicationError(
            "理由不能超过 1000 字。", "The reason cannot exceed 1,000 characters.", code="too_long"
        )
    if owner is None or not owner.is_active:
        raise ApplicationError(
            "请选择有效的责任单位。", "Choose an active responsible unit.", code="owner"
        )
    with transaction.atomic():
        section = _locked_section(section)
        _not_frozen(section.report)
        if section.state != State.DRAFT:
            raise ConflictError(
                "只有起草中的章节可以调整责任单位；已提交的章节须先退回。",
                "Only a draft section can be reassigned; return a submitted one first.",
                code="not_draft",
            )
        if owner.pk == section.owner_id:
            raise ApplicationError(
                "新责任单位与原责任单位相同。",
                "The new responsible unit is the current one.",
                code="unchanged",
            )
        old = section.owner
        OwnerChange.objects.create(
            section=section, old_owner=old, new_owner=owner, reason=reason, changed_by=user
        )
        section.owner = owner
        section.save(update_fields=["owner"])
        audit_record(
            actor=user,
            action="pilot_section_reassign",
            object_type="pilot_section",
            object_id=section.pk,
            department_code=owner.code,
            period=str(section.report.year),
            old_value=old.code,
            new_value=owner.code,
            reason=reason,
            details={"section": section.key},
        )
    return section


def section_submit(*, section: ReportSection, user) -> ReportSection:
    _refuse(
        permissions.can_write_pilot_section(user, section.owner_id),
        "只有该章节责任单位的人员可以提交。",
        "Only the staff of the section's responsible unit may submit it.",
    )
    with transaction.atomic():
        section = _locked_section(section)
        _refuse(  # the owner may have changed since the section was read
            permissions.can_write_pilot_section(user, section.owner_id),
            "只有该章节责任单位的人员可以提交。",
            "Only the staff of the section's responsible unit may submit it.",
        )
        _not_frozen(section.report)
        if section.state != State.DRAFT:
            raise ConflictError(
                "该章节不是起草状态，不能提交。",
                "The section is not a draft and cannot be submitted.",
                code="not_draft",
            )
        if section.key in ("problems", "measures") and not section.narrative.strip():
            raise ApplicationError(
                "请先填写本章节的文字说明。",
                "Write the section's narrative first.",
                code="empty",
            )
        section.state = State.SUBMITTED
        section.submitted_by, section.submitted_at = user, timezone.now()
        section.return_comment = ""
        section.save()
        audit_record(
            actor=user,
            action="pilot_section_submit",
            object_type="pilot_section",
            object_id=section.pk,
            department_code=section.owner.code,
            period=str(section.report.year),
            details={"section": section.key},
        )
    return section


def section_decide(*, section: ReportSection, approve: bool, comment: str, user) -> ReportSection:
    """Approve a submitted section or return it to its unit with a comment: the committee,
    never the person who submitted it (four eyes)."""
    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以审定报告章节。",
        "Only the management committee may approve report sections.",
    )
    comment = (comment or "").strip()
    with transaction.atomic():
        section = _locked_section(section)
        _not_frozen(section.report)
        if section.state != State.SUBMITTED:
            raise ConflictError(
                "该章节尚未提交，不能审定或退回。",
                "The section has not been submitted: it cannot be approved or returned.",
                code="not_submitted",
            )
        _refuse(
            permissions.can_approve_pilot_section(user, [section.submitted_by_id]),
            "提交人不能审定自己提交的章节（四眼原则）。",
            "Whoever submitted a section may not approve it (four eyes).",
        )
        if not approve and not comment:
            raise ApplicationError(
                "退回须填写意见。", "A return needs a comment.", code="comment_required"
            )
        if approve:
            section.state = State.APPROVED
            section.approved_by, section.approved_at = user, timezone.now()
        else:
            section.state = State.DRAFT
            section.return_comment = comment
        section.save()
        audit_record(
            actor=user,
            action="pilot_section_approve" if approve else "pilot_section_return",
            object_type="pilot_section",
            object_id=section.pk,
            department_code=section.owner.code,
            period=str(section.report.year),
            reason=comment,
            details={"section": section.key},
        )
    return section


def annual_report_freeze(*, report: AnnualReport, user) -> AnnualReport:
    """Freeze the report once every section is approved: the whole document as it stands
    now, hashed. Every export is rendered from it; nothing changes it afterwards."""
    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以定稿报告。",
        "Only the management committee may freeze the report.",
    )
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().get(pk=report.pk)
        _not_frozen(report)
        waiting = report.sections.exclude(state=State.APPROVED).count()
        if waiting:
            raise ConflictError(
                f"还有 {waiting} 个章节未经管委会审定，不能定稿。",
                f"{waiting} section(s) are not approved yet: the report cannot be frozen.",
                code="sections_pending",
            )
        frozen_at = timezone.now().replace(microsecond=0)
        document = selectors.pilot_document(report)
        document["frozen_at"] = timezone.localtime(frozen_at).isoformat()
        report.content = document
        report.content_sha256 = rendering.document_sha256(document)
        report.frozen_at, report.frozen_by = frozen_at, user
        report.save()
        audit_record(
            actor=user,
            action="pilot_report_freeze",
            object_type="pilot_report",
            object_id=report.pk,
            period=str(report.year),
            details={"sha256": report.content_sha256, "snapshot": document["snapshot"]},
        )
    return report


# --- the workspace page's precomputed document -------------------------------------------

WORKSPACE_MAX_AGE = dt.timedelta(minutes=15)


def workspace_build(*, report_id: int) -> str:
    """Assemble the workspace's document from the records as they stand (≈40 queries) and
    store it for the page to read. Derived data: safe to run any number of times; a build
    started earlier never replaces one started later; a frozen report keeps its content."""
    started = timezone.now()
    report = AnnualReport.objects.filter(pk=report_id).first()
    if report is None or report.is_frozen:
        return "skipped"
    document = selectors.pilot_document(report)
    stored = (
        AnnualReport.objects.filter(pk=report_id, frozen_at__isnull=True)
        .filter(
            models.Q(workspace_built_at__isnull=True) | models.Q(workspace_built_at__lte=started)
        )
        .update(workspace_content=document, workspace_built_at=started)
    )
    return "done" if stored else "skipped"


def workspace_refresh_request(*, report_ids=None, year: int | None = None) -> int:
    """Ask for the open workspaces (or those named) to be assembled again: the request is
    stored on the report (the durable row the sweep acts on) and a job queued after
    commit. Called after changes the document reads (new results, a frozen round, cases)."""
    from pilot.jobs import pilot_workspace_job

    reports = AnnualReport.objects.filter(frozen_at__isnull=True)
    if report_ids is not None:
        reports = reports.filter(pk__in=list(report_ids))
    if year is not None:
        reports = reports.filter(year=year)
    ids = list(reports.values_list("pk", flat=True))
    if not ids:
        return 0
    AnnualReport.objects.filter(pk__in=ids).update(workspace_requested_at=timezone.now())
    for pk in ids:
        transaction.on_commit(lambda pk=pk: pilot_workspace_job.delay(pk), robust=True)
    return len(ids)


def workspaces_stale() -> list[int]:
    """Open workspaces never built, asked to be rebuilt since their last build, or built
    longer ago than WORKSPACE_MAX_AGE (sources without an announcement: milestones,
    projects, designations, footprints, the assessment)."""
    cutoff = timezone.now() - WORKSPACE_MAX_AGE
    return list(
        AnnualReport.objects.filter(frozen_at__isnull=True)
        .filter(
            models.Q(workspace_built_at__isnull=True)
            | models.Q(workspace_requested_at__gt=models.F("workspace_built_at"))
            | models.Q(workspace_built_at__lt=cutoff)
        )
        .values_list("pk", flat=True)
    )


def workspaces_requeue() -> int:
    """Queue a build of every stale open workspace (the beat sweep)."""
    from pilot.jobs import pilot_workspace_job

    stale = workspaces_stale()
    for pk in stale:
        pilot_workspace_job.delay(pk)
    return len(stale)


def export_request(*, report: AnnualReport, fmt: str, language: str, user) -> ReportExport:
    """Ask for the frozen report as docx, PDF or the xlsx annex; generated by a job once the
    request commits (the row is what the sweep re-queues if the broker loses it)."""
    _refuse(
        permissions.can_export(user),
        "您没有导出报告的权限。",
        "You may not export reports.",
    )
    if fmt not in ReportExport.Format.values:
        raise ApplicationError(
            "格式只能是 docx、pdf 或 xlsx。", "The format must be docx, pdf or xlsx.", code="format"
        )
    if language not in ReportExport.Language.values:
        raise ApplicationError(
            "报告语言只能是中文或英文。",
            "The language must be Chinese (zh-hans) or English (en).",
            code="language",
        )
    if not report.is_frozen:
        raise ConflictError(
            "报告定稿后才能导出。",
            "The report can be exported once it is frozen.",
            code="not_frozen",
        )
    from pilot.jobs import pilot_export_job

    with transaction.atomic():
        export = ReportExport.objects.create(
            report=report, format=fmt, language=language, requested_by=user
        )
        audit_record(
            actor=user,
            action="pilot_export_request",
            object_type="pilot_export",
            object_id=export.pk,
            period=str(report.year),
            details={"format": fmt, "language": language},
        )
        transaction.on_commit(lambda pk=export.pk: pilot_export_job.delay(pk), robust=True)
    return export


def export_generate(*, export_id: int) -> str:
    """Render the requested file from the frozen document and store it with its SHA-256.
    Safe to run twice: a finished export is left as it is; two runs write the same bytes."""
    with transaction.atomic():
        export = ReportExport.objects.select_for_update().select_related("report").get(pk=export_id)
        if export.status == ReportExport.Status.DONE:
            return "done"
        export.status, export.error = ReportExport.Status.RUNNING, ""
        export.save(update_fields=["status", "error"])
    report = export.report
    started = time.perf_counter()
    try:
        content = rendering.render(
            report.content, fmt=export.format, language=export.language, progress=lambda p: None
        )
    except Exception as exc:
        logger.exception("pilot export %s failed", export_id)
        with transaction.atomic():
            ReportExport.objects.filter(pk=export_id).exclude(
                status=ReportExport.Status.DONE
            ).update(status=ReportExport.Status.FAILED, error=str(exc)[:2000])
            audit_record(
                actor=None,
                action="pilot_export_failed",
                object_type="pilot_export",
                object_id=export_id,
                period=str(report.year),
                reason=str(exc)[:500],
            )
        return "failed"
    seconds = Decimal(str(round(time.perf_counter() - started, 3)))
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        export = ReportExport.objects.select_for_update().get(pk=export_id)
        if export.status == ReportExport.Status.DONE:
            return "done"
        export.content, export.sha256, export.size = content, digest, len(content)
        export.filename = f"pilot-report-{report.year}-{export.language}.{export.format}"
        if export.format == ReportExport.Format.XLSX:
            export.filename = f"pilot-report-{report.year}-annex-{export.language}.xlsx"
        export.status, export.seconds = ReportExport.Status.DONE, seconds
        export.finished_at = timezone.now()
        export.save()
        audit_record(
            actor=None,
            action="pilot_export_generate",
            object_type="pilot_export",
            object_id=export.pk,
            period=str(report.year),
            details={
                "sha256": digest,
                "size": len(content),
                "format": export.format,
                "language": export.language,
                "content_sha256": report.content_sha256,
                "seconds": str(seconds),
            },
        )
    return "done"


def exports_requeue(*, older_than_seconds: int = 120) -> int:
    """Queue again the exports still pending this long after they were asked for."""
    from pilot.jobs import pilot_export_job

    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    pending = list(
        ReportExport.objects.filter(
            status=ReportExport.Status.PENDING, requested_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in pending:
        pilot_export_job.delay(pk)
    return len(pending)


def export_download(*, export: ReportExport, user) -> ReportExport:
    _refuse(permissions.can_export(user), "您没有导出报告的权限。", "You may not export reports.")
    if export.status != ReportExport.Status.DONE:
        raise ConflictError("报告尚未生成完成。", "The report is not ready yet.", code="not_ready")
    audit_record(
        actor=user,
        action="pilot_export_download",
        object_type="pilot_export",
        object_id=export.pk,
        period=str(export.report.year),
        details={"sha256": export.sha256, "format": export.format},
    )
    return export


def submission_record(
    *, report: AnnualReport, submitted_on: dt.date | None, authority: str, document_no: str, user
) -> AnnualReport:
    """Record that the frozen report was submitted: date, receiving authority and 文号.
    Recorded once; a record is never overwritten."""
    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以登记报送情况。",
        "Only the management committee may record the submission.",
    )
    authority, document_no = (authority or "").strip(), (document_no or "").strip()
    if submitted_on is None or not authority or not document_no:
        raise ApplicationError(
            "请填写报送日期、接收机关和报送文号。",
            "The submission date, the receiving authority and the document number (文号) "
            "are required.",
            code="incomplete",
        )
    if submitted_on > timezone.localdate():
        raise ApplicationError(
            "报送日期不能晚于今天。", "The submission date cannot be in the future.", code="future"
        )
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().get(pk=report.pk)
        if not report.is_frozen:
            raise ConflictError(
                "报告定稿后才能登记报送。",
                "The report must be frozen before its submission is recorded.",
                code="not_frozen",
            )
        if report.submitted_on is not None:
            raise ConflictError(
                "报送情况已登记，不能覆盖。",
                "The submission is already recorded and cannot be overwritten.",
                code="recorded",
            )
        report.submitted_on, report.receiving_authority = submitted_on, authority[:200]
        report.document_no = document_no[:100]
        report.submission_recorded_by, report.submission_recorded_at = user, timezone.now()
        report.save()
        audit_record(
            actor=user,
            action="pilot_report_submission",
            object_type="pilot_report",
            object_id=report.pk,
            period=str(report.year),
            details={
                "submitted_on": submitted_on.isoformat(),
                "authority": authority,
                "document_no": document_no,
                "sha256": report.content_sha256,
            },
        )
    return report


def feedback_record(*, report: AnnualReport, text: str, department, user) -> FeedbackPoint:
    """Record one point of the evaluators' feedback and raise it as a rectification item
    of the department in the warning loop (answered, signed off and closed there)."""
    from dashboards.models import EarlyWarning
    from dashboards.services import warning_raise

    _refuse(
        permissions.can_manage_pilot_report(user),
        "只有管委会可以登记评估反馈意见。",
        "Only the management committee may record the evaluators' feedback.",
    )
    text = (text or "").strip()
    if not text or department is None:
        raise ApplicationError(
            "请填写反馈意见并选择整改单位。",
            "Write the feedback point and choose the unit that rectifies it.",
            code="incomplete",
        )
    if len(text) > 2000:
        raise ApplicationError(
            "反馈意见不能超过 2000 字。",
            "A feedback point cannot exceed 2,000 characters.",
            code="too_long",
        )
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().get(pk=report.pk)
        if report.submitted_on is None:
            raise ConflictError(
                "请先登记报告的报送情况。",
                "Record the report's submission first.",
                code="not_submitted",
            )
        point = FeedbackPoint.objects.create(
            report=report, text=text, department=department, recorded_by=user
        )
        short = text if len(text) <= 40 else text[:39] + "…"
        warning = warning_raise(
            key=f"pilot_feedback:{point.pk}",
            kind=EarlyWarning.Kind.FEEDBACK,
            level=EarlyWarning.Level.YELLOW,
            department=department,
            period=str(report.year),
            title_zh=f"{report.year}年度试点评估反馈整改：{short}",
            title_en=f"{report.year} pilot evaluation feedback to rectify: {short}",
            message_zh=f"评估反馈意见（报送文号 {report.document_no}）：{text}",
            message_en=f"Evaluators' feedback on the report submitted as {report.document_no}: "
            f"{text}",
        )
        point.warning = warning
        point.save(update_fields=["warning"])
        audit_record(
            actor=user,
            action="pilot_feedback_record",
            object_type="pilot_feedback",
            object_id=point.pk,
            department_code=department.code,
            period=str(report.year),
            new_value=text,
            details={"warning": warning.pk if warning else None},
        )
    return point


# --- the case library (典型经验做法) --------------------------------------------------------

CASE_NEXT = {
    "candidate": {"submitted"},
    "submitted": {"province", "nation", "candidate"},
    "province": {"nation"},
    "nation": set(),
}


def case_create(
    *,
    user,
    title_zh: str,
    summary_zh: str,
    year: int,
    department,
    title_en: str = "",
    summary_en: str = "",
    tasks=(),
    projects=(),
    enterprises=(),
):
    """Propose a typical case, linked to the tasks, projects and enterprises it comes from."""
    from pilot.models import Case

    _refuse(
        permissions.can_propose_case(user),
        "只有各单位人员和管委会可以推荐典型案例。",
        "Only unit staff and the committee may propose a typical case.",
    )
    if department is None:
        department = getattr(user, "department", None)
    if permissions.is_department_staff(user) and department != user.department:
        raise PermissionRefused(
            "只能以本单位名义推荐案例。",
            "A case can only be proposed in your own unit's name.",
            code="forbidden",
        )
    title_zh, summary_zh = (title_zh or "").strip(), (summary_zh or "").strip()
    if not title_zh or not summary_zh or department is None:
        raise ApplicationError(
            "请填写案例名称、摘要和推荐单位。",
            "The case's title, summary and proposing unit are required.",
            code="incomplete",
        )
    if len(title_zh) > 200 or len(summary_zh) > 5000:
        raise ApplicationError(
            "案例名称不超过 200 字，摘要不超过 5000 字。",
            "The title is at most 200 characters and the summary at most 5,000.",
            code="too_long",
        )
    if not 2020 <= int(year or 0) <= 2035:
        raise ApplicationError(
            "年度须在 2020—2035 年之间。", "The year must be between 2020 and 2035.", code="year"
        )
    with transaction.atomic():
        case = Case.objects.create(
            title_zh=title_zh,
            title_en=(title_en or "").strip()[:300],
            summary_zh=summary_zh,
            summary_en=(summary_en or "").strip()[:5000],
            year=year,
            department=department,
            created_by=user,
        )
        case.tasks.set(tasks)
        case.projects.set(projects)
        case.enterprises.set(enterprises)
        audit_record(
            actor=user,
            action="pilot_case_create",
            object_type="pilot_case",
            object_id=case.pk,
            department_code=department.code,
            period=str(year),
            new_value=title_zh,
            details={
                "tasks": sorted(t.code for t in case.tasks.all()),
                "projects": sorted(p.code for p in case.projects.all()),
                "enterprises": sorted(e.code for e in case.enterprises.all()),
            },
        )
        workspace_refresh_request(year=case.year)  # the year's report lists its cases
    return case


def case_evidence_attach(*, case, upload, user):
    """Attach an evidence file to a case, checked by its content (dezhou_carbon.files)."""
    from dezhou_carbon.files import evidence_file_check
    from pilot.models import CaseEvidence

    _refuse(
        permissions.can_attach_case_evidence(user, case.department_id),
        "只有推荐单位人员和管委会可以上传案例佐证材料。",
        "Only the proposing unit's staff and the committee may attach evidence to a case.",
    )
    checked = evidence_file_check(upload)
    with transaction.atomic():
        evidence = CaseEvidence.objects.create(
            case=case,
            file=upload,
            name=checked.name[:255],
            kind=checked.kind,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=user,
        )
        audit_record(
            actor=user,
            action="pilot_case_evidence",
            object_type="pilot_case",
            object_id=case.pk,
            department_code=case.department.code,
            period=str(case.year),
            details={"name": checked.name, "sha256": checked.sha256, "size": checked.size},
        )
    return evidence


def case_evidence_download(*, evidence, user):
    _refuse(
        permissions.can_read_pilot_report(user),
        "您没有查看案例佐证材料的权限。",
        "You may not read a case's evidence.",
    )
    audit_record(
        actor=user,
        action="pilot_case_evidence_download",
        object_type="pilot_case",
        object_id=evidence.case_id,
        details={"name": evidence.name, "sha256": evidence.sha256},
    )
    return evidence


def case_decide(*, case, status: str, user, document_no: str = ""):
    """Move a case on: candidate → submitted (recommended to the province) → selected by the
    province or the nation (with the selecting document's 文号); a submitted case may go
    back to candidate. The committee decides; every step is audited."""
    from pilot.models import Case

    _refuse(
        permissions.can_decide_case(user),
        "只有管委会可以报送案例或登记入选情况。",
        "Only the committee may submit a case or record its selection.",
    )
    if status not in Case.Status.values:
        raise ApplicationError("案例状态无效。", "The case status is not valid.", code="status")
    document_no = (document_no or "").strip()
    if status in ("province", "nation") and not document_no:
        raise ApplicationError(
            "登记入选须填写入选文件的文号。",
            "A selection needs the number (文号) of the selecting document.",
            code="document_no",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("department").get(pk=case.pk)
        if status not in CASE_NEXT[case.status]:
            raise ConflictError(
                f"案例不能从“{Case.Status(case.status).label}”改为“{Case.Status(status).label}”。",
                f"A case cannot go from {case.status} to {status}.",
                code="transition",
            )
        old = case.status
        case.status = status
        if document_no:
            case.document_no = document_no[:100]
        case.decided_by, case.decided_at = user, timezone.now()
        case.save()
        audit_record(
            actor=user,
            action="pilot_case_status",
            object_type="pilot_case",
            object_id=case.pk,
            department_code=case.department.code,
            period=str(case.year),
            old_value=old,
            new_value=status,
            details={"document_no": document_no} if document_no else None,
        )
        workspace_refresh_request(year=case.year)
    return case


# --- the public page (宣传推广) ------------------------------------------------------------


def _publishable(kind: str, object_id: int) -> bool:
    from indicators.models import Target
    from pilot.models import Case, Publication
    from tasks.models import WorkItem

    if kind == Publication.Kind.TARGET:
        return Target.objects.filter(pk=object_id).exists()
    if kind == Publication.Kind.WORK_ITEM:  # only a milestone the committee verified
        return WorkItem.objects.filter(pk=object_id, verified_at__isnull=False).exists()
    if kind == Publication.Kind.CASE:
        return Case.objects.filter(pk=object_id).exists()
    return False


def publish(*, kind: str, object_id: int, user, published: bool = True) -> bool:
    """Publish (or unpublish) a target, a verified milestone or a case on the public page.
    Returns whether anything changed; audited when it did."""
    from pilot.models import Publication

    _refuse(
        permissions.can_publish(user),
        "只有管委会可以决定公开发布的内容。",
        "Only the committee decides what the public page shows.",
    )
    if kind not in Publication.Kind.values:
        raise ApplicationError("发布类型无效。", "The kind of item is not valid.", code="kind")
    if published and not _publishable(kind, object_id):
        raise ApplicationError(
            "该内容不存在或尚不能公开（里程碑须经管委会销号）。",
            "The item does not exist or cannot be published yet (a milestone must be "
            "verified by the committee).",
            code="not_publishable",
        )
    with transaction.atomic():
        if published:
            _, changed = Publication.objects.get_or_create(
                kind=kind, object_id=object_id, defaults={"published_by": user}
            )
        else:
            changed = Publication.objects.filter(kind=kind, object_id=object_id).delete()[0] > 0
        if changed:
            audit_record(
                actor=user,
                action="pilot_publish" if published else "pilot_unpublish",
                object_type=f"pilot_{kind}",
                object_id=object_id,
            )
    return bool(changed)
