"""Units of statistical items and exact conversion between them.

Pure Python: no Django, no database. Every conversion the product knows is a
power of ten within one family (mass, electricity, volume, heat, money), so a
conversion only moves the decimal point (``Decimal.scaleb``) and is exact.
Units outside these families (``%``, ``m²``, ``MW``, ``tce``, ``tce/万元`` ...)
pass through only when both sides are the same unit.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, localcontext

from dezhou_carbon.exceptions import ApplicationError

__all__ = [
    "UnitError",
    "convert",
    "is_known_unit",
    "normalize_unit",
    "unit_family",
    "unit_text",
]


class UnitError(ApplicationError):
    """A unit is unknown or cannot be converted into the other unit."""

    def __init__(self, message_zh: str, message_en: str, *, code: str = "bad_unit", details=None):
        super().__init__(message_zh, message_en, code=code, details=details)


# canonical unit -> (family, power of ten relative to the family's smallest unit)
_SCALES: dict[str, tuple[str, int]] = {
    "kg": ("mass", 0),
    "t": ("mass", 3),
    "万t": ("mass", 7),
    "kWh": ("electricity", 0),
    "MWh": ("electricity", 3),
    "万kWh": ("electricity", 4),
    "亿kWh": ("electricity", 8),
    "m³": ("volume", 0),
    "万m³": ("volume", 4),
    "亿m³": ("volume", 8),
    "MJ": ("heat", 0),
    "GJ": ("heat", 3),
    "元": ("money", 0),
    "万元": ("money", 4),
    "亿元": ("money", 8),
}

# Units that are known but only ever equal to themselves.
_PASS_THROUGH = ("%", "m²", "MW", "tce", "tce/万元")

# Spellings people use, keyed by the lookup key (see _key), mapped to the
# canonical spelling. The canonical spellings themselves are added below.
_ALIASES: dict[str, str] = {
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "万吨": "万t",
    "千瓦时": "kWh",
    "度": "kWh",
    "万千瓦时": "万kWh",
    "万度": "万kWh",
    "兆瓦时": "MWh",
    "亿千瓦时": "亿kWh",
    "亿度": "亿kWh",
    "立方米": "m³",
    "m^3": "m³",
    "万立方米": "万m³",
    "10^4m3": "万m³",
    "10^4m^3": "万m³",
    "万m^3": "万m³",
    "亿立方米": "亿m³",
    "10^8m3": "亿m³",
    "10^8m^3": "亿m³",
    "亿m^3": "亿m³",
    "吉焦": "GJ",
    "百万千焦": "GJ",
    "兆焦": "MJ",
    "人民币元": "元",
    "万元人民币": "万元",
    "亿元人民币": "亿元",
    "平方米": "m²",
    "m^2": "m²",
    "兆瓦": "MW",
    "吨标准煤": "tce",
    "吨标煤": "tce",
    "吨标准煤/万元": "tce/万元",
    "吨标煤/万元": "tce/万元",
}

_SPACE_RE = re.compile(r"\s+")


def _key(text: str) -> str:
    """Lookup key: NFKC (full-width letters, ³ -> 3, ％ -> %), no spaces, lower case.

    Only Latin letters change case; Chinese characters have none.
    """
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()


_LOOKUP: dict[str, str] = {}
for _canonical in (*_SCALES, *_PASS_THROUGH):
    _LOOKUP[_key(_canonical)] = _canonical
for _alias, _canonical in _ALIASES.items():
    _LOOKUP[_key(_alias)] = _canonical
del _alias, _canonical


def normalize_unit(text: str) -> str:
    """Return the canonical spelling of a unit, or the input stripped of spaces.

    >>> normalize_unit(" 万立方米 ")
    '万m³'
    >>> normalize_unit("KWH")
    'kWh'
    """
    text = "" if text is None else str(text)
    canonical = _LOOKUP.get(_key(text))
    if canonical is not None:
        return canonical
    return text.strip()


def is_known_unit(text: str) -> bool:
    """True when the unit (or one of its aliases) is known to this module."""
    return _key("" if text is None else str(text)) in _LOOKUP


def unit_family(text: str) -> str | None:
    """The conversion family ("mass", "electricity", ...) or None."""
    scale = _SCALES.get(normalize_unit(text))
    return scale[0] if scale else None


def _refuse(from_unit: str, to_unit: str, *, unknown: str | None = None) -> UnitError:
    if unknown is not None:
        return UnitError(
            f"无法识别单位“{unknown}”，不能将“{from_unit}”换算为“{to_unit}”",
            f"Unknown unit '{unknown}'; '{from_unit}' cannot be converted to '{to_unit}'",
            details={"from_unit": from_unit, "to_unit": to_unit},
        )
    return UnitError(
        f"单位“{from_unit}”无法换算为“{to_unit}”",
        f"Unit '{from_unit}' cannot be converted to '{to_unit}'",
        details={"from_unit": from_unit, "to_unit": to_unit},
    )


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert ``value`` given in ``from_unit`` into ``to_unit``, exactly.

    Raises ``UnitError`` when the units belong to different families, or one
    of them is not convertible and the two are not the same unit. ``float`` is
    refused (``TypeError``): the statistics are decimal figures.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"convert() needs a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    source = normalize_unit(from_unit)
    target = normalize_unit(to_unit)
    from_scale = _SCALES.get(source)
    to_scale = _SCALES.get(target)
    if from_scale is None or to_scale is None:
        # Not a convertible unit: allowed only when it is the same unit.
        if _key(source) == _key(target) and _key(source) != "":
            return value
        if from_scale is None and not is_known_unit(from_unit):
            raise _refuse(source, target, unknown=source)
        if to_scale is None and not is_known_unit(to_unit):
            raise _refuse(source, target, unknown=target)
        raise _refuse(source, target)
    if from_scale[0] != to_scale[0]:
        raise _refuse(source, target)
    shift = from_scale[1] - to_scale[1]
    if shift == 0 or not value.is_finite():
        return value
    # scaleb only moves the exponent; give the context room for every digit so
    # that nothing is rounded, then write positive exponents out (5E+3 -> 5000).
    digits = len(value.as_tuple().digits)
    with localcontext() as ctx:
        ctx.prec = digits + abs(shift) + 2
        ctx.Emax = 999_999
        ctx.Emin = -999_999
        result = value.scaleb(shift)
        if result.as_tuple().exponent > 0:
            result = result.quantize(Decimal(1))
    return result


# --- Units as people read them ----------------------------------------------------------
# The one home of a unit's English: Chinese pages show the statistical unit as stored
# (万元, 吨标准煤/万元), English pages its international spelling with the power of ten the
# Chinese word carries (万 = 10⁴, 亿 = 10⁸). Files for machines keep the stored unit.
_ENGLISH_WORDS = {
    "吨标准煤": "tce",
    "标准煤": "tce",
    "吨二氧化碳": "tCO₂",
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "千瓦时": "kWh",
    "度": "kWh",
    "立方米": "m³",
    "平方米": "m²",
    "元": "CNY",
    "人民币": "CNY",
    "兆瓦": "MW",
    "年": "year",
    "声明单位": "declared unit",
}
_POWERS = {"万": "10⁴", "亿": "10⁸"}
_UNIT_WORD = re.compile(
    r"([万亿]?)(" + "|".join(sorted(_ENGLISH_WORDS, key=len, reverse=True)) + r"|[A-Za-z³²₂]+)"
)


def _english_part(part: str) -> str:
    """One side of a compound unit: "万元" → "10⁴ CNY", "万吨标准煤" → "10⁴ tce"."""
    match = _UNIT_WORD.fullmatch(part.strip())
    if match is None:
        return part.strip()
    power, word = match.groups()
    english = _ENGLISH_WORDS.get(word, word)
    if power:
        return f"{_POWERS[power]} {english}".strip()
    return english


def unit_text(unit: str, english: bool) -> str:
    """A unit as a page in that language shows it: as stored on a Chinese page; on an
    English page 万吨标准煤 → 10⁴ tce, 吨标准煤/万元 → tce/10⁴ CNY, 亿元 → 10⁸ CNY,
    万m³ → 10⁴ m³ (%, MW, tce and other international units as they are)."""
    if not unit or not english:
        return unit
    return "/".join(_english_part(part) for part in unit.split("/"))
