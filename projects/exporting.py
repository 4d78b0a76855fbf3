"""The key projects' reports (issue 18 item 8) as tables, xlsx and PDF: 重点项目清单 (the
register with investment planned and completed), 节能审查台账 (every energy-review record),
碳排放评价台账 (every carbon assessment) and investment completion by quarter (from the
approved quarterly updates). A table is plain data (headings in both languages, rows of
Decimal / str / None) built by a few queries whatever the number of projects; the xlsx is
the reports' inert workbook (no text ever a formula, link or number) and the PDF the
attainment report's WeasyPrint machinery with its CJK font, fetching nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal

from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting

KINDS = ("list", "reviews", "assessments", "investment")
TITLES = {
    "list": ("重点项目清单", "Key projects"),
    "reviews": ("节能审查台账", "Energy review ledger"),
    "assessments": ("碳排放评价台账", "Carbon assessment ledger"),
    "investment": ("重点项目投资完成情况（按季度）", "Investment completed by quarter"),
}
ZERO = Decimal(0)
LIST_KEYS = ["code", "name", "enterprise", "credit_code", "kind", "department", "stage",
             "planned", "funding", "completed", "share", "value_added", "calorific_tce",
             "authority", "document_no"]  # fmt: skip
LIST_HEADINGS = [
    ("项目代码", "Code"), ("项目名称", "Project"), ("企业", "Enterprise"),
    ("统一社会信用代码", "Credit code"), ("类型", "Kind"), ("责任部门", "Department"),
    ("当前阶段", "Stage"), ("计划投资（万元）", "Investment planned (10k yuan)"),
    ("主要资金来源", "Main funding source"),
    ("累计完成投资(万元)", "Investment completed (10k yuan)"), ("投资完成率", "Share completed"),
    ("达产年增加值（万元）", "Value added at full output (10k yuan)"),
    ("年综合能耗（当量值， tce）", "Annual energy, calorific (tce)"),
    ("审查权限", "Review authority"), ("文号", "Document no."),
]  # fmt: skip


@dataclass
class Table:
    kind: str
    title: tuple[str, str]
    headings: list[tuple[str, str]]
    rows: list[list] = field(default_factory=list)
    # Columns holding intensities (4 decimals) rather than tonnes or 万元 (2 decimals).
    fine_columns: frozenset = frozenset()
    percent_columns: frozenset = frozenset()  # shares (0.25 → 25.0%)

    def heading_texts(self, english: bool) -> list[str]:
        return [en if english else zh for zh, en in self.headings]


def _label(choices, value: str, english: bool) -> str:
    """A choice's label in the language asked (the models' labels are Chinese msgids)."""
    from django.utils import translation

    label = dict(choices).get(value, value)
    with translation.override("en" if english else "zh-hans"):
        return str(label)


def _sum(amounts: dict) -> Decimal:
    return sum((Decimal(v) for v in amounts.values()), ZERO)


def approved_investment() -> dict[int, dict[str, Decimal]]:
    """{project id: {period: investment completed}} from the newest approved update of each
    project and quarter (a returned or waiting version does not count), in one query."""
    from projects.models import ProjectUpdate

    newest: dict[tuple[int, str], ProjectUpdate] = {}
    for update in ProjectUpdate.objects.filter(state=ProjectUpdate.State.APPROVED).only(
        "project_id", "period", "version", "investment_completed"
    ):
        key = (update.project_id, update.period)
        if key not in newest or newest[key].version < update.version:
            newest[key] = update
    found: dict[int, dict[str, Decimal]] = {}
    for (project_id, period), update in newest.items():
        found.setdefault(project_id, {})[period] = _sum(update.investment_completed)
    return found


def _latest_reviews() -> dict:
    from projects.models import EnergyReview

    latest = {}
    for review in EnergyReview.objects.order_by("project_id", "recorded_at", "id"):
        latest[review.project_id] = review
    return latest


def project_list(english: bool = False) -> Table:
    from projects.models import FundingSource, Project, Stage

    table = Table("list", TITLES["list"], LIST_HEADINGS, percent_columns=frozenset({10}))
    invested = approved_investment()
    reviews = _latest_reviews()
    from projects.models import EnergyReview

    for project in Project.objects.select_related("enterprise", "department").order_by("code"):
        planned = _sum(project.investment_planned)
        done = sum(invested.get(project.pk, {}).values(), ZERO)
        main = max(project.investment_planned.items(), key=lambda kv: Decimal(kv[1]), default=None)
        review = reviews.get(project.pk)
        department = project.department
        table.rows.append([
            project.code, project.name, project.enterprise.name, project.enterprise.code,
            _label(Project.Kind.choices, project.kind, english),
            (department.name_en or department.code) if english else department.name_zh,
            _label(Stage.choices, project.stage, english), planned,
            _label(FundingSource.choices, main[0], english) if main else None, done,
            (done / planned) if planned else None, project.value_added,
            review.calorific_tce if review else None,
            _label(EnergyReview.Authority.choices, review.authority, english) if review else None,
            review.document_no if review else None,
        ])  # fmt: skip
    return table


def review_ledger(english: bool = False) -> Table:
    from projects.models import EnergyReview

    table = Table("reviews", TITLES["reviews"], [
        ("项目代码", "Code"), ("项目名称", "Project"), ("企业", "Enterprise"),
        ("年综合能耗（当量值， tce）", "Annual energy, calorific (tce)"),
        ("年综合能耗(等价值, tce)", "Annual energy, equal value (tce)"),
        ("年电力消费（万kWh）", "Electricity (10k kWh)"), ("年煤炭消费（t）", "Coal (t)"),
        ("改扩建按增量", "Renovation (increase)"), ("审查权限", "Review authority"),
        ("审查机关", "Reviewing authority"), ("文号", "Document no."),
        ("审查意见日期", "Opinion date"),
        ("核定年综合能耗（当量值）", "Approved energy, calorific (tce)"),
        ("核定年综合能耗（等价值）", "Approved energy, equal value (tce)"),
        ("核定年煤炭消费（t）", "Approved coal (t)"), ("审查意见要求", "Conditions"),
        ("门槛版本", "Thresholds version"),
    ])  # fmt: skip
    yes, no = ("yes", "no") if english else ("是", "否")
    for review in EnergyReview.objects.select_related("project__enterprise").order_by(
        "project__code", "recorded_at", "id"
    ):
        project = review.project
        table.rows.append([
            project.code, project.name, project.enterprise.name, review.calorific_tce,
            review.equal_value_tce, review.electricity_wan_kwh, review.coal_t,
            yes if review.uses_before else no,
            _label(EnergyReview.Authority.choices, review.authority, english),
            review.opinion_authority or None, review.document_no or None,
            review.opinion_date.isoformat() if review.opinion_date else None,
            review.approved_calorific_tce, review.approved_equal_value_tce,
            review.approved_coal_t, review.conditions or None, review.thresholds_version,
        ])  # fmt: skip
    return table


def assessment_ledger(english: bool = False) -> Table:
    from projects.models import CarbonAssessment

    table = Table("assessments", TITLES["assessments"], [
        ("项目代码", "Code"), ("项目名称", "Project"), ("企业", "Enterprise"),
        ("核算年份", "Year"), ("化石燃料燃烧(tCO₂)", "Fuels (tCO₂)"),
        ("工业过程(tCO₂)", "Process (tCO₂)"), ("净购入电力(tCO₂)", "Electricity (tCO₂)"),
        ("净购入热力(tCO₂)", "Heat (tCO₂)"), ("年二氧化碳排放(tCO₂)", "Total (tCO₂)"),
        ("单位产品排放", "Per unit of product"),
        ("单位增加值排放（tCO₂/万元）", "Per value added (tCO₂/10k yuan)"),
        ("行业基准", "Industry benchmark"), ("基准来源", "Benchmark source"),
        ("评价结论", "Conclusion"), ("减排措施", "Reduction measures"),
    ], fine_columns=frozenset({9, 10, 11}))  # fmt: skip
    for assessment in CarbonAssessment.objects.select_related("project__enterprise").order_by(
        "project__code", "recorded_at", "id"
    ):
        project = assessment.project
        table.rows.append([
            project.code, project.name, project.enterprise.name, assessment.year,
            assessment.fuels_t, assessment.process_t, assessment.electricity_t,
            assessment.heat_t, assessment.total_t, assessment.per_product,
            assessment.per_value_added, assessment.benchmark,
            assessment.benchmark_source or None, assessment.conclusion or None,
            assessment.measures or None,
        ])  # fmt: skip
    return table


def investment_by_quarter(english: bool = False) -> Table:
    """Each project's approved investment completed per quarter, its total against the
    plan; the last row is the park's total per quarter."""
    from projects.models import Project

    invested = approved_investment()
    periods = sorted({period for by in invested.values() for period in by})
    table = Table("investment", TITLES["investment"], [
        ("项目代码", "Code"), ("项目名称", "Project"),
        ("计划投资（万元）", "Planned (10k yuan)"),
        *[(period, period) for period in periods],
        ("累计完成(万元)", "Completed (10k yuan)"), ("投资完成率", "Share completed"),
    ])  # fmt: skip
    totals = dict.fromkeys(periods, ZERO)
    planned_total = done_total = ZERO
    for project in Project.objects.only("pk", "code", "name", "investment_planned").order_by(
        "code"
    ):
        by = invested.get(project.pk, {})
        planned = _sum(project.investment_planned)
        done = sum(by.values(), ZERO)
        for period in periods:
            totals[period] += by.get(period, ZERO)
        planned_total += planned
        done_total += done
        table.rows.append([project.code, project.name, planned,
                           *[by.get(period) for period in periods], done,
                           (done / planned) if planned else None])  # fmt: skip
    table.rows.append(["", "合计" if not english else "Total", planned_total,
                       *[totals[p] for p in periods], done_total,
                       (done_total / planned_total) if planned_total else None])  # fmt: skip
    table.percent_columns = frozenset({len(table.headings) - 1})
    return table


def snapshot_rows() -> list[dict]:
    """The register as plain JSON for the round's frozen report: codes and both languages'
    names, numbers as decimal strings (the report's renderer labels them)."""
    zh = project_list(english=False)
    en = project_list(english=True)
    rows = []
    for row_zh, row_en in zip(zh.rows, en.rows, strict=True):
        entry = {}
        for key, value_zh, value_en in zip(LIST_KEYS, row_zh, row_en, strict=True):
            if isinstance(value_zh, Decimal):
                entry[key] = str(value_zh)
            elif value_zh != value_en:
                entry[f"{key}_zh"], entry[f"{key}_en"] = value_zh, value_en
            else:
                entry[key] = value_zh
        rows.append(entry)
    return rows


def snapshot_table(rows: list[dict], *, english: bool) -> Table:
    """The frozen rows back as the 重点项目清单 table in one language."""
    table = Table("list", TITLES["list"], LIST_HEADINGS, percent_columns=frozenset({10}))
    suffix = "_en" if english else "_zh"
    numeric = {"planned", "completed", "share", "value_added", "calorific_tce"}
    for entry in rows:
        row = []
        for key in LIST_KEYS:
            value = entry.get(key, entry.get(key + suffix))
            if key in numeric and value is not None:
                value = Decimal(value)
            row.append(value)
        table.rows.append(row)
    return table


BUILDERS = {
    "list": project_list,
    "reviews": review_ledger,
    "assessments": assessment_ledger,
    "investment": investment_by_quarter,
}


def table_of(kind: str, *, english: bool = False) -> Table:
    return BUILDERS[kind](english)


# --- Files ---------------------------------------------------------------------------------


def write_sheet(workbook, sheet, table: Table, *, english: bool, title_row: str | None = None):
    """`table` into `sheet` of an inert workbook: a title, the headings, numbers as numbers
    (2 decimals, intensities 4, shares as %), text never a formula."""
    bold = workbook.add_format(
        {"bold": True, "bg_color": "#E6F4EA", "border": 1, "text_wrap": True}
    )
    title = workbook.add_format({"bold": True, "font_size": 14})
    quoted = workbook.add_format({"quote_prefix": True})
    formats = {
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "fine": workbook.add_format({"num_format": "0.0000"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "int": workbook.add_format({"num_format": "0"}),
    }
    heading = title_row or table.title[1 if english else 0]
    sheet.write_string(0, 0, heading, quoted if needs_quoting(heading) else title)
    for column, text in enumerate(table.heading_texts(english)):
        sheet.write_string(1, column, text, bold)
        sheet.set_column(column, column, 14 if column else 16)
    percent_columns = table.percent_columns
    for r, row in enumerate(table.rows, start=2):
        for column, value in enumerate(row):
            if value is None or value == "":
                sheet.write_blank(r, column, None)
            elif isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(r, column, value, formats["int"])
            elif isinstance(value, Decimal):
                style = ("percent" if column in percent_columns
                         else "fine" if column in table.fine_columns else "money")  # fmt: skip
                sheet.write_number(r, column, float(value), formats[style])
            else:
                text = str(value)
                sheet.write_string(r, column, text, quoted if needs_quoting(text) else None)
    sheet.freeze_panes(2, 2)


def table_xlsx(table: Table, *, language: str) -> bytes:
    english = language.startswith("en")
    output = io.BytesIO()
    workbook = inert_workbook(output)
    workbook.set_properties({"title": table.title[1 if english else 0], "author": "dezhou-carbon"})
    sheet = workbook.add_worksheet(table.title[1 if english else 0][:31])
    write_sheet(workbook, sheet, table, english=english)
    workbook.close()
    return output.getvalue()


def _text(value, column: int, table: Table) -> str:
    from dezhou_carbon.display import number

    if value is None or value == "":
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        if column in table.percent_columns:
            return f"{number(value * 100, 1)}%"
        return number(value, 4 if column in table.fine_columns else 2)
    return str(value)


def table_pdf_html(table: Table, *, language: str, taken_at: dt.datetime) -> str:
    """The table as HTML for WeasyPrint (also what tests read)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from dezhou_carbon import display
    from dezhou_carbon.pdf import css_string

    english = language.startswith("en")
    title = table.title[1 if english else 0]
    rows = [
        [(_text(value, column, table), isinstance(value, Decimal | int))
         for column, value in enumerate(row)]
        for row in table.rows
    ]  # fmt: skip
    with translation.override(language):
        return render_to_string(
            "projects/report_pdf.html",
            {
                "language": language, "title": title, "headings": table.heading_texts(english),
                "rows": rows, "taken_at": display.moment(taken_at),
                "css_header_left": css_string(title),
                "css_header_right": css_string(display.moment(taken_at)),
            },
        )  # fmt: skip


def table_pdf(table: Table, *, language: str, taken_at: dt.datetime) -> bytes:
    from weasyprint import HTML

    from dezhou_carbon.pdf import data_uri_only_fetcher as _data_uri_only_fetcher

    html = table_pdf_html(table, language=language, taken_at=taken_at)
    identifier = hashlib.sha256(f"projects|{table.kind}|{taken_at.isoformat()}".encode())
    return (
        HTML(string=html, url_fetcher=_data_uri_only_fetcher())
        .render()
        .write_pdf(pdf_identifier=identifier.hexdigest()[:32].encode())
    )
