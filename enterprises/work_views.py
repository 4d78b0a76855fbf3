"""Pages of the supervision work on enterprises: an enterprise's plan (一企一策), visits and
certificates; the certificate counters with their targets; the efficiency benchmarks; the
designation suggestions to decide; the ledger as PDF. Views stay thin: reads through
enterprises.work_selectors, writes through enterprises.work_services / services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from audit.services import audit_record
from dashboards import services as warning_services
from dashboards.views import product_page
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import page_language, says
from enterprises import work_rules, work_selectors, work_services
from enterprises.models import (
    Benchmark,
    CertificateKind,
    CertificateLevel,
    CertificateStage,
    DesignationSuggestion,
    Enterprise,
    EnterpriseCertificate,
    Measure,
    MeasureProgress,
)
from enterprises.selectors import enterprises_visible_to
from enterprises.services import (
    designation_suggestion_decide,
    enterprise_access_refused_record,
    foreign_measure_attempt_record,
)
from enterprises.views import enterprise_page

FINDING_ROWS = 3


def _measure_id(text) -> int:
    """A posted measure id (0, matching nothing, when it is not a number)."""
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


def _may_read_register(user) -> bool:
    return permissions.can_read_all_data(user) or permissions.is_department_staff(user)


def enterprise_or_404(request, credit_code: str) -> Enterprise:
    """The enterprise the user may read (an energy manager: its own); another department's
    (another enterprise's) answers 404 (audited)."""
    if not (_may_read_register(request.user) or permissions.is_energy_manager(request.user)):
        raise PermissionDenied
    code = credit_code.strip().upper()[:18]
    enterprise = (
        enterprises_visible_to(request.user)
        .select_related("supervising_department")
        .filter(code=code)
        .first()
    )
    if enterprise is None:
        if Enterprise.objects.filter(code=code).exists():
            enterprise_access_refused_record(user=request.user, code=code, where=request.path)
        raise Http404
    return enterprise


def _may_manage(request, enterprise: Enterprise) -> bool:
    return permissions.can_manage_enterprise_work(
        request.user, enterprise.supervising_department_id
    )


def _refused_unless_manager(request, enterprise: Enterprise) -> None:
    if not _may_manage(request, enterprise):
        raise PermissionDenied(_("只有该企业的主管部门可以维护其方案、现场监督和认证记录。"))


@enterprise_page
@require_http_methods(["GET", "POST"])
def plan_page(request, credit_code: str):
    """一企一策: the measures, their quarterly progress with evidence; the supervising
    department adds measures and reports progress."""
    enterprise = enterprise_or_404(request, credit_code)
    if request.method == "POST":
        post = request.POST
        if post.get("action") == "progress":
            if not permissions.can_report_enterprise_progress(request.user, enterprise):
                raise PermissionDenied(
                    _("只有该企业的主管部门或本企业的能源管理员可以报告措施进展。")
                )
        else:
            _refused_unless_manager(request, enterprise)
        try:
            if post.get("action") == "progress":
                measure = Measure.objects.filter(
                    pk=_measure_id(post.get("measure")), enterprise=enterprise
                ).first()
                if measure is None:
                    foreign_measure_attempt_record(
                        user=request.user, measure_id=post.get("measure"),
                        enterprise=enterprise, where=f"{request.method} {request.path}",
                    )  # fmt: skip
                    raise Http404
                work_services.measure_progress_report(
                    user=request.user,
                    measure=measure,
                    period=post.get("period", ""),
                    state=post.get("state", ""),
                    note=post.get("note", ""),
                    upload=request.FILES.get("file"),
                )
                messages.success(request, _("措施进展已记录。"))
            else:
                work_services.measure_create(user=request.user, enterprise=enterprise, data=post)
                messages.success(request, _("措施已加入一企一策方案。"))
        except ApplicationError as error:
            messages.error(request, says(error))
        return redirect("enterprises:plan", credit_code=enterprise.code)
    today = timezone.localdate()
    plan = work_selectors.plan(enterprise)
    for measure in plan["measures"]:
        measure.overdue = work_rules.overdue_level(measure.state, measure.due_quarter, today)
    return render(
        request,
        "enterprises/plan.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "plan": plan,
            "may_manage": _may_manage(request, enterprise),
            "may_report": permissions.can_report_enterprise_progress(request.user, enterprise),
            "states": Measure.State.choices,
            "current_quarter": work_rules.quarter_of(today),
        },
    )


@enterprise_page
@require_http_methods(["GET", "POST"])
def visits_page(request, credit_code: str):
    """现场监督: visits and their findings, each a rectification item in the warning loop."""
    enterprise = enterprise_or_404(request, credit_code)
    if request.method == "POST":
        _refused_unless_manager(request, enterprise)
        post = request.POST
        findings = [
            {
                "description": post.get(f"finding_{n}_description", ""),
                "requirement": post.get(f"finding_{n}_requirement", ""),
                "due_date": post.get(f"finding_{n}_due_date", ""),
            }
            for n in range(1, FINDING_ROWS + 1)
        ]
        try:
            visit = work_services.visit_record(
                user=request.user,
                enterprise=enterprise,
                visit_date=post.get("visit_date", ""),
                inspectors=post.get("inspectors", ""),
                summary=post.get("summary", ""),
                findings=findings,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(
                request,
                _("现场监督已记录，%(count)s 项问题已列入预警整改。")
                % {"count": visit.findings.count()},
            )
        return redirect("enterprises:visits", credit_code=enterprise.code)
    visits = work_selectors.visits(enterprise)
    return render(
        request,
        "enterprises/visits.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "visits": visits,
            "open_findings": work_selectors.open_findings(visits),
            "may_manage": _may_manage(request, enterprise),
            "finding_rows": range(1, FINDING_ROWS + 1),
            "today": timezone.localdate(),
        },
    )


def _finding_or_refuse(request, enterprise: Enterprise, finding_id: int):
    """The enterprise's finding; another enterprise's, for someone who may not read that
    one (an energy manager reaching by id), is refused (403) and audited; none: 404."""
    row = work_selectors.finding(enterprise, finding_id)
    if row is not None and row.warning is not None:
        return row
    owner = work_selectors.finding_owner(finding_id)
    if owner is not None and not permissions.can_read_enterprise(request.user, owner):
        enterprise_access_refused_record(user=request.user, code=owner.code, where=request.path)
        raise PermissionDenied(_("您只能查看和处理本企业的整改事项。"))
    raise Http404


def _finding_action(request, warning) -> str:
    """Run the posted step of the finding's rectification through the warning loop's
    services; returns the message to show. A refusal by rule is a 403."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    try:
        if action == "acknowledge":
            try:
                due = dt.date.fromisoformat(post.get("due_date", "").strip())
            except ValueError:
                raise ApplicationError(
                    "整改期限应为日期，例如 2026-12-31。",
                    "The due date should be a date such as 2026-12-31.",
                    code="bad_date",
                ) from None
            warning_services.warning_acknowledge(
                warning=warning, user=user, response=post.get("response", "")[:4000],
                plan=post.get("plan", "")[:4000], due_date=due,
            )  # fmt: skip
            return _("已响应，整改开始。")
        if action == "progress":
            warning_services.warning_progress_report(
                warning=warning, user=user, note=post.get("note", ""),
                upload=request.FILES.get("file"),
            )  # fmt: skip
            return _("整改进展已报告。")
        if action == "resolve":
            warning_services.warning_resolve(
                warning=warning, user=user, evidence=post.get("evidence", "")[:4000]
            )
            return _("已报告整改完成，等待主管部门核实销号。")
        if action == "close":
            warning_services.warning_close(
                warning=warning, user=user, comment=post.get("comment", "")[:2000]
            )
            return _("已核实销号。")
        if action == "send_back":
            warning_services.warning_resolution_return(
                warning=warning, user=user, comment=post.get("comment", "")[:2000]
            )
            return _("已退回企业继续整改。")
    except PermissionRefused as refused:
        raise PermissionDenied(says(refused)) from refused
    raise ApplicationError("未知的操作。", "Unknown action.", code="invalid")


@enterprise_page
@require_http_methods(["GET", "POST"])
def finding_page(request, credit_code: str, finding_id: int):
    """One finding of an on-site visit, a rectification item in the warning loop: the
    enterprise's energy manager acknowledges it, reports progress with evidence and asks
    for closure; a head of the supervising department verifies it and closes it or sends
    it back. Never another enterprise's finding (refused and audited)."""
    enterprise = enterprise_or_404(request, credit_code)
    finding = _finding_or_refuse(request, enterprise, finding_id)
    warning = finding.warning
    if request.method == "POST":
        try:
            messages.success(request, _finding_action(request, warning))
        except ApplicationError as error:
            messages.error(request, says(error))
        return redirect("enterprises:finding", credit_code=enterprise.code, finding_id=finding.pk)
    user = request.user
    state = warning.state
    State = warning.State
    may_answer = permissions.can_answer_finding(user, enterprise) or permissions.can_answer_warning(
        user, warning.department_id
    )
    may_close = permissions.can_close_finding(
        user, enterprise.supervising_department_id, warning.resolved_by_id
    )
    return render(
        request,
        "enterprises/finding.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "finding": finding,
            "warning": warning,
            "may_acknowledge": may_answer and state == State.OPEN,
            "may_progress": may_answer and state == State.ACKNOWLEDGED,
            "may_close": may_close and state == State.RESOLVED,
            "today": timezone.localdate(),
        },
    )


@enterprise_page
@require_http_methods(["GET", "POST"])
def certificates_page(request, credit_code: str):
    """An enterprise's certificates and audits; its supervising department records them."""
    enterprise = enterprise_or_404(request, credit_code)
    if request.method == "POST":
        _refused_unless_manager(request, enterprise)
        try:
            work_services.certificate_record(
                user=request.user,
                enterprise=enterprise,
                data=request.POST,
                upload=request.FILES.get("file"),
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("认证或审核已记录。"))
        return redirect("enterprises:certificates", credit_code=enterprise.code)
    return render(
        request,
        "enterprises/certificates.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "certificates": work_selectors.certificates(enterprise),
            "may_manage": _may_manage(request, enterprise),
            "kinds": CertificateKind.choices,
            "levels": [c for c in CertificateLevel.choices if c[0]],
            "stages": [c for c in CertificateStage.choices if c[0]],
            "year": timezone.localdate().year,
        },
    )


@enterprise_page
@require_GET
def evidence_file(request, kind: str, pk: int):
    """An evidence file of a measure's progress or of a certificate, for whoever may read
    the enterprise (downloads audited)."""
    if kind == "finding":
        return _finding_file(request, pk)
    model = {"progress": MeasureProgress, "certificate": EnterpriseCertificate}.get(kind)
    if model is None:
        raise Http404
    row = get_object_or_404(model, pk=pk)
    enterprise = row.measure.enterprise if kind == "progress" else row.enterprise
    enterprise_or_404(request, enterprise.code)
    if not row.file:
        raise Http404
    audit_record(
        actor=request.user,
        action="enterprise_evidence_download",
        object_type="enterprise",
        object_id=enterprise.code,
        reason=row.file_name,
        details={kind: row.pk, "sha256": row.file_sha256},
    )
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.file_name)


def _finding_file(request, pk: int):
    """An evidence file of a finding's rectification, for whoever may read the enterprise
    (another enterprise's: 404, audited); the download is audited."""
    from dashboards.models import WarningEvidence

    evidence = get_object_or_404(
        WarningEvidence.objects.select_related("warning__finding__visit__enterprise"),
        pk=pk,
        warning__kind="finding",
    )
    enterprise_or_404(request, evidence.warning.finding.visit.enterprise.code)
    warning_services.warning_evidence_download(evidence=evidence, user=request.user)
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@product_page
@require_http_methods(["GET", "POST"])
def counters_page(request):
    """Certificates and audits counted per year and kind, with the targets the committee
    set (recorded by the statistics office or an administrator, approved by a committee
    member)."""
    from accounts.models import User

    if not _may_read_register(request.user):
        raise PermissionDenied
    may_set = permissions.can_change_targets(request.user)
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        post = request.POST
        try:
            work_services.certificate_count_target_set(
                counter=post.get("counter", ""),
                year=post.get("year", ""),
                value=post.get("value", ""),
                reason=post.get("reason", ""),
                document_no=post.get("document_no", ""),
                approver=User.objects.filter(pk=post.get("approver") or 0).first(),
                actor=request.user,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("计数目标已按批准文件设定。"))
        return redirect("enterprises:counters")
    counters = work_selectors.certificate_counters(timezone.localdate())
    return render(
        request,
        "enterprises/counters.html",
        {
            "section": "counters",
            "counters": counters,
            "counter_choices": work_rules.COUNTERS,
            "may_set": may_set,
            "committee": User.objects.filter(role=User.Role.COMMITTEE, is_active=True).order_by(
                "username"
            )
            if may_set
            else [],
            "year": timezone.localdate().year,
        },
    )


@product_page
@require_http_methods(["GET", "POST"])
def benchmarks_page(request):
    """Efficiency benchmarks (标杆/基准) with their sources; the statistics office enters them."""
    if not _may_read_register(request.user):
        raise PermissionDenied
    may_manage = permissions.can_manage_enterprises(request.user)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        try:
            work_services.benchmark_record(user=request.user, data=request.POST)
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("能效标杆已录入。"))
        return redirect("enterprises:benchmarks")
    return render(
        request,
        "enterprises/benchmarks.html",
        {
            "section": "benchmarks",
            "benchmarks": work_selectors.benchmarks(),
            "may_manage": may_manage,
            "metrics": Benchmark.Metric.choices,
            "year": timezone.localdate().year,
        },
    )


@product_page
@require_http_methods(["GET", "POST"])
def suggestions_page(request):
    """Designation suggestions for a person of the statistics office to confirm or
    dismiss, with a reason (audited)."""
    if not permissions.can_read_all_data(request.user):
        raise PermissionDenied
    may_decide = permissions.can_manage_enterprises(request.user)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        suggestion = get_object_or_404(
            DesignationSuggestion, pk=request.POST.get("suggestion") or 0
        )
        decision = request.POST.get("decision", "")
        try:
            if decision not in ("confirm", "dismiss"):
                raise ApplicationError(
                    "请选择确认或驳回。", "Choose to confirm or to dismiss.", code="required"
                )
            designation_suggestion_decide(
                suggestion=suggestion,
                user=request.user,
                confirm=decision == "confirm",
                reason=request.POST.get("reason", ""),
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("认定建议已处理。"))
        return redirect("enterprises:suggestions")
    suggestions = DesignationSuggestion.objects.select_related("enterprise", "decided_by")
    return render(
        request,
        "enterprises/suggestions.html",
        {
            "section": "suggestions",
            "open": list(suggestions.filter(state=DesignationSuggestion.State.OPEN)),
            "decided": list(
                suggestions.exclude(state=DesignationSuggestion.State.OPEN).order_by("-decided_at")[
                    :100
                ]
            ),
            "may_decide": may_decide,
        },
    )


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@product_page
@require_GET
def ledger_pdf(request):
    """The ledger of a period as PDF (every page), with the CJK font, nothing fetched."""
    from enterprises.exporting import ledger_pdf as render_pdf
    from enterprises.views import _ledger_period, ledger_rows

    if not _may_read_register(request.user):
        raise PermissionDenied
    period = _ledger_period(request)
    key_units_only = request.GET.get("all") != "1"
    try:
        rows = ledger_rows(request, period, key_units_only=key_units_only)
    except ApplicationError as refused:
        return HttpResponse(says(refused), status=400, content_type="text/plain; charset=utf-8")
    content = render_pdf(
        rows,
        period=period,
        language=page_language(),
        key_units_only=key_units_only,
        taken_at=timezone.now(),
    )
    return pdf_response(content, f"ledger-{period}.pdf")
