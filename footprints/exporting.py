"""A study's report as xlsx and PDF (inert cells, CJK fonts, no external fetches), and the
inventory template. The PDF's stage chart is inline SVG (WeasyPrint draws it; the page uses
Plotly)."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from html import escape

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting
from footprints import calculations as fc
from footprints.models import InventoryLine, Study
from indicators.numbers import decimal_text

STAGE_COLOURS = {
    fc.STAGE_RAW_MATERIALS: "#2b6cb0",
    fc.STAGE_PRODUCTION: "#dd6b20",
    fc.STAGE_TRANSPORT: "#38a169",
    fc.STAGE_USE: "#805ad5",
    fc.STAGE_END_OF_LIFE: "#718096",
}
TEMPLATE_HEADINGS = (
    ("no", "行号"),
    ("name", "名称"),
    ("stage", "阶段"),
    ("kind", "类别"),
    ("quantity", "数量"),
    ("unit", "单位"),
    ("factor_key", "排放因子代码"),
    ("energy_carrier", "能源品种"),
    ("quality", "数据质量"),
    ("mass_kg", "质量（kg）"),
)
OMISSION_HEADINGS = (("name", "舍弃项名称"), ("mass_kg", "质量（kg）"))


def kg_text(value: Decimal | None, places: int = 4) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def stage_label(stage: str) -> str:
    return str(InventoryLine.Stage(stage).label)


def stage_rows(study: Study) -> list[tuple[str, str, Decimal, Decimal | None]]:
    """(stage, label, kg CO₂e, share %) in the boundary's order."""
    total = study.total or Decimal(0)
    rows = []
    for stage, value in (study.by_stage or {}).items():
        kg = Decimal(value)
        rows.append((stage, stage_label(stage), kg, kg * 100 / total if total else None))
    return rows


def stage_svg(rows, *, width: int = 520) -> str:
    """Horizontal bars per stage; every text escaped, the same input the same markup."""
    bar, gap, left, right = 14, 8, 90, 90
    plot = width - left - right
    height = 10 + len(rows) * (bar + gap)
    top = max((kg for _s, _l, kg, _p in rows), default=Decimal(0)) or Decimal(1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" font-size="9">'
    ]
    y = 5
    for stage, label, kg, _share in rows:
        length = (kg / top * plot).quantize(Decimal("0.01")) if kg > 0 else Decimal(0)
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y}" width="{length}" height="{bar}" '
            f'fill="{STAGE_COLOURS.get(stage, "#718096")}"/>'
            f'<text x="{left + length + 4}" y="{y + bar - 3}">{escape(kg_text(kg))}</text>'
        )
        y += bar + gap
    parts.append("</svg>")
    return "".join(parts)


def line_rows(study: Study) -> list[dict]:
    emitted = {entry["no"]: entry for entry in (study.trace or {}).get("lines", [])}
    factors = {f["ref"]: f for f in (study.trace or {}).get("factors", [])}
    rows = []
    for line in study.lines.all():
        ref = (
            f"registry:co2.grid.{study.grid_region}"
            if line.energy_carrier == fc.ELECTRICITY
            else "registry:co2.heat"
            if line.energy_carrier == fc.HEAT
            else f"registry:co2.fuel.{line.energy_carrier}"
            if line.energy_carrier
            else f"library:{line.factor_key}"
        )
        factor = factors.get(ref, {})
        rows.append(
            {
                "line": line,
                "stage": stage_label(line.stage),
                "kind": str(InventoryLine.Kind(line.kind).label),
                "quality": str(InventoryLine.Quality(line.quality).label),
                "factor_ref": ref,
                "factor_value": decimal_text(factor["value"]) if factor.get("value") else "",
                "factor_unit": factor.get("unit", ""),
                "factor_version": factor.get("version", ""),
                "factor_year": factor.get("year", ""),
                "factor_source": factor.get("source", ""),
                "kg": Decimal(emitted[line.no]["kg_co2e"]) if line.no in emitted else None,
            }
        )
    return rows


def _study_context(study: Study) -> dict:
    rows = stage_rows(study)
    return {
        "study": study,
        "stages": [
            {"label": label, "kg": kg_text(kg), "share": "—" if share is None else f"{share:.1f}%"}
            for _stage, label, kg, share in rows
        ],
        "lines": [
            {
                **row,
                "kg_text": kg_text(row["kg"]),
                "quantity_text": str(row["line"].quantity.normalize()),
            }
            for row in line_rows(study)
        ],
        "total_text": kg_text(study.total),
        "primary_text": "—"
        if study.primary_percent is None
        else f"{Decimal(study.primary_percent):.1f}%",
        "rules": (study.trace or {}).get("rules", {}),
        "cutoff": (study.trace or {}).get("cutoff", {}),
        "svg": stage_svg(rows),
    }


def study_pdf(study: Study, *, language: str) -> bytes:
    from weasyprint import HTML

    from reports.rendering import _data_uri_only_fetcher

    with translation.override(language):
        html = render_to_string("footprints/study_pdf.html", _study_context(study))
    identifier = hashlib.sha256(
        f"footprint|{study.pk}|{study.computed_at}|{language}".encode()
    ).hexdigest()[:32]
    return HTML(string=html, url_fetcher=_data_uri_only_fetcher()).write_pdf(
        pdf_identifier=identifier.encode()
    )


class _Cells:
    """Typed, inert writes into one workbook: numbers as numbers, text never a formula."""

    def __init__(self, workbook):
        self.heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.kg = workbook.add_format({"num_format": "#,##0.0000"})

    def put(self, sheet, row, col, value, fmt=None):
        if value is None or value == "":
            sheet.write_blank(row, col, None)
        elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, float(value), fmt)
        else:
            text = str(value)
            sheet.write_string(row, col, text, self.quoted if needs_quoting(text) else None)


def study_xlsx(study: Study, *, language: str) -> bytes:
    output = io.BytesIO()
    workbook = inert_workbook(output)
    cells = _Cells(workbook)
    heading, kg_format, _put = cells.heading, cells.kg, cells.put
    with translation.override(language):
        context = _study_context(study)
        summary = workbook.add_worksheet(_("结果"))
        pairs = [
            (_("企业"), study.enterprise.name),
            (_("统一社会信用代码"), study.enterprise.code),
            (
                _("产品"),
                study.product_zh if language != "en" else (study.product_en or study.product_zh),
            ),
            (_("声明单位"), study.declared_unit),
            (_("系统边界"), study.get_boundary_display()),
            (_("基准年"), study.reference_year),
            (_("分配方法"), study.get_allocation_display()),
            (_("分配比例"), context["rules"].get("allocation_share", "1")),
            (_("碳足迹（kgCO₂e/声明单位）"), study.total),
            (_("初级数据占比"), context["primary_text"]),
            (_("舍弃规则检查"), _("通过") if study.cutoff_passed else _("未通过")),
            (_("状态"), study.get_state_display()),
            (
                _("计算方法"),
                (study.trace or {}).get("formula_en" if language == "en" else "formula_zh", ""),
            ),
        ]
        for row, (label, value) in enumerate(pairs):
            summary.write_string(row, 0, label, heading)
            _put(summary, row, 1, value, kg_format if isinstance(value, Decimal) else None)
        row = len(pairs) + 1
        for col, text in enumerate((_("阶段"), _("kgCO₂e/声明单位"), _("占比"))):
            summary.write_string(row, col, text, heading)
        for offset, (_stage, label, kg, share) in enumerate(stage_rows(study), start=1):
            _put(summary, row + offset, 0, label)
            _put(summary, row + offset, 1, kg, kg_format)
            _put(
                summary, row + offset, 2, None if share is None else share.quantize(Decimal("0.01"))
            )
        summary.set_column(0, 0, 24)
        summary.set_column(1, 1, 40)

        inventory = workbook.add_worksheet(_("清单"))
        headings = [_("行号"), _("名称"), _("阶段"), _("类别"), _("数量"), _("单位"),
                    _("排放因子"), _("因子值"), _("因子单位"), _("因子版本"), _("因子年份"),
                    _("来源"), _("数据质量"), _("kgCO₂e/声明单位")]  # fmt: skip
        for col, text in enumerate(headings):
            inventory.write_string(0, col, text, heading)
        for r, item in enumerate(context["lines"], start=1):
            line = item["line"]
            values = [line.no, line.name, item["stage"], item["kind"], line.quantity, line.unit,
                      item["factor_ref"], Decimal(item["factor_value"]) if item["factor_value"] else "",
                      item["factor_unit"], item["factor_version"], item["factor_year"],
                      item["factor_source"], item["quality"], item["kg"]]  # fmt: skip
            for col, value in enumerate(values):
                _put(inventory, r, col, value, kg_format if col == 13 else None)
        inventory.set_column(0, 13, 14)
    workbook.close()
    return output.getvalue()


def inventory_template(study: Study | None = None) -> bytes:
    """The inventory template: a 数据 sheet with the headings (and the study's lines, if
    any), an 舍弃项 sheet, and a sheet explaining every allowed code."""
    output = io.BytesIO()
    workbook = inert_workbook(output)
    heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
    cells = _Cells(workbook)
    _put = cells.put
    data = workbook.add_worksheet("数据")
    for col, (_key, title) in enumerate(TEMPLATE_HEADINGS):
        data.write_string(0, col, title, heading)
        data.set_column(col, col, 14)
    if study is not None:
        for r, line in enumerate(study.lines.all(), start=1):
            values = [line.no, line.name, line.stage, line.kind, line.quantity, line.unit,
                      line.factor_key, line.energy_carrier, line.quality, line.mass_kg]  # fmt: skip
            for col, value in enumerate(values):
                _put(data, r, col, value)
    omitted = workbook.add_worksheet("舍弃项")
    for col, (_key, title) in enumerate(OMISSION_HEADINGS):
        omitted.write_string(0, col, title, heading)
    if study is not None:
        for r, omission in enumerate(study.omissions.all(), start=1):
            _put(omitted, r, 0, omission.name)
            _put(omitted, r, 1, omission.mass_kg)
    codes = workbook.add_worksheet("说明")
    explained = [("阶段 stage", c.value, c.label) for c in InventoryLine.Stage]
    explained += [("类别 kind", c.value, c.label) for c in InventoryLine.Kind]
    explained += [("数据质量 quality", c.value, c.label) for c in InventoryLine.Quality]
    explained += [("能源品种 energy_carrier", c, c) for c in fc.ENERGY_CARRIERS]
    for r, (column, code, label) in enumerate(explained):
        codes.write_string(r, 0, column)
        codes.write_string(r, 1, code)
        codes.write_string(r, 2, str(label))
    workbook.close()
    return output.getvalue()
