"""Issue 13 move 5: the shared vocabulary has one home each (the page's language, decimal →
text, spreadsheet-injection protection, the plan's base year, periods and numbers), and the
copies do not grow back."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import is_english, localized, page_language, says
from tasks.models import Plan
from tasks.selectors import DEFAULT_BASE_YEAR, plan_base_year

ROOT = Path(settings.BASE_DIR)
# Not the product: tests, migrations and benchmarks, and anything installed beside it (a venv
# under var/ or a hidden directory holds third-party code that CI's runtime check builds).
SKIPPED_DIRS = {"tests", "migrations", "bench", "node_modules", "var", "site-packages"}


def _product_sources() -> dict[str, str]:
    sources = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts) or any(
            part.startswith(".") for part in relative.parts
        ):
            continue
        sources[str(relative)] = path.read_text(encoding="utf-8")
    return sources


# (what a copy looks like, the one module allowed to hold it)
ONE_HOME = [
    (re.compile(r"normalize\(\), \"f\"\)"), "indicators/numbers.py"),
    (re.compile(r"get_language\(\)[^\n]*startswith\(\"en\"\)"), "dezhou_carbon/i18n.py"),
    (re.compile(r"\"=\", \"\+\", \"-\", \"@\""), "dezhou_carbon/spreadsheets.py"),
    (re.compile(r"\"strings_to_formulas\": False"), "dezhou_carbon/spreadsheets.py"),
    (re.compile(r"\.base_year if plan else"), "tasks/selectors.py"),
]


@pytest.mark.parametrize(("pattern", "home"), ONE_HOME, ids=[home for _p, home in ONE_HOME])
def test_each_piece_of_shared_vocabulary_lives_in_one_module(pattern, home):
    holders = sorted(name for name, text in _product_sources().items() if pattern.search(text))
    assert holders == [home]


def test_no_pattern_reads_digits_with_backslash_d():
    """`\\d` matches any Unicode digit (２, ٢): `２０２６Q4` passed as a period. Patterns
    write `[0-9]`."""
    pattern = re.compile(r"""r["'][^"'\n]*(?<!\\)\\d""")
    holders = sorted(name for name, text in _product_sources().items() if pattern.search(text))
    assert holders == []


def test_the_page_language_is_chinese_first():
    with translation.override(None):
        assert page_language() == "zh-hans"
    with translation.override("zh-hans"):
        assert not is_english()
        assert localized("二氧化碳", "CO2") == "二氧化碳"
    with translation.override("en"):
        assert page_language() == "en"
        assert localized("二氧化碳", "CO2") == "CO2"
        assert localized("二氧化碳", "") == "二氧化碳"  # no English: the Chinese, not blank


def test_a_refusal_is_said_in_the_page_language():
    error = ApplicationError("期间格式不正确。", "Not a period.")
    issue = {"message_zh": "未填写", "message_en": ""}
    with translation.override("en"):
        assert says(error) == "Not a period."
        assert says(issue) == "未填写"
    with translation.override("zh-hans"):
        assert says(error) == "期间格式不正确。"


@pytest.mark.django_db
def test_the_plan_base_year_is_the_plans(park, django_assert_num_queries):
    assert park.base_year == DEFAULT_BASE_YEAR == 2020
    Plan.objects.filter(pk=park.pk).update(base_year=2021)  # an administrator's edit
    with django_assert_num_queries(1):
        assert plan_base_year() == 2021


def test_the_upload_template_and_the_reports_quote_the_same_formula_leads():
    from dezhou_carbon.spreadsheets import csv_cell, needs_quoting

    for lead in ("=", "+", "-", "@", "\t", "\r", "\0"):
        assert needs_quoting(f"{lead}cmd|' /C calc'!A0")
        assert csv_cell(f"{lead}1") == f"'{lead}1"
    assert csv_cell(Decimal("-12.5")) == "-12.5"
