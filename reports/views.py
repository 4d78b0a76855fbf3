"""Pages of the reports app: the report list and request form, a request's progress and
its download, the lineage of a stored result or a figure, and the auditors' export of
the audit trail. Views stay thin: `accounts.permissions` decides, `reports.selectors`
reads (a fixed number of queries per page), `reports.services` writes and audits."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from audit.labels import action_choices
from dashboards.selectors import variant_label
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import is_english, page_language, says
from dezhou_carbon.input_fields import period_param
from indicators.models import Figure
from reporting.models import ReportingRound
from reports import selectors, services
from reports.models import ReportRequest

REFRESH_SECONDS = 2


def _guarded(rule):
    """Signed in (else to the login page) and allowed by `rule(user)` (else 403)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A file download as RFC 6266 asks, never sniffed or cached."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@_guarded(permissions.can_export)
@require_http_methods(["GET", "POST"])
def index(request):
    """Every round one may report on, the request form and the newest requests."""
    if request.method == "POST":
        reporting_round = ReportingRound.objects.filter(pk=request.POST.get("round") or 0).first()
        if reporting_round is None:
            messages.error(request, _("请选择填报轮次。"))
            return redirect("reports:index")
        try:
            report = services.report_request(
                reporting_round=reporting_round,
                fmt=request.POST.get("format", ""),
                language=request.POST.get("language", ""),
                user=request.user,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
            return redirect("reports:index")
        return redirect("reports:status", export_id=report.pk)
    return render(
        request,
        "reports/index.html",
        {
            "section": "reports",
            "rounds": [(r, selectors.frozen_at(r)) for r in selectors.report_rounds()],
            "requests": selectors.report_requests(),
            "formats": ReportRequest.Format.choices,
            "languages": ReportRequest.Language.choices,
            "language": page_language(),
        },
    )


@_guarded(permissions.can_export)
@require_GET
def status(request, export_id: int):
    """A request's progress (the page reloads itself while the job runs), its file's
    SHA-256 when done, and the frozen lineage of every value the report shows."""
    report = selectors.report_request(export_id)
    snapshot = selectors.snapshot_of(report.reporting_round_id)
    running = report.status in (ReportRequest.Status.PENDING, ReportRequest.Status.RUNNING)
    lineage = []
    if snapshot is not None:
        results = snapshot.content.get("results", {})
        for target in snapshot.content.get("targets", []):
            for variant, assessment in sorted(target["assessments"].items()):
                if assessment and assessment.get("result_id"):
                    result = results.get(str(assessment["result_id"]))
                    if result:
                        lineage.append((target["code"], variant_label(variant), result))
    return render(
        request,
        "reports/status.html",
        {
            "section": "reports",
            "report": report,
            "snapshot": snapshot,
            "running": running,
            "refresh_seconds": REFRESH_SECONDS,
            "lineage": lineage,
        },
    )


@_guarded(permissions.can_export)
@require_GET
def download(request, export_id: int):
    report = get_object_or_404(
        ReportRequest.objects.select_related("reporting_round"), pk=export_id
    )
    try:
        report = services.report_download(report=report, user=request.user)
    except ApplicationError as error:
        return render(
            request,
            "reports/not_ready.html",
            {"section": "reports", "report": report, "message": says(error)},
            status=error.status_code,
        )
    return attachment(
        bytes(report.content), filename=report.filename, content_type=report.content_type
    )


@_guarded(permissions.can_read_all_data)
@require_GET
def lineage_result(request, result_id: int):
    """A stored result: formula, every input figure with its version and who entered
    and approved it when, and the coefficient and counting-rule versions it used."""
    lineage = selectors.result_lineage(result_id)
    english = is_english()
    lineage["indicator_name"] = (
        lineage["indicator_name_en"]
        if english and lineage["indicator_name_en"]
        else lineage["indicator_name_zh"]
    )
    lineage["variant_label"] = variant_label(lineage["variant"]) if lineage["variant"] else ""
    return render(
        request,
        "reports/lineage_result.html",
        {"section": "reports", "lineage": lineage, "english": english},
    )


@login_required
@require_GET
def lineage_figure(request, figure_id: int):
    """A figure and every version of it, with who entered and decided each, and the
    stored results that used them (its department's staff and those who read all)."""
    figure = get_object_or_404(
        Figure.objects.only("pk", "department_id", "item_id", "period", "scope", "year"),
        pk=figure_id,
    )
    if not permissions.can_read_department(request.user, figure.department_id):
        raise PermissionDenied
    lineage = selectors.figure_lineage(figure)
    for used in lineage["used_by"]:
        used["variant_label"] = variant_label(used["variant"]) if used["variant"] else ""
    return render(
        request,
        "reports/lineage_figure.html",
        {
            "section": "reports",
            "lineage": lineage,
            "reads_all": permissions.can_read_all_data(request.user),
            "english": is_english(),
        },
    )


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@_guarded(permissions.can_read_audit_trail)
@require_GET
def audit_export(request):
    """The audit trail filtered by department, period and action: a form, and with
    `?format=csv|xlsx` the file."""
    filters = {
        "department": (request.GET.get("department") or "")[:20],
        "period_from": (request.GET.get("period_from") or "")[:40],
        "period_to": (request.GET.get("period_to") or "")[:40],
        "action": (request.GET.get("action") or "")[:50],
        "since": _date(request.GET.get("since")),
        "until": _date(request.GET.get("until")),
    }
    for key in ("period_from", "period_to"):
        if filters[key]:
            filters[key] = period_param(filters[key])
            if filters[key] is None:
                raise Http404
    fmt = request.GET.get("format")
    if fmt:
        try:
            content, filename = services.audit_export(
                user=request.user, fmt=fmt, language=page_language(), filters=filters
            )
        except ApplicationError as error:
            messages.error(request, says(error))
            return redirect("reports:audit_export")
        content_type = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return attachment(content, filename=filename, content_type=content_type)
    from tasks.models import Department

    return render(
        request,
        "reports/audit_export.html",
        {
            "section": "audit",
            "filters": filters,
            "actions": action_choices(selectors.audit_actions()),
            "departments": list(Department.objects.order_by("order", "code")),
        },
    )


urlpatterns = [
    path("", index, name="index"),
    path("<int:export_id>/", status, name="status"),
    path("<int:export_id>/download/", download, name="download"),
    path("lineage/result/<int:result_id>/", lineage_result, name="lineage_result"),
    path("lineage/figure/<int:figure_id>/", lineage_figure, name="lineage_figure"),
    path("audit/", audit_export, name="audit_export"),
]
