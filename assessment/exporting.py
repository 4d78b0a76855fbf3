"""The ranking of a year (or a quarter's preview) as xlsx and PDF, the method printed
beside the scores: the scheme's rules in sentences, its version and 文号, where the scores
come from (signed off, frozen or a preview) and the snapshot's SHA-256. Cells are inert
(text never a formula), the PDF embeds its CJK font and fetches nothing."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from assessment import calculations as calc
from assessment import display
from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting


def _context(view) -> dict:
    english = translation.get_language() == "en"
    names = {
        code: (pair[1] or pair[0]) if english else pair[0]
        for code, pair in view.snapshot.get("names", {}).items()
    }
    rows = []
    rank = 0
    for score in view.scores:
        rank += score.total is not None
        rows.append(
            {
                "rank": rank if score.total is not None else "",
                "code": score.department,
                "name": names.get(score.department, score.department),
                "components": [score.components[key].score for key in calc.COMPONENTS],
                "component_texts": [
                    display.score_text(score.components[key].score) for key in calc.COMPONENTS
                ],
                "base": score.base,
                "adjustments": score.adjustments,
                "total": score.total,
                "base_text": display.score_text(score.base),
                "adjustments_text": display.score_text(score.adjustments),
                "total_text": display.score_text(score.total),
                "grade": display.grade_label(score.grade),
            }
        )
    scheme = view.scheme
    assessment = view.assessment
    return {
        "period": view.period,
        "period_label": display.period_label(view.period),
        "source": display.source_label(view.source),
        "as_of": view.snapshot["as_of"],
        "scheme_version": f"{scheme.year or _('默认')} v{scheme.version}",
        "document_no": scheme.document_no or "—",
        "snapshot_sha256": assessment.snapshot_sha256
        if assessment
        else calc.sha256_of(view.snapshot),
        "scores_sha256": assessment.scores_sha256 if assessment else "",
        "components": [display.component_label(key) for key in calc.COMPONENTS],
        "weights": [view.rules["weights"][key] for key in calc.COMPONENTS],
        "rows": rows,
        "method": display.method_lines(view.rules),
    }


def ranking_pdf(view, *, language: str) -> bytes:
    from weasyprint import HTML

    from reports.rendering import _data_uri_only_fetcher

    with translation.override(language):
        context = _context(view)
        html = render_to_string("assessment/ranking_pdf.html", context)
    identifier = hashlib.sha256(
        f"assessment|{view.period}|{context['snapshot_sha256']}|{language}".encode()
    ).hexdigest()[:32]
    return HTML(string=html, url_fetcher=_data_uri_only_fetcher()).write_pdf(
        pdf_identifier=identifier.encode()
    )


def ranking_xlsx(view, *, language: str) -> bytes:
    output = io.BytesIO()
    workbook = inert_workbook(output)
    heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    score_format = workbook.add_format({"num_format": "0.00"})

    def put(sheet, row, col, value, fmt=None):
        if value is None or value == "":
            sheet.write_blank(row, col, None)
        elif isinstance(value, Decimal | int) and not isinstance(value, bool):
            sheet.write_number(row, col, float(Decimal(value).quantize(calc.CENT)), fmt)
        else:
            text = str(value)
            sheet.write_string(row, col, text, quoted if needs_quoting(text) else None)

    with translation.override(language):
        context = _context(view)
        sheet = workbook.add_worksheet(_("考核结果"))
        headings = [
            _("名次"),
            _("代码"),
            _("责任单位"),
            *context["components"],
            _("加权得分"),
            _("加减分"),
            _("总分"),
            _("等次"),
        ]
        put(sheet, 0, 0, f"{_('责任单位目标责任考核')} {context['period_label']}")
        put(sheet, 1, 0, f"{context['source']} · {_('数据截至')} {context['as_of']}")
        for col, text in enumerate(headings):
            sheet.write_string(3, col, text, heading)
        for i, row in enumerate(context["rows"], start=4):
            put(sheet, i, 0, row["rank"])
            put(sheet, i, 1, row["code"])
            put(sheet, i, 2, row["name"])
            for j, value in enumerate(row["components"]):
                put(sheet, i, 3 + j, value, score_format)
            put(sheet, i, 7, row["base"], score_format)
            put(sheet, i, 8, row["adjustments"], score_format)
            put(sheet, i, 9, row["total"], score_format)
            put(sheet, i, 10, row["grade"])
        sheet.set_column(2, 2, 28)
        sheet.set_column(3, 9, 14)
        method = workbook.add_worksheet(_("考核方法"))
        facts = [
            (_("考核方案"), context["scheme_version"]),
            (_("批准文号"), context["document_no"]),
            (_("结果来源"), context["source"]),
            (_("数据截至"), context["as_of"]),
            (_("冻结数据SHA-256"), context["snapshot_sha256"]),
        ]
        for i, (label, value) in enumerate(facts):
            method.write_string(i, 0, label, heading)
            put(method, i, 1, value)
        for i, line in enumerate(context["method"], start=len(facts) + 1):
            put(method, i, 0, line)
        method.set_column(0, 0, 22)
        method.set_column(1, 1, 70)
    workbook.close()
    return output.getvalue()
