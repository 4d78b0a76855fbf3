"""The budget execution report of a year (预算执行报告) as xlsx (inert cells: text never a
formula) and PDF (WeasyPrint, CJK fonts, nothing fetched; the chart as inline SVG).
Both read what the dashboard reads (budgets.selectors.budget_view), all allocations."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from html import escape

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting

PDF_ENTERPRISES = 50  # the largest allocations; every yellow and red one besides


def tonnes(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.1')):,.1f}"


def status_label(status: str) -> str:
    from budgets.models import BudgetStatus

    return str(BudgetStatus.Status(status).label) if status else "—"


def chart_svg(budget: Decimal, statuses, *, width: int = 520, height: int = 200) -> str:
    """Cumulative use by quarter (line), the forecast after each quarter (diamonds) and the
    budget (dashed): every number computed here, every text escaped."""
    left, right, top, bottom = 60, 10, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([budget, *(s.forecast_tce for s in statuses), *(s.use_tce for s in statuses)])
    highest = Decimal(highest) * Decimal("1.1") or Decimal(1)

    def x(quarter: int) -> Decimal:
        return Decimal(left) + Decimal(plot_w) * (Decimal(quarter) - Decimal("0.5")) / 4

    def y(value) -> Decimal:
        return (Decimal(top) + Decimal(plot_h) * (1 - Decimal(value) / highest)).quantize(
            Decimal("0.1")
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" font-size="8">',
        f'<line x1="{left}" y1="{y(budget)}" x2="{width - right}" y2="{y(budget)}" '
        'stroke="#c62828" stroke-dasharray="4 3"/>',
        f'<text x="{left - 4}" y="{y(budget)}" text-anchor="end">{escape(tonnes(budget))}</text>',
    ]
    points = " ".join(f"{x(s.quarter):.1f},{y(s.use_tce)}" for s in statuses)
    if points:
        parts.append(f'<polyline points="{points}" fill="none" stroke="#0b6e4f" stroke-width="2"/>')
    for s in statuses:
        fx, fy = x(s.quarter), y(s.forecast_tce)
        parts.append(
            f'<path d="M {fx:.1f} {fy - 4} L {fx + 4:.1f} {fy} L {fx:.1f} {fy + 4} '
            f'L {fx - 4:.1f} {fy} Z" fill="#b7791f"/>'
        )
    for quarter in range(1, 5):
        parts.append(
            f'<text x="{x(quarter):.1f}" y="{height - 8}" text-anchor="middle">Q{quarter}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _context(view: dict) -> dict:
    budget = view["budget"]
    listed = view["enterprises"][:PDF_ENTERPRISES] + [
        row for row in view["enterprises"][PDF_ENTERPRISES:] if row["status"] in ("yellow", "red")
    ]
    return {
        "view": view,
        "budget": budget,
        "latest": view["latest"],
        "listed": [
            {
                **row,
                "status_text": status_label(row["status"]),
                "use_text": tonnes(row["use"]),
                "forecast_text": tonnes(row["forecast"]),
                "energy_text": tonnes(row["allocation"].energy_tce),
            }
            for row in listed
        ],
        "quarters": [
            {
                "row": s,
                "status_text": status_label(s.status),
                "use": tonnes(s.use_tce),
                "forecast": tonnes(s.forecast_tce),
                "co2": tonnes(s.use_co2_t),
                "co2_forecast": tonnes(s.forecast_co2_t),
                "share": f"{s.share:.4f}",
            }
            for s in view["statuses"]
        ],
        "svg": chart_svg(budget.energy_tce, view["statuses"]),
        "t": tonnes,
    }


def execution_pdf(view: dict, *, language: str) -> bytes:
    from weasyprint import HTML

    from reports.rendering import _data_uri_only_fetcher

    budget = view["budget"]
    with translation.override(language):
        html = execution_html(view, language=language)
    latest = view["latest"]
    identifier = hashlib.sha256(
        f"budget|{budget.pk}|{latest.computed_at if latest else ''}|{language}".encode()
    ).hexdigest()[:32]
    return HTML(string=html, url_fetcher=_data_uri_only_fetcher()).write_pdf(
        pdf_identifier=identifier.encode()
    )


def execution_html(view: dict, *, language: str) -> str:
    with translation.override(language):
        context = _context(view)
        context.update(
            {
                "energy_text": tonnes(view["budget"].energy_tce),
                "co2_text": tonnes(view["budget"].co2_t),
                "allocated_text": tonnes(view["allocated_tce"]),
                "reserve_text": tonnes(view["reserve_tce"]),
                "remaining_text": tonnes(view["remaining_tce"]),
            }
        )
        return render_to_string("budgets/execution_pdf.html", context)


class _Cells:
    def __init__(self, workbook):
        self.heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.tonnes = workbook.add_format({"num_format": "#,##0.0"})

    def put(self, sheet, row, col, value, fmt=None):
        if value is None or value == "":
            sheet.write_blank(row, col, None)
        elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, float(value), fmt)
        else:
            text = str(value)
            sheet.write_string(row, col, text, self.quoted if needs_quoting(text) else None)

    def table(self, sheet, headings, rows):
        for col, heading in enumerate(headings):
            sheet.write_string(0, col, heading, self.heading)
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                self.put(sheet, r, col, value, self.tonnes if isinstance(value, Decimal) else None)
        sheet.set_column(0, len(headings) - 1, 16)


def execution_xlsx(view: dict, *, language: str) -> bytes:
    output = io.BytesIO()
    workbook = inert_workbook(output)
    cells = _Cells(workbook)
    budget, latest = view["budget"], view["latest"]
    with translation.override(language):
        summary = workbook.add_worksheet(_("预算"))
        pairs = [
            (_("年度"), budget.year),
            (_("版本"), f"v{budget.version}"),
            (_("状态"), budget.get_state_display()),
            (_("考核口径"), budget.get_basis_display()),
            (_("预算来源"), budget.get_derivation_display()),
            (_("用能预算（吨标准煤）"), budget.energy_tce),
            (_("碳排放预算（吨二氧化碳）"), budget.co2_t),
            (_("已分配"), view["allocated_tce"]),
            (_("预留"), view["reserve_tce"]),
            (_("文号"), budget.document_no),
            (_("批准理由"), budget.reason),
            (_("期间"), latest.period if latest else ""),
            (_("累计用能"), latest.use_tce if latest else None),
            (_("全年预测用能"), latest.forecast_tce if latest else None),
            (_("剩余"), view["remaining_tce"]),
            (_("全年预测碳排放"), latest.forecast_co2_t if latest else None),
            (_("状态"), status_label(latest.status) if latest else ""),
        ]
        cells.table(summary, [_("项目"), _("数值")], pairs)
        cells.table(
            workbook.add_worksheet(_("分季度执行情况")),
            [_("期间"), _("累计用能"), _("季节系数"), _("全年预测用能"), _("累计碳排放"),
             _("全年预测碳排放"), _("状态")],
            [(s.period, s.use_tce, s.share, s.forecast_tce, s.use_co2_t, s.forecast_co2_t,
              status_label(s.status)) for s in view["statuses"]],
        )  # fmt: skip
        rows = [
            (str(a.get_kind_display()), a.project.code, a.project.name,
             a.enterprise.code if a.enterprise else "", a.energy_tce, a.co2_t, None, None, "")
            for a in view["projects"]
        ]  # fmt: skip
        rows += [
            (str(r["allocation"].get_kind_display()), r["allocation"].enterprise.code,
             r["allocation"].enterprise.name, r["allocation"].trace.get("baseline_year"),
             r["allocation"].energy_tce, r["allocation"].co2_t, r["use"], r["forecast"],
             status_label(r["status"]))
            for r in view["enterprises"]
        ]  # fmt: skip
        rows.append(
            (_("预留"), "", "", "", view["reserve_tce"], view["reserve_co2_t"], None, None, "")
        )
        cells.table(
            workbook.add_worksheet(_("预算分配")),
            [_("类别"), _("代码"), _("名称"), _("基准年"), _("分配用能（吨标准煤）"),
             _("分配碳排放（吨二氧化碳）"), _("累计用能"), _("全年预测用能"), _("状态")],
            rows,
        )  # fmt: skip
        cells.table(
            workbook.add_worksheet(_("版本记录")),
            [_("版本"), _("状态"), _("用能预算（吨标准煤）"), _("碳排放预算（吨二氧化碳）"), _("文号"),
             _("批准理由")],
            [(f"v{v.version}", v.get_state_display(), v.energy_tce, v.co2_t, v.document_no,
              v.reason) for v in view["versions"]],
        )  # fmt: skip
    workbook.close()
    return output.getvalue()
