"""The register as an xlsx file (export, and the empty template), written with the
reports' inert workbook: no user text ever becomes a formula, link or number."""

from __future__ import annotations

import io

from enterprises import register_file
from reports.inert import inert_workbook

_NOTES_ZH = [
    "统一社会信用代码：18 位，按 GB 32100-2015 校验（第 18 位为校验码）。",
    "行业代码：GB/T 4754-2017 行业小类，4 位数字，例如 3985。",
    "主管部门：部门代码，例如 DRS。",
    "主导产业：电子信息、新能源新材料、高端装备制造、食品研发制造、生物医药，或留空。",
    "规上：是 / 否。",
    "导入为全部成功或全部不导入；错误按行、列和原因列出。",
]
_NOTES_EN = [
    "code: 18 characters, checked per GB 32100-2015 (character 18 is the check character).",
    "industry: GB/T 4754-2017 class code, 4 digits, e.g. 3985.",
    "department: the supervising department's code, e.g. DRS.",
    "leading_industry: electronics, new_energy_materials, high_end_equipment, food, "
    "biomedicine, or empty.",
    "above_scale: yes / no.",
    "An import is all or nothing; errors are listed by line, column and reason.",
]


def register_xlsx(rows: list[dict], *, language: str = "zh-hans") -> bytes:
    """The register (rows from selectors.register_rows), or the template when empty."""
    english = language.startswith("en")
    output = io.BytesIO()
    workbook = inert_workbook(output)
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("data")
    headings = register_file.headings(language)
    key_unit = register_file.READ_ONLY_COLUMNS["key_unit"][0 if english else 1]
    for column, text in enumerate([*headings, key_unit]):
        sheet.write_string(0, column, text, bold)
        sheet.set_column(column, column, 22 if column else 24)
    for r, row in enumerate(rows, start=1):
        for column, name in enumerate(register_file.ORDER):
            value = row[name]
            if isinstance(value, bool):
                value = ("yes" if value else "no") if english else ("是" if value else "否")
            sheet.write_string(r, column, value or "")
        flag = row.get("key_unit")
        sheet.write_string(
            r, len(headings), ("yes" if flag else "no") if english else ("是" if flag else "否")
        )
    notes = workbook.add_worksheet("notes" if english else "说明")
    for r, text in enumerate(_NOTES_EN if english else _NOTES_ZH):
        notes.write_string(r, 0, text)
    workbook.close()
    return output.getvalue()
