"""Periods and numbers at the product's edges: URLs, API fields, form fields and query
parameters.

Each edge reads what arrived once, with the product's one rule, so services and queries
only ever see a canonical period (`indicators.periods.Period`: `2026Q3`, `2026`) and an
exact Decimal (`indicators.numbers.parse_number`, data-exchange §2). A full-width
`２０２６Q4` is read as `2026Q4` where people type (API bodies, forms, query parameters) and
is not found in a URL path, whose patterns are ASCII `[0-9]` (never `\\d`, which also
matches `２`)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dezhou_carbon.exceptions import ApplicationError
from indicators.numbers import MAX_DECIMAL_PLACES, MAX_INTEGER_DIGITS, NumberRefused, parse_number
from indicators.periods import Period, PeriodError

# URL path segments: the canonical code only (anything else is a 404).
PERIOD_URL = r"(?P<period>[0-9]{4}(?:Q[1-4])?)"
QUARTER_URL = r"(?P<period>[0-9]{4}Q[1-4])"


def period_param(value: str | None, *, quarter_only: bool = False) -> str | None:
    """A query parameter's period as its canonical code, or None when absent or no period
    (a page then shows its default period rather than an empty one)."""
    if not value:
        return None
    try:
        period = Period.parse_lenient(value)
    except PeriodError:
        return None
    if quarter_only and period.is_year:
        return None
    return period.code


class PeriodField(serializers.CharField):
    """An API body's period: what people type (`２０２６Q4`, `2026q4`) becomes `2026Q4`;
    anything else is a 400 `bad_period` in both languages (the services' own refusal, as
    the whole answer). `quarter_only` refuses a year."""

    def __init__(self, *, quarter_only: bool = False, **kwargs):
        self.quarter_only = quarter_only
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", "2026Q3 (a quarter)" if quarter_only else "2026Q3 (a quarter) or 2026"
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data)
        try:
            period = Period.parse_lenient(text)
        except PeriodError as error:
            raise ApplicationError(error.message_zh, error.message_en, code="bad_period") from error
        if self.quarter_only and period.is_year:
            raise ApplicationError(
                f"此处须为季度(如 {period.year}Q3)，而非年度“{period.code}”。",
                f"A quarter is required here (e.g. {period.year}Q3), not the year {period.code}.",
                code="bad_period",
            )
        return period.code


class PeriodFormField(forms.CharField):
    """A form's period, typed by a person: canonicalised like PeriodField."""

    default_error_messages = {"invalid": _("期间格式应为 2024Q1（季度）或 2024（年度）。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        try:
            return Period.parse_lenient(text).code
        except PeriodError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class PeriodFilter(django_filters.CharFilter):
    """A list's `?period=` filter: what people type is read as the canonical code (an
    unreadable value filters as given, which matches nothing)."""

    def filter(self, qs, value):
        return super().filter(qs, (period_param(value) or value) if value else value)


@extend_schema_field(OpenApiTypes.DECIMAL)
class NumberField(serializers.Field):
    """A figure in an API body, read with `parse_number` like the form and the upload:
    a string (`"1,234.5"`, `"１２３４"`) or a JSON number; an exponent, a misplaced separator
    or more digits than the stored field keeps is a 400 saying why, never a rounded value.
    Written back as a string of the exact Decimal. A refusal is the whole answer (400
    `not_a_number`, the value and the reason in both languages), like the services'."""

    def __init__(
        self,
        *,
        max_integer_digits: int = MAX_INTEGER_DIGITS,
        max_decimal_places: int = MAX_DECIMAL_PLACES,
        **kwargs,
    ):
        self.limits = {
            "max_integer_digits": max_integer_digits,
            "max_decimal_places": max_decimal_places,
        }
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data == "" and self.allow_null:
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            raise self._refused(data, NumberRefused("not_a_number", "不是数字", "not a number"))
        if isinstance(data, float):
            # A JSON number: its shortest text (0.1 → "0.1"); an integral float is written
            # out, since 1e16 is a whole number, not scientific notation someone typed.
            data = str(int(data)) if data.is_integer() and abs(data) < 1e18 else repr(data)
        try:
            return parse_number(str(data), **self.limits)
        except NumberRefused as refused:
            raise self._refused(data, refused) from refused

    def _refused(self, data, refused: NumberRefused) -> ApplicationError:
        shown = str(data) if len(str(data)) <= 40 else str(data)[:39] + "…"
        return ApplicationError(
            f"数值“{shown}”：{refused.reason_zh}。",
            f"Value '{shown}': {refused.reason_en}.",
            code=refused.code,
            details={"field": self.field_name, "value": shown},
        )

    def to_representation(self, value):
        return None if value is None else format(value, "f")
