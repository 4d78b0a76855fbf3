"""The product's one period type. Pure: no database, no Django.

A period is a year (`2026`) or a quarter of it (`2026Q3`). The same code means two things,
and the caller says which when it labels one:

- a figure's period is the *flow* of that quarter alone (`2026Q3` = July–September):
  `quarter_label` → 2026年三季度 / Q3 2026;
- an indicator's period is *year to date* through that quarter (`2026Q3` = January–September,
  `calculations.Window(2026, 3)`): `ytd_label` → 2026年1—9月 / Jan–Sep 2026.

Codes are ASCII and canonical (`2026Q3`, `2026`) in the database, in files and in the API;
people read the labels. `Period.parse` is strict (the canonical code only: URLs, stored
rows); `Period.parse_lenient` is for what people type or paste (full-width digits and
letters, `2026-Q3`, `2026 q3`, `2026年第三季度`, `2026年`) and answers the canonical period,
so that `２０２６Q4` and `2026Q4` are one period everywhere. Digit patterns are `[0-9]`,
never `\\d`, which matches any Unicode digit.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import total_ordering

# Years the product accepts anywhere (imports, URLs, API): year 0 has no calendar, and a
# year like 9999 is a typing error, not a plan.
MIN_YEAR, MAX_YEAR = 1950, 2100

_CODE = re.compile(r"([0-9]{4})(?:Q([1-4]))?")
_LENIENT_QUARTER = re.compile(r"([0-9]{4})[-_/.]?Q([1-4])")
_LENIENT_ZH_QUARTER = re.compile(r"([0-9]{4})年?第?([1-4一二三四])季度?")
_LENIENT_YEAR = re.compile(r"([0-9]{4})年?")
_SPACES = re.compile(r"[\s\ufeff\u200b]+")  # with the BOM and zero-width spaces of pasted text
_ZH_QUARTER_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_ZH_QUARTERS = {1: "一", 2: "二", 3: "三", 4: "四"}
_EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Chinese statistical style joins month ranges with an em dash (国家统计局: 1—9月).
_ZH_RANGE_DASH = "—"
_EN_RANGE_DASH = "–"


class PeriodError(ValueError):
    """Not a period the product knows; carries the text for a message."""

    def __init__(self, text: object):
        super().__init__(f"not a period: {text!r}")
        self.text = text
        shown = str(text)[:40]
        self.message_zh = f"期间“{shown}”格式不正确。"
        self.message_en = f"'{shown}' is not a period."


@total_ordering
@dataclass(frozen=True, eq=True)
class Period:
    """A year (`quarter` None) or one quarter of it. Ordered by time: 2026Q3 < 2026Q4 <
    2026 < 2027Q1 (a year sorts after its last quarter, when it is complete)."""

    year: int
    quarter: int | None = None

    def __post_init__(self):
        if not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(self.year)
        if self.quarter is not None and self.quarter not in (1, 2, 3, 4):
            raise PeriodError(f"{self.year}Q{self.quarter}")

    # --- parsing ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: object) -> Period:
        """The canonical code only: `2026Q3` or `2026`, ASCII. Raises PeriodError."""
        if isinstance(text, Period):
            return text
        if not isinstance(text, str) or (match := _CODE.fullmatch(text)) is None:
            raise PeriodError(text)
        return cls._built(text, int(match[1]), int(match[2]) if match[2] else None)

    @classmethod
    def parse_lenient(cls, text: object) -> Period:
        """What people type: full-width characters (NFKC), any case, spaces, `2026-Q3`,
        `2026年第3季度`, `2026年三季度`, `2026年`. Raises PeriodError."""
        if isinstance(text, Period):
            return text
        if not isinstance(text, str) or len(text) > 40:
            raise PeriodError(text)
        key = _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()
        if match := _LENIENT_QUARTER.fullmatch(key):
            return cls._built(text, int(match[1]), int(match[2]))
        if "季" in key and (match := _LENIENT_ZH_QUARTER.fullmatch(key)):
            quarter = _ZH_QUARTER_DIGITS.get(match[2]) or int(match[2])
            return cls._built(text, int(match[1]), quarter)
        if match := _LENIENT_YEAR.fullmatch(key):
            return cls._built(text, int(match[1]), None)
        raise PeriodError(text)

    @classmethod
    def _built(cls, text: str, year: int, quarter: int | None) -> Period:
        """The period, or a PeriodError naming what was given (a year out of range)."""
        try:
            return cls(year, quarter)
        except PeriodError:
            raise PeriodError(text) from None

    @classmethod
    def of(cls, year: int, quarter: int | None) -> Period:
        """From a row's (year, quarter) columns."""
        return cls(year, quarter or None)

    # --- what it is ------------------------------------------------------------------------

    @property
    def code(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}Q{self.quarter}"

    def __str__(self) -> str:
        return self.code

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def quarters(self) -> int:
        """Quarters of the year covered year to date (4 for the year itself)."""
        return self.quarter or 4

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.quarters, 1 if self.quarter is None else 0)

    def __lt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key < other.sort_key

    # --- neighbours and dates --------------------------------------------------------------

    def previous(self) -> Period:
        """The period before: 2026Q1 → 2025Q4, 2026Q3 → 2026Q2, 2026 → 2025."""
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.quarter)

    @property
    def start_date(self) -> dt.date:
        """The first day of the quarter's flow (of the year for a year)."""
        return dt.date(self.year, 1 if self.quarter is None else self.quarter * 3 - 2, 1)

    @property
    def end_date(self) -> dt.date:
        """The last day of the period (31 December for a year and its Q4)."""
        month = self.quarters * 3
        if month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, month + 1, 1) - dt.timedelta(days=1)

    # --- labels a person reads -------------------------------------------------------------

    def quarter_label(self, language: str = "zh-hans") -> str:
        """The flow of this quarter: 2026年三季度 / Q3 2026; a year: 2026年 / 2026."""
        english = language.startswith("en")
        if self.quarter is None:
            return str(self.year) if english else f"{self.year}年"
        if english:
            return f"Q{self.quarter} {self.year}"
        return f"{self.year}年{_ZH_QUARTERS[self.quarter]}季度"

    def ytd_label(self, language: str = "zh-hans") -> str:
        """Year to date through this quarter, in statistical style: 2026年一季度, 2026年1—6月,
        2026年1—9月, 2026年 (Q1 2026, H1 2026, Jan–Sep 2026, 2026)."""
        english = language.startswith("en")
        if self.quarter is None or self.quarter == 4:
            return str(self.year) if english else f"{self.year}年"
        span = self.ytd_span_label(language)
        return f"{span} {self.year}" if english else f"{self.year}年{span}"

    def ytd_span_label(self, language: str = "zh-hans") -> str:
        """The months of the year to date without the year, for a column under a year's
        heading: 一季度, 1—6月, 1—9月, 全年 (Q1, H1, Jan–Sep, Year)."""
        english = language.startswith("en")
        if self.quarter is None or self.quarter == 4:
            return "Year" if english else "全年"
        if self.quarter == 1:
            return "Q1" if english else "一季度"
        if english:
            if self.quarter == 2:
                return "H1"
            return f"{_EN_MONTHS[0]}{_EN_RANGE_DASH}{_EN_MONTHS[self.quarter * 3 - 1]}"
        return f"1{_ZH_RANGE_DASH}{self.quarter * 3}月"


def period_code(year: int, quarter: int | None) -> str:
    """The canonical code of a row's (year, quarter): 2026Q3, 2026."""
    return f"{year}Q{quarter}" if quarter else str(year)


def canonical_or_none(text: object, *, lenient: bool = True) -> str | None:
    """The canonical code of what was given, or None (for optional query parameters)."""
    try:
        return (Period.parse_lenient if lenient else Period.parse)(text).code
    except PeriodError:
        return None


def quarter_text(code: str, language: str = "zh-hans") -> str:
    """`Period.quarter_label` of a code, for a message a person reads; anything that is no
    canonical period is returned as it is (a message never fails on its period)."""
    try:
        return Period.parse(code).quarter_label(language)
    except PeriodError:
        return str(code)


def ytd_text(code: str, language: str = "zh-hans") -> str:
    """`Period.ytd_label` of a code (an indicator's period), or the text as it is."""
    try:
        return Period.parse(code).ytd_label(language)
    except PeriodError:
        return str(code)
