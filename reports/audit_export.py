"""The audit trail as CSV (UTF-8 with BOM) and xlsx for auditors. Reasons, values and
details are whatever people typed: written inert (dezhou_carbon.spreadsheets), never as formulas."""

from __future__ import annotations

import csv
import io
import json

from django.utils import translation

from audit.labels import action_label
from dezhou_carbon import display
from dezhou_carbon.spreadsheets import csv_cell, inert_workbook, needs_quoting

COLUMNS = [
    ("id", "编号", "Id"),
    ("at", "时间", "Time"),
    ("actor", "操作人", "Actor"),
    ("action", "操作", "Action"),
    ("object_type", "对象类型", "Object type"),
    ("object_id", "对象", "Object"),
    ("department_code", "部门", "Department"),
    ("period", "期间", "Period"),
    ("old_value", "原值", "Old value"),
    ("new_value", "新值", "New value"),
    ("reason", "原因", "Reason"),
    ("details", "详情", "Details"),
    # The codes behind the words, last so that the columns above keep their places.
    ("actor_account", "操作人账号", "Actor's account"),
    ("action_code", "操作代码", "Action code"),
]


def _json(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row(event) -> list:
    return [
        event.pk,
        display.local_moment(event.at),
        display.person(event.actor or event.actor_label),
        action_label(event.action),
        event.object_type,
        event.object_id,
        event.department_code,
        event.period,
        _json(event.old_value),
        _json(event.new_value),
        event.reason,
        _json(event.details),
        event.actor_label,
        event.action,
    ]


def _headings(language: str) -> list[str]:
    english = language.startswith("en")
    return [en if english else zh for _key, zh, en in COLUMNS]


def audit_csv(events, *, language: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_headings(language))
    with translation.override(language):
        for event in events:
            row = _row(event)
            row[1] = display.moment(row[1])
            writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def audit_xlsx(events, *, language: str) -> bytes:
    output = io.BytesIO()
    workbook = inert_workbook(output)
    heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    moment = workbook.add_format({"num_format": display.XLSX_MOMENT_FORMAT})
    sheet = workbook.add_worksheet("审计记录" if not language.startswith("en") else "Audit trail")
    for col, text in enumerate(_headings(language)):
        sheet.write_string(0, col, text, heading)
        sheet.set_column(col, col, 20 if col in (1, 8, 9, 10, 11) else 12)
    with translation.override(language):
        rows = (_row(event) for event in events)
        _write_rows(sheet, rows, moment, quoted)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()


def _write_rows(sheet, rows, moment, quoted) -> None:
    for index, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if col == 0:
                sheet.write_number(index, col, value)
            elif col == 1:
                sheet.write_datetime(index, col, value, moment)
            elif value in (None, ""):
                sheet.write_blank(index, col, None)
            else:
                text = str(value)
                sheet.write_string(index, col, text, quoted if needs_quoting(text) else None)
