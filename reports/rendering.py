"""The target-attainment report of a frozen round as xlsx, CSV and PDF.

Everything here reads the snapshot document (reports.selectors.snapshot_document), never
the database, so one snapshot always gives the same bytes: the workbook's and the PDF's
creation dates are the snapshot's time, nothing says when the file itself was written,
and the PDF identifier is derived from the snapshot's hash. Text a spreadsheet could
evaluate is written inert (dezhou_carbon.spreadsheets); numbers are written as numbers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from dashboards.models import EarlyWarning
from dashboards.selectors import margin_text, percent_text, status_label, variant_label
from dezhou_carbon import display
from dezhou_carbon.pdf import css_string, data_uri_only_fetcher
from dezhou_carbon.spreadsheets import csv_cell, inert_workbook, needs_quoting
from indicators.exchange import OUTPUT_FIELDS
from indicators.periods import quarter_text, ytd_text
from indicators.units import unit_text
from reports import svg
from tasks.progress import counts_as_done, state_label

Progress = Callable[[int], None]

# Headings of the report, Chinese and English (the report's language is the requester's,
# not the worker's, so they live here rather than in the page catalogue).
HEADINGS = {
    "title": ("目标完成情况报告", "Target attainment report"),
    "frozen": ("数据冻结于", "Data frozen at"),
    "round": ("填报轮次", "Reporting round"),
    "sheet_targets": ("目标完成情况", "Targets"),
    "sheet_tasks": ("任务进展", "Tasks"),
    "sheet_warnings": ("预警及响应", "Warnings"),
    "sheet_projects": ("重点项目", "Key projects"),
    "sheet_budget": ("用能预算", "Energy budget"),
    "sheet_values": ("指标数值", "Values"),
    "sheet_lineage": ("数据溯源", "Lineage"),
    "code": ("编号", "Code"),
    "target": ("目标", "Target"),
    "indicator": ("指标", "Indicator"),
    "unit": ("单位", "Unit"),
    "owner": ("责任单位", "Responsible unit"),
    "target_value": ("目标值", "Target value"),
    "period": ("期间", "Period"),
    "value": ("实际值", "Value"),
    "status": ("状态", "Status"),
    "completion": ("完成进度", "Completion"),
    "time_progress": ("时间进度", "Time elapsed"),
    "hold_margin": ("距保持线余量", "Margin to hold threshold"),
    "hold_margin_short": ("距保持线", "Margin"),
    "result_id": ("结果编号", "Result id"),
    "task": ("任务", "Task"),
    "lead": ("牵头单位", "Lead unit"),
    "supports": ("配合单位", "Supporting units"),
    "items_done": ("已销号要点", "Items verified"),
    "items_total": ("要点总数", "Items"),
    "work_item": ("工作要点", "Work item"),
    "due_year": ("完成年份", "Due year"),
    "progress": ("进展", "Progress"),
    "evidence": ("佐证材料", "Evidence"),
    "progress_reports": ("本期进展报告", "Progress reports this period"),
    "level": ("级别", "Level"),
    "kind": ("类型", "Kind"),
    "title_col": ("标题", "Title"),
    "message": ("说明", "Message"),
    "response": ("情况说明", "Response"),
    "rectification_plan": ("整改措施", "Rectification plan"),
    "due_date": ("整改期限", "Due date"),
    "closing_comment": ("销号意见", "Closing comment"),
    "acknowledged_by": ("响应人", "Answered by"),
    "acknowledged_at": ("响应时间", "Answered at"),
    "closed_by": ("销号人", "Closed by"),
    "closed_at": ("销号时间", "Closed at"),
    "variant": ("口径", "Variant"),
    "formula": ("计算方法", "Formula"),
    "coefficients": ("系数(版本)", "Coefficients (versions)"),
    "rules": ("计算口径版本", "Counting rule versions"),
    "figure_id": ("输入数据编号", "Input figure id"),
    "item": ("统计项", "Item"),
    "department": ("填报单位", "Reporting unit"),
    "figure_period": ("数据期间", "Figure period"),
    "figure_value": ("数据值", "Figure value"),
    "version": ("版本", "Version"),
    "state": ("状态", "State"),
    "note": ("备注", "Note"),
    "entered_by": ("填报人", "Entered by"),
    "entered_at": ("填报时间", "Entered at"),
    "decided_by": ("审核人", "Approved by"),
    "decided_at": ("审核时间", "Approved at"),
    "decision_comment": ("审核意见", "Review comment"),
    "inputs": ("输入数据", "Input figures"),
    "chart_progress": ("完成进度与时间进度", "Completion against time elapsed"),
    "chart_status": ("目标状态分布", "Targets by status"),
    "page": ("第 {page} 页,共 {pages} 页", "Page {page} of {pages}"),
    "none": ("无", "None"),
    "park": ("园区", "Park"),
    "plain": ("统计口径", "Statistical"),
}


class Labels:
    """The report's words in one language."""

    def __init__(self, language: str):
        self.language = language
        self.english = language.startswith("en")

    def __getitem__(self, key: str) -> str:
        zh, en = HEADINGS[key]
        return en if self.english else zh

    def pick(self, row: dict | None, field: str) -> str:
        """A bilingual field of a snapshot row (`title` → title_en or title_zh)."""
        if not row:
            return ""
        if self.english and row.get(f"{field}_en"):
            return row[f"{field}_en"]
        return row.get(f"{field}_zh", "")

    def department(self, row: dict | None) -> str:
        return self.pick(row, "name") if row else ""

    def variant(self, variant: str) -> str:
        return self["plain"] if not variant else variant_label(variant)

    def quarter(self, code: str | None) -> str | None:
        """A figure's or a round's period as people read it (2026年三季度 / Q3 2026)."""
        return quarter_text(code, self.language) if code else code

    def ytd(self, code: str | None) -> str | None:
        """A result's year-to-date period (2026年1—9月 / Jan–Sep 2026)."""
        return ytd_text(code, self.language) if code else code


def _decimal(text) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _moment(text: str | None) -> dt.datetime | None:
    """Snapshot ISO text as the naive local time spreadsheets show, to the minute."""
    return display.local_moment(text)


def _figure_state(code: str | None) -> str | None:
    """草稿, 已审核 …: a figure version's state in the report's language, not its code."""
    from indicators.models import Figure

    return str(dict(Figure.State.choices).get(code, code)) if code else None


def _number_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


# --- the rows every format shares --------------------------------------------------------------


def target_rows(document: dict, labels: Labels) -> list[dict]:
    """One row per target: its numbers in the statistical and each assessment variant."""
    rows = []
    for target in document["targets"]:
        cells = {}
        is_hold = target["kind"] == "hold"
        for variant in document["variants"]:
            assessment = target["assessments"].get(variant)
            cells[variant] = (
                None
                if assessment is None
                else {
                    **assessment,
                    "value": _decimal(assessment["value"]),
                    "target_value": _decimal(assessment["target_value"]),
                    # A hold target's completion means nothing: its margin stands instead
                    # (None in snapshots frozen before margins were recorded).
                    "completion": None if is_hold else _decimal(assessment["completion"]),
                    "hold_margin": _decimal(assessment.get("hold_margin")) if is_hold else None,
                    "time_progress": _decimal(assessment["time_progress"]),
                    "status_label": status_label(assessment["status"]),
                }
            )
        rows.append(
            {
                "target": target,
                "code": target["code"],
                "title": labels.pick(target, "title"),
                "indicator": labels.pick(target, "indicator_name"),
                "unit": unit_text(target["unit"], labels.english),
                "places": target["places"],
                "owner": labels.department(target["owner"]),
                "target_text": target["target_text_en" if labels.english else "target_text_zh"],
                "cells": cells,
                "plain": cells[""],
                "is_hold": is_hold,
            }
        )
    return rows


def _result_of(document: dict, assessment: dict | None) -> dict | None:
    if not assessment or not assessment.get("result_id"):
        return None
    return document["results"].get(str(assessment["result_id"]))


def _coefficients_text(result: dict) -> str:
    return "; ".join(
        f"{c['key']}{' ' + str(c['year']) if c.get('year') else ''}={c['value']} (v{c['version']})"
        for c in result["coefficients"]
    )


def _rules_text(result: dict) -> str:
    return "; ".join(f"{key} v{version}" for key, version in result["rule_versions"])


def reported_results(document: dict) -> list[tuple[str, str, dict]]:
    """(target code, variant, lineage row) for every value the report shows, in order."""
    rows = []
    for target in document["targets"]:
        for variant in document["variants"]:
            result = _result_of(document, target["assessments"].get(variant))
            if result is not None:
                rows.append((target["code"], variant, result))
    return rows


def value_rows(document: dict) -> list[list]:
    """data-exchange §3 output rows of the reported values, with the target they report
    (the method as its formula; the lineage sheet has the rest of it)."""
    fields = [f for f in OUTPUT_FIELDS if f != "method"]
    rows = []
    for code, _variant, result in reported_results(document):
        row = [code]
        for field in fields:
            value = result.get(field)
            if field in {
                "value",
                "change_vs_base",
                "change_yoy",
                "target_value",
                "path_value",
                "completion",
                "time_progress",
                "required_annual_change",
                "projection",
            }:
                value = _decimal(value)
            elif field == "input_figure_ids":
                value = " ".join(str(pk) for pk in value or ())
            row.append(value)
        row.insert(len(row) - 2, result["formula"])  # where "method" stands in the contract
        rows.append(row)
    return rows


# The Values sheet's columns in words, above the data-exchange §3 names (which stay, for
# scripts that read the sheet).
VALUE_HEADINGS = {
    "target_code": ("目标编号", "Target"),
    "indicator": ("指标", "Indicator"),
    "period": ("期间", "Period"),
    "scope": ("统计范围", "Scope"),
    "variant": ("口径", "Variant"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "change_vs_base": ("较基期变化", "Change vs base"),
    "change_yoy": ("同比变化", "Change year on year"),
    "target_id": ("目标", "Target id"),
    "target_value": ("目标值", "Target value"),
    "target_year": ("目标年份", "Target year"),
    "target_pending_base": ("待定基期", "Base pending"),
    "path_value": ("路径值", "Path value"),
    "status": ("状态", "Status"),
    "completion": ("完成进度", "Completion"),
    "time_progress": ("时间进度", "Time elapsed"),
    "required_annual_change": ("所需年均变化", "Required annual change"),
    "projection": ("预测值", "Projection"),
    "provisional": ("暂定", "Provisional"),
    "formula": ("计算方法", "Formula"),
    "input_figure_ids": ("输入数据编号", "Input figure ids"),
    "computed_at": ("计算时间", "Computed at"),
}


def value_heading_words(english: bool) -> list[str]:
    return [
        VALUE_HEADINGS.get(code, (code, code))[1 if english else 0] for code in value_headings()
    ]


def value_headings() -> list[str]:
    fields = [f for f in OUTPUT_FIELDS if f != "method"]
    headings = ["target_code", *fields]
    headings.insert(len(headings) - 2, "formula")
    return headings


# --- xlsx ----------------------------------------------------------------------------------------


class _Sheet:
    """Typed writes: numbers as numbers, moments as dates, text inert."""

    def __init__(self, workbook, worksheet, formats):
        self.workbook, self.sheet, self.formats = workbook, worksheet, formats

    def put(self, row: int, col: int, value, number_format: str | None = None):
        sheet, formats = self.sheet, self.formats
        if value is None or value == "":
            sheet.write_blank(row, col, None)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, Decimal | int | float):
            sheet.write_number(row, col, float(value), formats.number(number_format))
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, col, value, formats.moment)
        else:
            text = str(value)
            sheet.write_string(row, col, text, formats.quoted if needs_quoting(text) else None)

    def header(self, row: int, headings: list[str], widths: list[int] | None = None):
        for col, heading in enumerate(headings):
            self.sheet.write_string(row, col, heading, self.formats.heading)
            self.sheet.set_column(col, col, (widths or [])[col] if widths else 14)


class _Formats:
    def __init__(self, workbook):
        self.workbook = workbook
        self.heading = workbook.add_format(
            {"bold": True, "bg_color": "#E6F4EA", "border": 1, "text_wrap": True}
        )
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.quoted_title = workbook.add_format(
            {"bold": True, "font_size": 14, "quote_prefix": True}
        )
        self.moment = workbook.add_format({"num_format": display.XLSX_MOMENT_FORMAT})
        self._numbers = {}

    def number(self, number_format: str | None):
        if number_format is None:
            return None
        if number_format not in self._numbers:
            self._numbers[number_format] = self.workbook.add_format({"num_format": number_format})
        return self._numbers[number_format]


def _title_rows(sheet: _Sheet, document: dict, labels: Labels, taken_at: dt.datetime, name: str):
    park = labels.pick(document["plan"], "park")
    # The park's name is an administrator's text: it starts the title, so the title is
    # never a formula whatever the name (strings_to_formulas is off as well).
    title = f"{park} {labels['title']} · {name}".strip()
    style = sheet.formats.quoted_title if needs_quoting(title) else sheet.formats.title
    sheet.sheet.write_string(0, 0, title, style)
    sheet.put(1, 0, f"{labels['round']}: {labels.quarter(document['round']['period'])}")
    sheet.put(1, 3, labels["frozen"])
    sheet.put(1, 4, display.local_moment(taken_at))


def render_xlsx(
    document: dict, *, language: str, taken_at: dt.datetime, progress: Progress
) -> bytes:
    labels = Labels(language)
    output = io.BytesIO()
    workbook = inert_workbook(output)
    naive = display.local_moment(taken_at)
    workbook.set_properties(
        {
            "title": f"{labels['title']} {labels.quarter(document['round']['period'])}",
            "author": "dezhou-carbon",
            "company": labels.pick(document["plan"], "park"),
            "created": naive,
        }
    )
    formats = _Formats(workbook)
    percent = "0.0%"
    with translation.override(language):
        rows = target_rows(document, labels)
        # 1. targets
        sheet = _Sheet(workbook, workbook.add_worksheet(labels["sheet_targets"]), formats)
        _title_rows(sheet, document, labels, taken_at, labels["sheet_targets"])
        headings = [
            labels["code"], labels["target"], labels["indicator"], labels["unit"],
            labels["owner"], labels["target_value"], labels["period"], labels["value"],
            labels["status"], labels["completion"], labels["time_progress"],
            labels["hold_margin"],
        ]  # fmt: skip
        for variant in document["variants"][1:]:
            name = labels.variant(variant)
            headings += [
                f"{labels['value']}({name})",
                f"{labels['status']}({name})",
                f"{labels['completion']}({name})",
                f"{labels['time_progress']}({name})",
            ]
        headings.append(labels["result_id"])
        sheet.header(3, headings, [8, 36, 24, 10, 20, 16] + [12] * (len(headings) - 6))
        for index, row in enumerate(rows, start=4):
            plain = row["plain"] or {}
            places = _number_format(row["places"])
            target_value = plain.get("target_value")
            values = [
                row["code"], row["title"], row["indicator"], row["unit"], row["owner"],
                target_value if target_value is not None else row["target_text"],
                labels.ytd(plain.get("period")), plain.get("value"), plain.get("status_label"),
                plain.get("completion"), plain.get("time_progress"), plain.get("hold_margin"),
            ]  # fmt: skip
            formats_of = [None] * 5 + [places, None, places, None, percent, percent, places]
            for variant in document["variants"][1:]:
                cell = row["cells"].get(variant) or {}
                values += [
                    cell.get("value"),
                    cell.get("status_label"),
                    cell.get("completion"),
                    cell.get("time_progress"),
                ]
                formats_of += [places, None, percent, percent]
            values.append(plain.get("result_id"))
            formats_of.append("0")
            for col, (value, number_format) in enumerate(zip(values, formats_of, strict=True)):
                sheet.put(index, col, value, number_format)
        sheet.sheet.freeze_panes(4, 2)
        progress(35)

        # 2. tasks
        sheet = _Sheet(workbook, workbook.add_worksheet(labels["sheet_tasks"]), formats)
        _title_rows(sheet, document, labels, taken_at, labels["sheet_tasks"])
        sheet.header(
            3,
            [
                labels["code"],
                labels["task"],
                labels["lead"],
                labels["supports"],
                labels["target"],
                labels["items_done"],
                labels["items_total"],
                labels["code"],
                labels["work_item"],
                labels["due_year"],
                labels["progress"],
                labels["evidence"],
                labels["progress_reports"],
            ],
            [6, 30, 18, 30, 10, 8, 8, 8, 40, 8, 10, 30, 40],
        )
        row_index = 4
        for task in document["tasks"]:
            items = task["work_items"] or [None]
            done = sum(1 for i in task["work_items"] if counts_as_done(i["status"]))
            reports = "\n".join(
                f"[{labels.quarter(r['period'])} {r['department']}] {r['text']}"
                for r in task["progress_reports"]
            )
            for item in items:
                values = [
                    task["code"],
                    labels.pick(task, "title"),
                    labels.department(task["lead"]),
                    "、".join(labels.department(d) for d in task["supports"]),
                    " ".join(task["targets"]),
                    done,
                    len(task["work_items"]),
                    item["code"] if item else None,
                    labels.pick(item, "title") if item else None,
                    item["due_year"] if item else None,
                    state_label(item["status"], labels.english) if item else None,
                    item["evidence"] if item else None,
                    reports,
                ]
                for col, value in enumerate(values):
                    sheet.put(row_index, col, value, "0" if col in (5, 6, 9) else None)
                row_index += 1
        sheet.sheet.freeze_panes(4, 2)
        progress(50)

        # 3. warnings
        sheet = _Sheet(workbook, workbook.add_worksheet(labels["sheet_warnings"]), formats)
        _title_rows(sheet, document, labels, taken_at, labels["sheet_warnings"])
        warning_fields = [
            "code", "level", "state", "kind", "period", "target", "owner", "title_col",
            "message", "response", "rectification_plan", "due_date", "evidence",
            "closing_comment", "acknowledged_by", "acknowledged_at", "closed_by", "closed_at",
        ]  # fmt: skip
        sheet.header(3, [labels[f] for f in warning_fields])
        for index, warning in enumerate(document["warnings"], start=4):
            values = [
                warning["id"],
                str(EarlyWarning.Level(warning["level"]).label),
                str(EarlyWarning.State(warning["state"]).label),
                str(EarlyWarning.Kind(warning["kind"]).label),
                labels.ytd(warning["period"]),
                warning["target"],
                labels.department(warning["department"]),
                labels.pick(warning, "title"),
                labels.pick(warning, "message"),
                warning["response"],
                warning["rectification_plan"],
                warning["due_date"],
                warning["evidence"],
                warning["closing_comment"],
                display.person(warning["acknowledged_by"]) if warning["acknowledged_by"] else None,
                _moment(warning["acknowledged_at"]),
                display.person(warning["closed_by"]) if warning["closed_by"] else None,
                _moment(warning["closed_at"]),
            ]
            for col, value in enumerate(values):
                sheet.put(index, col, value, "0" if col == 0 else None)
        sheet.sheet.freeze_panes(4, 1)
        progress(60)

        # 3b. key projects (issue 18), when the snapshot has any
        if document.get("projects"):
            from projects.exporting import snapshot_table, write_sheet

            write_sheet(
                workbook, workbook.add_worksheet(labels["sheet_projects"]),
                snapshot_table(document["projects"], english=labels.english),
                english=labels.english,
                title_row=f"{labels.pick(document['plan'], 'park')} {labels['title']} · "
                f"{labels['sheet_projects']}".strip(),
            )  # fmt: skip

        # 3c. the energy budget's status (issue 18), when the snapshot has an approved one
        if document.get("budget"):
            from budgets.exporting import snapshot_sheet

            snapshot_sheet(
                workbook, workbook.add_worksheet(labels["sheet_budget"]), document["budget"],
                english=labels.english,
                title_row=f"{labels.pick(document['plan'], 'park')} {labels['title']} · "
                f"{labels['sheet_budget']}".strip(),
            )  # fmt: skip

        # 4. values, as data-exchange §3 names them
        sheet = _Sheet(workbook, workbook.add_worksheet(labels["sheet_values"]), formats)
        _title_rows(sheet, document, labels, taken_at, labels["sheet_values"])
        sheet.header(2, value_heading_words(labels.english))
        sheet.header(3, value_headings())
        # Levels in their indicator's precision (an intensity keeps 4 decimals); the
        # computation time in Beijing time to the minute like every other moment.
        places_of = {target["code"]: target["places"] for target in document["targets"]}
        codes = value_headings()
        level_columns = {codes.index(c) for c in ("value", "target_value", "path_value")}
        moment_column = codes.index("computed_at")
        for index, row in enumerate(value_rows(document), start=4):
            level = _number_format(places_of.get(row[0], 2))
            for col, value in enumerate(row):
                if col == moment_column:
                    value = display.local_moment(value)
                number_format = "General" if isinstance(value, Decimal) else None
                if col in level_columns:
                    number_format = level
                sheet.put(index, col, value, number_format)
        sheet.sheet.freeze_panes(4, 1)
        progress(70)

        # 5. lineage: every reported value with each input figure
        sheet = _Sheet(workbook, workbook.add_worksheet(labels["sheet_lineage"]), formats)
        _title_rows(sheet, document, labels, taken_at, labels["sheet_lineage"])
        lineage_fields = [
            "result_id", "target", "indicator", "period", "variant", "value", "unit",
            "formula", "coefficients", "rules", "figure_id", "item", "department",
            "figure_period", "figure_value", "version", "state", "note", "entered_by",
            "entered_at", "decided_by", "decided_at", "decision_comment",
        ]  # fmt: skip
        sheet.header(3, [labels[f] for f in lineage_fields])
        row_index = 4
        places_of = {target["code"]: target["places"] for target in document["targets"]}
        for code, variant, result in reported_results(document):
            level = _number_format(places_of.get(code, 2))
            head = [
                result["id"], code, result["indicator"], labels.ytd(result["period"]),
                labels.variant(variant), _decimal(result["value"]), result["unit"],
                result["formula"], _coefficients_text(result), _rules_text(result),
            ]  # fmt: skip
            for figure in result["inputs"] or [None]:
                tail = (
                    [
                        figure["id"],
                        figure["item"],
                        figure["department"],
                        labels.quarter(figure["period"]),
                        _decimal(figure["value"]),
                        figure["version"],
                        _figure_state(figure["state"]),
                        figure["note"],
                        display.person(figure["entered_by"]),
                        _moment(figure["entered_at"]),
                        display.person(figure["decided_by"]) if figure["decided_by"] else None,
                        _moment(figure["decided_at"]),
                        figure["decision_comment"],
                    ]
                    if figure
                    else [None] * 13
                )
                for col, value in enumerate(head + tail):
                    number_format = "0" if col in (0, 10, 15) else None
                    if col == 5:
                        number_format = level
                    elif col == 14:
                        number_format = "General"
                    sheet.put(row_index, col, value, number_format)
                row_index += 1
        sheet.sheet.freeze_panes(4, 1)
    workbook.close()
    progress(90)
    return output.getvalue()


# --- CSV -------------------------------------------------------------------------------------------


def render_csv(document: dict, *, language: str, taken_at, progress: Progress) -> bytes:
    """The reported values as data-exchange §3 rows with the target each reports, its
    title, owner and status in the requester's language; UTF-8 with a BOM (Excel on
    Chinese Windows), text that could be a formula prefixed with '."""
    labels = Labels(language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    headings = value_headings()
    writer.writerow(["target_title", "owner", "status_label", *headings])
    with translation.override(language):
        by_code = {row["code"]: row for row in target_rows(document, labels)}
        for row in value_rows(document):
            target = by_code[row[0]]
            status = row[headings.index("status")]
            writer.writerow(
                [
                    csv_cell(target["title"]),
                    csv_cell(target["owner"]),
                    csv_cell(status_label(status) if status is not None else ""),
                    *(csv_cell(value) for value in row),
                ]
            )
    progress(90)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------------


# The shared PDF pieces live in dezhou_carbon.pdf; these names stay for the report's callers.
_data_uri_only_fetcher = data_uri_only_fetcher


def pdf_html(document: dict, *, language: str, taken_at: dt.datetime) -> str:
    """The report as HTML for WeasyPrint (also what tests read)."""
    labels = Labels(language)
    with translation.override(language):
        rows = target_rows(document, labels)
        chart_rows = [
            (row["code"], row["plain"]["completion"], row["plain"]["time_progress"],
             row["plain"]["status"])
            for row in rows
            if row["plain"] and row["plain"]["completion"] is not None
        ]  # fmt: skip
        counts: dict[str, int] = {}
        for row in rows:
            if row["plain"]:
                counts[row["plain"]["status"]] = counts.get(row["plain"]["status"], 0) + 1
        statuses = ["achieved", "green", "yellow", "red", "no_data"]
        progress_svg = svg.progress_bars(
            chart_rows, completion_label=labels["completion"], time_label=labels["time_progress"]
        )
        status_svg = svg.status_columns([(s, status_label(s), counts.get(s, 0)) for s in statuses])
        for row in rows:
            for cell in row["cells"].values():
                if cell:
                    cell["value_text"] = _plain_number(cell["value"], row["places"])
                    cell["completion_text"] = (
                        f"{labels['hold_margin_short']} "
                        + margin_text(cell["hold_margin"], unit=row["unit"], places=row["places"])
                        if row["is_hold"]
                        else percent_text(cell["completion"])
                    )
                    cell["time_progress_text"] = percent_text(cell["time_progress"])
        tasks = []
        for task in document["tasks"]:
            tasks.append(
                {
                    "code": task["code"],
                    "title": labels.pick(task, "title"),
                    "lead": labels.department(task["lead"]),
                    "supports": "、".join(labels.department(d) for d in task["supports"]),
                    "items": [
                        {
                            "code": i["code"],
                            "title": labels.pick(i, "title"),
                            "status": state_label(i["status"], labels.english),
                            "evidence": i["evidence"],
                        }
                        for i in task["work_items"]
                    ],
                    "done": sum(1 for i in task["work_items"] if counts_as_done(i["status"])),
                    "reports": task["progress_reports"],
                }
            )
        warnings = [
            {
                **w,
                "level_label": str(EarlyWarning.Level(w["level"]).label),
                "state_label": str(EarlyWarning.State(w["state"]).label),
                "title": labels.pick(w, "title"),
                "owner": labels.department(w["department"]),
            }
            for w in document["warnings"]
        ]
        lineage = [
            {
                "code": code,
                "variant": labels.variant(variant),
                "result": result,
                "coefficients": _coefficients_text(result),
                "rules": _rules_text(result),
                "inputs": " ".join(f"#{f['id']} v{f['version']}" for f in result["inputs"]),
                "approvers": "、".join(
                    sorted({f["decided_by"] for f in result["inputs"] if f["decided_by"]})
                ),
            }
            for code, variant, result in reported_results(document)
        ]
        budget = None
        if document.get("budget"):
            from budgets.exporting import snapshot_pdf_context

            budget = snapshot_pdf_context(document["budget"], english=labels.english)
            budget["svg"] = mark_safe(budget["svg"])  # numbers only, text escaped
        page_text = labels["page"].split("{page}")
        between = page_text[1].split("{pages}")
        return render_to_string(
            "reports/attainment_pdf.html",
            {
                "labels": labels,
                "language": language,
                "document": document,
                "park": labels.pick(document["plan"], "park"),
                "plan_name": labels.pick(document["plan"], "name"),
                "taken_at": taken_at,
                "taken_at_text": display.moment(taken_at),
                "taken_at_iso": taken_at.isoformat(),
                "rows": rows,
                "assessment_variants": [(v, labels.variant(v)) for v in document["variants"][1:]],
                "tasks": tasks,
                "warnings": warnings,
                "lineage": lineage,
                "budget": budget,
                "progress_svg": mark_safe(progress_svg),  # escaped by reports.svg
                "status_svg": mark_safe(status_svg),  # escaped by reports.svg
                "css_header_left": css_string(
                    f"{labels.pick(document['plan'], 'park')} · {labels['title']}"
                    f" · {labels.quarter(document['round']['period'])}"
                ),
                "css_header_right": css_string(f"{labels['frozen']} {display.moment(taken_at)}"),
                "css_page_before": css_string(page_text[0]),
                "css_page_between": css_string(between[0]),
                "css_page_after": css_string(between[1]),
            },
        )


def _plain_number(value: Decimal | None, places: int) -> str:
    from dashboards.selectors import number_text

    return number_text(value, places)


def render_pdf(document: dict, *, language: str, taken_at: dt.datetime, progress: Progress):
    from weasyprint import HTML

    html = pdf_html(document, language=language, taken_at=taken_at)
    progress(40)
    rendered = HTML(string=html, url_fetcher=_data_uri_only_fetcher()).render()
    progress(75)
    identifier = hashlib.sha256(
        f"{document['round']['period']}|{taken_at.isoformat()}|{language}".encode()
    ).hexdigest()[:32]
    content = rendered.write_pdf(pdf_identifier=identifier.encode())
    progress(90)
    return content


RENDERERS = {"xlsx": render_xlsx, "csv": render_csv, "pdf": render_pdf}


def render(document: dict, *, fmt: str, language: str, taken_at, progress: Progress) -> bytes:
    return RENDERERS[fmt](document, language=language, taken_at=taken_at, progress=progress)
