"""Text that spreadsheet programs must show, never evaluate (OWASP ASVS 1.2.10): a cell
starting with = + - @ tab, carriage return or NUL is a formula or a DDE command to Excel
and LibreOffice. The one home of that protection for every file the product writes
(reports, the audit export, upload templates, the enterprise register). Pure functions,
no database."""

from __future__ import annotations

FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def needs_quoting(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula."""
    return bool(text) and text.startswith(FORMULA_STARTERS)


def csv_cell(value) -> str:
    """A CSV field: numbers as written, text with a leading ' when it would be a formula.
    Only text gets the prefix, so −12.5 as a number stays −12.5."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if needs_quoting(value) else value
    return str(value)


def inert_workbook(output):
    """An XlsxWriter workbook writing into `output` that never turns text into a formula, a
    hyperlink or a number (XlsxWriter's defaults do all three to user strings)."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
