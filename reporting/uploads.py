"""A department's spreadsheet round trip: download a pre-filled template, upload it,
preview every change and error, confirm (all or nothing) or undo.

Views (reporting/upload_views.py) only translate HTTP to these calls. Every check of who
may do what asks accounts.permissions; every write goes through reporting.workflow, so
an upload obeys exactly the rules the entry form obeys (validation, locks, versions).

- `department_template_xlsx`: the department's items for the period with their newest
  values, written with XlsxWriter (no string ever becomes a formula or a link).
- `department_upload_preview`: parse (indicators.importing refuses unsafe files), check
  that every row is this department's, this period's and the whole park's, validate the
  merged values as the entry form would, and store the result in an ImportBatch
  (status PREVIEW) - even when it has errors, so the preview page can show them. Nothing
  else is written. A refused file writes only an audit record.
- `department_upload_confirm`: apply a clean preview (within an hour) as new draft
  versions linked to the batch, refusing a lost update (the versions seen in the preview
  must still be the newest).
- `department_upload_undo`: withdraw what an upload wrote (reporting.workflow).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.display import in_chinese
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting
from indicators import validation
from indicators.importing import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ItemSpec,
    RowError,
)
from indicators.locks import department_periods_lock, exceptions_active
from indicators.models import DepartmentPeriod, Figure, ImportBatch, StatisticalItem
from indicators.numbers import decimal_text
from indicators.periods import quarter_text
from indicators.services import import_file_read
from reporting.workflow import (
    EntryValue,
    department_items,
    department_period_save,
    entry_period_check,
    import_batch_undo,
    latest_figures,
    parse_period,
    validate_department_period,
)
from tasks.models import Department

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_ROWS",
    "PREVIEW_VALID_FOR",
    "TEMPLATE_SHEET",
    "UPLOAD_SOURCE",
    "UploadBatchView",
    "batch_blocking_errors",
    "batch_is_expired",
    "department_template_xlsx",
    "department_upload_batches",
    "department_upload_confirm",
    "department_upload_preview",
    "department_upload_undo",
    "template_filename",
    "upload_batch_undoable",
]

MAX_UPLOAD_BYTES = DEFAULT_MAX_BYTES  # 20 MB, the parser's own limit
MAX_UPLOAD_ROWS = DEFAULT_MAX_ROWS  # 100,000 data rows
MAX_LISTED_ERRORS = 1000  # stored and shown; the rest are counted
PREVIEW_VALID_FOR = timedelta(hours=1)
UPLOAD_SOURCE = "upload"
TEMPLATE_SHEET = "数据"
INSTRUCTIONS_SHEET = "填写说明"
TEMPLATE_HEADERS = ("期间", "指标代码", "指标名称", "数值", "单位", "备注")
_VALUE_HEADERS = {"value", "数值"}
_FLOAT_SAFE_DIGITS = 15  # a double keeps every decimal of at most 15 significant digits


def _refuse(message_zh: str, message_en: str) -> PermissionRefused:
    return PermissionRefused(message_zh, message_en, code="permission_denied")


def _department_name_en(department: Department) -> str:
    return department.name_en or department.code


# ---------------------------------------------------------------- template


def template_filename(department: Department, period: str) -> tuple[str, str]:
    """(UTF-8 file name, ASCII fallback) of the department's template."""
    return (
        f"{department.name_zh}-{period}-填报模板.xlsx",
        f"{department.code}-{period}-template.xlsx",
    )


def _instructions(department: Department, period: str, user) -> list[tuple[str, str]]:
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return [
        ("填写说明", "Instructions"),
        ("", ""),
        (f"部门：{department.name_zh}", f"Department: {_department_name_en(department)}"),
        (f"期间：{period}", f"Period: {period}"),
        (f"生成时间：{now}（{user.get_username()}）", f"Generated: {now} ({user.get_username()})"),
        ("", ""),
        (
            "1. 在“数据”工作表中每行填写一个数据；不要修改“期间”“指标代码”两列，不要增删表头。",
            "1. One row per figure on the sheet 数据 (data); do not change the period (期间) or "
            "item code (指标代码) columns, and keep the header row as it is.",
        ),
        (
            "2. 季度数据填写单季度数值（本季度的发生量），不是年初至今的累计值；"
            "“累计增速”类指标填写统计部门公布的年初至今增速（%），不带百分号。",
            "2. Quarterly flows are single-quarter amounts (this quarter only), not year-to-date "
            "totals; the year-to-date growth items take the published rate in %, without a "
            "percent sign.",
        ),
        (
            "3. 数值按“单位”列的单位填写；如使用其他单位（如 吨/万吨、kWh/万kWh、元/万元），"
            "请把“单位”列改为实际单位，系统会换算；无法换算的单位会被拒绝。",
            "3. Give values in the unit of the unit (单位) column; if you use another unit "
            "(t / 万t, kWh / 万kWh, 元 / 万元 …) write it in that column and it is converted; "
            "a unit that cannot be converted is refused.",
        ),
        (
            "4. 与上年同期相比变化超过 30% 或明显偏离历史数据的，必须在“备注”列说明原因，"
            "否则不能提交审核。",
            "4. A change of more than 30% on the same period last year, or a value far from "
            "the item's history, must be explained in the note (备注) column before the "
            "figures can be submitted.",
        ),
        (
            "5. 不要使用公式：从其他表格复制时请“选择性粘贴 → 数值”。含公式的单元格、"
            "带宏的工作簿（.xlsm）会被拒绝。数值不能带百分号或使用科学计数法。",
            "5. No formulas: when copying from another workbook use Paste Special → Values. "
            "Formula cells and workbooks with macros (.xlsm) are refused. No percent signs or "
            "scientific notation in values.",
        ),
        (
            "6. “数值”留空的行不修改该项；“备注”以文件为准，备注留空会清除原有备注。",
            "6. A row whose value is empty leaves that item as it is; the note is taken from "
            "the file, so an empty note clears the current one.",
        ),
        (
            "7. 只读取“数据”工作表；“指标名称”列仅供参考。文件不超过 20 MB，"
            "也可另存为 UTF-8 或 GBK 编码的 CSV 上传。",
            "7. Only the sheet 数据 (data) is read; the item name column is for reference. At "
            "most 20 MB; a UTF-8 or GBK CSV with the same columns is accepted too.",
        ),
        (
            "8. 上传后先显示预览（原值 → 新值）和全部错误；确认后保存为草稿（预览 1 小时内有效），"
            "之后仍需在填报页面提交审核。未审核前可撤销这次上传。",
            "8. An upload first shows a preview (old → new value) and every error; confirming "
            "(within an hour) saves drafts, which you then submit for approval on the entry "
            "page. Until approved, an upload can be undone.",
        ),
    ]


def _number_fits_float(value: Decimal) -> bool:
    return len(value.normalize().as_tuple().digits) <= _FLOAT_SAFE_DIGITS


def department_template_xlsx(*, department: Department, period: str, user) -> bytes:
    """A pre-filled xlsx of the department's items for the period: sheet 数据 with the
    newest value (a number) and note of each item, sheet 填写说明 with the rules."""
    if not permissions.can_read_department(user, department.pk):
        raise _refuse("您不能查看该部门的数据。", "You cannot read this department's figures.")
    items = department_items(department, period)
    current = latest_figures(department, period)

    buffer = io.BytesIO()
    workbook = inert_workbook(buffer)
    workbook.set_properties(
        {
            "title": f"{department.name_zh} {quarter_text(period)} 统计数据填报模板",
            "subject": f"{department.code} {period}",
            "company": "德州经济技术开发区",
        }
    )
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "border": 1, "valign": "vcenter"}
    )
    header_input = workbook.add_format(
        {"bold": True, "bg_color": "#FFF2CC", "border": 1, "valign": "vcenter"}
    )
    text = workbook.add_format({"num_format": "@"})
    text_quoted = workbook.add_format({"num_format": "@", "quote_prefix": True})
    number = workbook.add_format({"num_format": "General"})

    sheet = workbook.add_worksheet(TEMPLATE_SHEET)
    for column, title in enumerate(TEMPLATE_HEADERS):
        sheet.write_string(0, column, title, header_input if title in ("数值", "备注") else header)
    for row, item in enumerate(items, start=1):
        figure = current.get(item.code)
        sheet.write_string(row, 0, period, text)
        sheet.write_string(row, 1, item.code, text)
        sheet.write_string(row, 2, item.name_zh, text)
        if figure is not None:
            value = Decimal(figure.value)
            if _number_fits_float(value):
                sheet.write_number(row, 3, float(value), number)
            else:  # more digits than a double keeps: text, read back exactly
                sheet.write_string(row, 3, decimal_text(value), text)
        sheet.write_string(row, 4, item.unit, text)
        note = figure.note if figure is not None else ""
        if note:
            sheet.write_string(row, 5, note, text_quoted if needs_quoting(note) else text)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 22)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 2, 36)
    sheet.set_column(3, 3, 18)
    sheet.set_column(4, 4, 10)
    sheet.set_column(5, 5, 48)
    sheet.activate()

    guide = workbook.add_worksheet(INSTRUCTIONS_SHEET)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title = workbook.add_format({"bold": True, "font_size": 14})
    guide.set_column(0, 0, 70)
    guide.set_column(1, 1, 80)
    for row, (zh, en) in enumerate(_instructions(department, period, user)):
        style = title if row == 0 else wrap
        if zh:
            guide.write_string(row, 0, zh, style)
        if en:
            guide.write_string(row, 1, en, style)
    workbook.close()
    content = buffer.getvalue()
    audit_record(
        actor=user,
        action="template_download",
        object_type="department_period",
        department_code=department.code,
        period=period,
        details={"sha256": hashlib.sha256(content).hexdigest(), "items": len(items)},
    )
    return content


# ---------------------------------------------------------------- preview


def _column_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _error_dict(error: RowError, *, kind: str = "row", severity: str = "error") -> dict:
    return {
        "line": error.line,
        "column": error.column,
        "code": error.code,
        "message_zh": error.message_zh,
        "message_en": error.message_en,
        "value": error.value,
        "kind": kind,
        "severity": severity,
    }


def _row_error(line, column, code, message_zh, message_en, value="", kind="row") -> dict:
    return {
        "line": line,
        "column": column,
        "code": code,
        "message_zh": message_zh,
        "message_en": message_en,
        "value": value[:100],
        "kind": kind,
        "severity": "error",
    }


def _catalogue_lookup(codes: set[str]) -> dict[str, StatisticalItem]:
    """Items of the whole catalogue by code and by case-folded code."""
    if not codes:
        return {}
    found: dict[str, StatisticalItem] = {}
    for item in StatisticalItem.objects.select_related("department"):
        found.setdefault(item.code, item)
        found.setdefault(_column_key(item.code), item)
    return found


def _explain_unknown_item(error: RowError, department: Department, period: str, catalogue) -> dict:
    """An item the parser did not know among the department's: say why when the catalogue
    has it (another department's item, or an item of the other frequency)."""
    item = catalogue.get(error.value) or catalogue.get(_column_key(error.value))
    if item is None:
        return _error_dict(error)
    line, column = error.line, error.column
    if item.department_id != department.pk:
        return _row_error(
            line,
            column,
            "other_department_item",
            f"第{line}行“{column}”列：指标 {item.code}（{item.name_zh}）属于"
            f"{item.department.name_zh}，不是本部门（{department.name_zh}）的指标，不能在此上传",
            f"Line {line}, column '{column}': item {item.code} ({item.name_en or item.name_zh}) "
            f"belongs to another department ({_department_name_en(item.department)}), not "
            f"{_department_name_en(department)}; it cannot be uploaded here",
            error.value,
        )
    want_zh = "年度" if item.frequency == StatisticalItem.Frequency.YEAR else "季度"
    want_en = "yearly" if item.frequency == StatisticalItem.Frequency.YEAR else "quarterly"
    return _row_error(
        line,
        column,
        "other_frequency_item",
        f"第{line}行“{column}”列：指标 {item.code}（{item.name_zh}）按{want_zh}填报，"
        f"不属于期间 {period}，请在{want_zh}期间上传",
        f"Line {line}, column '{column}': item {item.code} is reported {want_en}, not for "
        f"period {period}; upload it for a {want_en} period",
        error.value,
    )


def _only_missing_value(errors: list[RowError]) -> bool:
    """The row's one problem is an empty value cell: it is skipped (left as it is)."""
    return (
        len(errors) == 1
        and errors[0].code == "missing_value"
        and _column_key(errors[0].column) in _VALUE_HEADERS
    )


def _closed_period_error(department: Department, period: str) -> dict | None:
    """The department-period is submitted or approved (without a lock exception)."""
    row = DepartmentPeriod.objects.filter(department=department, period=period).first()
    if row is None or row.state in (DepartmentPeriod.State.OPEN, DepartmentPeriod.State.RETURNED):
        return None
    if row.pk in exceptions_active([row], timezone.now()):
        return None
    if row.state == DepartmentPeriod.State.SUBMITTED:
        return _row_error(
            0,
            "",
            "period_submitted",
            f"{department.name_zh} {quarter_text(period)} 的数据已提交待审核，不能修改；如需修改，请部门负责人退回。",
            f"{_department_name_en(department)} {quarter_text(period, 'en')} is submitted for approval and cannot "
            "change; ask the department head to return it.",
            kind="period",
        )
    return _row_error(
        0,
        "",
        "period_locked",
        f"{department.name_zh} {quarter_text(period)} 的数据已审核锁定；如需更正，请统计办开通限时解锁。",
        f"{_department_name_en(department)} {quarter_text(period, 'en')} is approved and locked; the statistics "
        "office can grant a time-boxed lock exception for a correction.",
        kind="period",
    )


def _clean_filename(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "upload"


def department_upload_preview(
    *,
    department: Department,
    period: str,
    content: bytes,
    filename: str,
    user,
) -> ImportBatch:
    """Check an uploaded file against the department's items for the period and store the
    preview (status PREVIEW) with every row error, validation issue and change. Nothing
    but the batch and its audit record is written (in one transaction). A file refused as
    a whole raises ImportFileError after writing only the audit record "import_file_refused"
    (outside the preview's transaction, so the refusal stays on record). Rows whose one
    problem is an empty value are skipped (that item is left as it is); at most
    MAX_LISTED_ERRORS errors are stored, followed by a count of the rest."""
    if not permissions.can_enter_figures(user, department.pk):
        raise _refuse(
            "您只能上传本部门的数据。", "You can only upload your own department's figures."
        )
    parse_period(period)
    entry_period_check(period)
    filename = _clean_filename(filename)
    items = {item.code: item for item in department_items(department, period)}
    specs = {
        code: ItemSpec(code, item.unit, item.frequency, item.non_negative)
        for code, item in items.items()
    }
    parsed = import_file_read(
        content=content,
        filename=filename,
        items=specs,
        user=user,
        max_bytes=MAX_UPLOAD_BYTES,
        max_rows=MAX_UPLOAD_ROWS,
        department_code=department.code,
        period=period,
        source="upload",
    )

    # Row errors, with rows whose only problem is an empty value skipped.
    by_line: dict[int, list[RowError]] = {}
    for error in parsed.errors:
        by_line.setdefault(error.line, []).append(error)
    skipped = {line for line, errs in by_line.items() if _only_missing_value(errs)}
    unknown_codes = {e.value for e in parsed.errors if e.code == "unknown_item"}
    catalogue = _catalogue_lookup(unknown_codes)
    errors: list[dict] = []
    for error in parsed.errors:
        if error.line in skipped:
            continue
        if error.code == "unknown_item":
            errors.append(_explain_unknown_item(error, department, period, catalogue))
        else:
            errors.append(_error_dict(error))
    warnings = [
        _error_dict(w, kind="file", severity="warning")
        for w in parsed.warnings
        if not (w.code == "sheets_ignored" and w.value == INSTRUCTIONS_SHEET)
    ]

    # Rows must be this period's and the whole park's.
    rows = []
    for row in parsed.rows:
        problem = False
        if row.period != period:
            problem = True
            errors.append(
                _row_error(
                    row.line,
                    "期间",
                    "other_period",
                    f"第{row.line}行：期间 {row.period} 与本次上传的期间 {period} 不符；"
                    f"每个文件只能包含 {period} 的数据",
                    f"Line {row.line}: period {row.period} is not the period of this upload "
                    f"({period}); a file may hold {period} figures only",
                    row.period,
                )
            )
        if row.scope:
            problem = True
            errors.append(
                _row_error(
                    row.line,
                    "统计范围",
                    "scope_not_allowed",
                    f"第{row.line}行：部门上传只接受园区整体数据，“统计范围”请留空"
                    f"（读到 {row.scope}）",
                    f"Line {row.line}: a department upload holds whole-park figures only; "
                    f"leave the scope empty (found {row.scope})",
                    row.scope,
                )
            )
        if not problem:
            rows.append(row)

    # The merged values (newest versions overlaid by the file's), validated like the form.
    current = latest_figures(department, period)
    values = {code: figure.value for code, figure in current.items()}
    notes = {code: figure.note for code, figure in current.items()}
    for row in rows:
        values[row.item_code] = row.value
        notes[row.item_code] = row.note
    issues = validate_department_period(
        department=department, period=period, values=values, notes=notes, for_submission=False
    )
    line_of = {row.item_code: row.line for row in rows}
    soft: dict[str, list[dict]] = {}
    for issue in issues:
        if issue.severity == validation.HARD:
            errors.append(
                _row_error(
                    line_of.get(issue.item, 0),
                    "",
                    issue.code,
                    issue.message_zh,
                    issue.message_en,
                    issue.item,
                    kind="validation",
                )
                | {"item": issue.item}
            )
        elif issue.item in line_of:
            soft.setdefault(issue.item, []).append(issue.as_dict())

    preview_rows = []
    changes = 0
    for row in rows:
        item = items[row.item_code]
        old = current.get(row.item_code)
        value_changed = old is None or old.value != row.value
        note_changed = (old.note if old else "") != row.note
        changed = value_changed or note_changed
        changes += changed
        preview_rows.append(
            {
                "line": row.line,
                "item": row.item_code,
                "name_zh": item.name_zh,
                "name_en": item.name_en or item.code,
                "value": decimal_text(row.value),
                "unit": item.unit,
                "original_value": row.original_value.strip()[:100],
                "original_unit": row.original_unit,
                "note": row.note,
                "old": decimal_text(old.value) if old else None,
                "old_state": old.state if old else None,
                "old_note": old.note if old else "",
                "old_version": old.version if old else 0,
                "changed": changed,
                "value_changed": value_changed,
                "note_changed": note_changed,
                "issues": soft.get(row.item_code, []),
            }
        )
    preview_rows.extend({"line": line, "skipped": True} for line in sorted(skipped))
    preview_rows.sort(key=lambda r: r["line"])
    if changes and (closed := _closed_period_error(department, period)):
        errors.append(closed)
    errors.sort(key=lambda e: e["line"])
    if len(errors) > MAX_LISTED_ERRORS:
        hidden = len(errors) - MAX_LISTED_ERRORS
        errors = errors[:MAX_LISTED_ERRORS]
        errors.append(
            _row_error(
                0,
                "",
                "more_errors",
                f"另有 {hidden} 处错误未列出；请先改正以上错误后重新上传",
                f"{hidden} more error(s) are not listed; correct the ones above and upload again",
                kind="file",
            )
        )

    data_lines = len(parsed.rows) + len({e.line for e in parsed.errors if e.line > 0})
    with transaction.atomic():
        return _preview_store(
            department=department,
            period=period,
            filename=filename,
            user=user,
            parsed=parsed,
            data_lines=data_lines,
            errors=errors + warnings,
            preview_rows=preview_rows,
            summary={"errors": len(errors), "changes": changes, "skipped": len(skipped)},
        )


def _preview_store(
    *, department, period, filename, user, parsed, data_lines, errors, preview_rows, summary
) -> ImportBatch:
    batch = ImportBatch.objects.create(
        sha256=parsed.sha256,
        filename=filename,
        source=UPLOAD_SOURCE,
        status=ImportBatch.Status.PREVIEW,
        row_count=data_lines,
        errors=errors,
        department=department,
        period=period,
        preview_rows=preview_rows,
        created_by=user,
    )
    audit_record(
        actor=user,
        action="upload_preview",
        object_type="import",
        object_id=batch.pk,
        department_code=department.code,
        period=period,
        reason=filename,
        details={
            "sha256": parsed.sha256,
            "encoding": parsed.encoding,
            "rows": data_lines,
            **summary,
        },
    )
    return batch


# ---------------------------------------------------------------- confirm and undo


def batch_blocking_errors(batch: ImportBatch) -> list[dict]:
    """The batch's errors that refuse a confirmation (warnings do not)."""
    return [e for e in batch.errors or [] if e.get("severity", "error") == "error"]


def batch_is_expired(batch: ImportBatch, now=None) -> bool:
    return (now or timezone.now()) > batch.created_at + PREVIEW_VALID_FOR


@transaction.atomic
def department_upload_confirm(*, batch: ImportBatch, user) -> ImportBatch:
    """Apply a clean preview, all or nothing, as new draft versions linked to the batch
    (rows equal to the newest version change nothing). Refused: someone else's
    department, a batch that is not a preview (confirmed already, undone), a preview with
    errors or older than an hour, and figures changed by someone since the preview."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)  # no join: FOR UPDATE
    if batch.department_id is None or not permissions.can_enter_figures(user, batch.department_id):
        raise _refuse("您不能确认这次上传。", "You cannot confirm this upload.")
    if batch.status == ImportBatch.Status.APPLIED:
        raise ApplicationError(
            "这次上传已经确认过，不能重复确认。",
            "This upload was confirmed already.",
            code="already_confirmed",
        )
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ApplicationError(
            f"这次上传的状态为“{in_chinese(batch, 'status')}”，不能确认。",
            f"This upload is {batch.status}; only a preview can be confirmed.",
            code="invalid_state",
        )
    blocking = batch_blocking_errors(batch)
    if blocking:
        raise ApplicationError(
            f"文件有 {len(blocking)} 处错误，不能确认；请改正后重新上传。",
            f"The file has {len(blocking)} error(s) and cannot be confirmed; correct it and "
            "upload it again.",
            code="has_errors",
            details=blocking,
        )
    if batch_is_expired(batch):
        raise ApplicationError(
            "预览已超过 1 小时，请重新上传文件。",
            "The preview is more than an hour old; upload the file again.",
            code="preview_expired",
        )
    department = batch.department
    rows = [r for r in batch.preview_rows if not r.get("skipped")]
    entries = [
        EntryValue(
            r["item"], Decimal(r["value"]), r["note"], expected_version=r.get("old_version", 0)
        )
        for r in rows
    ]
    created = department_period_save(
        department=department,
        period=batch.period,
        entries=entries,
        user=user,
        reason=f"上传 {batch.filename}",
        batch=batch,
    )
    batch.status = ImportBatch.Status.APPLIED
    batch.created_count = len(created)
    batch.unchanged_count = len(entries) - len(created)
    batch.save(update_fields=["status", "created_count", "unchanged_count"])
    audit_record(
        actor=user,
        action="upload_confirm",
        object_type="import",
        object_id=batch.pk,
        department_code=department.code,
        period=batch.period,
        reason=batch.filename,
        details={
            "sha256": batch.sha256,
            "created": batch.created_count,
            "unchanged": batch.unchanged_count,
        },
    )
    return batch


@transaction.atomic
def department_upload_undo(*, batch: ImportBatch, user) -> int:
    """Withdraw the versions a confirmed upload wrote (reporting.workflow.import_batch_undo),
    refused while the period is submitted for approval. Returns how many were withdrawn."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)  # no join: FOR UPDATE
    if batch.department_id is None or not permissions.can_enter_figures(user, batch.department_id):
        raise _refuse("您不能撤销这次上传。", "You cannot undo this upload.")
    department = batch.department
    row = department_periods_lock({(department.pk, batch.period)})[(department.pk, batch.period)]
    if row.state == DepartmentPeriod.State.SUBMITTED and batch.figures.exists():
        raise ApplicationError(
            f"{department.name_zh} {batch.period} 的数据已提交待审核，不能撤销上传；"
            "如需撤销，请部门负责人先退回。",
            f"{_department_name_en(department)} {batch.period} is submitted for approval; "
            "ask the department head to return it before undoing the upload.",
            code="period_submitted",
        )
    return import_batch_undo(batch=batch, user=user)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class UploadBatchView:
    batch: ImportBatch
    undoable: bool
    blocking_errors: int


def _undoable_ids(batches: list[ImportBatch], user) -> set[int]:
    """Of these uploads (one department-period), those the user can still undo: confirmed,
    wrote something, none of it approved or replaced since, the period not submitted."""
    if not batches:
        return set()
    department_id, period = batches[0].department_id, batches[0].period
    if not permissions.can_enter_figures(user, department_id):
        return set()
    if DepartmentPeriod.objects.filter(
        department_id=department_id, period=period, state=DepartmentPeriod.State.SUBMITTED
    ).exists():
        return set()
    applied = {b.pk for b in batches if b.status == ImportBatch.Status.APPLIED and b.created_count}
    blocked = set(
        Figure.objects.filter(import_batch_id__in=applied)
        .filter(Q(is_latest=False) | Q(state=Figure.State.APPROVED))
        .values_list("import_batch_id", flat=True)
    )
    return applied - blocked


def upload_batch_undoable(*, batch: ImportBatch, user) -> bool:
    return batch.department_id is not None and batch.pk in _undoable_ids([batch], user)


def department_upload_batches(
    *, department: Department, period: str, user, limit: int = 50
) -> list[UploadBatchView]:
    """The department's uploads of the period, newest first, each with whether the user
    can still undo it."""
    if not permissions.can_read_department(user, department.pk):
        raise _refuse("您不能查看该部门的数据。", "You cannot read this department's figures.")
    batches = list(
        ImportBatch.objects.filter(department=department, period=period)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    undoable = _undoable_ids(batches, user)
    return [
        UploadBatchView(
            batch=b,
            undoable=b.pk in undoable,
            blocking_errors=len(batch_blocking_errors(b)),
        )
        for b in batches
    ]
