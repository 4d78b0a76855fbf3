"""The register as an xlsx file (export, and the empty template), written with the
reports' inert workbook: no user text ever becomes a formula, link or number."""

from __future__ import annotations

import io

from dezhou_carbon.spreadsheets import inert_workbook
from enterprises import register_file

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


_LEDGER_COLUMNS = [
    ("rank", "排名", "Rank"),
    ("code", "统一社会信用代码", "Credit code"),
    ("name", "企业名称", "Enterprise"),
    ("energy", "综合能源消费量(当量值, tce)", "Energy, calorific (tce)"),
    ("equal_value", "综合能源消费量(等价值, tce)", "Energy, equal value (tce)"),
    ("co2", "二氧化碳排放量(tCO₂)", "CO₂ (t)"),
    ("co2_factor", "电网排放因子(版本)", "Grid factor (version)"),
    ("value_added", "工业增加值(现价, 万元)", "Value added (current, 10k yuan)"),
    ("intensity", "单位增加值能耗(tce/万元)", "Energy per value added (tce/10k yuan)"),
    ("energy_yoy", "能耗同比", "Energy vs last year"),
    ("energy_vs_base", "能耗较2020年", "Energy vs 2020"),
    ("share", "占园区能耗比重", "Share of the park's energy"),
]


def ledger_xlsx(rows: list[dict], *, period: str, language: str = "zh-hans") -> bytes:
    """The ledger of `period`: numbers as numbers, text never a formula."""
    english = language.startswith("en")
    output = io.BytesIO()
    workbook = inert_workbook(output)
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": "0.00%"})
    sheet = workbook.add_worksheet("ledger" if english else "台账")
    sheet.write_string(
        0, 0, f"{'Key-unit ledger' if english else '重点用能单位碳排放台账'} {period}", bold
    )
    for column, (_key, zh, en) in enumerate(_LEDGER_COLUMNS):
        sheet.write_string(1, column, en if english else zh, bold)
        sheet.set_column(column, column, 16)
    for r, row in enumerate(rows, start=2):
        for column, (key, _zh, _en) in enumerate(_LEDGER_COLUMNS):
            value = row.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, column, value)
            elif key in ("energy_yoy", "energy_vs_base", "share"):
                sheet.write_number(r, column, float(value), percent)
            else:
                sheet.write_number(r, column, float(value))
    workbook.close()
    return output.getvalue()
