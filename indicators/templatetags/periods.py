"""Periods as people read them (issue 15 #8), in the page's language and the statistical
style of the National Bureau of Statistics: a figure's quarter is 2026年三季度 (Q3 2026),
an indicator's year-to-date period is 2026年1—9月 (Jan–Sep 2026). Codes (`2026Q3`) stay in
URLs, files and the API; templates write `{{ period|quarter_label }}` or
`{{ result.period|ytd_label }}` (a builtin library: no `{% load %}` needed)."""

from __future__ import annotations

from django import template

from dezhou_carbon.i18n import page_language
from indicators.periods import Period, PeriodError

register = template.Library()


def _period(value) -> Period | None:
    if isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except PeriodError:
        return None


@register.filter
def quarter_label(value) -> str:
    """A figure's or a round's period: 2026年三季度 / Q3 2026; a year: 2026年 / 2026.
    Anything that is no period is shown as it is (an empty filter, a dash)."""
    period = _period(value)
    if period is None:
        return "" if value is None else value
    return period.quarter_label(page_language())


@register.filter
def ytd_span_label(value) -> str:
    """The months of a year-to-date period without its year (一季度, 1—6月, 1—9月, 全年):
    a column under its year's heading."""
    period = _period(value)
    if period is None:
        return "" if value is None else value
    return period.ytd_span_label(page_language())


@register.filter
def ytd_label(value) -> str:
    """An indicator's year-to-date period: 2026年一季度, 2026年1—6月, 2026年1—9月, 2026年
    (Q1 2026, H1 2026, Jan–Sep 2026, 2026)."""
    period = _period(value)
    if period is None:
        return "" if value is None else value
    return period.ytd_label(page_language())
