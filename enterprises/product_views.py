"""Pages of product output (issue 17 #3): an enterprise's products with their output, unit
energy consumption and where it stands against the product's 标杆/基准 (entered there by
its supervising department, the statistics office or its energy manager), and the import
of a product-output file (preview, then all or nothing). Thin: reads and writes through
enterprises.product_output."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dashboards.views import product_page
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import says
from enterprises import product_output, products
from enterprises.views import enterprise_page
from enterprises.work_views import enterprise_or_404

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@enterprise_page
@require_http_methods(["GET", "POST"])
def products_page(request, credit_code: str):
    """产品产量与单位产品能耗: the enterprise's outputs compared with their benchmarks."""
    enterprise = enterprise_or_404(request, credit_code)
    may_record = product_output.can_record_output(request.user, enterprise)
    status = 200
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied(
                _("只有企业主管部门、统计办或本企业能源管理员可以填报产品产量。")
            )
        try:
            product_output.product_output_record(
                user=request.user, enterprise=enterprise, data=request.POST
            )
        except PermissionRefused as error:
            raise PermissionDenied(says(error)) from error
        except ApplicationError as error:
            messages.error(request, says(error))
            status = 400
        else:
            messages.success(request, _("产品产量已保存。"))
            return redirect("enterprises:products", credit_code=enterprise.code)
    return render(
        request,
        "enterprises/products.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "tab": "products",
            "heading": _("产品产量与单位产品能耗"),
            "rows": product_output.comparison_texts(product_output.product_comparisons(enterprise)),
            "may_record": may_record,
            "year": timezone.localdate().year - 1,
            "form": request.POST if status == 400 else {},
        },
        status=status,
    )


@product_page
@require_http_methods(["GET", "POST"])
def products_import(request):
    """Import product output from an .xlsx or .csv file: 预览 checks every row and shows
    what would be written; 导入 writes all of it or nothing."""
    user = request.user
    if not product_output.can_import_output(user):
        raise PermissionDenied
    preview, errors, status = None, [], 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        action = request.POST.get("action", "preview")
        try:
            if upload is None:
                raise ApplicationError("请选择文件。", "Choose a file.", code="file_required")
            if upload.size > MAX_UPLOAD_BYTES:
                raise ApplicationError(
                    "文件超过 5 MB。", "The file is larger than 5 MB.", code="file_too_large"
                )
            from indicators.importing import read_table

            table, formula_cells, _encoding = read_table(upload.read(), upload.name or "")
            written = product_output.product_output_import(
                user=user, table=table, formula_cells=formula_cells, dry_run=action != "import"
            )
        except PermissionRefused as error:
            raise PermissionDenied(says(error)) from error
        except ApplicationError as error:
            messages.error(request, says(error))
            errors = error.details if isinstance(error.details, list) else []
            status = 400
        else:
            if action == "import":
                messages.success(
                    request, _("已导入 %(count)s 条产品产量。") % {"count": len(written)}
                )
                return redirect("enterprises:products_import")
            preview = written
    return render(
        request,
        "enterprises/products_import.html",
        {
            "section": "ledger",
            "columns": products.headings(request.LANGUAGE_CODE or "zh-hans"),
            "preview": preview,
            "errors": errors,
        },
        status=status,
    )
