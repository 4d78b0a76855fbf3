"""The register as an xlsx file (export, and the empty template), written with the
reports' inert workbook: no user text ever becomes a formula, link or number."""

from __future__ import annotations

import io

from dezhou_carbon.spreadsheets import inert_workbook
from enterprises import register_file, work_rules

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
    ("benchmark_advanced", "标杆水平(tce/万元)", "Advanced level (tce/10k yuan)"),
    ("benchmark_baseline", "基准水平(tce/万元)", "Baseline level (tce/10k yuan)"),
    ("benchmark_position", "对标结果", "Against the benchmark"),
    ("products_text", "单位产品能耗对标", "Energy per unit of product vs benchmark"),
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
            if key == "benchmark_position" and value:
                value = work_rules.POSITION_TEXT[value][1 if english else 0]
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


def ledger_pdf_html(
    rows: list[dict], *, period: str, language: str, key_units_only: bool, taken_at
) -> str:
    """The ledger as HTML for WeasyPrint (also what tests read): the attainment report's
    CJK font chain and margin boxes."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from dezhou_carbon import display
    from reports.rendering import css_string

    english = language.startswith("en")
    title = "Key-unit carbon ledger" if english else "重点用能单位碳排放台账"
    shown = []
    for row in rows:
        position = row.get("benchmark_position")
        shown.append(
            {
                **row,
                "texts": {
                    "energy": _number(row.get("energy"), 1),
                    "equal_value": _number(row.get("equal_value"), 1),
                    "co2": _number(row.get("co2"), 1),
                    "intensity": _number(row.get("intensity"), 4),
                    "yoy": _percent(row.get("energy_yoy")),
                    "vs_base": _percent(row.get("energy_vs_base")),
                    "share": _percent(row.get("share")),
                    "benchmark": (
                        f"{_number(row['benchmark_advanced'], 4)} / "
                        f"{_number(row['benchmark_baseline'], 4)}"
                        if row.get("benchmark_advanced") is not None
                        else "—"
                    ),
                    "position": work_rules.POSITION_TEXT[position][1 if english else 0]
                    if position
                    else "—",
                },
            }
        )
    with translation.override(language):
        return render_to_string(
            "enterprises/ledger_pdf.html",
            {
                "language": language,
                "title": title,
                "period": period,
                "rows": shown,
                "key_units_only": key_units_only,
                "taken_at": display.moment(taken_at),
                "css_header_left": css_string(f"{title} {period}"),
                "css_header_right": css_string(display.moment(taken_at)),
            },
        )


def ledger_pdf(
    rows: list[dict], *, period: str, language: str, key_units_only: bool, taken_at
) -> bytes:
    """The ledger of `period` as PDF: nothing fetched from disk or the network."""
    import hashlib

    from weasyprint import HTML

    from reports.rendering import _data_uri_only_fetcher

    html = ledger_pdf_html(
        rows, period=period, language=language, key_units_only=key_units_only, taken_at=taken_at
    )
    identifier = hashlib.sha256(f"ledger|{period}|{taken_at.isoformat()}".encode()).hexdigest()
    return (
        HTML(string=html, url_fetcher=_data_uri_only_fetcher())
        .render()
        .write_pdf(pdf_identifier=identifier[:32].encode())
    )


def _number(value, places: int) -> str:
    return "—" if value is None else f"{float(value):,.{places}f}"


def _percent(value) -> str:
    return "—" if value is None or value != value else f"{float(value) * 100:.1f}%"
