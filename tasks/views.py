"""HTML pages of the plan and of its accountable work: the plan, a unit's to-do (its first
page: parts to report, approvals and co-signs waiting, figures, warnings, rectifications),
the committee's verification queue, and the POST handlers that call tasks.workflow."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.permissions import can_use_product
from audit.services import audit_record
from dashboards.cache import reader_page
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import says
from dezhou_carbon.navigation import figures_next_step, start_page
from tasks import part_import, workflow
from tasks.models import PartEvidence, PartImport, PartReport, WorkItem, WorkItemPart
from tasks.selectors import (
    plan_page_data,
    unit_todo,
    verification_queue,
    verification_queue_size,
)


def home(request):
    """Each person's own starting point (dezhou_carbon.navigation.start_page); sign in first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return redirect(start_page(request.user))


@login_required
def plan_page(request):
    """Sections → tasks → lead and support units → targets."""
    if not can_use_product(request.user):
        raise PermissionDenied
    return render(request, "tasks/plan.html", {"plan": plan_page_data()})


class PartReportForm(forms.Form):
    progress = forms.ChoiceField(choices=PartReport.Progress.choices)
    quantity = forms.CharField(required=False, max_length=40)
    quantity_unit = forms.CharField(required=False, max_length=20)
    narrative = forms.CharField(max_length=5000, widget=forms.Textarea)


def _todo_context(user, errors=None, failed_part=None) -> dict:
    todo = unit_todo(user.department)
    may_decide = permissions.can_approve(user, user.department_id)
    enterprise_quarters, enterprise_quarters_count = [], 0
    if may_decide:  # the supervised enterprises' quarters waiting for the head's decision
        from enterprises.selectors import enterprise_quarter_queue

        enterprise_quarters, enterprise_quarters_count = enterprise_quarter_queue(user)
    return {
        "enterprise_quarters": enterprise_quarters,
        "enterprise_quarters_count": enterprise_quarters_count,
        "todo": todo,
        "figures_next": figures_next_step(user),
        "errors": errors or [],
        "failed_part": failed_part,
        "may_decide": permissions.can_approve(user, user.department_id),
        "progress_choices": PartReport.Progress.choices,
        "section": "todo",
        "may_verify": permissions.can_verify_work_items(user),
    }


@login_required
def todo_page(request):
    """A department's to-do: what waits for its staff this quarter."""
    if not permissions.is_department_staff(request.user):
        raise PermissionDenied
    return reader_page(
        request,
        "todo-page",
        lambda: render(request, "tasks/todo.html", _todo_context(request.user)),
    )


def _refused(request, error: ApplicationError, failed_part=None):
    if isinstance(error, PermissionRefused):
        raise PermissionDenied(says(error)) from error
    return render(
        request,
        "tasks/todo.html",
        _todo_context(request.user, [says(error)], failed_part),
        status=400,
    )


@login_required
@require_POST
def part_report(request, part_id: int):
    """A unit reports its part of a work item for the open quarter."""
    user = request.user
    if not permissions.is_department_staff(user):
        raise PermissionDenied
    part = get_object_or_404(WorkItemPart, pk=part_id)
    form = PartReportForm(request.POST)
    if not form.is_valid():
        errors = [str(m) for field in form.errors.values() for m in field]
        return render(request, "tasks/todo.html", _todo_context(user, errors, part.pk), status=400)
    period = request.POST.get("period", "")
    try:
        workflow.part_report_submit(
            part=part,
            period=period,
            progress=form.cleaned_data["progress"],
            quantity=form.cleaned_data["quantity"],
            quantity_unit=form.cleaned_data["quantity_unit"],
            narrative=form.cleaned_data["narrative"],
            user=user,
            files=request.FILES.getlist("evidence"),
        )
    except ApplicationError as error:
        return _refused(request, error, part.pk)
    messages.success(request, _("已报送，等待本单位负责人审核。"))
    return redirect("tasks:todo")


REPORT_ACTIONS = {
    "approve": (workflow.part_report_approve, False),
    "return": (workflow.part_report_return, True),
    "cosign": (workflow.part_report_cosign, False),
}
DONE_MESSAGES = {
    "approve": gettext_lazy("已审核通过。"),
    "return": gettext_lazy("已退回。"),
    "cosign": gettext_lazy("已会签。"),
}


@login_required
@require_POST
def report_action(request, pk: int, action: str):
    """A head approves or returns the unit's report; the lead's head co-signs or returns a
    supporting part."""
    if action not in REPORT_ACTIONS or not permissions.is_department_staff(request.user):
        raise PermissionDenied
    report = get_object_or_404(PartReport, pk=pk)
    service, needs_comment = REPORT_ACTIONS[action]
    arguments = {"report": report, "user": request.user}
    if needs_comment:
        arguments["comment"] = request.POST.get("comment", "")
    try:
        service(**arguments)
    except ApplicationError as error:
        return _refused(request, error)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("tasks:todo")


@login_required
def verification_page(request):
    """The committee's queue: items their lead unit reports done, with the evidence and
    the supporting parts' co-signs."""
    if not permissions.can_verify_work_items(request.user):
        raise PermissionDenied
    return reader_page(
        request,
        "verification-page",
        lambda: render(request, "tasks/verification.html", _verification_context([])),
    )


def _verification_context(errors: list[str]) -> dict:
    return {
        "queue": verification_queue(),
        "queue_size": verification_queue_size(),
        "errors": errors,
        "section": "verification",
        "may_verify": True,
    }


@login_required
@require_POST
def verification_action(request, item_id: int, period: str, action: str):
    """The committee verifies (销号) an item or returns the lead's report with a comment."""
    user = request.user
    if action not in ("verify", "return") or not permissions.can_verify_work_items(user):
        raise PermissionDenied
    item = get_object_or_404(WorkItem, pk=item_id)
    comment = request.POST.get("comment", "")
    try:
        if action == "verify":
            workflow.work_item_verify(item=item, period=period, user=user, comment=comment)
        else:
            workflow.work_item_verification_return(
                item=item, period=period, user=user, comment=comment
            )
    except ApplicationError as error:
        if isinstance(error, PermissionRefused):
            raise PermissionDenied(says(error)) from error
        context = _verification_context([says(error)])
        return render(request, "tasks/verification.html", context, status=400)
    messages.success(request, _("已核验销号。") if action == "verify" else _("已退回牵头单位。"))
    return redirect("tasks:verification")


@login_required
def evidence_download(request, pk: int):
    """An evidence file, to those who may read its report; every download is audited."""
    evidence = get_object_or_404(
        PartEvidence.objects.select_related("report__part__department", "report__part"), pk=pk
    )
    part = evidence.report.part
    lead_department = (
        WorkItemPart.objects.filter(work_item_id=part.work_item_id, role="lead")
        .values_list("department_id", flat=True)
        .first()
    )
    if not permissions.can_read_part_report(request.user, [part.department_id, lead_department]):
        raise PermissionDenied
    audit_record(
        actor=request.user,
        action="part_evidence_download",
        object_type="part_evidence",
        object_id=evidence.pk,
        department_code=part.department.code,
        period=evidence.report.period,
        details={"sha256": evidence.sha256, "name": evidence.name},
    )
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


# --- the unit's parts in bulk: export, import with a preview (tasks.part_import) -------------


class PartImportForm(forms.Form):
    file = forms.FileField(max_length=255)


@login_required
def parts_export(request):
    """The unit's open parts as an .xlsx: this quarter's reports filled in; the template."""
    if not permissions.is_department_staff(request.user):
        raise PermissionDenied
    try:
        content, name = part_import.parts_workbook(
            department=request.user.department, user=request.user
        )
    except PermissionRefused as error:
        raise PermissionDenied(says(error)) from error
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def parts_import(request):
    """Upload a filled-in parts file: it is checked and kept as a preview (or refused with
    every row error); nothing is reported until the preview is confirmed."""
    user = request.user
    if not permissions.is_department_staff(user):
        raise PermissionDenied
    form = PartImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(
            request, ApplicationError("请选择要导入的文件。", "Choose a file to import.")
        )
    upload = form.cleaned_data["file"]
    if upload.size > part_import.MAX_BYTES:
        return _refused(
            request,
            ApplicationError(
                "文件超过 5 MB，请只保留本单位的分工表。",
                "The file is larger than 5 MB; keep only your unit's parts sheet.",
                code="too_large",
            ),
        )
    try:
        result = part_import.part_import_preview(
            department=user.department, user=user, content=upload.read(), filename=upload.name
        )
    except ApplicationError as error:
        return _refused(request, error)
    return redirect("tasks:parts_import_preview", pk=result.pk)


def _own_import(request, pk: int) -> PartImport:
    result = get_object_or_404(PartImport.objects.select_related("department"), pk=pk)
    if not (
        permissions.is_department_staff(request.user)
        and permissions.can_report_part(request.user, result.department_id)
    ):
        raise PermissionDenied
    return result


def _import_context(result: PartImport, errors=(), row_errors=None) -> dict:
    shown = row_errors if row_errors is not None else result.errors
    return {
        "upload": result,
        "section": "todo",
        "errors": list(errors),
        "row_errors": [{**e, "reason": says(e)} for e in shown[:ROW_ERRORS_SHOWN]],
        "row_errors_total": len(shown),
        "rows": [
            {**row, "progress_label": PartReport.Progress(row["progress"]).label}
            for row in result.rows
        ],
    }


ROW_ERRORS_SHOWN = 200


@login_required
def parts_import_preview(request, pk: int):
    """What an uploaded parts file would report, or every error with line and column."""
    result = _own_import(request, pk)
    return render(request, "tasks/part_import.html", _import_context(result))


@login_required
@require_POST
def parts_import_apply(request, pk: int):
    """Confirm a preview: every row is reported, all or nothing."""
    result = _own_import(request, pk)
    try:
        part_import.part_import_apply(upload=result, user=request.user)
    except ApplicationError as error:
        if isinstance(error, PermissionRefused):
            raise PermissionDenied(says(error)) from error
        context = _import_context(result, [says(error)], error.details or [])
        return render(request, "tasks/part_import.html", context, status=400)
    messages.success(
        request,
        _("已导入 %(count)s 项分工进展，等待本单位负责人审核。") % {"count": len(result.rows)},
    )
    return redirect("tasks:todo")
