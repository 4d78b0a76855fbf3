"""The one period type (indicators.periods): parsing, neighbours, dates, order and the
labels people read. Pure: no database."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.periods import MAX_YEAR, MIN_YEAR, Period, PeriodError, canonical_or_none

STRICT_ACCEPTED = [
    ("2026Q3", Period(2026, 3)),
    ("2026Q1", Period(2026, 1)),
    ("2026", Period(2026)),
    ("1950", Period(1950)),
    ("2100Q4", Period(2100, 4)),
]

STRICT_REFUSED = [
    "２０２６Q4",  # full-width digits: a URL or a stored code is canonical or nothing
    "2026Ｑ4",
    "٢٠٢٦Q4",  # Arabic-Indic digits: \d would have matched them
    "2026q3",
    "2026-Q3",
    " 2026Q3",
    "2026Q3 ",
    "2026Q5",
    "2026Q0",
    "26Q3",
    "1949",
    "2101",
    "0000",
    "",
    "2026年",
    None,
    2026,
]

LENIENT_ACCEPTED = [
    ("２０２６Ｑ４", "2026Q4"),
    ("２０２６Q4", "2026Q4"),
    ("2026q3", "2026Q3"),
    ("2026-Q3", "2026Q3"),
    ("2026 Q3", "2026Q3"),
    (" 2026Q3\t", "2026Q3"),
    ("2026年第3季度", "2026Q3"),
    ("2026年三季度", "2026Q3"),
    ("２０２６年第四季度", "2026Q4"),
    ("2026年", "2026"),
    ("２０２６", "2026"),
    ("2026", "2026"),
]

LENIENT_REFUSED = ["٢٠٢٦Q4", "2026Q5", "2026年第五季度", "1949", "2026Q3Q4", "x" * 50, "", None]


@pytest.mark.parametrize(("text", "period"), STRICT_ACCEPTED)
def test_strict_parse_reads_the_canonical_code(text, period):
    assert Period.parse(text) == period
    assert Period.parse(text).code == text


@pytest.mark.parametrize("text", STRICT_REFUSED)
def test_strict_parse_refuses_anything_but_the_ascii_code(text):
    with pytest.raises(PeriodError) as refused:
        Period.parse(text)
    assert "期间" in refused.value.message_zh
    assert "not a period" in refused.value.message_en


@pytest.mark.parametrize(("text", "code"), LENIENT_ACCEPTED)
def test_lenient_parse_canonicalises_what_people_type(text, code):
    assert Period.parse_lenient(text).code == code
    assert canonical_or_none(text) == code


@pytest.mark.parametrize("text", LENIENT_REFUSED)
def test_lenient_parse_refuses_other_digits_and_nonsense(text):
    with pytest.raises(PeriodError):
        Period.parse_lenient(text)
    assert canonical_or_none(text) is None


@pytest.mark.parametrize(
    ("code", "previous", "last_year"),
    [
        ("2026Q1", "2025Q4", "2025Q1"),
        ("2026Q3", "2026Q2", "2025Q3"),
        ("2026Q4", "2026Q3", "2025Q4"),
        ("2026", "2025", "2025"),
    ],
)
def test_neighbours(code, previous, last_year):
    period = Period.parse(code)
    assert period.previous().code == previous
    assert period.same_period_last_year().code == last_year


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2026Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2024Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2026Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ("2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_dates(code, start, end):
    assert Period.parse(code).start_date == start
    assert Period.parse(code).end_date == end


def test_order_puts_a_year_after_its_last_quarter():
    codes = ["2027Q1", "2026", "2026Q4", "2025", "2026Q1", "2026Q3"]
    assert [p.code for p in sorted(Period.parse(c) for c in codes)] == [
        "2025",
        "2026Q1",
        "2026Q3",
        "2026Q4",
        "2026",
        "2027Q1",
    ]
    assert max(Period.parse(c) for c in codes) == Period(2027, 1)


def test_periods_are_values_usable_as_keys():
    assert {Period(2026, 3): "a"}[Period.parse_lenient("２０２６Ｑ３")] == "a"
    assert len({Period(2026, 3), Period.parse("2026Q3"), Period(2026)}) == 2
    assert str(Period(2026, 3)) == "2026Q3"
    assert Period.of(2026, None) == Period(2026)


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("2026Q1", "2026年一季度", "Q1 2026"),
        ("2026Q2", "2026年1—6月", "H1 2026"),
        ("2026Q3", "2026年1—9月", "Jan–Sep 2026"),
        ("2026Q4", "2026年", "2026"),
        ("2026", "2026年", "2026"),
    ],
)
def test_year_to_date_labels_in_statistical_style(code, zh, en):
    assert Period.parse(code).ytd_label("zh-hans") == zh
    assert Period.parse(code).ytd_label("en") == en


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("2026Q1", "2026年一季度", "Q1 2026"),
        ("2026Q2", "2026年二季度", "Q2 2026"),
        ("2026Q3", "2026年三季度", "Q3 2026"),
        ("2026Q4", "2026年四季度", "Q4 2026"),
        ("2026", "2026年", "2026"),
    ],
)
def test_quarter_labels(code, zh, en):
    assert Period.parse(code).quarter_label("zh-hans") == zh
    assert Period.parse(code).quarter_label("en-us") == en


@given(st.integers(MIN_YEAR, MAX_YEAR), st.sampled_from([None, 1, 2, 3, 4]))
def test_code_round_trips_and_previous_is_earlier(year, quarter):
    period = Period(year, quarter)
    assert Period.parse(period.code) == period
    assert Period.parse_lenient(period.code) == period
    if year > MIN_YEAR:
        assert period.previous() < period
        assert period.same_period_last_year() < period
        assert period.previous().end_date < period.end_date or period.is_year


def test_out_of_range_periods_cannot_be_built():
    with pytest.raises(PeriodError):
        Period(1949)
    with pytest.raises(PeriodError):
        Period(2026, 5)


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("2026Q1", "一季度", "Q1"),
        ("2026Q2", "1—6月", "H1"),
        ("2026Q3", "1—9月", "Jan–Sep"),
        ("2026", "全年", "Year"),
    ],
)
def test_year_to_date_column_labels_without_the_year(code, zh, en):
    assert Period.parse(code).ytd_span_label("zh-hans") == zh
    assert Period.parse(code).ytd_span_label("en") == en
