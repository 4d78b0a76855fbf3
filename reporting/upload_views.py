"""Spreadsheet template download, upload, preview, confirm and undo pages.

Thin: each view resolves the period, the department and the batch, calls one service of
reporting/uploads.py and turns its refusal (PermissionRefused, ApplicationError,
ImportFileError) into a page with the message in Chinese and English.

A department is the user's own, or the one named by `?department=CODE` (for people who
may act on several departments, e.g. administrators; the services refuse anyone else).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.importing import ImportFileError
from indicators.models import Figure, ImportBatch
from indicators.periods import Period, PeriodError
from reporting import uploads
from tasks.models import Department

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STATE_LABELS = dict(Figure.State.choices)
_TOO_LARGE_ZH = "文件超过 20 MB 上限，未读取；请删除多余的行或拆分为多个文件后重新上传。"
_TOO_LARGE_EN = (
    "The file is larger than the 20 MB limit and was not read; remove unneeded rows or split "
    "it into several files and upload again."
)


# ---------------------------------------------------------------- helpers


class UploadSizeLimitHandler(FileUploadHandler):
    """Stops keeping an uploaded file once it passes the limit: the rest of it is read off
    the connection and discarded, never held in memory or written to disk, and the view
    answers with a clear message instead of a broken connection."""

    def __init__(self, request=None, limit: int = uploads.MAX_UPLOAD_BYTES):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def _period_or_404(period: str) -> str:
    try:
        return Period.parse(period).code
    except PeriodError as error:
        raise Http404("not a period") from error


def _department(request) -> Department | None:
    code = request.GET.get("department", "").strip()
    if code:
        return get_object_or_404(Department, code=code)
    return request.user.department if request.user.department_id else None


def _department_query(request, department: Department) -> str:
    """`?department=CODE` when the department is not the user's own."""
    if department.pk == request.user.department_id:
        return ""
    return "?" + urlencode({"department": department.code})


def _refused(request, error: ApplicationError, status: int | None = None):
    return render(
        request,
        "reporting/upload_refused.html",
        {"error": error},
        status=status or error.status_code,
    )


def _not_allowed(request):
    return _refused(
        request,
        PermissionRefused(
            "您没有权限使用此页面。",
            "You are not allowed to use this page.",
            code="permission_denied",
        ),
    )


def _entry_url(period: str) -> str:
    try:
        return reverse("reporting:entry", args=[period])
    except NoReverseMatch:
        return f"/reporting/{period}/"


def _batch_or_404(period: str, batch_id: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.select_related("department", "created_by", "undone_by"),
        pk=batch_id,
        period=period,
        department__isnull=False,
    )


def _flash_error(request, error: ApplicationError) -> None:
    messages.error(request, f"{error.message_zh} / {error.message_en}")


# ---------------------------------------------------------------- template


@require_GET
@login_required
def template_download(request, period):
    """The department's pre-filled xlsx for the period, as an attachment."""
    period = _period_or_404(period)
    if not permissions.can_use_product(request.user):
        return _not_allowed(request)
    department = _department(request)
    if department is None:
        return _refused(
            request,
            ApplicationError(
                "请指定部门（?department=部门代码）。",
                "Choose a department (?department=CODE).",
                code="department_required",
            ),
        )
    try:
        content = uploads.department_template_xlsx(
            department=department, period=period, user=request.user
        )
    except ApplicationError as error:
        return _refused(request, error)
    name, fallback = uploads.template_filename(department, period)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- upload


@csrf_exempt
@login_required
def upload_page(request, period):
    """The file form (GET) and the upload (POST). CSRF is checked by `_upload_page`, after
    the size-limit handler is in place (Django's documented pattern for upload handlers)."""
    if request.method == "POST":
        request.upload_handlers.insert(0, UploadSizeLimitHandler(request))
    return _upload_page(request, period)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _upload_page(request, period):
    period = _period_or_404(period)
    if not permissions.can_use_product(request.user):
        return _not_allowed(request)
    department = _department(request)
    if department is None:
        choices = [
            d
            for d in Department.objects.filter(is_active=True).order_by("order", "code")
            if permissions.can_enter_figures(request.user, d.pk)
        ]
        if not choices:
            return _not_allowed(request)
        return render(
            request,
            "reporting/upload_choose.html",
            {"period": period, "departments": choices},
        )
    if not permissions.can_enter_figures(request.user, department.pk):
        return _refused(
            request,
            PermissionRefused(
                "您只能上传本部门的数据。",
                "You can only upload your own department's figures.",
                code="permission_denied",
            ),
        )
    error, status = None, 200
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if getattr(request, "upload_too_large", False) or (
            uploaded is not None and uploaded.size > uploads.MAX_UPLOAD_BYTES
        ):
            error = ApplicationError(_TOO_LARGE_ZH, _TOO_LARGE_EN, code="too_large")
            status = 413
        elif uploaded is None:
            error = ApplicationError(
                "请选择要上传的文件（.xlsx 或 .csv）。",
                "Choose a file to upload (.xlsx or .csv).",
                code="no_file",
            )
            status = 400
        else:
            try:
                batch = uploads.department_upload_preview(
                    department=department,
                    period=period,
                    content=uploaded.read(),
                    filename=uploaded.name or "",
                    user=request.user,
                )
            except ImportFileError as refusal:
                error, status = refusal, refusal.status_code
            except ApplicationError as refusal:
                return _refused(request, refusal)
            else:
                return redirect("reporting:upload_preview", period=period, batch_id=batch.pk)
    query = _department_query(request, department)
    context = {
        "period": period,
        "department": department,
        "department_query": query,
        "error": error,
        "batches": uploads.department_upload_batches(
            department=department, period=period, user=request.user
        ),
        "template_url": reverse("reporting:template", args=[period]) + query,
        "upload_url": reverse("reporting:upload", args=[period]) + query,
        "entry_url": _entry_url(period),
        "limit_mb": uploads.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "reporting/upload.html", context, status=status)


# ---------------------------------------------------------------- preview, confirm, undo


@require_GET
@login_required
def upload_preview(request, period, batch_id):
    """Every row and error of an upload, the changes (old → new) and the confirm button."""
    period = _period_or_404(period)
    batch = _batch_or_404(period, batch_id)
    if not permissions.can_read_department(request.user, batch.department_id):
        return _not_allowed(request)
    errors = uploads.batch_blocking_errors(batch)
    warnings = [e for e in batch.errors or [] if e.get("severity") == "warning"]
    rows = []
    for row in batch.preview_rows or []:
        if not row.get("skipped"):
            row = {**row, "old_state_label": _STATE_LABELS.get(row.get("old_state"), "")}
        rows.append(row)
    expired = uploads.batch_is_expired(batch)
    can_enter = permissions.can_enter_figures(request.user, batch.department_id)
    is_preview = batch.status == ImportBatch.Status.PREVIEW
    query = _department_query(request, batch.department)
    context = {
        "period": period,
        "batch": batch,
        "department": batch.department,
        "rows": rows,
        "errors": errors,
        "warnings": warnings,
        "changed": sum(1 for r in rows if r.get("changed")),
        "unchanged": sum(1 for r in rows if not r.get("skipped") and not r.get("changed")),
        "skipped": [r["line"] for r in rows if r.get("skipped")],
        "soft_issues": sum(len(r.get("issues", [])) for r in rows),
        "is_preview": is_preview,
        "expired": expired,
        "valid_until": timezone.localtime(batch.created_at + uploads.PREVIEW_VALID_FOR),
        "can_enter": can_enter,
        "can_confirm": can_enter and is_preview and not errors and not expired,
        "undoable": uploads.upload_batch_undoable(batch=batch, user=request.user),
        "upload_url": reverse("reporting:upload", args=[period]) + query,
        "entry_url": _entry_url(period),
    }
    return render(request, "reporting/upload_preview.html", context)


@require_POST
@login_required
def upload_confirm(request, period, batch_id):
    period = _period_or_404(period)
    batch = _batch_or_404(period, batch_id)
    try:
        batch = uploads.department_upload_confirm(batch=batch, user=request.user)
    except PermissionRefused as refusal:
        return _refused(request, refusal)
    except ApplicationError as refusal:
        _flash_error(request, refusal)
        return redirect("reporting:upload_preview", period=period, batch_id=batch.pk)
    messages.success(
        request,
        f"已确认上传“{batch.filename}”：保存 {batch.created_count} 项草稿，"
        f"{batch.unchanged_count} 项未变化。请在填报页面提交审核。 / "
        f"Upload '{batch.filename}' confirmed: {batch.created_count} draft(s) saved, "
        f"{batch.unchanged_count} unchanged. Submit them for approval on the entry page.",
    )
    return redirect(_entry_url(period))


@require_POST
@login_required
def upload_undo(request, period, batch_id):
    period = _period_or_404(period)
    batch = _batch_or_404(period, batch_id)
    try:
        withdrawn = uploads.department_upload_undo(batch=batch, user=request.user)
    except PermissionRefused as refusal:
        return _refused(request, refusal)
    except ApplicationError as refusal:
        _flash_error(request, refusal)
    else:
        messages.success(
            request,
            f"已撤销上传“{batch.filename}”：撤回 {withdrawn} 项，之前的版本重新生效。 / "
            f"Upload '{batch.filename}' undone: {withdrawn} figure(s) withdrawn; the previous "
            "versions are in force again.",
        )
    query = _department_query(request, batch.department)
    return redirect(reverse("reporting:upload", args=[period]) + query)


urlpatterns = [
    path("<str:period>/template.xlsx", template_download, name="template"),
    path("<str:period>/upload/", upload_page, name="upload"),
    path("<str:period>/upload/<int:batch_id>/", upload_preview, name="upload_preview"),
    path("<str:period>/upload/<int:batch_id>/confirm/", upload_confirm, name="upload_confirm"),
    path("<str:period>/upload/<int:batch_id>/undo/", upload_undo, name="upload_undo"),
]
