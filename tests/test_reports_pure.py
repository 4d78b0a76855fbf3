"""The reports app's pure pieces, table-tested: which text a spreadsheet would evaluate,
how CSV cells are written, CSS strings for the PDF's margin boxes, and the SVG charts."""

from decimal import Decimal
from xml.etree import ElementTree

import pytest

from dezhou_carbon.spreadsheets import csv_cell, needs_quoting
from reports.rendering import css_string
from reports.svg import progress_bars, status_columns


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        pytest.param('=HYPERLINK("http://x")', True, id="formula_case"),
        pytest.param("+1", True, id="plus_case"),
        pytest.param("-1+1", True, id="minus_case"),
        pytest.param("@SUM(A1)", True, id="at_case"),
        pytest.param("\t=1", True, id="tab_case"),
        pytest.param("\r=1", True, id="carriage_return_case"),
        pytest.param("\0=1", True, id="nul_case"),
        pytest.param("=cmd|' /C calc'!A0", True, id="dde_case"),
        pytest.param("煤炭 = 1", False, id="equals_inside_case"),
        pytest.param("", False, id="empty_case"),
        pytest.param("T1", False, id="plain_case"),
    ],
)
def test_which_text_a_spreadsheet_would_evaluate(text, quoted):
    assert needs_quoting(text) is quoted


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("+1", "'+1", id="text_prefixed_case"),
        pytest.param("\t=1", "'\t=1", id="tab_prefixed_case"),
        pytest.param(Decimal("-12.5"), "-12.5", id="negative_number_stays_case"),
        pytest.param(-3, "-3", id="negative_int_stays_case"),
        pytest.param(None, "", id="none_case"),
        pytest.param(True, "true", id="bool_case"),
        pytest.param("发改统计部", "发改统计部", id="chinese_case"),
    ],
)
def test_csv_cells(value, written):
    assert csv_cell(value) == written


@pytest.mark.parametrize(
    ("text", "css"),
    [
        pytest.param("第 ", '"第 "', id="chinese_case"),
        pytest.param('a"}</style>', '"a\\22 \\7d \\3c \\2f style\\3e "', id="breakout_case"),
        pytest.param("Page ", '"Page "', id="plain_case"),
    ],
)
def test_css_strings_cannot_end_early(text, css):
    assert str(css_string(text)) == css


def test_progress_bars_scale_clip_and_escape():
    markup = progress_bars(
        [
            ("T1", Decimal("0.5"), Decimal("1"), "red"),
            ("<T2>", Decimal("3"), None, "achieved"),  # far ahead: clipped at 120 %
            ("T3", None, Decimal("0.25"), "no_data"),
        ],
        completion_label="完成进度",
        time_label="时间进度",
        width=640,
    )
    root = ElementTree.fromstring(markup)  # well-formed, label escaped
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "<T2>" in texts
    assert "完成进度" in texts
    widths = [Decimal(r.get("width")) for r in root.iter(f"{ns}rect") if r.get("height") == "9"]
    plot = Decimal(640 - 60 - 50)
    assert widths == [
        (Decimal("0.5") / Decimal("1.2") * plot).quantize(Decimal("0.01")),
        (Decimal("1") / Decimal("1.2") * plot).quantize(Decimal("0.01")),
        plot.quantize(Decimal("0.01")),
        Decimal("0.00"),
        Decimal("0.00"),
        (Decimal("0.25") / Decimal("1.2") * plot).quantize(Decimal("0.01")),
    ]
    assert progress_bars([], completion_label="a", time_label="b") == progress_bars(
        [], completion_label="a", time_label="b"
    )


def test_status_columns_are_proportional():
    markup = status_columns(
        [("green", "进展顺利", 4), ("red", "形势严峻", 2), ("no_data", "无", 0)]
    )
    root = ElementTree.fromstring(markup)
    ns = "{http://www.w3.org/2000/svg}"
    heights = [Decimal(r.get("height")) for r in root.iter(f"{ns}rect")]
    assert heights == [Decimal("100.00"), Decimal("50.00"), Decimal("0.00")]
