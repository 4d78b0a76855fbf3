"""Pages of the pilot app: the annual report workspaces, a year's workspace (sections,
freezing, exports, submission and feedback) and an export's status and download. Thin:
`accounts.permissions` decides, `pilot.selectors` reads, `pilot.services` writes."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import page_language, says
from pilot import rendering, selectors, services
from pilot.models import AnnualReport, ReportExport, ReportSection
from reports.views import attachment

REFRESH_SECONDS = 2


def _guarded(rule):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


@_guarded(permissions.can_read_pilot_report)
@require_http_methods(["GET", "POST"])
def index(request):
    if request.method == "POST":
        if not permissions.can_manage_pilot_report(request.user):
            raise PermissionDenied
        try:
            year = int(request.POST.get("year") or 0)
            report = services.annual_report_open(year=year, user=request.user)
        except ValueError:
            messages.error(request, _("年度格式无效。"))
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("已建立年度试点进展报告。"))
            return redirect("pilot:report", year=report.year)
        return redirect("pilot:index")
    reports = list(AnnualReport.objects.order_by("-year"))
    states = {}
    for section in ReportSection.objects.values_list("report_id", "state"):
        counts = states.setdefault(section[0], {"approved": 0, "total": 0})
        counts["total"] += 1
        counts["approved"] += section[1] == ReportSection.State.APPROVED
    for report in reports:
        report.section_counts = states.get(report.pk, {"approved": 0, "total": 0})
    return render(
        request,
        "pilot/index.html",
        {
            "reports": reports,
            "may_manage": permissions.can_manage_pilot_report(request.user),
            "this_year": timezone.localdate().year,
            "section": "reports",
        },
    )


def _report_or_404(year: int) -> AnnualReport:
    report = selectors.workspace(year)
    if report is None:
        raise Http404
    return report


def _section_of(report: AnnualReport, pk) -> ReportSection:
    try:
        return report.sections.get(pk=int(pk or 0))
    except (ValueError, ReportSection.DoesNotExist):
        raise Http404 from None


def _post(request, report: AnnualReport):
    """One action of the workspace; refusals by rule answer 403 before anything is read."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action in ("save", "submit"):
        section = _section_of(report, post.get("section"))
        if not permissions.can_write_pilot_section(user, section.owner_id):
            raise PermissionDenied
        if action == "save":
            base = post.get("version", "")
            services.section_save(
                section=section,
                narrative=post.get("narrative", ""),
                user=user,
                base_version=int(base) if base.isdigit() else None,
            )
            return _("章节已保存。")
        services.section_submit(section=section, user=user)
        return _("章节已提交管委会审定。")
    if action in ("approve", "return"):
        if not permissions.can_manage_pilot_report(user):
            raise PermissionDenied
        section = _section_of(report, post.get("section"))
        services.section_decide(
            section=section, approve=action == "approve", comment=post.get("comment", ""), user=user
        )
        return _("章节已审定。") if action == "approve" else _("章节已退回责任单位。")
    if action == "reassign":
        if not permissions.can_manage_pilot_report(user):
            raise PermissionDenied
        from tasks.models import Department

        section = _section_of(report, post.get("section"))
        owner_id = post.get("owner", "")
        owner = Department.objects.filter(pk=int(owner_id)).first() if owner_id.isdigit() else None
        services.section_reassign(
            section=section, owner=owner, reason=post.get("reason", ""), user=user
        )
        return _("章节责任单位已调整。")
    if action == "freeze":
        if not permissions.can_manage_pilot_report(user):
            raise PermissionDenied
        services.annual_report_freeze(report=report, user=user)
        return _("报告已定稿。")
    if action == "export":
        if not permissions.can_export(user):
            raise PermissionDenied
        export = services.export_request(
            report=report, fmt=post.get("format", ""), language=post.get("language", ""), user=user
        )
        return export
    if action == "submission":
        if not permissions.can_manage_pilot_report(user):
            raise PermissionDenied
        try:
            submitted_on = dt.date.fromisoformat(post.get("submitted_on", ""))
        except ValueError:
            submitted_on = None
        services.submission_record(
            report=report,
            submitted_on=submitted_on,
            authority=post.get("authority", ""),
            document_no=post.get("document_no", ""),
            user=user,
        )
        return _("报送情况已登记。")
    if action == "feedback":
        if not permissions.can_manage_pilot_report(user):
            raise PermissionDenied
        from tasks.models import Department

        department_id = post.get("department", "")
        department = (
            Department.objects.filter(pk=int(department_id)).first()
            if department_id.isdigit()
            else None
        )
        services.feedback_record(
            report=report, text=post.get("text", ""), department=department, user=user
        )
        return _("反馈意见已登记，并已作为整改事项进入预警闭环。")
    raise PermissionDenied


@_guarded(permissions.can_read_pilot_report)
@require_http_methods(["GET", "POST"])
def report(request, year: int):
    report = _report_or_404(year)
    if request.method == "POST":
        try:
            done = _post(request, report)
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            if isinstance(done, ReportExport):
                return redirect("pilot:export", export_id=done.pk)
            messages.success(request, done)
        return redirect("pilot:report", year=report.year)
    from django.utils import translation

    from tasks.models import Department

    user = request.user
    sections = selectors.workspace_sections(report)
    if report.is_frozen:
        document = report.content
    elif report.workspace_content is not None:
        # The precomputed document (pilot.services.workspace_build), with the sections'
        # state and narrative as they stand now (read above anyway).
        with translation.override("zh-hans"):
            rows = selectors.section_rows(sections)
        document = {
            **report.workspace_content,
            "sections": rows,
            "frozen_at": timezone.localtime().replace(microsecond=0).isoformat(),
        }
    else:
        document = None  # not assembled yet: the sweep builds it within minutes
    preview = {}
    if document is not None:
        words = rendering.Words(page_language())
        preview = {b.key: rendering._html_block(b) for b in rendering.blocks(document, words)}
    for section in sections:
        section.preview = preview.get(section.key) or {"title": section.get_key_display()}
        section.may_write = (
            not report.is_frozen
            and section.state == ReportSection.State.DRAFT
            and permissions.can_write_pilot_section(user, section.owner_id)
        )
        section.may_decide = (
            not report.is_frozen
            and section.state == ReportSection.State.SUBMITTED
            and permissions.can_approve_pilot_section(user, [section.submitted_by_id])
        )
        section.may_reassign = (
            not report.is_frozen
            and section.state == ReportSection.State.DRAFT
            and permissions.can_manage_pilot_report(user)
        )
        section.version_list = list(section.versions.all())
        section.current_version = section.version_list[0].number if section.version_list else 0
    may_manage = permissions.can_manage_pilot_report(user)
    return render(
        request,
        "pilot/report.html",
        {
            "report": report,
            "sections": sections,
            "all_approved": all(s.state == ReportSection.State.APPROVED for s in sections),
            "assembled": document is not None,
            "may_manage": may_manage,
            "may_export": permissions.can_export(user),
            "exports": selectors.exports(report) if permissions.can_export(user) else [],
            "feedback": selectors.feedback(report),
            "departments": list(Department.objects.filter(is_active=True).order_by("order", "code"))
            if may_manage
            else [],
            "formats": ReportExport.Format.choices,
            "languages": ReportExport.Language.choices,
            "section": "reports",
        },
    )


def _export_or_404(export_id: int) -> ReportExport:
    try:
        return (
            ReportExport.objects.select_related("report", "requested_by")
            .defer("content")
            .get(pk=export_id)
        )
    except ReportExport.DoesNotExist:
        raise Http404 from None


@_guarded(permissions.can_export)
@require_GET
def export(request, export_id: int):
    found = _export_or_404(export_id)
    running = found.status in (ReportExport.Status.PENDING, ReportExport.Status.RUNNING)
    return render(
        request,
        "pilot/export.html",
        {
            "export": found,
            "running": running,
            "refresh_seconds": REFRESH_SECONDS,
            "section": "reports",
        },
    )


@_guarded(permissions.can_export)
@require_GET
def download(request, export_id: int):
    found = _export_or_404(export_id)
    try:
        services.export_download(export=found, user=request.user)
    except ApplicationError:
        return redirect("pilot:export", export_id=found.pk)
    full = ReportExport.objects.get(pk=found.pk)
    return attachment(bytes(full.content), filename=full.filename, content_type=full.content_type)


# --- the case library ---------------------------------------------------------------------


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@_guarded(permissions.can_read_pilot_report)
@require_http_methods(["GET", "POST"])
def cases(request):
    from enterprises.models import Enterprise
    from pilot.models import Case
    from projects.models import Project
    from tasks.models import Department, Task

    user = request.user
    if request.method == "POST":
        if not permissions.can_propose_case(user):
            raise PermissionDenied
        post = request.POST
        department = (
            user.department
            if permissions.is_department_staff(user)
            else Department.objects.filter(pk=post.get("department") or 0).first()
        )
        try:
            case = services.case_create(
                user=user,
                title_zh=post.get("title_zh", ""),
                title_en=post.get("title_en", ""),
                summary_zh=post.get("summary_zh", ""),
                summary_en=post.get("summary_en", ""),
                year=int(post.get("year") or 0),
                department=department,
                tasks=Task.objects.filter(pk__in=_ids(post.getlist("tasks"))),
                projects=Project.objects.filter(pk__in=_ids(post.getlist("projects"))),
                enterprises=Enterprise.objects.filter(pk__in=_ids(post.getlist("enterprises"))),
            )
        except ValueError:
            messages.error(request, _("年度格式无效。"))
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("案例已登记为候选。"))
            return redirect("pilot:case", pk=case.pk)
        return redirect("pilot:cases")
    may_propose = permissions.can_propose_case(user)
    return render(
        request,
        "pilot/cases.html",
        {
            "cases": list(
                Case.objects.select_related("department")
                .prefetch_related("tasks")
                .order_by("-year", "pk")
            ),
            "may_propose": may_propose,
            "choose_department": may_propose and not permissions.is_department_staff(user),
            "departments": Department.objects.filter(is_active=True).order_by("order", "code"),
            "tasks": Task.objects.order_by("order", "pk") if may_propose else [],
            "projects": Project.objects.order_by("code") if may_propose else [],
            "enterprises": Enterprise.objects.order_by("name")[:500] if may_propose else [],
            "this_year": timezone.localdate().year,
            "section": "cases",
        },
    )


def _case_or_404(pk: int):
    from pilot.models import Case

    try:
        return (
            Case.objects.select_related("department", "created_by", "decided_by")
            .prefetch_related("tasks", "projects", "enterprises", "evidence")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise Http404 from None


@_guarded(permissions.can_read_pilot_report)
@require_http_methods(["GET", "POST"])
def case(request, pk: int):
    from pilot.models import Case, Publication

    found = _case_or_404(pk)
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "evidence":
                if not permissions.can_attach_case_evidence(user, found.department_id):
                    raise PermissionDenied
                upload = request.FILES.get("file")
                if upload is None:
                    raise ApplicationError("请选择文件。", "Choose a file.", code="no_file")
                services.case_evidence_attach(case=found, upload=upload, user=user)
                messages.success(request, _("佐证材料已上传。"))
            elif action == "status":
                if not permissions.can_decide_case(user):
                    raise PermissionDenied
                services.case_decide(
                    case=found,
                    status=request.POST.get("status", ""),
                    document_no=request.POST.get("document_no", ""),
                    user=user,
                )
                messages.success(request, _("案例状态已更新。"))
            elif action in ("publish", "unpublish"):
                if not permissions.can_publish(user):
                    raise PermissionDenied
                services.publish(
                    kind="case", object_id=found.pk, user=user, published=action == "publish"
                )
                messages.success(request, _("公开发布状态已更新。"))
            else:
                raise PermissionDenied
        except ApplicationError as error:
            messages.error(request, says(error))
        return redirect("pilot:case", pk=found.pk)
    return render(
        request,
        "pilot/case.html",
        {
            "case": found,
            "next_statuses": [
                (value, label)
                for value, label in Case.Status.choices
                if value in services.CASE_NEXT[found.status]
            ],
            "may_attach": permissions.can_attach_case_evidence(user, found.department_id),
            "may_decide": permissions.can_decide_case(user),
            "may_publish": permissions.can_publish(user),
            "published": Publication.objects.filter(kind="case", object_id=found.pk).exists(),
            "section": "cases",
        },
    )


@_guarded(permissions.can_read_pilot_report)
@require_GET
def case_evidence(request, pk: int):
    from django.http import FileResponse

    from pilot.models import CaseEvidence

    try:
        evidence = CaseEvidence.objects.get(pk=pk)
    except CaseEvidence.DoesNotExist:
        raise Http404 from None
    services.case_evidence_download(evidence=evidence, user=request.user)
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the public page (宣传推广) and the committee's publishing page ------------------------


@require_GET
def public(request):
    """The park's public page: only what the committee published. `?case=` shows one
    published case (404 alike for unpublished and unknown ids); `?q=` searches within the
    published items only. No sign-in; the product's CSP as everywhere."""
    from dezhou_carbon.i18n import is_english

    english = is_english()
    case_id = request.GET.get("case")
    if case_id is not None:
        found = selectors.public_case(case_id)
        if found is None:
            raise Http404
        rows = selectors.public_rows({"targets": [], "milestones": [], "cases": [found]}, english)
        return render(request, "pilot/public_case.html", {"case": rows["cases"][0]})
    q = request.GET.get("q", "")
    content = selectors.public_content(q)
    return render(
        request,
        "pilot/public.html",
        {
            **selectors.public_rows(content, english),
            "q": q[:100],
            "snapshot_period": content["snapshot_period"],
        },
    )


@require_GET
def public_data(request):
    """The public page's content as JSON (the same wall: published items only)."""
    from django.http import JsonResponse

    from dezhou_carbon.i18n import is_english

    content = selectors.public_content(request.GET.get("q", ""))
    rows = selectors.public_rows(content, is_english())
    return JsonResponse(rows, json_dumps_params={"ensure_ascii": False})


@_guarded(permissions.can_publish)
@require_http_methods(["GET", "POST"])
def publishing(request):
    from indicators.models import Target
    from pilot.models import Case, Publication
    from tasks.models import WorkItem

    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            object_id = int(request.POST.get("object_id") or 0)
        except ValueError:
            object_id = 0
        try:
            if action not in ("publish", "unpublish"):
                raise ApplicationError("操作无效。", "The action is not valid.", code="action")
            services.publish(
                kind=request.POST.get("kind", ""),
                object_id=object_id,
                user=request.user,
                published=action == "publish",
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("公开发布状态已更新。"))
        return redirect("pilot:publishing")
    published = set(Publication.objects.values_list("kind", "object_id"))
    targets = list(Target.objects.order_by("code"))
    items = list(
        WorkItem.objects.filter(verified_at__isnull=False)
        .select_related("task")
        .order_by("task__order", "order", "pk")
    )
    found_cases = list(Case.objects.order_by("-year", "pk"))
    for target in targets:
        target.published = ("target", target.pk) in published
    for item in items:
        item.published = ("work_item", item.pk) in published
    for found in found_cases:
        found.published = ("case", found.pk) in published
    return render(
        request,
        "pilot/publishing.html",
        {"targets": targets, "items": items, "cases": found_cases, "section": "publishing"},
    )


urlpatterns = [
    path("", index, name="index"),
    path("reports/<int:year>/", report, name="report"),
    path("exports/<int:export_id>/", export, name="export"),
    path("exports/<int:export_id>/download/", download, name="download"),
    path("cases/", cases, name="cases"),
    path("cases/<int:pk>/", case, name="case"),
    path("case-evidence/<int:pk>/", case_evidence, name="case_evidence"),
    path("publishing/", publishing, name="publishing"),
    path("public/", public, name="public"),
    path("public/data.json", public_data, name="public_data"),
]
