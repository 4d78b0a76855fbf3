"""Writes of the assessment, one entry point per state change, each audited: a scheme
version (recorded by the statistics office, approved by a committee member with 文号), a
year frozen from its snapshot, a unit's explanation, the committee's adjustments with
reasons, the sign-off (four eyes: who froze does not sign off) and the rewards or sanctions
that follow. After sign-off nothing that changes the scores is accepted."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from assessment import calculations as calc
from assessment import selectors
from assessment.models import (
    Adjustment,
    Assessment,
    Consequence,
    Explanation,
    RankingExport,
    Scheme,
)
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators.cache import page_changed
from indicators.targets import decision_people_check
from tasks.models import Department


def _committee_only(user) -> None:
    if not permissions.can_prepare_assessment(user):
        raise PermissionRefused(
            "只有管委会可以进行此项考核操作。",
            "Only the management committee can do this in the assessment.",
            code="permission_denied",
        )


def _signed_off_refusal() -> ApplicationError:
    return ApplicationError(
        "该年度考核已审定，结果不再变更。",
        "This year's assessment is signed off; its results no longer change.",
        code="signed_off",
    )


DOCUMENT_NO_MAX = 120  # Scheme.document_no, Consequence.document_no


def _document_no_checked(document_no: str) -> str:
    """A 文号 as stored: stripped, refused in zh/en when longer than the column holds (the
    embedded SQLite would keep it whole, PostgreSQL refuse it with an error page)."""
    text = (document_no or "").strip()
    if len(text) > DOCUMENT_NO_MAX:
        raise ApplicationError(
            f"文号过长（{len(text)}字，至多{DOCUMENT_NO_MAX}字），未保存。",
            f"The document number is too long ({len(text)} characters, at most "
            f"{DOCUMENT_NO_MAX}). Nothing was saved.",
            code="document_no_too_long",
        )
    return text


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().get(pk=assessment.pk)


@transaction.atomic
def scheme_record(
    *, year: int, rules: dict, document_no: str, reason: str, approver, actor
) -> Scheme:
    """A new version of `year`'s scheme (0: the default), approved by a committee member
    with the 文号 of the approving document. Weights that do not sum to 100 and every other
    invalid rule are refused in zh/en and nothing is written."""
    decision_people_check(approver=approver, actor=actor)
    if not (document_no or "").strip():
        raise ApplicationError(
            "考核方案须注明管委会批准文号。",
            "A scheme needs the 文号 of the committee's approving document.",
            code="document_no_required",
        )
    if year != 0 and not 2000 <= year <= 2100:
        raise ApplicationError("年度无效。", "The year is not valid.", code="invalid")
    document_no = _document_no_checked(document_no)
    checked = calc.rules_checked(rules)
    signed_off = Assessment.objects.filter(year=year, state=Assessment.State.SIGNED_OFF).exists()
    if year and signed_off:
        raise _signed_off_refusal()
    previous = Scheme.objects.select_for_update().filter(year=year, is_current=True).first()
    version = max(Scheme.objects.filter(year=year).values_list("version", flat=True), default=0) + 1
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    scheme = Scheme.objects.create(
        year=year,
        version=version,
        rules=checked,
        document_no=document_no.strip(),
        reason=reason,
        approved_by=approver,
        recorded_by=actor,
    )
    page_changed()
    audit_record(
        actor=actor,
        action="assessment_scheme_recorded",
        object_type="assessment_scheme",
        object_id=scheme.pk,
        period=str(year) if year else "",
        old_value=previous.rules if previous else None,
        new_value=checked,
        reason=reason,
        details={"version": version, "document_no": scheme.document_no, "approver": approver.pk},
    )
    return scheme


@transaction.atomic
def assessment_freeze(*, year: int, user, now=None) -> Assessment:
    """Freeze `year`'s assessment: the records of the whole year as a snapshot (JSON with its
    SHA-256) under the year's scheme. Only after the year has ended; refused once frozen
    (a recomputation shows differences instead)."""
    _committee_only(user)
    now = now or timezone.now()
    if timezone.localdate(now).year <= year:
        raise ApplicationError(
            f"{year}年尚未结束，只能预览，不能冻结。",
            f"{year} has not ended: it can be previewed, not frozen.",
            code="year_not_ended",
        )
    scheme = selectors.scheme_for(year)
    if scheme is None:
        raise ApplicationError(
            "尚无适用的考核方案。", "No assessment scheme applies.", code="no_scheme"
        )
    if Assessment.objects.filter(year=year).exists():
        raise ConflictError(
            f"{year}年度考核已冻结，结果不会被覆盖。",
            f"The {year} assessment is already frozen; it is never overwritten.",
            code="already_frozen",
        )
    snapshot = selectors.snapshot_build(str(year), today=timezone.localdate(now))
    digest = calc.sha256_of(snapshot)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                year=year,
                scheme=scheme,
                snapshot=snapshot,
                snapshot_sha256=digest,
                frozen_by=user,
                frozen_at=now,
            )
    except IntegrityError:
        raise ConflictError(
            f"{year}年度考核已冻结。", f"The {year} assessment is already frozen.",
            code="already_frozen",
        ) from None  # fmt: skip
    page_changed()
    audit_record(
        actor=user,
        action="assessment_frozen",
        object_type="assessment",
        object_id=assessment.pk,
        period=str(year),
        new_value={"snapshot_sha256": digest, "scheme": scheme.pk},
        details={"scheme_version": scheme.version, "units": len(snapshot["units"])},
    )
    return assessment


def _department(code_or_department) -> Department:
    if isinstance(code_or_department, Department):
        return code_or_department
    found = Department.objects.filter(code=code_or_department).first()
    if found is None:
        raise ApplicationError("责任单位不存在。", "No such unit.", code="not_found")
    return found


def _open_for_change(assessment: Assessment, department: Department) -> Assessment:
    assessment = _locked(assessment)
    if assessment.signed_off:
        raise _signed_off_refusal()
    if department.code not in assessment.snapshot["units"]:
        raise ApplicationError(
            "该单位不在本年度考核范围内。",
            "This unit is not part of this year's assessment.",
            code="not_assessed",
        )
    return assessment


@transaction.atomic
def explanation_add(*, assessment: Assessment, department, text: str, user) -> Explanation:
    """The unit's explanation of its scores (its own staff; before sign-off)."""
    department = _department(department)
    if not permissions.can_explain_assessment(user, department.pk):
        raise PermissionRefused(
            "只有本单位人员可以提交情况说明。",
            "Only the unit's own staff can explain its scores.",
            code="permission_denied",
        )
    if not (text or "").strip():
        raise ApplicationError(
            "情况说明不能为空。", "The explanation cannot be empty.", code="required"
        )
    assessment = _open_for_change(assessment, department)
    explanation = Explanation.objects.create(
        assessment=assessment, department=department, text=text.strip(), written_by=user
    )
    page_changed()
    audit_record(
        actor=user,
        action="assessment_explained",
        object_type="assessment",
        object_id=assessment.pk,
        department_code=department.code,
        period=str(assessment.year),
        new_value=explanation.text,
    )
    return explanation


@transaction.atomic
def adjustment_add(
    *, assessment: Assessment, department, points: Decimal, reason: str, user
) -> Adjustment:
    """A committee bonus or deduction with its reason (refused without), the unit's
    adjustments together within the scheme's ±limit; before sign-off only."""
    _committee_only(user)
    department = _department(department)
    assessment = _open_for_change(assessment, department)
    existing = list(
        Adjustment.objects.filter(assessment=assessment, department=department).values_list(
            "points", flat=True
        )
    )
    calc.adjustment_check(existing, Decimal(points), reason, assessment.scheme.rules)
    adjustment = Adjustment.objects.create(
        assessment=assessment,
        department=department,
        points=Decimal(points),
        reason=reason.strip(),
        recorded_by=user,
    )
    page_changed()
    audit_record(
        actor=user,
        action="assessment_adjusted",
        object_type="assessment",
        object_id=assessment.pk,
        department_code=department.code,
        period=str(assessment.year),
        new_value=calc.plain(Decimal(points)),
        reason=adjustment.reason,
    )
    return adjustment


@transaction.atomic
def assessment_sign_off(*, assessment: Assessment, user, comment: str = "", now=None) -> Assessment:
    """Sign the frozen year off (a committee member who did not freeze it): the scores are
    computed from the snapshot, the scheme and the adjustments, stored with their hash and
    never changed again."""
    assessment = _locked(assessment)
    if assessment.signed_off:
        raise _signed_off_refusal()
    if not permissions.can_prepare_assessment(user):
        _committee_only(user)
    if not permissions.can_sign_off_assessment(user, assessment.frozen_by_id):
        raise PermissionRefused(
            "冻结考核的人不能审定同一考核，须由另一位管委会成员审定。",
            "Whoever froze the assessment cannot sign it off: another committee member must.",
            code="four_eyes",
        )
    scores = calc.year_scores(
        assessment.snapshot, assessment.scheme.rules, selectors.adjustments_of(assessment)
    )
    stored = {
        "snapshot_sha256": assessment.snapshot_sha256,
        "scheme": assessment.scheme_id,
        "rows": [score.as_dict() for score in scores],
    }
    assessment.scores, assessment.scores_sha256 = stored, calc.sha256_of(stored)
    assessment.state = Assessment.State.SIGNED_OFF
    assessment.signed_off_by, assessment.signed_off_at = user, now or timezone.now()
    assessment.signoff_comment = comment
    assessment.save()
    page_changed()
    audit_record(
        actor=user,
        action="assessment_signed_off",
        object_type="assessment",
        object_id=assessment.pk,
        period=str(assessment.year),
        old_value=Assessment.State.FROZEN,
        new_value={"state": assessment.state, "scores_sha256": assessment.scores_sha256},
        reason=comment,
    )
    return assessment


@transaction.atomic
def consequence_record(
    *, assessment: Assessment, department, kind: str, reason: str, document_no: str, user
) -> Consequence:
    """A reward or sanction (通报表扬, 约谈, 通报批评) the committee decided on the signed-off
    assessment, with its reason."""
    _committee_only(user)
    department = _department(department)
    assessment = _locked(assessment)
    if not assessment.signed_off:
        raise ApplicationError(
            "考核审定后才能记录奖惩。",
            "Rewards and sanctions are recorded once the assessment is signed off.",
            code="not_signed_off",
        )
    if kind not in Consequence.Kind.values:
        raise ApplicationError("奖惩类型无效。", "Unknown reward or sanction.", code="invalid")
    document_no = _document_no_checked(document_no)
    if not (reason or "").strip():
        raise ApplicationError(
            "奖惩须写明理由，未保存。",
            "A reward or sanction needs a reason. Nothing was saved.",
            code="reason_required",
        )
    consequence = Consequence.objects.create(
        assessment=assessment,
        department=department,
        kind=kind,
        reason=reason.strip(),
        document_no=(document_no or "").strip(),
        recorded_by=user,
    )
    page_changed()
    audit_record(
        actor=user,
        action="assessment_consequence",
        object_type="assessment",
        object_id=assessment.pk,
        department_code=department.code,
        period=str(assessment.year),
        new_value=kind,
        reason=consequence.reason,
        details={"document_no": consequence.document_no},
    )
    return consequence


def default_scheme_seed() -> int:
    """The default scheme (management.md §4) stored when no default exists. Idempotent;
    returns how many rows were stored."""
    if Scheme.objects.filter(year=0).exists():
        return 0
    Scheme.objects.create(
        year=0,
        version=1,
        rules=calc.rules_checked(calc.DEFAULT_RULES),
        reason="management.md §4 默认方案（园区可调整）",
    )
    return 1


# --- exports of the ranking (a job when a worker is configured) ------------------------------


def _refuse_unless_ranking_reader(user) -> None:
    if not permissions.can_read_assessment(user):
        raise PermissionRefused(
            "您没有导出责任单位考核排名的权限。",
            "You may not export the units' ranking.",
            code="permission_denied",
        )


def ranking_export_request(*, period: str, fmt: str, language: str, user) -> RankingExport:
    """Ask for the ranking of `period` (a year, or a quarter's preview) as xlsx or PDF in
    `language`; rendered by a job once the request commits (in-process without a worker).
    Refused in zh/en with nothing written: a reader of the ranking only, a known format
    and language, a period with a scheme."""
    _refuse_unless_ranking_reader(user)
    if fmt not in RankingExport.Format.values:
        raise ApplicationError(
            "格式只能是 xlsx 或 pdf。", "The format must be xlsx or pdf.", code="format"
        )
    if language not in ("zh-hans", "en"):
        raise ApplicationError(
            "导出语言只能是中文或英文。",
            "The language must be Chinese (zh-hans) or English (en).",
            code="language",
        )
    period = selectors.checked_period(period)
    if selectors.year_view(period) is None:
        raise ApplicationError(
            f"{period}没有考核方案，无法导出。",
            f"{period} has no assessment scheme to export.",
            code="no_scheme",
        )
    from assessment.jobs import assessment_export_job

    with transaction.atomic():
        export = RankingExport.objects.create(
            period=period, format=fmt, language=language, requested_by=user
        )
        audit_record(
            actor=user,
            action="assessment_export_request",
            object_type="assessment_export",
            object_id=export.pk,
            period=period,
            details={"format": fmt, "language": language},
        )
        transaction.on_commit(lambda pk=export.pk: assessment_export_job.delay(pk), robust=True)
    return export


def ranking_file(view, *, fmt: str, language: str) -> bytes:
    """The ranking's bytes: the same view, format and language give the same bytes."""
    from assessment import exporting

    if fmt == RankingExport.Format.PDF:
        return exporting.ranking_pdf(view, language=language)
    return exporting.ranking_xlsx(view, language=language)


def ranking_export_generate(*, export_id: int) -> str:
    """Render a requested export from the period's scores as they stand (signed off,
    frozen or a preview) and store it with its SHA-256 and the snapshot's. Safe to run
    twice: a finished export is left as it is."""
    with transaction.atomic():
        export = RankingExport.objects.select_for_update().defer("content").get(pk=export_id)
        if export.status == RankingExport.Status.DONE:
            return "done"
        export.status, export.error = RankingExport.Status.RUNNING, ""
        export.save(update_fields=["status", "error"])
    try:
        view = selectors.year_view(export.period)
        if view is None:
            raise ApplicationError(
                f"{export.period}没有考核方案。",
                f"{export.period} has no scheme.",
                code="no_scheme",
            )
        content = ranking_file(view, fmt=export.format, language=export.language)
    except Exception as exc:
        import logging

        logging.getLogger(__name__).exception("assessment export %s failed", export_id)
        with transaction.atomic():
            RankingExport.objects.filter(pk=export_id).exclude(
                status=RankingExport.Status.DONE
            ).update(status=RankingExport.Status.FAILED, error=str(exc)[:2000])
            audit_record(
                actor=None,
                action="assessment_export_failed",
                object_type="assessment_export",
                object_id=export_id,
                period=export.period,
                reason=str(exc)[:500],
            )
        return "failed"
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    snapshot_sha256 = (
        view.assessment.snapshot_sha256 if view.assessment else calc.sha256_of(view.snapshot)
    )
    with transaction.atomic():
        export = RankingExport.objects.select_for_update().defer("content").get(pk=export_id)
        if export.status == RankingExport.Status.DONE:
            return "done"
        export.content, export.sha256, export.size = content, digest, len(content)
        export.filename = f"assessment-{export.period}-{export.language}.{export.format}"
        export.source, export.snapshot_sha256 = view.source, snapshot_sha256
        export.status, export.finished_at = RankingExport.Status.DONE, timezone.now()
        export.save()
        audit_record(
            actor=None,
            action="assessment_export_generate",
            object_type="assessment_export",
            object_id=export.pk,
            period=export.period,
            details={
                "sha256": digest,
                "size": len(content),
                "format": export.format,
                "language": export.language,
                "source": view.source,
                "snapshot_sha256": snapshot_sha256,
            },
        )
    return "done"


def ranking_exports_requeue(*, older_than_seconds: int = 120) -> int:
    """Queue again the exports still pending this long after they were asked for (the
    broker lost them), and those left running by a worker that died."""
    import datetime as dt

    from assessment.jobs import assessment_export_job

    now = timezone.now()
    stuck = RankingExport.objects.filter(
        status=RankingExport.Status.PENDING,
        requested_at__lt=now - dt.timedelta(seconds=older_than_seconds),
    ) | RankingExport.objects.filter(
        status=RankingExport.Status.RUNNING, requested_at__lt=now - dt.timedelta(hours=1)
    )
    pending = list(stuck.values_list("pk", flat=True))
    for pk in pending:
        assessment_export_job.delay(pk)
    return len(pending)


def ranking_export_download(*, export: RankingExport, user) -> RankingExport:
    """A finished export handed to a reader of the ranking (audited)."""
    _refuse_unless_ranking_reader(user)
    if export.status != RankingExport.Status.DONE:
        raise ConflictError("文件尚未生成完成。", "The file is not ready yet.", code="not_ready")
    audit_record(
        actor=user,
        action="assessment_export_download",
        object_type="assessment_export",
        object_id=export.pk,
        period=export.period,
        details={"sha256": export.sha256, "format": export.format},
    )
    return export
