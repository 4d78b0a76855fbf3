"""A unit's task parts in bulk: the export (an inert .xlsx of its open parts with this
quarter's reports, which is also the template) and the import of a filled-in file: checked
and kept as a preview with every row error (line, column, reason in zh/en), then applied
all or nothing. Every imported row is reported through tasks.workflow.part_report_submit,
the same entry point as the to-do page's form and the API."""

from __future__ import annotations

import hashlib
import io

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import is_english, localized
from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting
from indicators.importing import DEFAULT_MAX_BYTES, RowError
from indicators.isolated_parse import read_table_isolated
from indicators.numbers import decimal_text
from indicators.periods import quarter_text
from tasks import workflow
from tasks.models import Department, PartImport, PartReport, WorkItemPart
from tasks.part_file import COLUMNS, PROGRESS, PartSpec, parse_part_table
from tasks.selectors import current_task_period

MAX_BYTES = 5 * 1024 * 1024
DATA_SHEET = "数据"
GUIDE_SHEET = "填写说明"

# Which column a refusal of the service concerns (its code → the template's column).
_SERVICE_COLUMNS = {
    "wrong_unit": "unit",
    "no_quantity": "quantity",
    "invalid_quantity": "quantity",
    "required": "narrative",
    "invalid": "progress",
    "invalid_state": "state",
    "period_not_open": "period",
    "permission_denied": "work_item",
}
_HEADER_ZH = {key: zh for key, zh, _en, _read in COLUMNS}


def _refuse_unless_staff(user, department: Department) -> None:
    if not permissions.can_report_part(user, department.pk):
        raise PermissionRefused(
            "只能导出或导入本单位承担的工作要点分工。",
            "You can only export or import your own unit's parts.",
            code="permission_denied",
        )


def _open_parts(department: Department) -> list[WorkItemPart]:
    """The unit's parts of items not verified yet, in the plan's order (one query)."""
    return list(
        WorkItemPart.objects.filter(department=department, work_item__verified_at__isnull=True)
        .select_related("work_item__task")
        .order_by("work_item__task__order", "work_item__order", "pk")
    )


def parts_workbook(*, department: Department, user) -> tuple[bytes, str]:
    """The unit's open parts as an .xlsx (sheet 数据, one row a part, this quarter's report
    filled in where there is one; sheet 填写说明): the file to fill in and import. Text
    is written inert (never a formula). Returns (content, file name)."""
    _refuse_unless_staff(user, department)
    period = current_task_period() or ""
    parts = _open_parts(department)
    reports = {
        r.part_id: r
        for r in PartReport.objects.filter(part__in=parts, period=period).only(
            "part_id", "progress", "quantity", "narrative", "state"
        )
    }
    english = is_english()
    buffer = io.BytesIO()
    workbook = inert_workbook(buffer)
    workbook.set_properties(
        {
            "title": f"{department.name_zh} {quarter_text(period)} 工作要点分工进展",
            "subject": f"{department.code} {period}",
            "company": "德州经济技术开发区",
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    header_input = workbook.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
    text = workbook.add_format({"num_format": "@", "valign": "top"})
    quoted = workbook.add_format({"num_format": "@", "valign": "top", "quote_prefix": True})
    sheet = workbook.add_worksheet(DATA_SHEET)
    inputs = {"period", "progress", "quantity", "narrative"}
    for column, (key, zh, en, _read) in enumerate(COLUMNS):
        sheet.write_string(
            0, column, en if english else zh, header_input if key in inputs else header
        )

    def put(row: int, column: int, value: str) -> None:
        if value:
            sheet.write_string(row, column, value, quoted if needs_quoting(value) else text)

    for row, part in enumerate(parts, start=1):
        item = part.work_item
        report = reports.get(part.pk)
        values = {
            "work_item": item.code,
            "title": localized(item.title_zh, item.title_en),
            "role": str(part.get_role_display()),
            "due": f"{item.due_year}Q{item.due_quarter or 4}" if item.due_year else "",
            "target": decimal_text(item.quantity_target) if item.quantity_target else "",
            "unit": item.quantity_unit,
            "period": period,
            "progress": localized(*PROGRESS[report.progress]) if report else "",
            "quantity": decimal_text(report.quantity) if report and report.quantity else "",
            "narrative": report.narrative if report else "",
            "state": str(report.get_state_display()) if report else "",
        }
        for column, (key, *_rest) in enumerate(COLUMNS):
            put(row, column, values[key])
    sheet.freeze_panes(1, 1)
    for column, width in enumerate((10, 40, 8, 9, 9, 8, 9, 9, 10, 60, 10)):
        sheet.set_column(column, column, width)
    guide = workbook.add_worksheet(GUIDE_SHEET)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    guide.set_column(0, 0, 100)
    lines = [
        "每行是本单位承担的一个工作要点分工。填写黄色列：报送期间（本季度）、进展（未开始、推进中、"
        "已完成）、完成数量（按计量单位）、进展情况；不报送的行请保留进展、完成数量和进展情况为空。",
        "导入时先预览，全部行无误后才能确认；任何一行有错误，都不会写入。佐证文件请在待办页面逐项上传。",
        "Each row is one of your unit's parts. Fill in the yellow columns: period (the open "
        "quarter), progress (not_started, in_progress, done), quantity (in the item's unit) "
        "and narrative; leave progress, quantity and narrative empty for a part you do not "
        "report. The import is previewed and applied all or nothing.",
    ]
    for row, line in enumerate(lines):
        guide.write_string(row, 0, line, wrap)
    sheet.activate()
    workbook.close()
    name = f"{department.code}-parts-{period or 'none'}.xlsx"
    return buffer.getvalue(), name


def _error_dict(error: RowError) -> dict:
    return {
        "line": error.line,
        "column": error.column,
        "code": error.code,
        "message_zh": error.message_zh,
        "message_en": error.message_en,
        "value": error.value,
    }


def _row_dict(row) -> dict:
    return {
        "line": row.line,
        "work_item": row.work_item,
        "period": row.period,
        "progress": row.progress,
        "quantity": decimal_text(row.quantity) if row.quantity is not None else "",
        "unit": row.unit,
        "narrative": row.narrative,
    }


def _report_rows(rows: list[dict], parts: dict[str, WorkItemPart], user) -> list[dict]:
    """Report every row through the one entry point; a refusal becomes a row error
    (each row in its own savepoint, so every refusal is found). The caller's transaction
    decides whether anything stays."""
    errors = []
    for row in rows:
        try:
            with transaction.atomic():
                workflow.part_report_submit(
                    part=parts[row["work_item"]],
                    period=row["period"],
                    progress=row["progress"],
                    narrative=row["narrative"],
                    quantity=row["quantity"] or None,
                    quantity_unit=row["unit"],
                    user=user,
                )
        except ApplicationError as refusal:
            column = _SERVICE_COLUMNS.get(refusal.code, "work_item")
            errors.append(
                {
                    "line": row["line"],
                    "column": _HEADER_ZH[column],
                    "code": refusal.code,
                    "message_zh": refusal.message_zh,
                    "message_en": refusal.message_en,
                    "value": row["work_item"],
                }
            )
    return errors


class _DryRun(Exception):
    pass


def part_import_preview(*, department: Department, user, content: bytes, filename: str):
    """Check a filled-in parts file and keep it as a preview (what would be reported) or as
    refused with every error: the file's own checks (size, type, zip bomb, macros, in a
    memory-limited child for .xlsx), every row's checks, and the reporting service's own
    refusals found by a dry run that is rolled back. Nothing is reported here."""
    _refuse_unless_staff(user, department)
    period = current_task_period()
    if period is None:
        raise ApplicationError(
            "当前没有进行中的季度填报轮次，不能导入任务进展。",
            "There is no open quarterly reporting round to import into.",
            code="period_not_open",
        )
    digest = hashlib.sha256(content).hexdigest()
    upload = PartImport(
        department=department,
        period=period,
        filename=filename[:255],
        sha256=digest,
        created_by=user,
    )
    try:
        if not filename.strip().lower().endswith(".xlsx"):
            raise ApplicationError(
                "请上传本页导出的 .xlsx 文件。",
                "Upload the .xlsx file exported from this page.",
                code="unsupported_type",
            )
        table, formula_cells, _encoding = read_table_isolated(
            content, filename, max_bytes=min(MAX_BYTES, DEFAULT_MAX_BYTES)
        )
        parts = {p.work_item.code: p for p in _open_parts(department)}
        specs = {code: PartSpec(code, part.work_item.quantity_unit) for code, part in parts.items()}
        parsed = parse_part_table(table, specs, period=period, formula_cells=formula_cells)
    except ApplicationError as refusal:
        upload.status = PartImport.Status.REJECTED
        upload.errors = [
            {
                "line": 0,
                "column": "",
                "code": refusal.code,
                "message_zh": refusal.message_zh,
                "message_en": refusal.message_en,
                "value": "",
            }
        ]
    else:
        upload.rows = [_row_dict(row) for row in parsed.rows]
        upload.errors = [_error_dict(error) for error in parsed.errors]
        upload.skipped = parsed.skipped
        if not upload.errors:
            upload.errors = _dry_run(upload.rows, parts, user)
        upload.status = PartImport.Status.REJECTED if upload.errors else PartImport.Status.PREVIEW
    with transaction.atomic():
        upload.save()
        if upload.status == PartImport.Status.REJECTED:
            audit_record(
                actor=user,
                action="part_import_reject",
                object_type="part_import",
                object_id=upload.pk,
                department_code=department.code,
                period=period,
                reason=filename[:200],
                details={"errors": len(upload.errors), "sha256": digest},
            )
    return upload


def _dry_run(rows: list[dict], parts: dict[str, WorkItemPart], user) -> list[dict]:
    errors: list[dict] = []
    try:
        with transaction.atomic():
            errors = _report_rows(rows, parts, user)
            raise _DryRun
    except _DryRun:
        pass
    return errors


@transaction.atomic
def part_import_apply(*, upload: PartImport, user) -> PartImport:
    """Report every row of a previewed file (who previewed it confirms it), all or nothing:
    one refused row and nothing is written. Audited with the file's SHA-256."""
    upload = PartImport.objects.select_for_update().select_related("department").get(pk=upload.pk)
    _refuse_unless_staff(user, upload.department)
    if upload.created_by_id != user.pk:
        raise PermissionRefused(
            "只有上传该文件的人可以确认导入。",
            "Only the person who uploaded the file can confirm it.",
            code="permission_denied",
        )
    if upload.status != PartImport.Status.PREVIEW:
        raise ApplicationError(
            "该文件不是待确认的预览，不能导入。",
            f"This upload is {upload.status}; only a preview can be applied.",
            code="invalid_state",
        )
    parts = {p.work_item.code: p for p in _open_parts(upload.department)}
    missing = [row for row in upload.rows if row["work_item"] not in parts]
    errors = [
        {
            "line": row["line"],
            "column": _HEADER_ZH["work_item"],
            "code": "no_such_part",
            "message_zh": f"工作要点 {row['work_item']} 已销号或不再有本单位的分工",
            "message_en": f"Work item {row['work_item']} is verified or no longer has your part",
            "value": row["work_item"],
        }
        for row in missing
    ] or _report_rows(upload.rows, parts, user)
    if errors:  # raising rolls back every row already reported
        first = errors[0]
        raise ApplicationError(
            f"有 {len(errors)} 行不能报送，未写入任何数据（第{first['line']}行 "
            f"{first['column']}：{first['message_zh']}）",
            f"{len(errors)} row(s) cannot be reported; nothing was written (line "
            f"{first['line']} {first['column']}: {first['message_en']})",
            code="import_rejected",
            details=errors[:1000],
        )
    upload.status, upload.applied_at = PartImport.Status.APPLIED, timezone.now()
    upload.save(update_fields=["status", "applied_at"])
    audit_record(
        actor=user,
        action="part_import_apply",
        object_type="part_import",
        object_id=upload.pk,
        department_code=upload.department.code,
        period=upload.period,
        reason=upload.filename[:200],
        details={
            "rows": len(upload.rows),
            "sha256": upload.sha256,
            "work_items": [row["work_item"] for row in upload.rows][:500],
        },
    )
    return upload
