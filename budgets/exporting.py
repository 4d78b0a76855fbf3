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

    from dezhou_carbon.pdf import data_uri_only_fetcher

    budget = view["budget"]
    with translation.override(language):
        html = execution_html(view, language=language)
    latest = view["latest"]
    identifier = hashlib.sha256(
        f"budget|{budget.pk}|{latest.computed_at if latest else ''}|{language}".encode()
    ).hexdigest()[:32]
    return HTML(string=html, url_fetcher=data_uri_only_fetcher()).write_pdf(
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


# --- the budget in the attainment report (issue 18 item 8) ---------------------------------------
# The report's words live beside it (its language is the requester's, not the worker's), as
# reports.rendering keeps its own; the entry is budgets.selectors.budget_snapshot's frozen JSON.

SNAPSHOT_WORDS = {
    "sheet": ("用能预算", "Energy budget"),
    "year": ("年度", "Year"),
    "version": ("版本", "Version"),
    "basis": ("考核口径", "Basis"),
    "derivation": ("预算来源", "Derivation"),
    "energy": ("用能预算（吨标准煤）", "Energy budget (tce)"),
    "co2": ("碳排放预算（吨二氧化碳）", "CO₂ budget (t)"),
    "document_no": ("文号", "Document No."),
    "approved": ("批准", "Approved"),
    "enterprise": ("存量企业分配", "Existing enterprises"),
    "project": ("新建项目分配", "New projects"),
    "reserve": ("预留", "Reserve"),
    "period": ("期间", "Period"),
    "use": ("累计用能", "Energy used YTD"),
    "share": ("季节系数", "Seasonal share"),
    "forecast": ("全年预测用能", "Year-end forecast"),
    "use_co2": ("累计碳排放", "CO₂ YTD"),
    "forecast_co2": ("全年预测碳排放", "CO₂ year-end forecast"),
    "status": ("状态", "Status"),
    "remaining": ("剩余", "Remaining"),
    "by_status": ("企业分配状态（家）", "Enterprise allocations by status"),
    "watched": ("预警企业", "Enterprises in yellow or red"),
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "allocated": ("分配用能（吨标准煤）", "Allocated (tce)"),
    "no_quarter": ("尚无已审核的本年度数据。", "No approved figures of the year yet."),
    "none": ("无", "None"),
    "formula": (
        "全年预测 = 累计用能 ÷ 季节系数 + 年内后续投产项目核定能耗 × （4 − 投产季度） ÷ 4。",
        "Forecast = energy used YTD ÷ seasonal share + later projects' approved energy × "
        "(4 − start quarter) ÷ 4.",
    ),
}
STATUS_WORDS = {
    "green": ("正常", "Green"),
    "yellow": ("预警（黄）", "Yellow"),
    "red": ("超预算（红）", "Red"),
}
BASIS_WORDS = {"calorific": ("当量值", "Calorific"), "equal_value": ("等价值", "Equal value")}
DERIVATION_WORDS = {
    "assigned": ("上级下达", "Assigned from above"),
    "derived": ("按路径强度测算", "Derived from the path intensity"),
}


def _word(table: dict, key, english: bool) -> str:
    pair = table.get(key)
    return pair[1 if english else 0] if pair else (key or "")


def _amount(text) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def snapshot_summary(entry: dict, *, english: bool) -> list[tuple[str, object]]:
    """(label, value) pairs of the frozen budget: numbers as Decimal, the rest as text."""
    w = SNAPSHOT_WORDS
    latest = entry["quarters"][-1] if entry["quarters"] else None
    allocations = entry["allocations"]
    pairs = [
        (w["year"], entry["year"]),
        (w["version"], f"v{entry['version']}"),
        (w["basis"], _word(BASIS_WORDS, entry["basis"], english)),
        (w["derivation"], _word(DERIVATION_WORDS, entry["derivation"], english)),
        (w["energy"], _amount(entry["energy_tce"])),
        (w["co2"], _amount(entry["co2_t"])),
        (w["document_no"], entry["document_no"]),
        (w["approved"], " ".join(filter(None, [entry["approved_at"], entry["reason"]]))),
    ]
    pairs += [(w[kind], _amount(allocations[kind]["energy_tce"])) for kind in allocations]
    if latest:
        remaining = Decimal(entry["energy_tce"]) - Decimal(latest["use_tce"])
        pairs += [
            (w["period"], latest["period"]),
            (w["use"], _amount(latest["use_tce"])),
            (w["forecast"], _amount(latest["forecast_tce"])),
            (w["remaining"], remaining),
            (w["forecast_co2"], _amount(latest["forecast_co2_t"])),
            (w["status"], _word(STATUS_WORDS, latest["status"], english)),
        ]
    return [(label[1 if english else 0], value) for label, value in pairs]


def snapshot_sheet(workbook, sheet, entry: dict, *, english: bool, title_row: str) -> None:
    """The frozen budget into a sheet of the attainment report's inert workbook: the budget
    and its latest status, the quarters, and the enterprises in yellow or red."""
    cells = _Cells(workbook)
    w = {key: pair[1 if english else 0] for key, pair in SNAPSHOT_WORDS.items()}
    title = workbook.add_format({"bold": True, "font_size": 14})
    sheet.write_string(0, 0, title_row, cells.quoted if needs_quoting(title_row) else title)
    row = 2
    for label, value in snapshot_summary(entry, english=english):
        sheet.write_string(row, 0, label, cells.heading)
        cells.put(sheet, row, 1, value, cells.tonnes if isinstance(value, Decimal) else None)
        row += 1
    row += 1
    headings = [w["period"], w["use"], w["share"], w["forecast"], w["use_co2"],
                w["forecast_co2"], w["status"]]  # fmt: skip
    for col, heading in enumerate(headings):
        sheet.write_string(row, col, heading, cells.heading)
    share = workbook.add_format({"num_format": "0.0000"})
    for quarter in entry["quarters"]:
        row += 1
        values = [quarter["period"], _amount(quarter["use_tce"]), _amount(quarter["share"]),
                  _amount(quarter["forecast_tce"]), _amount(quarter["use_co2_t"]),
                  _amount(quarter["forecast_co2_t"]),
                  _word(STATUS_WORDS, quarter["status"], english)]  # fmt: skip
        for col, value in enumerate(values):
            cells.put(sheet, row, col, value, share if col == 2 else cells.tonnes)
    if not entry["quarters"]:
        row += 1
        sheet.write_string(row, 0, w["no_quarter"])
    row += 2
    sheet.write_string(row, 0, w["by_status"], cells.heading)
    for col, status in enumerate(("green", "yellow", "red"), start=1):
        sheet.write_string(row, col, _word(STATUS_WORDS, status, english), cells.heading)
        cells.put(sheet, row + 1, col, entry["enterprises_by_status"][status])
    row += 3
    sheet.write_string(row, 0, w["watched"], cells.heading)
    row += 1
    for col, heading in enumerate([w["code"], w["name"], w["allocated"], w["use"],
                                   w["forecast"], w["status"]]):  # fmt: skip
        sheet.write_string(row, col, heading, cells.heading)
    for watched in entry["enterprises_watched"]:
        row += 1
        values = [watched["code"], watched["name"], _amount(watched["energy_tce"]),
                  _amount(watched["use_tce"]), _amount(watched["forecast_tce"]),
                  _word(STATUS_WORDS, watched["status"], english)]  # fmt: skip
        for col, value in enumerate(values):
            cells.put(sheet, row, col, value, cells.tonnes)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 6, 16)


class _Frozen:
    """A frozen quarter with the attributes chart_svg reads."""

    def __init__(self, quarter: dict):
        self.quarter = quarter["quarter"]
        self.use_tce = Decimal(quarter["use_tce"])
        self.forecast_tce = Decimal(quarter["forecast_tce"])


def snapshot_pdf_context(entry: dict, *, english: bool) -> dict:
    """What the attainment report's PDF shows of the frozen budget: every number as text."""
    words = {key: pair[1 if english else 0] for key, pair in SNAPSHOT_WORDS.items()}
    summary = [
        (label, tonnes(value) if isinstance(value, Decimal) else value)
        for label, value in snapshot_summary(entry, english=english)
    ]
    quarters = [
        {
            "period": q["period"], "use": tonnes(q["use_tce"]), "share": f"{Decimal(q['share']):.4f}",
            "forecast": tonnes(q["forecast_tce"]), "co2": tonnes(q["use_co2_t"]),
            "co2_forecast": tonnes(q["forecast_co2_t"]), "status": q["status"],
            "status_text": _word(STATUS_WORDS, q["status"], english),
        }
        for q in entry["quarters"]
    ]  # fmt: skip
    watched = [
        {**w, "allocated": tonnes(w["energy_tce"]), "use": tonnes(w["use_tce"]),
         "forecast": tonnes(w["forecast_tce"]),
         "status_text": _word(STATUS_WORDS, w["status"], english)}
        for w in entry["enterprises_watched"]
    ]  # fmt: skip
    counts = [
        (_word(STATUS_WORDS, s, english), entry["enterprises_by_status"][s])
        for s in ("green", "yellow", "red")
    ]
    return {
        "words": words,
        "summary": summary,
        "quarters": quarters,
        "watched": watched,
        "counts": counts,
        "svg": chart_svg(Decimal(entry["energy_tce"]), [_Frozen(q) for q in entry["quarters"]]),
    }
