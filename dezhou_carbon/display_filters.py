"""Template filters of dezhou_carbon/display.py, available in every template (settings:
TEMPLATES builtins): `{{ value|num:4 }}`, `{{ share|pct:2 }}`, `{{ event.at|moment }}`,
`{{ figure.entered_by|person }}`, `{{ text|zh_punct }}`."""

from django import template

from dezhou_carbon import display

register = template.Library()


@register.filter
def num(value, places=2):
    """Thousands separators, one minus sign; `|num:"keep"` keeps the value's own digits."""
    return display.number(value, None if places == "keep" else int(places))


@register.filter
def pct(value, places=1):
    return display.percent(value, int(places))


@register.filter
def moment(value):
    return display.moment(value)


@register.filter
def person(value):
    return display.person(value)


@register.filter
def unit(text):
    """A unit in the page's language: `{{ item.unit|unit }}` (亿元 → 10⁸ CNY in English)."""
    return display.unit_label(str(text)) if text else text


@register.filter
def zh_punct(text):
    return display.chinese_punctuation(str(text)) if text else text


@register.filter
def figure_state(code):
    """A figure version's state in words (草稿, 已审核 …), not its code."""
    from indicators.models import Figure

    return str(dict(Figure.State.choices).get(code, code)) if code else display.DASH


@register.filter
def status_label(code):
    """A target status in words (达标/绿, 无数据 …), not its code (green, no_data)."""
    from dashboards.selectors import status_label as label

    return label(code) if code else display.DASH


@register.simple_tag
def colon():
    """The colon after a label, in the page's language: `{% translate "状态" %}{% colon %}`
    gives 状态： and Status: (a full-width colon does not belong in English)."""
    from dezhou_carbon.i18n import is_english

    return ": " if is_english() else "："
