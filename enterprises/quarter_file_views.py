"""Pages of an enterprise's quarter as a spreadsheet: the template, the upload form, the
preview with every error and the confirmation (enterprises.quarter_file does the work)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import says
from enterprises import quarter_file
from enterprises.quarters import quarter_checked
from enterprises.views import _enterprise_or_404, enterprise_page
from indicators.importing import ImportFileError
from indicators.models import ImportBatch
from reporting.uploads import MAX_UPLOAD_BYTES, PREVIEW_VALID_FOR

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _own_quarter(request, credit_code: str, period: str):
    """The enterprise (its energy manager's own; anyone else is refused) and the quarter."""
    enterprise = _enterprise_or_404(request, credit_code, refuse=True)
    if not permissions.can_enter_enterprise_figures(request.user, enterprise):
        raise PermissionDenied(
            says(quarter_file._entry_refused(request.user, enterprise, request.path))
        )
    try:
        return enterprise, quarter_checked(period[:10])
    except ApplicationError as refused:
        raise Http404(says(refused)) from refused


@enterprise_page
@require_GET
def quarter_template(request, credit_code: str, period: str):
    enterprise, period = _own_quarter(request, credit_code, period)
    content = quarter_file.enterprise_quarter_template_xlsx(
        enterprise=enterprise, period=period, user=request.user
    )
    name, fallback = quarter_file.template_filename(enterprise, period)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response["Cache-Control"] = "no-store"
    return response


@enterprise_page
@require_http_methods(["GET", "POST"])
def quarter_upload(request, credit_code: str, period: str):
    """The file form (GET) and the upload (POST): a preview is kept and shown."""
    enterprise, period = _own_quarter(request, credit_code, period)
    error, status = None, 200
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error, status = _("请选择要上传的文件（.xlsx 或 .csv）。"), 400
        elif uploaded.size > MAX_UPLOAD_BYTES:
            error, status = _("文件超过 20 MB，未读取。"), 413
        else:
            try:
                batch = quarter_file.enterprise_quarter_upload_preview(
                    enterprise=enterprise, period=period, content=uploaded.read(),
                    filename=uploaded.name or "", user=request.user,
                )  # fmt: skip
            except PermissionRefused as refused:
                raise PermissionDenied(says(refused)) from refused
            except (ImportFileError, ApplicationError) as refusal:
                error, status = says(refusal), refusal.status_code
            else:
                return redirect(
                    "enterprises:quarter_upload_preview",
                    credit_code=enterprise.code, period=period, batch_id=batch.pk,
                )  # fmt: skip
    return render(
        request,
        "enterprises/quarter_upload.html",
        {"section": "ledger", "enterprise": enterprise, "period": period, "error": error,
         "batch": None},
        status=status,
    )  # fmt: skip


@enterprise_page
@require_http_methods(["GET", "POST"])
def quarter_upload_preview(request, credit_code: str, period: str, batch_id: int):
    """Every row (old → new) and every error of an upload; its uploader confirms a clean
    one within the hour (all rows or none)."""
    enterprise, period = _own_quarter(request, credit_code, period)
    batch = quarter_file.upload_batch(enterprise, period, batch_id)
    if batch is None:
        raise Http404
    if request.method == "POST":
        try:
            count = quarter_file.enterprise_quarter_upload_confirm(
                enterprise=enterprise, batch=batch, user=request.user
            )
        except PermissionRefused as refused:
            raise PermissionDenied(says(refused)) from refused
        except ApplicationError as error:
            messages.error(request, says(error))
            return redirect(request.path)
        messages.success(
            request, _("已保存 %(count)s 项草稿，请核对后提交审核。") % {"count": count}
        )
        return redirect("enterprises:quarter", credit_code=enterprise.code, period=period)
    expired = timezone.now() - batch.created_at > PREVIEW_VALID_FOR
    return render(
        request,
        "enterprises/quarter_upload.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "period": period,
            "batch": batch,
            "rows": batch.preview_rows[1:],
            "errors": batch.errors,
            "changed": sum(1 for r in batch.preview_rows[1:] if r["changed"]),
            "expired": expired,
            "can_confirm": batch.status == ImportBatch.Status.PREVIEW
            and not batch.errors
            and not expired
            and batch.created_by_id == request.user.pk,
        },
    )
