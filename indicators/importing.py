"""Read and check an import file (CSV or .xlsx) or JSON records of statistics.

Pure Python: no Django, no database, no settings. The contract is
docs section "Import file" (shared spec data-exchange.md §2): long form, one
figure per row, columns ``period``, ``item``, ``value`` (required) and
``unit``, ``scope``, ``note`` (optional), or their Chinese names.

Two kinds of refusal:

* ``ImportFileError`` - the whole file is refused before any row is read
  (too large, too many rows, unknown encoding, not an xlsx, macro, zip bomb,
  header mismatch, empty).
* ``RowError`` - a cell or row is wrong. Every row is checked and *every*
  error is returned; the caller imports nothing when ``errors`` is non-empty
  (an import is all or nothing).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from xml.etree.ElementTree import ParseError as ElementTreeParseError

from dezhou_carbon.exceptions import ApplicationError
from enterprises import credit_code
from indicators.numbers import MAX_DECIMAL_PLACES, MAX_INTEGER_DIGITS, NumberRefused, parse_number
from indicators.periods import Period, PeriodError
from indicators.units import UnitError, convert, normalize_unit

__all__ = [
    "ImportColumns",
    "ImportFileError",
    "ImportRow",
    "ItemSpec",
    "ParseResult",
    "RowError",
    "parse_import_file",
    "parse_import_records",
    "parse_period",
    "read_table",
    "validate_credit_code",
]

# ---------------------------------------------------------------- limits

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
MAX_NOTE_LENGTH = 1000
ERROR_VALUE_LENGTH = 100
# xlsx pre-parse checks (zip level, declared sizes, before any XML is read)
ZIP_MAX_ENTRIES = 200
ZIP_MAX_UNCOMPRESSED = 250 * 1024 * 1024
ZIP_MAX_RATIO = 100
# xlsx sheet extent, read from the worksheet XML before any parser builds a range: the
# format has six columns, so anything past BL is not ours; rows beyond the row limit plus
# a margin for blank and instruction rows are refused (calamine allocates the whole range
# from A1 to the furthest cell: one cell at XFD1048576 asked for ~550 GB).
XLSX_MAX_COLUMNS = 64
XLSX_ROW_MARGIN = 1000
_SCAN_CHUNK = 256 * 1024
_SCAN_CARRY_LIMIT = 1024 * 1024

# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class ItemSpec:
    code: str
    unit: str
    frequency: str  # "quarter" | "year"
    non_negative: bool = True  # growth-rate items are False


@dataclass(frozen=True)
class ImportRow:
    line: int  # header is line 1, first data row line 2; JSON records: index + 1
    period: str  # "2024Q3" or "2024"
    year: int
    quarter: int | None
    item_code: str
    value: Decimal  # in the item's unit
    original_value: str
    original_unit: str  # "" when omitted
    scope: str  # "" = whole park, else the 18-character credit code
    note: str


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # header as given in the file; "" for whole-row errors
    code: str
    message_zh: str
    message_en: str
    value: str  # offending raw text, at most 100 characters


@dataclass(frozen=True)
class ImportColumns:
    """The rows of a file without any error, column by column: what the fast path of a
    large import reads and writes without building an object per row. ``values[i]`` is
    the exact decimal text of row i's value in the item's unit (``Decimal(values[i])`` is
    the value ``ImportRow.value`` holds)."""

    lines: list[int]
    periods: list[str]
    years: list[int]
    quarters: list[int | None]
    item_codes: list[str]
    values: list[str]
    original_values: list[str]
    original_units: list[str]
    scopes: list[str]
    notes: list[str]

    def __len__(self) -> int:
        return len(self.lines)

    def rows(self) -> list[ImportRow]:
        return [
            ImportRow(
                line=line,
                period=period,
                year=year,
                quarter=quarter,
                item_code=code,
                value=Decimal(value),
                original_value=raw,
                original_unit=unit,
                scope=scope,
                note=note,
            )
            for line, period, year, quarter, code, value, raw, unit, scope, note in zip(
                self.lines,
                self.periods,
                self.years,
                self.quarters,
                self.item_codes,
                self.values,
                self.original_values,
                self.original_units,
                self.scopes,
                self.notes,
                strict=True,
            )
        ]


class ParseResult:
    """What a file or a list of records held: the rows without any error (import only if
    `errors` is empty), every error, and how the file was read. The fast path keeps the
    rows as `columns`; `rows` builds the `ImportRow` objects the first time it is read."""

    def __init__(
        self,
        rows: list[ImportRow] | None = None,
        errors: list[RowError] | None = None,
        encoding: str = "",  # "utf-8", "gb18030", "xlsx", "json"
        sha256: str = "",
        sheet: str = "",  # xlsx: the sheet that was read
        warnings: list[RowError] | None = None,  # not errors; shown in the preview
        *,
        columns: ImportColumns | None = None,
    ):
        self._rows = rows
        self.columns = columns
        self.errors = errors if errors is not None else []
        self.encoding = encoding
        self.sha256 = sha256
        self.sheet = sheet
        self.warnings = warnings if warnings is not None else []

    @property
    def rows(self) -> list[ImportRow]:
        if self._rows is None:
            self._rows = self.columns.rows() if self.columns is not None else []
        return self._rows

    @property
    def row_count(self) -> int:
        """The number of rows without any error (without building them)."""
        if self._rows is None and self.columns is not None:
            return len(self.columns)
        return len(self.rows)


class ImportFileError(ApplicationError):
    """The whole file is refused; no row was read."""

    def __init__(self, message_zh: str, message_en: str, *, code: str, details=None):
        super().__init__(message_zh, message_en, code=code, details=details)
        if code == "too_large":
            self.status_code = 413


# ---------------------------------------------------------------- columns

_COLUMNS: dict[str, tuple[str, ...]] = {
    "period": ("period", "期间"),
    "item": ("item", "指标代码"),
    "value": ("value", "数值"),
    "unit": ("unit", "单位"),
    "scope": ("scope", "统计范围"),
    "note": ("note", "备注"),
}
_REQUIRED = ("period", "item", "value")
_COLUMN_ZH = {c: names[1] for c, names in _COLUMNS.items()}
_SPACES = re.compile(r"[\s\ufeff\u200b]+")


def _header_key(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_LOOKUP = {_header_key(name): canon for canon, names in _COLUMNS.items() for name in names}


def _map_header(header: list[str]) -> dict[str, tuple[int, str]]:
    """Map canonical column -> (index, header as given). Unknown columns are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, raw in enumerate(header):
        canon = _HEADER_LOOKUP.get(_header_key(raw))
        if canon is None:
            continue
        if canon in found:
            first = found[canon][1]
            given = raw.strip()
            raise ImportFileError(
                f"表头中“{first}”与“{given}”是同一列（{canon}/{_COLUMN_ZH[canon]}），请只保留一列",
                f"Header columns '{first}' and '{given}' are the same column "
                f"({canon}/{_COLUMN_ZH[canon]}); keep only one",
                details={"column": canon},
                code="duplicate_columns",
            )
        found[canon] = (index, raw.strip())
    missing = [c for c in _REQUIRED if c not in found]
    if missing:
        names_zh = "、".join(f"{c}（{_COLUMN_ZH[c]}）" for c in missing)
        names_en = ", ".join(f"{c} ({_COLUMN_ZH[c]})" for c in missing)
        shown = ", ".join(h.strip() for h in header if h.strip())[:200]
        raise ImportFileError(
            f"表头不匹配：缺少必填列 {names_zh}。第一行应为表头，必填列为 period/期间、"
            f"item/指标代码、value/数值；读到的表头为：{shown}",
            f"Header mismatch: required column(s) missing: {names_en}. The first row must be "
            f"the header with period/期间, item/指标代码, value/数值; found: {shown}",
            details={"missing": missing, "header": [h.strip() for h in header]},
            code="missing_columns",
        )
    return found


# ---------------------------------------------------------------- messages


def _trunc(text: str) -> str:
    return text if len(text) <= ERROR_VALUE_LENGTH else text[: ERROR_VALUE_LENGTH - 1] + "…"


def _show(text: str) -> str:
    """A raw value for a message: short, on one line."""
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def _fmt_bytes(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n} B"


# ---------------------------------------------------------------- field parsers


def parse_period(text: str) -> tuple[str, int, int | None] | None:
    """The importer's reading of a period cell: ``Period.parse_lenient`` (2024Q3, 2024q3,
    2024-Q3, 2024 Q3, 2024年第3季度, 2024年三季度, 2024, 2024年, full-width digits) as
    ``(code, year, quarter)``, or None when it is no period of the product's years."""
    try:
        period = Period.parse_lenient(text)
    except PeriodError:
        return None
    return period.code, period.year, period.quarter


def _fits(value: Decimal) -> bool:
    """The stored figure holds at most 18 integer digits and 6 decimal places."""
    _sign, digits, exponent = value.normalize().as_tuple()
    if exponent < -MAX_DECIMAL_PLACES:
        return False
    return len(digits) + exponent <= MAX_INTEGER_DIGITS


# Unified social credit code, GB 32100-2015: one implementation, in enterprises.credit_code.
credit_code_check_char = credit_code.check_char
validate_credit_code = credit_code.validate


_NOTE_DROP = {cp: None for cp in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if cp not in (9, 10)}
_NOTE_DROP.update(
    dict.fromkeys((0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)))
)


def clean_note(text: str) -> str:
    """Plain text: CR LF -> LF, control and bidi-override characters removed, outer spaces trimmed."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_NOTE_DROP).strip()


# ---------------------------------------------------------------- row checks

_Cell = tuple[str, str]  # (column header as given, raw text)
_FREQ_ZH = {"quarter": "季度", "year": "年度"}


class _Validator:
    def __init__(self, items: Mapping[str, ItemSpec]):
        self.items = items
        self.items_folded = {}
        for key, spec in items.items():
            self.items_folded.setdefault(_header_key(key), spec)
        self.rows: list[ImportRow] = []
        self.errors: list[RowError] = []
        self._periods: dict[str, tuple[str, int, int | None] | None] = {}
        self._scopes: dict[str, tuple[str, str, str]] = {}
        self._units: dict[tuple[str, str], UnitError | bool] = {}
        self._seen: dict[tuple[str, str, str], int] = {}

    def error(self, line: int, column: str, code: str, zh: str, en: str, raw: str) -> None:
        self.errors.append(RowError(line, column, code, zh, en, _trunc(raw)))

    def missing(self, line: int, column: str, canon: str) -> None:
        self.error(
            line,
            column,
            "missing_value",
            f"第{line}行“{column}”列（{_COLUMN_ZH[canon]}）未填写",
            f"Line {line}: column '{column}' ({canon}) is empty",
            "",
        )

    def formula(self, line: int, column: str) -> None:
        self.error(
            line,
            column,
            "formula_without_value",
            f"第{line}行“{column}”列：单元格含公式但没有数值，请复制后“选择性粘贴为数值”",
            f"Line {line}, column '{column}': the cell has a formula but no value; "
            "paste it as values",
            "",
        )

    def check(
        self,
        line: int,
        period_cell: _Cell,
        item_cell: _Cell,
        value_cell: _Cell,
        unit_cell: _Cell | None,
        scope_cell: _Cell | None,
        note_cell: _Cell | None,
        formulas: frozenset[str] = frozenset(),
    ) -> None:
        n_errors = len(self.errors)

        # period
        p_col, p_raw = period_cell
        period = None
        if p_col in formulas:
            self.formula(line, p_col)
        elif not p_raw.strip():
            self.missing(line, p_col, "period")
        else:
            period = self._periods.get(p_raw, False)
            if period is False:
                period = self._periods[p_raw] = parse_period(p_raw)
            if period is None:
                self.error(
                    line,
                    p_col,
                    "bad_period",
                    f"第{line}行“{p_col}”列：“{_show(p_raw)}”不是有效期间，"
                    f"季度写作 2024Q3，年度写作 2024",
                    f"Line {line}, column '{p_col}': '{_show(p_raw)}' is not a period; "
                    "write a quarter as 2024Q3 and a year as 2024",
                    p_raw,
                )

        # item
        i_col, i_raw = item_cell
        spec = None
        if i_col in formulas:
            self.formula(line, i_col)
        elif not i_raw.strip():
            self.missing(line, i_col, "item")
        else:
            spec = self.items.get(i_raw) or self.items_folded.get(_header_key(i_raw))
            if spec is None:
                self.error(
                    line,
                    i_col,
                    "unknown_item",
                    f"第{line}行“{i_col}”列：指标代码“{_show(i_raw)}”不存在",
                    f"Line {line}, column '{i_col}': unknown item code '{_show(i_raw)}'",
                    i_raw,
                )

        if period is not None and spec is not None:
            quarterly = period[2] is not None
            if (spec.frequency == "year" and quarterly) or (
                spec.frequency == "quarter" and not quarterly
            ):
                want_zh = _FREQ_ZH.get(spec.frequency, spec.frequency)
                example = "2024" if spec.frequency == "year" else "2024Q3"
                self.error(
                    line,
                    p_col,
                    "period_frequency",
                    f"第{line}行“{p_col}”列：指标 {spec.code} 按{want_zh}填报，"
                    f"期间“{_show(p_raw)}”不符（应写作 {example} 这样的{want_zh}期间）",
                    f"Line {line}, column '{p_col}': item {spec.code} is reported per "
                    f"{spec.frequency}; period '{_show(p_raw)}' does not fit (use e.g. {example})",
                    p_raw,
                )

        # value
        v_col, v_raw = value_cell
        value = None
        if v_col in formulas:
            self.formula(line, v_col)
        else:
            try:
                value = parse_number(v_raw)
            except NumberRefused as problem:
                if problem.code == "missing_value":
                    self.missing(line, v_col, "value")
                else:
                    self.error(
                        line,
                        v_col,
                        problem.code,
                        f"第{line}行“{v_col}”列：“{_show(v_raw)}”{problem.reason_zh}",
                        f"Line {line}, column '{v_col}': '{_show(v_raw)}': {problem.reason_en}",
                        v_raw,
                    )
        if value is not None and spec is not None and spec.non_negative and value < 0:
            self.error(
                line,
                v_col,
                "negative",
                f"第{line}行“{v_col}”列：指标 {spec.code} 不能为负数（“{_show(v_raw)}”）",
                f"Line {line}, column '{v_col}': item {spec.code} cannot be negative "
                f"('{_show(v_raw)}')",
                v_raw,
            )

        # unit
        unit_given = ""
        if unit_cell is not None:
            u_col, u_raw = unit_cell
            if u_col in formulas:
                self.formula(line, u_col)
            else:
                unit_given = u_raw.strip()
                if unit_given and spec is not None:
                    verdict = self._units.get((unit_given, spec.unit))
                    if verdict is None:
                        verdict = self._unit_verdict(unit_given, spec.unit)
                        self._units[(unit_given, spec.unit)] = verdict
                    if verdict is not True and verdict is not False:
                        self.error(
                            line,
                            u_col,
                            "bad_unit",
                            f"第{line}行“{u_col}”列：单位“{_show(unit_given)}”无法换算为"
                            f"指标 {spec.code} 的单位“{spec.unit}”",
                            f"Line {line}, column '{u_col}': unit '{_show(unit_given)}' cannot be "
                            f"converted to the unit '{spec.unit}' of item {spec.code}",
                            u_raw,
                        )
                    elif verdict is True and value is not None:
                        value = convert(value, unit_given, spec.unit)
                        if not _fits(value):
                            self.error(
                                line,
                                v_col,
                                "conversion_precision",
                                f"第{line}行“{v_col}”列：“{_show(v_raw)}”{unit_given} 换算为 "
                                f"{spec.unit} 后为 {value:f}，超出 {MAX_INTEGER_DIGITS} 位整数或 "
                                f"{MAX_DECIMAL_PLACES} 位小数，请直接以 {spec.unit} 填写",
                                f"Line {line}, column '{v_col}': '{_show(v_raw)}' {unit_given} "
                                f"is {value:f} {spec.unit}, beyond {MAX_INTEGER_DIGITS} integer "
                                f"digits or {MAX_DECIMAL_PLACES} decimal places; give it in "
                                f"{spec.unit}",
                                v_raw,
                            )
                            value = None

        # scope
        scope = ""
        scope_ok = True
        if scope_cell is not None:
            s_col, s_raw = scope_cell
            if s_col in formulas:
                self.formula(line, s_col)
                scope_ok = False
            elif s_raw.strip():
                checked = self._scopes.get(s_raw)
                if checked is None:
                    checked = self._scopes[s_raw] = validate_credit_code(s_raw)
                scope = checked[0]
                if not scope:
                    scope_ok = False
                    self.error(
                        line,
                        s_col,
                        "bad_scope",
                        f"第{line}行“{s_col}”列：“{_show(s_raw)}”不是有效的统一社会信用代码"
                        f"（{checked[1]}）；园区整体请留空",
                        f"Line {line}, column '{s_col}': '{_show(s_raw)}' is not a valid unified "
                        f"social credit code ({checked[2]}); leave it empty for the whole park",
                        s_raw,
                    )

        # note
        note = ""
        if note_cell is not None:
            n_col, n_raw = note_cell
            if n_col in formulas:
                self.formula(line, n_col)
            else:
                # isprintable() is False for every control, format (bidi) and
                # line-break character, so clean only when something may go.
                note = n_raw.strip() if n_raw.isprintable() else clean_note(n_raw)
                if len(note) > MAX_NOTE_LENGTH:
                    self.error(
                        line,
                        n_col,
                        "note_too_long",
                        f"第{line}行“{n_col}”列：备注有 {len(note)} 个字符，"
                        f"最多 {MAX_NOTE_LENGTH} 个",
                        f"Line {line}, column '{n_col}': the note has {len(note)} characters; "
                        f"at most {MAX_NOTE_LENGTH} are allowed",
                        n_raw,
                    )

        # duplicates within the file
        if period is not None and spec is not None and scope_ok:
            key = (period[0], spec.code, scope)
            first = self._seen.get(key)
            if first is None:
                self._seen[key] = line
            else:
                where_zh = scope or "园区整体"
                where_en = scope or "whole park"
                self.error(
                    line,
                    "",
                    "duplicate",
                    f"第{first}行与第{line}行重复（期间 {period[0]}、指标 {spec.code}、"
                    f"范围 {where_zh}），同一数据只能出现一次",
                    f"line {line} duplicates line {first} (period {period[0]}, item {spec.code}, "
                    f"scope {where_en}); each figure may appear only once",
                    f"{period[0]} {spec.code} {scope}".strip(),
                )

        if len(self.errors) == n_errors:
            self.rows.append(
                ImportRow(
                    line=line,
                    period=period[0],
                    year=period[1],
                    quarter=period[2],
                    item_code=spec.code,
                    value=value,
                    original_value=v_raw,
                    original_unit=unit_given,
                    scope=scope,
                    note=note,
                )
            )

    @staticmethod
    def _unit_verdict(given: str, item_unit: str) -> UnitError | bool:
        """False: same unit (no conversion); True: convertible; UnitError: refused."""
        if normalize_unit(given) == normalize_unit(item_unit):
            return False
        try:
            convert(Decimal(1), given, item_unit)
        except UnitError as exc:
            return exc
        return True


# ---------------------------------------------------------------- tables


def _validate_table(
    table: list[list[str]],
    items: Mapping[str, ItemSpec],
    max_rows: int,
    formula_cells: set[tuple[int, int]] | None = None,
) -> _Validator:
    """``table[i]`` is spreadsheet line ``i + 1``; the first non-blank row is the header."""
    header_at = next((i for i, r in enumerate(table) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise ImportFileError("文件是空的", "The file is empty", code="empty")
    columns = _map_header(table[header_at])
    order = ("period", "item", "value", "unit", "scope", "note")
    spots = [columns.get(c) for c in order]
    indices = [s[0] for s in spots if s is not None]
    width = max(indices) + 1
    formula_cells = formula_cells or set()

    # A row is blank when every recognised cell is empty or whitespace; content
    # in ignored columns alone does not make a figure.
    cells_of = itemgetter(*indices)
    body: list[tuple[int, list[str]]] = []
    for i in range(header_at + 1, len(table)):
        row = table[i]
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if "".join(cells_of(row)).strip() or (
            formula_cells and any((i, j) in formula_cells for j in indices)
        ):
            body.append((i + 1, row))
    if not body:
        raise ImportFileError(
            "文件只有表头，没有数据行",
            "The file has a header but no data rows",
            code="empty",
        )
    if len(body) > max_rows:
        raise ImportFileError(
            f"数据行数为 {len(body)}，超过上限 {max_rows} 行，请拆分为多个文件",
            f"The file has {len(body)} data rows; the limit is {max_rows} rows. "
            "Split it into several files",
            details={"rows": len(body), "limit": max_rows},
            code="too_many_rows",
        )

    validator = _Validator(items)
    check = validator.check
    (p_i, p_h), (i_i, i_h), (v_i, v_h) = spots[0], spots[1], spots[2]
    u_spot, s_spot, n_spot = spots[3], spots[4], spots[5]
    for line, row in body:
        formulas: frozenset[str] = frozenset()
        if formula_cells:
            formulas = frozenset(
                spot[1]
                for spot in spots
                if spot is not None and (line - 1, spot[0]) in formula_cells
            )
        check(
            line,
            (p_h, row[p_i]),
            (i_h, row[i_i]),
            (v_h, row[v_i]),
            (u_spot[1], row[u_spot[0]]) if u_spot else None,
            (s_spot[1], row[s_spot[0]]) if s_spot else None,
            (n_spot[1], row[n_spot[0]]) if n_spot else None,
            formulas,
        )
    return validator


# ---------------------------------------------------------------- fast path

# A plain decimal the slow path would read as the same text: no spaces, separators,
# exponent or excess places. Several rows joined by newlines are checked in one match.
_PLAIN_NUMBERS = re.compile(
    rf"(?:[+-]?[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?\n)*"
)
_NEGATIVE_ZERO = re.compile(r"-0+(?:\.0+)?", re.ASCII)


class _GcPaused:
    """Raise the collector's generation-0 threshold while a large file is read: the
    parse allocates hundreds of thousands of acyclic strings and tuples, and every
    collection they trigger would scan all of them again."""

    def __enter__(self):
        self.thresholds = gc.get_threshold()
        gc.set_threshold(max(self.thresholds[0], 200_000), *self.thresholds[1:])

    def __exit__(self, *exc):
        gc.set_threshold(*self.thresholds)


def _fast_columns(
    first_line: int,
    periods_raw: tuple[str, ...],
    items_raw: tuple[str, ...],
    values_raw: tuple[str, ...],
    units_raw: tuple[str, ...] | None,
    scopes_raw: tuple[str, ...] | None,
    notes_raw: tuple[str, ...] | None,
    items: Mapping[str, ItemSpec],
) -> ImportColumns | None:
    """The rows of a table whose every row is valid, checked column by column: each
    distinct period, item, unit and scope once, every value in one regular-expression
    match. Returns None as soon as anything is not plainly valid (an error, an empty
    cell, a duplicate, a value the slow path would read differently): the caller then
    checks the table row by row with ``_Validator``, which reports every error. So the
    fast path never decides what is an error, and what it accepts is exactly what the
    row-by-row check accepts, with the same values."""
    n = len(values_raw)
    periods: dict[str, tuple[str, int, int | None]] = {}
    for raw in set(periods_raw):
        parsed = parse_period(raw) if raw.strip() else None
        if parsed is None:
            return None
        periods[raw] = parsed
    folded = {}
    for key, spec in items.items():
        folded.setdefault(_header_key(key), spec)
    specs: dict[str, ItemSpec] = {}
    for raw in set(items_raw):
        spec = (items.get(raw) or folded.get(_header_key(raw))) if raw.strip() else None
        if spec is None:
            return None
        specs[raw] = spec
    for period_raw, item_raw in set(zip(periods_raw, items_raw, strict=True)):
        quarterly = periods[period_raw][2] is not None
        if quarterly != (specs[item_raw].frequency == "quarter"):
            return None

    if not _PLAIN_NUMBERS.fullmatch("\n".join(values_raw) + "\n"):
        return None
    values = list(values_raw)
    if any(v.startswith("-") for v in values_raw):
        for index, value in enumerate(values_raw):
            if value.startswith("-") and (
                specs[items_raw[index]].non_negative or _NEGATIVE_ZERO.fullmatch(value)
            ):
                return None  # an error, or a zero the slow path stores without its sign

    if units_raw is not None:
        units = {raw: raw.strip() for raw in set(units_raw)}
        verdicts: dict[tuple[str, str], bool] = {}
        for unit_raw, item_raw in set(zip(units_raw, items_raw, strict=True)):
            given = units[unit_raw]
            if not given:
                continue
            verdict = _Validator._unit_verdict(given, specs[item_raw].unit)
            if verdict is not True and verdict is not False:
                return None
            if verdict:
                verdicts[unit_raw, item_raw] = True
        if verdicts:
            for index, (unit_raw, item_raw) in enumerate(zip(units_raw, items_raw, strict=True)):
                if (unit_raw, item_raw) in verdicts:
                    converted = convert(
                        Decimal(values[index]), units[unit_raw], specs[item_raw].unit
                    )
                    if not _fits(converted):
                        return None
                    values[index] = str(converted)
        original_units = [units[raw] for raw in units_raw]
    else:
        original_units = [""] * n

    if scopes_raw is not None:
        scope_of: dict[str, str] = {}
        for raw in set(scopes_raw):
            if raw.strip():
                code = validate_credit_code(raw)[0]
                if not code:
                    return None
                scope_of[raw] = code
            else:
                scope_of[raw] = ""
        scopes = [scope_of[raw] for raw in scopes_raw]
    else:
        scopes = [""] * n

    if notes_raw is not None:
        note_of: dict[str, str] = {}
        for raw in set(notes_raw):
            note = raw.strip() if raw.isprintable() else clean_note(raw)
            if len(note) > MAX_NOTE_LENGTH:
                return None
            note_of[raw] = note
        notes = [note_of[raw] for raw in notes_raw]
    else:
        notes = [""] * n

    period_texts = [periods[raw][0] for raw in periods_raw]
    codes = [specs[raw].code for raw in items_raw]
    if len(set(zip(period_texts, codes, scopes, strict=True))) != n:
        return None  # a duplicate: the slow path names both lines
    return ImportColumns(
        lines=list(range(first_line, first_line + n)),
        periods=period_texts,
        years=[periods[raw][1] for raw in periods_raw],
        quarters=[periods[raw][2] for raw in periods_raw],
        item_codes=codes,
        values=values,
        original_values=list(values_raw),
        original_units=original_units,
        scopes=scopes,
        notes=notes,
    )


def _fast_csv(text: str, items: Mapping[str, ItemSpec], max_rows: int) -> ImportColumns | None:
    """The valid rows of a plain CSV (no quotes, no blank lines, LF or CRLF line ends,
    every row as wide as the columns read): split in C, checked by ``_fast_columns``.
    None for anything else, and for any file with an error; the caller then reads it
    with the csv module and checks it row by row."""
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or len(lines) - 1 > max_rows or "" in lines:
        return None
    header = lines[0].split(",")
    if not any(cell.strip() for cell in header):
        return None
    try:
        columns = _map_header(header)
    except ImportFileError:
        return None  # refused the same way by the slow path, with its own message
    table = [line.split(",") for line in lines[1:]]
    width = max(index for index, _ in columns.values()) + 1
    if min(map(len, table)) < width:
        return None
    cells = list(zip(*table, strict=False))  # rows may be wider: ignored columns

    def column(name: str) -> tuple[str, ...] | None:
        spot = columns.get(name)
        return cells[spot[0]] if spot else None

    return _fast_columns(
        2,
        column("period"),
        column("item"),
        column("value"),
        column("unit"),
        column("scope"),
        column("note"),
        items,
    )


# ---------------------------------------------------------------- CSV


def _decode_csv(content: bytes) -> tuple[str, str]:
    if content.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "文件内容是 Excel 工作簿而不是 CSV，请把扩展名改为 .xlsx 后重新上传",
            "The file is an Excel workbook, not a CSV; rename it to .xlsx and upload again",
            code="not_csv",
        )
    text = encoding = None
    for codec, name in (("utf-8-sig", "utf-8"), ("gb18030", "gb18030")):
        try:
            text, encoding = content.decode(codec, errors="strict"), name
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise ImportFileError(
            "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
            "Cannot recognise the file's encoding; save it as a UTF-8 or GBK encoded CSV",
            code="encoding",
        )
    return text, encoding


def _read_csv_text(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        table = list(reader)
    except csv.Error as exc:
        raise ImportFileError(
            f"CSV 格式错误（约第{reader.line_num}行）：{exc}",
            f"Malformed CSV (near line {reader.line_num}): {exc}",
            code="bad_csv",
        ) from None
    return table


# ---------------------------------------------------------------- xlsx

_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


_CELL_REF = re.compile(rb"\sr=\"([A-Za-z]{0,3})([0-9]{1,9})\"")
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?ref=\"(?:[A-Za-z]{1,3}[0-9]{1,9}:)?"
    rb"([A-Za-z]{1,3})([0-9]{1,9})\""
)
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class _SheetExtent:
    rows: int = 0  # the furthest row named by a cell, a row or the dimension, or counted
    columns: int = 0  # the furthest column named by a cell or the dimension
    formulas: bool = False


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, worksheet: bool):
    """Stream one XML part (inflated chunk by chunk, never whole): refuse a DTD and, for a
    worksheet, find how far its cells reach. A tag is never cut in two: each chunk is
    scanned up to its last `>` and the rest carried into the next."""
    extent = _SheetExtent()
    carry = b""
    rows_counted = 0
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(_SCAN_CHUNK)
            buffer = carry + chunk
            cut = len(buffer) if not chunk else buffer.rfind(b">") + 1
            part, carry = buffer[:cut], buffer[cut:]
            if len(carry) > _SCAN_CARRY_LIMIT:  # one text node of a megabyte: no tag in it
                part, carry = buffer, b""
            if _DTD.search(part):
                raise ImportFileError(
                    "工作簿的 XML 中含有文档类型定义（DTD/实体），出于安全原因不接受；"
                    "请在 Excel/WPS 中另存为 .xlsx 后重试",
                    "The workbook's XML contains a document type definition (DTD/entities) "
                    "and is refused for safety; save it again as .xlsx in Excel/WPS",
                    details={"part": info.filename[:200]},
                    code="xml_dtd",
                )
            if worksheet and part:
                refs = _CELL_REF.findall(part)
                if refs:
                    extent.rows = max(extent.rows, max(int(row) for _, row in refs))
                    letters = {col for col, _ in refs if col}
                    if letters:
                        extent.columns = max(
                            extent.columns, max(_column_number(col) for col in letters)
                        )
                for col, row in _DIMENSION.findall(part):
                    extent.rows = max(extent.rows, int(row))
                    extent.columns = max(extent.columns, _column_number(col))
                rows_counted += len(_ROW_TAG.findall(part))
                if not extent.formulas and _FORMULA_TAG.search(part):
                    extent.formulas = True
            if not chunk:
                break
    extent.rows = max(extent.rows, rows_counted)
    return extent


def _scan_xlsx(archive: zipfile.ZipFile, max_rows: int) -> bool:
    """Every XML part streamed before any parser sees it: a DTD anywhere is refused, and
    so is a worksheet reaching past XLSX_MAX_COLUMNS columns or the row limit plus
    XLSX_ROW_MARGIN. Answers whether any worksheet holds a formula."""
    row_limit = max(max_rows, DEFAULT_MAX_ROWS) + 1 + XLSX_ROW_MARGIN
    formulas = False
    for info in archive.infolist():
        name = info.filename.replace("\\", "/").lower()
        if not name.endswith((".xml", ".rels", ".vml")) or info.is_dir():
            continue
        worksheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
        extent = _scan_part(archive, info, worksheet=worksheet)
        formulas = formulas or extent.formulas
        if extent.columns > XLSX_MAX_COLUMNS or extent.rows > row_limit:
            reach = f"{_column_letters(max(extent.columns, 1))}{max(extent.rows, 1)}"
            raise ImportFileError(
                f"工作表的范围延伸到 {reach}，超出导入格式的范围（最多 "
                f"{_column_letters(XLSX_MAX_COLUMNS)} 列、{row_limit} 行）。请删除表格之外的"
                "单元格，或把数据复制到新的工作簿后重试",
                f"The worksheet reaches {reach}, beyond the import format (at most column "
                f"{_column_letters(XLSX_MAX_COLUMNS)} and {row_limit} rows). Delete the cells "
                "outside the table, or copy the data into a new workbook, and try again",
                details={
                    "part": info.filename[:200],
                    "rows": extent.rows,
                    "columns": extent.columns,
                    "max_rows": row_limit,
                    "max_columns": XLSX_MAX_COLUMNS,
                },
                code="sheet_too_large",
            )
    return formulas


def _precheck_xlsx(content: bytes) -> zipfile.ZipFile:
    """Magic bytes and zip structure, from declared sizes only (nothing is inflated)."""
    not_xlsx = ImportFileError(
        "文件不是有效的 .xlsx 工作簿（可能是 .xls、图片或加密文件改了扩展名），"
        "请在 Excel/WPS 中另存为 .xlsx",
        "The file is not a valid .xlsx workbook (perhaps a renamed .xls, image or encrypted "
        "file); save it as .xlsx in Excel/WPS",
        code="not_xlsx",
    )
    if not content.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise not_xlsx from None
    bomb = ImportFileError(
        "工作簿解压后过大或压缩比异常，已拒绝读取",
        "The workbook would expand to an unreasonable size (zip bomb check); refused",
        details={
            "entries": len(infos),
            "uncompressed": sum(i.file_size for i in infos),
            "compressed": sum(i.compress_size for i in infos),
        },
        code="zip_bomb",
    )
    if len(infos) > ZIP_MAX_ENTRIES:
        raise bomb
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > ZIP_MAX_UNCOMPRESSED or total > ZIP_MAX_RATIO * max(packed, 1):
        raise bomb
    names = {i.filename.replace("\\", "/").lower() for i in infos}
    if any(n.rsplit("/", 1)[-1].startswith("vbaproject") for n in names):
        raise ImportFileError(
            "工作簿含有宏（VBA），出于安全原因不接受，请另存为不含宏的 .xlsx",
            "The workbook contains macros (VBA) and is refused for safety; save it as a "
            "macro-free .xlsx",
            code="macro",
        )
    if "[content_types].xml" not in names:
        raise not_xlsx
    return archive


def _cell_text(v) -> str:
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is float:
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        # what Excel shows: 15 significant digits (0.1+0.2 -> 0.3), never an exponent
        return format(Decimal(format(v, ".15g")), "f")
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if isinstance(v, (datetime, date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    return str(v)


def _read_xlsx(
    content: bytes, max_rows: int = DEFAULT_MAX_ROWS
) -> tuple[list[list[str]], set[tuple[int, int]], str, list[str]]:
    archive = _precheck_xlsx(content)
    try:
        has_formulas = _scan_xlsx(archive, max_rows)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise ImportFileError(
            "无法读取该 Excel 工作簿，请在 Excel/WPS 中另存为 .xlsx 后重试",
            "The Excel workbook cannot be read; save it again as .xlsx in Excel/WPS",
            code="not_xlsx",
        ) from None
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [
            m for m in workbook.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        chosen = next((m for m in sheets if _header_key(m.name) in ("数据", "data")), None)
        if chosen is None:
            visible = python_calamine.SheetVisibleEnum.Visible
            chosen = next((m for m in sheets if m.visible == visible), None)
        if chosen is None:
            raise ImportFileError(
                "工作簿中没有可读取的工作表",
                "The workbook has no visible worksheet",
                code="empty",
            )
        raw = workbook.get_sheet_by_name(chosen.name).to_python(skip_empty_area=False)
    except ImportFileError:
        raise
    except (python_calamine.CalamineError, OSError, ValueError, TypeError, KeyError):
        raise ImportFileError(
            "无法读取该 Excel 工作簿，请在 Excel/WPS 中另存为 .xlsx 后重试",
            "The Excel workbook cannot be read; save it again as .xlsx in Excel/WPS",
            code="not_xlsx",
        ) from None
    table = [[_cell_text(v) for v in row] for row in raw]
    ignored = [m.name for m in sheets if m.name != chosen.name]

    formula_cells: set[tuple[int, int]] = set()
    if has_formulas:
        formula_cells = _formula_cells_without_value(content, chosen.name, raw)
        # calamine's range ends at the last cell with a value; a trailing row
        # holding only value-less formulas must still be reported.
        last = max((r for r, _ in formula_cells), default=-1)
        table.extend([] for _ in range(last + 1 - len(table)))
    return table, formula_cells, chosen.name, ignored


def _formula_cells_without_value(
    content: bytes, sheet: str, raw: list[list]
) -> set[tuple[int, int]]:
    """(row index, column index), 0-based, of formula cells whose cached value is missing."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = (
        zipfile.BadZipFile,
        OSError,
        ValueError,  # defusedxml's refusals are ValueErrors
        TypeError,
        KeyError,
        InvalidFileException,
        ElementTreeParseError,  # what openpyxl raises for broken XML without defusedxml
    )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except unreadable:
        raise ImportFileError(
            "无法读取该 Excel 工作簿中的公式，请另存为 .xlsx 后重试",
            "The formulas in the workbook cannot be read; save it again as .xlsx",
            code="not_xlsx",
        ) from None
    found: set[tuple[int, int]] = set()
    try:
        for row in workbook[sheet].iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                r, c = cell.row - 1, cell.column - 1
                cached = raw[r][c] if r < len(raw) and c < len(raw[r]) else None
                if cached is None or cached == "":
                    found.add((r, c))
    except unreadable:
        raise ImportFileError(
            "无法读取该 Excel 工作簿中的公式，请另存为 .xlsx 后重试",
            "The formulas in the workbook cannot be read; save it again as .xlsx",
            code="not_xlsx",
        ) from None
    finally:
        workbook.close()
    return found


# ---------------------------------------------------------------- entry points


def parse_import_file(
    content: bytes,
    filename: str,
    items: Mapping[str, ItemSpec],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ParseResult:
    """Read a .csv or .xlsx import file and check every row.

    Raises ``ImportFileError`` when the file as a whole is refused; otherwise
    returns every valid row and every row error.
    """
    if len(content) > max_bytes:
        raise ImportFileError(
            f"文件大小 {_fmt_bytes(len(content))}，超过上限 {_fmt_bytes(max_bytes)}",
            f"The file is {_fmt_bytes(len(content))}; the limit is {_fmt_bytes(max_bytes)}",
            details={"size": len(content), "limit": max_bytes},
            code="too_large",
        )
    digest = hashlib.sha256(content).hexdigest()
    suffix = filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
    sheet = ""
    warnings: list[RowError] = []
    if suffix == "csv":
        text, encoding = _decode_csv(content)
        with _GcPaused():
            columns = _fast_csv(text, items, max_rows)
        if columns is not None:
            return ParseResult(encoding=encoding, sha256=digest, columns=columns)
        table = _read_csv_text(text)
        formula_cells = None
    elif suffix == "xlsx":
        table, formula_cells, sheet, ignored = _read_xlsx(content, max_rows)
        encoding = "xlsx"
        if ignored:
            names = "、".join(ignored)[:200]
            warnings.append(
                RowError(
                    0,
                    "",
                    "sheets_ignored",
                    f"只读取了工作表“{sheet}”，已忽略：{names}",
                    f"Only the sheet '{sheet}' was read; ignored: {', '.join(ignored)[:200]}",
                    _trunc(names),
                )
            )
    else:
        raise ImportFileError(
            f"不支持的文件类型“{_show(filename)}”，请上传 .csv 或 .xlsx 文件",
            f"Unsupported file type '{_show(filename)}'; upload a .csv or .xlsx file",
            code="unsupported_type",
        )
    validator = _validate_table(table, items, max_rows, formula_cells)
    return ParseResult(
        rows=validator.rows,
        errors=validator.errors,
        encoding=encoding,
        sha256=digest,
        sheet=sheet,
        warnings=warnings,
    )


def read_table(
    content: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[list[str]], set[tuple[int, int]] | None, str]:
    """The cells of a .csv or .xlsx file as text, with the same refusals as a statistics
    file (size, encoding, zip bomb, macros): ``(table, formula cells without a value,
    encoding)``. For other row formats (the enterprise register) that check rows themselves."""
    if len(content) > max_bytes:
        raise ImportFileError(
            f"文件大小 {_fmt_bytes(len(content))}，超过上限 {_fmt_bytes(max_bytes)}",
            f"The file is {_fmt_bytes(len(content))}; the limit is {_fmt_bytes(max_bytes)}",
            details={"size": len(content), "limit": max_bytes},
            code="too_large",
        )
    suffix = filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
    if suffix == "csv":
        text, encoding = _decode_csv(content)
        return _read_csv_text(text), None, encoding
    if suffix == "xlsx":
        table, formula_cells, _sheet, _ignored = _read_xlsx(content)
        return table, formula_cells, "xlsx"
    raise ImportFileError(
        f"不支持的文件类型“{_show(filename)}”，请上传 .csv 或 .xlsx 文件",
        f"Unsupported file type '{_show(filename)}'; upload a .csv or .xlsx file",
        code="unsupported_type",
    )


def _record_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return format(Decimal(repr(v)), "f")  # shortest round-trip text, never an exponent
    if isinstance(v, Decimal):
        return format(v, "f") if v.is_finite() else str(v)
    return json.dumps(v, ensure_ascii=False, default=str)


def _canonical_dump(records) -> bytes:
    try:
        text = json.dumps(
            records,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
    except (TypeError, ValueError):
        text = repr(records)
    return text.encode("utf-8")


def parse_import_records(
    records: list[dict],
    items: Mapping[str, ItemSpec],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ParseResult:
    """Check rows posted as JSON: a list of objects with the same keys as the file columns.

    ``line`` is the record's index + 1. Values may be strings or numbers
    (floats are read as their shortest decimal text). Records are never
    skipped as blank: an empty object reports its missing values.
    """
    if not isinstance(records, list):
        raise ImportFileError(
            "请求体应为记录数组（JSON 列表）",
            "The body must be a JSON list of records",
            code="bad_records",
        )
    if not records:
        raise ImportFileError("没有数据行", "There are no records", code="empty")
    if len(records) > max_rows:
        raise ImportFileError(
            f"记录数为 {len(records)}，超过上限 {max_rows} 条，请分批提交",
            f"There are {len(records)} records; the limit is {max_rows}. Send them in batches",
            details={"rows": len(records), "limit": max_rows},
            code="too_many_rows",
        )
    digest = hashlib.sha256(_canonical_dump(records)).hexdigest()
    validator = _Validator(items)
    for index, record in enumerate(records):
        line = index + 1
        if not isinstance(record, Mapping):
            validator.error(
                line,
                "",
                "bad_record",
                f"第{line}条记录不是 JSON 对象",
                f"Record {line} is not a JSON object",
                _show(_record_text(record)),
            )
            continue
        cells: dict[str, _Cell] = {}
        clash = False
        for key, raw in record.items():
            canon = _HEADER_LOOKUP.get(_header_key(str(key)))
            if canon is None:
                continue
            if canon in cells:
                clash = True
                validator.error(
                    line,
                    str(key),
                    "duplicate_column",
                    f"第{line}条记录中“{cells[canon][0]}”与“{key}”是同一字段，只能给一个",
                    f"Record {line}: '{cells[canon][0]}' and '{key}' are the same field; "
                    "give only one",
                    _record_text(raw),
                )
                continue
            cells[canon] = (str(key), _record_text(raw))
        if clash:
            continue
        validator.check(
            line,
            cells.get("period", ("period", "")),
            cells.get("item", ("item", "")),
            cells.get("value", ("value", "")),
            cells.get("unit"),
            cells.get("scope"),
            cells.get("note"),
        )
    return ParseResult(rows=validator.rows, errors=validator.errors, encoding="json", sha256=digest)
