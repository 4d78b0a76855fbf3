"""How the product writes numbers, times and people for a person to read: one formatter
for pages and exports (issue 15 #5, #6, #10). Pure: no database, no request.

- numbers: thousands separators, rounded half up to the places asked, one minus sign (U+2212
  "−") everywhere, never a space before "%" (88.70%);
- times: Asia/Shanghai (settings.TIME_ZONE), to the minute, whatever was stored (aware
  datetimes, or the ISO text frozen report snapshots keep);
- people: their name; the command-line account and background jobs in words, not codes;
- Chinese text: full-width punctuation (，：；（）) where a half-width one slipped in.

Files for machines (CSV values, the API, data-exchange) keep plain codes and ASCII numbers:
this module is only for what people read."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone, translation
from django.utils.translation import gettext as _

MINUS = "\u2212"
DASH = "—"  # no value
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
# The spreadsheet number format of a moment, to the minute like the pages.
XLSX_MOMENT_FORMAT = "yyyy-mm-dd hh:mm"
COMMAND_LINE_USERNAME = "system-cli"  # accounts.services.SYSTEM_USERNAME
# audit_record's actor labels when no person acted (a job, the worker's self-check).
BACKGROUND_LABELS = {"system", "worker"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def number(value, places: int | None = 2, *, signed: bool = False, grouping: bool = True) -> str:
    """A number for a table: `number(Decimal("-12345.678"), 2)` → "−12,345.68".

    `places=None` keeps the value's own digits (trailing zeros dropped). `signed` writes "+"
    before a positive value (changes). Minus zero is written "0"."""
    decimal = _decimal(value)
    if decimal is None:
        return DASH
    if places is None:
        decimal = decimal.normalize()
        if decimal == decimal.to_integral_value():
            decimal = decimal.quantize(Decimal(1))
    else:
        decimal = decimal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    negative = decimal < 0
    text = format(abs(decimal), ",f" if grouping else "f")
    if negative:
        return MINUS + text
    if signed and decimal != 0:
        return "+" + text
    return text


def percent(value, places: int = 1, *, signed: bool = False, fraction: bool = False) -> str:
    """A percentage with no space before the sign: `percent(88.7, 2)` → "88.70%";
    `fraction=True` reads 0.887 as 88.7 %."""
    decimal = _decimal(value)
    if decimal is None:
        return DASH
    if fraction:
        decimal *= 100
    return number(decimal, places, signed=signed) + "%"


def points(value, places: int = 1, *, signed: bool = True) -> str:
    """A change of a share in percentage points: "+1.2 个百分点" / "+1.2 pp"."""
    decimal = _decimal(value)
    if decimal is None:
        return DASH
    return f"{number(decimal, places, signed=signed)} {_('个百分点')}"


def local_moment(value) -> dt.datetime | None:
    """An aware datetime or ISO text as a naive Asia/Shanghai datetime to the minute (what
    spreadsheets store)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(second=0, microsecond=0, tzinfo=None)
    return None


def moment(value) -> str:
    """A moment as people read it: Asia/Shanghai, to the minute ("2026-12-03 15:37")."""
    local = local_moment(value)
    return local.strftime(MOMENT_FORMAT) if local else ""


def person(value) -> str:
    """Who did something, in words: a person's name (else their user name); the
    command-line account and background jobs as such, never their codes."""
    if value is None or value == "":
        return DASH
    username = value if isinstance(value, str) else value.get_username()
    if username == COMMAND_LINE_USERNAME:
        return _("系统（命令行）")
    if username in BACKGROUND_LABELS:
        return _("系统（后台任务）")
    if isinstance(value, str):
        return value
    return value.get_full_name() or username


_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}
_CJK = r"[\u3400-\u9fff\uff08\uff09\u3001-\u3003]"
# A half-width mark touching a Chinese character on either side (never inside numbers,
# times or codes such as "10:30", "1,234", "T1(a)").
_MARK_NEAR_CJK = re.compile(rf"(?<={_CJK})\s*([,:;()])|([,:;()])\s*(?={_CJK})")


def chinese_punctuation(text: str) -> str:
    """Full-width punctuation in Chinese text: "部门(DRS):已提交" → "部门（DRS）：已提交"."""
    if not text:
        return text
    previous = None
    while previous != text:  # "(…)" pairs: the closing mark may only touch the opening one
        previous = text
        text = _MARK_NEAR_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], text)
        text = re.sub(r"（([^（）]*?)\)", r"（\1）", text)
        text = re.sub(r"\(([^()]*?)）", r"（\1）", text)
    return text


def unit_label(unit: str) -> str:
    """A unit in the page's language (indicators.units.unit_text: 亿元 → 10⁸ CNY)."""
    from dezhou_carbon.i18n import is_english
    from indicators.units import unit_text

    return unit_text(unit, is_english())


def _choice(instance, field: str):
    """The (lazy) label of a model instance's choice field: get_FOO_display() is already
    text in the active language, too late to pick another."""
    value = getattr(instance, field)
    return dict(instance._meta.get_field(field).flatchoices).get(value, value)


def in_chinese(instance, field: str) -> str:
    """A choice's label in Chinese whatever language the request is in (for message_zh
    of an error, a warning or a notice): `in_chinese(row, "state")` → 填报中."""
    with translation.override("zh-hans"):
        return str(_choice(instance, field))


def in_english(instance, field: str) -> str:
    """The same label in English, for message_en."""
    with translation.override("en"):
        return str(_choice(instance, field))
