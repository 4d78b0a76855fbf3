"""The product's one reading of a typed number, and its one way of writing a stored one.
Pure: no database, no Django.

`parse_number` is data-exchange §2's strict rule, for every number a person types or a
file carries (the entry form, the upload, the API, imports): full-width digits, comma and
point are accepted (NFKC), thousands separators only every three digits (`1,234.5`), no
exponent (`1e3`), no space inside (`1 000`), no percent sign, and never more digits than
the stored field keeps — more decimals are refused, not rounded, so that what is stored is
what was typed. `decimal_text` writes a stored value back as people write it.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# The stored figure: NUMERIC(24, 6) → 18 integer digits, 6 decimal places.
MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 6

_NUMBER = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.([0-9]*))?")
_EXPONENT = re.compile(r"[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+")
_SEPARATED = re.compile(r"[+-]?[0-9,]*,[0-9,]*(?:\.[0-9]*)?")
_INNER_SPACE = re.compile(r"[0-9.,]\s+[0-9.,]")
# The minus signs people paste from documents; NBSP as a space (then stripped at the ends).
_NUMBER_TRANSLATE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": " "})
_LONGEST_TEXT = 200


class NumberRefused(ValueError):
    """A typed number the product does not accept: a code and the reason in both
    languages (a phrase, without a final stop, to follow a field's name or a cell)."""

    def __init__(self, code: str, reason_zh: str, reason_en: str):
        super().__init__(reason_en)
        self.code = code
        self.reason_zh = reason_zh
        self.reason_en = reason_en

    @property
    def message_zh(self) -> str:
        return self.reason_zh

    @property
    def message_en(self) -> str:
        return self.reason_en


def _refused(reason_zh: str, reason_en: str) -> NumberRefused:
    return NumberRefused("not_a_number", reason_zh, reason_en)


def parse_number(
    text: str,
    *,
    max_integer_digits: int = MAX_INTEGER_DIGITS,
    max_decimal_places: int = MAX_DECIMAL_PLACES,
) -> Decimal:
    """A typed number, exactly. Raises NumberRefused (code `missing_value` when empty,
    `not_a_number` otherwise). `-0` is 0; trailing zeros beyond the places are allowed
    (`1.5000000` is 1.5)."""
    if not isinstance(text, str):
        raise _refused("不是数字", "not a number")
    if len(text) > _LONGEST_TEXT:
        raise _refused("不是数字(过长)", "not a number (too long)")
    if text.isascii():
        s = text.strip()
    else:
        s = unicodedata.normalize("NFKC", text).translate(_NUMBER_TRANSLATE).strip()
    if not s:
        raise NumberRefused("missing_value", "未填写数值", "no value given")
    match = _NUMBER.fullmatch(s)
    if match is None or not (match[2] or match[3]):
        if "%" in s:
            raise _refused(
                "不能带百分号，百分比指标请直接填写数字（如 12.5）",
                "no percent sign; for percentage items give the number itself (e.g. 12.5)",
            )
        if _EXPONENT.fullmatch(s):
            raise _refused(
                "不接受科学计数法，请填写完整数字",
                "scientific notation is not accepted; write the number out",
            )
        if _INNER_SPACE.search(s):
            raise _refused(
                "数字中间不能有空格",
                "no spaces inside a number",
            )
        if _SEPARATED.fullmatch(s):
            raise _refused(
                "千分位分隔符位置不正确（应每三位一个逗号，如 1,234.5）",
                "misplaced thousands separator (one comma every three digits, e.g. 1,234.5)",
            )
        raise _refused("不是数字", "not a number")
    sign, whole, fraction = match[1], match[2].replace(",", ""), match[3] or ""
    if len(fraction) > max_decimal_places:
        fraction = fraction.rstrip("0")  # 1.5000000 is 1.5
        if len(fraction) > max_decimal_places:
            raise _refused(
                f"小数位数超过 {max_decimal_places} 位，请先四舍五入",
                f"more than {max_decimal_places} decimal places; round it first",
            )
    if len(whole.lstrip("0")) > max_integer_digits:
        raise _refused(
            f"整数部分超过 {max_integer_digits} 位",
            f"more than {max_integer_digits} integer digits",
        )
    try:
        value = Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
        raise _refused("不是数字", "not a number") from None
    return value.copy_abs() if value.is_zero() else value


def parse_optional_number(text: str | None, **limits) -> Decimal | None:
    """`parse_number`, with None for an empty field (a form's value left blank)."""
    if text is None or not str(text).strip():
        return None
    return parse_number(text, **limits)


def decimal_text(value) -> str | None:
    """A stored value as people write it: 75000.000000 → 75000, 6.800000 → 6.8, -0 → 0;
    None stays None (null in JSON; a form writes `decimal_text(v) or ""`). Plain digits, no
    exponent, no separators: files, forms, audit records and checksums."""
    if value is None:
        return None
    value = Decimal(value)
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")
