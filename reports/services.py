"""Writes of the reports app: freezing a round's snapshot, asking for a report,
generating it (the job's one service), recording downloads, and the auditors' export of
the audit trail. Each leaves an AuditEvent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from dezhou_carbon.followups import ROUND_FROZEN, announce
from reporting.models import ReportingRound
from reports import rendering
from reports.models import ReportRequest, RoundSnapshot
from reports.selectors import snapshot_document

logger = logging.getLogger(__name__)


def _refuse_export(user) -> None:
    if not permissions.can_export(user):
        raise PermissionRefused(
            "您没有导出报告的权限。", "You may not export reports.", code="forbidden"
        )


def canonical_sha256(document: dict) -> str:
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def round_snapshot_take(*, reporting_round: ReportingRound, user) -> RoundSnapshot:
    """The round's frozen snapshot: taken now from the stored results if the round has
    none yet, else the one taken before (never retaken, so a figure revised later does
    not change the round's report). Two callers racing get the same snapshot."""
    existing = RoundSnapshot.objects.filter(reporting_round=reporting_round).first()
    if existing is not None:
        return existing
    document = snapshot_document(reporting_round)
    taken_at = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic():
            snapshot = RoundSnapshot.objects.create(
                reporting_round=reporting_round,
                taken_at=taken_at,
                taken_by=user if getattr(user, "pk", None) else None,
                content=document,
                content_sha256=canonical_sha256(document),
            )
            audit_record(
                actor=user,
                action="report_snapshot",
                object_type="round_snapshot",
                object_id=snapshot.pk,
                period=reporting_round.period,
                details={
                    "sha256": snapshot.content_sha256,
                    "targets": len(document["targets"]),
                    "results": len(document["results"]),
                },
            )
            # Apps reading the round's snapshot follow up (the pilot's workspace).
            transaction.on_commit(
                lambda pk=reporting_round.pk: announce(ROUND_FROZEN, reporting_round_id=pk)
            )
    except IntegrityError:  # another request froze the round first
        return RoundSnapshot.objects.get(reporting_round=reporting_round)
    return snapshot


def closed_rounds_freeze() -> int:
    """Freeze every closed round that has no snapshot yet (its closing's job was lost: the
    broker was down); the closed state is the durable record of the pending freeze. Returns
    how many were frozen. Safe to run at any time: a frozen round is never retaken."""
    unfrozen = ReportingRound.objects.filter(
        state=ReportingRound.State.CLOSED, snapshot__isnull=True
    ).order_by("pk")
    frozen = 0
    for reporting_round in unfrozen:
        round_snapshot_take(reporting_round=reporting_round, user=None)
        frozen += 1
    return frozen


def report_request(
    *, reporting_round: ReportingRound, fmt: str, language: str, user
) -> ReportRequest:
    """Ask for the round's target-attainment report: freezes the round if it is not yet,
    records the request and queues its generation once the transaction commits."""
    _refuse_export(user)
    if fmt not in ReportRequest.Format.values:
        raise ApplicationError(
            "报告格式只能是 xlsx、pdf 或 csv。",
            "The format must be xlsx, pdf or csv.",
            code="format",
        )
    if language not in ReportRequest.Language.values:
        raise ApplicationError(
            "报告语言只能是中文或英文。",
            "The language must be Chinese (zh-hans) or English (en).",
            code="language",
        )
    from reports.jobs import report_generate_job

    with transaction.atomic():
        snapshot = round_snapshot_take(reporting_round=reporting_round, user=user)
        request = ReportRequest.objects.create(
            reporting_round=reporting_round,
            snapshot=snapshot,
            format=fmt,
            language=language,
            requested_by=user,
        )
        audit_record(
            actor=user,
            action="report_request",
            object_type="report_request",
            object_id=request.pk,
            period=reporting_round.period,
            details={"format": fmt, "language": language, "snapshot": snapshot.pk},
        )
        transaction.on_commit(lambda pk=request.pk: report_generate_job.delay(pk), robust=True)
    return request


def _progress(request_id: int):
    def report(percent: int) -> None:
        ReportRequest.objects.filter(pk=request_id).exclude(
            status=ReportRequest.Status.DONE
        ).update(percent=percent)

    return report


def report_generate(*, request_id: int) -> str:
    """Generate the requested file from the round's snapshot and store it with its
    SHA-256. Safe to run twice: a finished request is left as it is, and two runs at
    once write the same bytes (the snapshot fixes everything the file says)."""
    with transaction.atomic():
        request = (
            ReportRequest.objects.select_for_update()
            .select_related("reporting_round", "requested_by")
            .get(pk=request_id)
        )
        if request.status == ReportRequest.Status.DONE:
            return "done"
        request.status, request.percent, request.error = ReportRequest.Status.RUNNING, 5, ""
        request.save(update_fields=["status", "percent", "error"])
    snapshot = request.snapshot or round_snapshot_take(
        reporting_round=request.reporting_round, user=request.requested_by
    )
    progress = _progress(request_id)
    progress(15)
    try:
        content = rendering.render(
            snapshot.content,
            fmt=request.format,
            language=request.language,
            taken_at=timezone.localtime(snapshot.taken_at),
            progress=progress,
        )
    except Exception as exc:  # recorded for the person waiting; the log has the trace
        logger.exception("report %s failed", request_id)
        with transaction.atomic():
            ReportRequest.objects.filter(pk=request_id).exclude(
                status=ReportRequest.Status.DONE
            ).update(status=ReportRequest.Status.FAILED, error=str(exc)[:2000])
            audit_record(
                actor=None,
                action="report_failed",
                object_type="report_request",
                object_id=request_id,
                period=request.reporting_round.period,
                reason=str(exc)[:500],
            )
        return "failed"
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        request = ReportRequest.objects.select_for_update().get(pk=request_id)
        if request.status == ReportRequest.Status.DONE:
            return "done"
        request.snapshot = snapshot
        request.content = content
        request.sha256 = digest
        request.size = len(content)
        request.filename = (
            f"target-attainment-{request.reporting_round.period}-{request.language}"
            f".{request.format}"
        )
        request.status = ReportRequest.Status.DONE
        request.percent = 100
        request.finished_at = timezone.now()
        request.save()
        audit_record(
            actor=None,
            action="report_generate",
            object_type="report_request",
            object_id=request.pk,
            period=request.reporting_round.period,
            details={
                "sha256": digest,
                "size": len(content),
                "format": request.format,
                "language": request.language,
                "requested_by": request.requested_by.get_username(),
                "snapshot_sha256": snapshot.content_sha256,
            },
        )
    return "done"


def report_requests_requeue(*, older_than_seconds: int = 120) -> int:
    """Queue again the requests still pending this long after they were made (the broker
    was down when they committed, or lost them); returns how many. Safe: the job does
    nothing for a finished request."""
    from reports.jobs import report_generate_job

    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    pending = list(
        ReportRequest.objects.filter(
            status=ReportRequest.Status.PENDING, requested_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in pending:
        report_generate_job.delay(pk)
    return len(pending)


def report_download(*, report: ReportRequest, user) -> ReportRequest:
    """Record a download of a finished report and return it with its file."""
    _refuse_export(user)
    if report.status != ReportRequest.Status.DONE:
        raise ConflictError("报告尚未生成完成。", "The report is not ready yet.", code="not_ready")
    audit_record(
        actor=user,
        action="report_download",
        object_type="report_request",
        object_id=report.pk,
        period=report.reporting_round.period,
        details={"sha256": report.sha256, "format": report.format},
    )
    return ReportRequest.objects.get(pk=report.pk)


def audit_export(*, user, fmt: str, language: str, filters: dict) -> tuple[bytes, str]:
    """The audit trail filtered as asked, as CSV or xlsx bytes; the export itself is
    recorded with its filters, row count and SHA-256."""
    from reports.audit_export import audit_csv, audit_xlsx
    from reports.selectors import audit_events

    if not permissions.can_read_audit_trail(user):
        raise PermissionRefused(
            "只有审计人员可以导出审计记录。",
            "Only auditors may export the audit trail.",
            code="forbidden",
        )
    if fmt not in ("csv", "xlsx"):
        raise ApplicationError(
            "格式只能是 csv 或 xlsx。", "The format must be csv or xlsx.", code="format"
        )
    events = list(audit_events(**filters))
    content = (audit_csv if fmt == "csv" else audit_xlsx)(events, language=language)
    audit_record(
        actor=user,
        action="audit_export",
        object_type="audit_event",
        details={
            "filters": {k: str(v) for k, v in filters.items() if v},
            "rows": len(events),
            "format": fmt,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content, f"audit-trail.{fmt}"
