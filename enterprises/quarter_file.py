"""An enterprise's quarter as a spreadsheet (issue 17 #9): its energy manager downloads a
pre-filled template of the enterprise's items, uploads it, sees a preview (old → new value)
with every error by line, column and reason, and confirms it — all or nothing — as drafts
of its own quarter, which it then submits on the quarter's page.

The figures import machinery does the work: the file is read by indicators.services.
import_file_read (xlsx in an isolated child process with memory and time limits, formula
cells and macros refused, units converted, credit codes checked); the preview's row errors
and its one-hour validity are the department upload's (reporting.uploads); the drafts are
written by enterprises.quarters.enterprise_quarter_save, so an upload obeys exactly the
rules of the quarter's form (the wall around the enterprise, the lock, versions)."""

from __future__ import annotations

import hashlib
import io

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting
from enterprises.models import Enterprise, EnterprisePeriod
from enterprises.quarters import (
    _entry_refused,
    enterprise_figures,
    enterprise_items,
    enterprise_quarter_save,
    quarter_checked,
    quarter_state,
    validate_quarter,
)
from indicators import validation
from indicators.importing import ItemSpec
from indicators.models import ImportBatch
from indicators.numbers import decimal_text
from indicators.periods import quarter_text
from indicators.services import import_file_read
from reporting.uploads import (
    MAX_UPLOAD_BYTES,
    PREVIEW_VALID_FOR,
    _clean_filename,
    _error_dict,
    _number_fits_float,
    _only_missing_value,
    _row_error,
)
from reporting.workflow import EntryValue, entry_period_check

SOURCE = "enterprise_upload"
SHEET = "数据"
GUIDE = "填写说明"
HEADERS = ("期间", "指标代码", "指标名称", "数值", "单位", "统计范围", "备注")
MAX_ROWS = 200  # an enterprise's quarter has fourteen items


def template_filename(enterprise: Enterprise, period: str) -> tuple[str, str]:
    return (
        f"{enterprise.name}-{period}-企业填报模板.xlsx",
        f"{enterprise.code}-{period}-template.xlsx",
    )


def _guide(enterprise: Enterprise, period: str) -> list[tuple[str, str]]:
    return [
        ("填写说明", "Instructions"),
        (f"企业：{enterprise.name}（{enterprise.code}）", f"Enterprise: {enterprise.code}"),
        (f"期间：{period}", f"Period: {period}"),
        (
            "1. 在“数据”工作表中每行填写一项数据；不要修改“期间”“指标代码”“统计范围”三列。",
            "1. One row per item on the sheet 数据 (data); do not change the period, item "
            "code or scope (the enterprise's credit code) columns.",
        ),
        (
            "2. 填写本季度的发生量（不是年初至今的累计值），按“单位”列的单位填写；"
            "没有数据的指标填 0。",
            "2. This quarter's amounts (not year-to-date), in the unit of the unit column; "
            "0 for an item the enterprise does not use.",
        ),
        (
            "3. 不要使用公式；含公式的单元格、带宏的工作簿会被拒绝。",
            "3. No formulas: formula cells and workbooks with macros are refused.",
        ),
        (
            "4. 上传后先显示预览和全部错误（行、列、原因）；确认后整体保存为草稿，"
            "有任何错误则不保存。之后在季度填报页面提交审核。",
            "4. An upload first shows a preview and every error (line, column, reason); "
            "confirming saves every row as drafts or nothing. Submit them for review on "
            "the quarter's page.",
        ),
    ]


def enterprise_quarter_template_xlsx(*, enterprise: Enterprise, period: str, user) -> bytes:
    """The enterprise's items for the quarter with their newest values and notes."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, "enterprise_quarter_template")
    period = quarter_checked(period)
    current = enterprise_figures(enterprise, period)
    buffer = io.BytesIO()
    workbook = inert_workbook(buffer)
    header = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    quoted = workbook.add_format({"num_format": "@", "quote_prefix": True})
    sheet = workbook.add_worksheet(SHEET)
    for column, title in enumerate(HEADERS):
        sheet.write_string(0, column, title, header)
    for row, item in enumerate(enterprise_items(), start=1):
        figure = current.get(item.code)
        sheet.write_string(row, 0, period, text)
        sheet.write_string(row, 1, item.code, text)
        sheet.write_string(row, 2, item.name_zh, text)
        if figure is not None:
            if _number_fits_float(figure.value):
                sheet.write_number(row, 3, float(figure.value))
            else:
                sheet.write_string(row, 3, decimal_text(figure.value), text)
        sheet.write_string(row, 4, item.unit, text)
        sheet.write_string(row, 5, enterprise.code, text)
        note = figure.note if figure is not None else ""
        if note:
            sheet.write_string(row, 6, note, quoted if needs_quoting(note) else text)
    sheet.freeze_panes(1, 0)
    for column, width in enumerate((10, 22, 30, 16, 10, 22, 40)):
        sheet.set_column(column, column, width)
    guide = workbook.add_worksheet(GUIDE)
    guide.set_column(0, 1, 70)
    for row, (zh, en) in enumerate(_guide(enterprise, period)):
        guide.write_string(row, 0, zh)
        guide.write_string(row, 1, en)
    workbook.close()
    content = buffer.getvalue()
    audit_record(
        actor=user,
        action="template_download",
        object_type="enterprise_period",
        department_code=enterprise.supervising_department.code,
        period=period,
        details={"sha256": hashlib.sha256(content).hexdigest(), "scope": enterprise.code},
    )
    return content


def _closed_error(enterprise: Enterprise, period: str) -> dict | None:
    row = EnterprisePeriod.objects.filter(enterprise=enterprise, period=period).first()
    state = quarter_state(enterprise, period, row)
    if state == EnterprisePeriod.State.SUBMITTED:
        return _row_error(
            0, "", "period_submitted",
            f"{quarter_text(period)} 的数据已提交待审核，不能修改；如需修改，请主管部门退回。",
            f"{quarter_text(period, 'en')} is submitted for review and cannot change; ask the "
            "supervising department to return it.",
            kind="period",
        )  # fmt: skip
    if state == EnterprisePeriod.State.APPROVED:
        return _row_error(
            0, "", "period_locked",
            f"{quarter_text(period)} 的数据已审核锁定；如需更正，请申请更正，由主管部门负责人重新打开。",
            f"{quarter_text(period, 'en')} is approved and locked; ask for a correction, which "
            "a head of the supervising department reopens.",
            kind="period",
        )  # fmt: skip
    return None


def enterprise_quarter_upload_preview(
    *, enterprise: Enterprise, period: str, content: bytes, filename: str, user
) -> ImportBatch:
    """Read the file, check every row (an item of the enterprise's quarter, this period,
    this enterprise's credit code), validate the merged values as the form does, and keep
    the preview with every error (line, column, reason). Nothing else is written; a row
    naming another enterprise is an attempt on it (audited)."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, "enterprise_quarter_upload")
    period = quarter_checked(period)
    entry_period_check(period)
    filename = _clean_filename(filename)
    items = {item.code: item for item in enterprise_items()}
    specs = {
        code: ItemSpec(code, item.unit, item.frequency, item.non_negative)
        for code, item in items.items()
    }
    department_code = enterprise.supervising_department.code
    parsed = import_file_read(
        content=content, filename=filename, items=specs, user=user, max_bytes=MAX_UPLOAD_BYTES,
        max_rows=MAX_ROWS, department_code=department_code, period=period, source=SOURCE,
    )  # fmt: skip
    by_line: dict[int, list] = {}
    for error in parsed.errors:
        by_line.setdefault(error.line, []).append(error)
    skipped = {line for line, errors in by_line.items() if _only_missing_value(errors)}
    errors = [_error_dict(e) for e in parsed.errors if e.line not in skipped]
    rows, others = [], set()
    for row in parsed.rows:
        if row.period != period:
            errors.append(
                _row_error(
                    row.line,
                    "期间",
                    "other_period",
                    f"第{row.line}行：期间 {row.period} 与本次上传的期间 {period} 不符",
                    f"Line {row.line}: period {row.period} is not this upload's ({period})",
                    row.period,
                )
            )
        elif row.scope != enterprise.code:
            if row.scope:
                others.add(row.scope)
            errors.append(
                _row_error(
                    row.line,
                    "统计范围",
                    "other_enterprise",
                    f"第{row.line}行：统计范围应为本企业的统一社会信用代码 {enterprise.code}"
                    f"（读到“{row.scope}”）；只能上传本企业的数据",
                    f"Line {row.line}: the scope must be your enterprise's credit code "
                    f"{enterprise.code} (found '{row.scope}'); you can upload your own "
                    "enterprise's figures only",
                    row.scope,
                )
            )
        else:
            rows.append(row)
    if others and permissions.is_energy_manager(user):
        from enterprises.services import enterprise_access_refused_record

        for code in sorted(others)[:5]:
            enterprise_access_refused_record(user=user, code=code, where=f"upload {filename}")
    seen: dict[str, int] = {}
    for row in rows:
        if row.item_code in seen:
            errors.append(
                _row_error(
                    row.line,
                    "指标代码",
                    "duplicate_item",
                    f"第{row.line}行：指标 {row.item_code} 与第{seen[row.item_code]}行重复",
                    f"Line {row.line}: item {row.item_code} repeats line {seen[row.item_code]}",
                    row.item_code,
                )
            )
        seen.setdefault(row.item_code, row.line)
    current = enterprise_figures(enterprise, period)
    values = {code: f.value for code, f in current.items()}
    notes = {code: f.note for code, f in current.items()}
    for row in rows:
        values[row.item_code], notes[row.item_code] = row.value, row.note
    line_of = {row.item_code: row.line for row in rows}
    for issue in validate_quarter(values, notes, for_submission=False):
        if issue.severity == validation.HARD:
            errors.append(
                _row_error(
                    line_of.get(issue.item, 0),
                    "数值",
                    issue.code,
                    issue.message_zh,
                    issue.message_en,
                    issue.item,
                    kind="validation",
                )
            )
    preview, changes = [], 0
    for row in rows:
        old = current.get(row.item_code)
        changed = old is None or old.value != row.value or old.note != row.note
        changes += changed
        item = items[row.item_code]
        preview.append(
            {
                "line": row.line,
                "item": row.item_code,
                "name_zh": item.name_zh,
                "name_en": item.name_en or item.code,
                "unit": item.unit,
                "value": decimal_text(row.value),
                "note": row.note,
                "old": decimal_text(old.value) if old else None,
                "old_version": old.version if old else 0,
                "changed": changed,
            }
        )
    if changes and (closed := _closed_error(enterprise, period)):
        errors.append(closed)
    errors.sort(key=lambda e: e["line"])
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            sha256=parsed.sha256 or hashlib.sha256(content).hexdigest(),
            filename=filename,
            source=SOURCE,
            status=ImportBatch.Status.PREVIEW,
            row_count=len(parsed.rows) + len({e.line for e in parsed.errors if e.line > 0}),
            errors=errors[:1000],
            period=period,
            preview_rows=[{"scope": enterprise.code}, *preview],
            created_by=user,
        )
        audit_record(
            actor=user,
            action="enterprise_quarter_upload_preview",
            object_type="import",
            object_id=batch.pk,
            department_code=department_code,
            period=period,
            reason=filename,
            details={"scope": enterprise.code, "errors": len(errors), "changes": changes},
        )
    return batch


def upload_batch(enterprise: Enterprise, period: str, pk: int) -> ImportBatch | None:
    """The enterprise's upload of this quarter (None for any other batch)."""
    batch = ImportBatch.objects.filter(pk=pk, source=SOURCE, period=period).first()
    if batch is None or not batch.preview_rows:
        return None
    return batch if batch.preview_rows[0].get("scope") == enterprise.code else None


def enterprise_quarter_upload_confirm(*, enterprise: Enterprise, batch: ImportBatch, user) -> int:
    """Save a clean preview (its uploader, within the hour) as drafts of the quarter: every
    changed row or nothing; a value someone changed since the preview refuses it all."""
    if not permissions.can_enter_enterprise_figures(user, enterprise):
        raise _entry_refused(user, enterprise, "enterprise_quarter_upload_confirm")
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PREVIEW or batch.created_by_id != user.pk:
            raise ApplicationError(
                "这次上传不能确认（已确认、已过期或不是您上传的）。",
                "This upload cannot be confirmed (confirmed already, expired, or not yours).",
                code="invalid_state",
            )
        if timezone.now() - batch.created_at > PREVIEW_VALID_FOR:
            raise ApplicationError(
                "预览已超过 1 小时，请重新上传。",
                "The preview is older than an hour; upload the file again.",
                code="preview_expired",
            )
        if batch.errors:
            raise ApplicationError(
                f"文件有 {len(batch.errors)} 处错误，未保存；请改正后重新上传。",
                f"The file has {len(batch.errors)} error(s); nothing was saved. Correct them "
                "and upload again.",
                code="invalid",
            )
        entries = [
            EntryValue(row["item"], _decimal(row["value"]), row["note"], row["old_version"])
            for row in batch.preview_rows[1:]
            if row["changed"]
        ]
        created = []
        if entries:
            created = enterprise_quarter_save(
                enterprise=enterprise, period=batch.period, entries=entries, user=user,
                where="enterprise_quarter_upload_confirm", batch=batch,
            )  # fmt: skip
        batch.status, batch.created_count = ImportBatch.Status.APPLIED, len(created)
        batch.unchanged_count = len(batch.preview_rows) - 1 - len(created)
        batch.save(update_fields=["status", "created_count", "unchanged_count"])
        audit_record(
            actor=user,
            action="enterprise_quarter_upload",
            object_type="import",
            object_id=batch.pk,
            department_code=enterprise.supervising_department.code,
            period=batch.period,
            reason=batch.filename,
            details={"scope": enterprise.code, "figures": len(created)},
        )
        return len(created)


def _decimal(text: str):
    from decimal import Decimal

    return Decimal(text)
