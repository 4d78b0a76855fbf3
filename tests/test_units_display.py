"""Units on English pages in English (issue 15 #10): 万吨标准煤 → 10⁴ tce, 吨标准煤/万元 →
tce/10⁴ CNY, 亿元 → 10⁸ CNY, from one mapping (indicators.units.unit_text); Chinese pages
show the statistical unit as stored, and files for machines keep the stored unit."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from indicators.units import unit_text

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(
    ("unit", "english"),
    [
        ("万吨标准煤", "10⁴ tce"),
        ("吨标准煤/万元", "tce/10⁴ CNY"),
        ("tce/万元", "tce/10⁴ CNY"),
        ("tCO₂/万元", "tCO₂/10⁴ CNY"),
        ("吨/万元", "t/10⁴ CNY"),
        ("亿元", "10⁸ CNY"),
        ("万元", "10⁴ CNY"),
        ("万kWh", "10⁴ kWh"),
        ("万m³", "10⁴ m³"),
        ("吨标准煤/年", "tce/year"),
        ("%", "%"),
        ("MW", "MW"),
        ("tce", "tce"),
        ("", ""),
    ],
)
def test_a_unit_in_english(unit, english):
    assert unit_text(unit, True) == english
    assert unit_text(unit, False) == unit  # a Chinese page shows it as stored


def test_every_shipped_unit_has_an_english_form_without_chinese():
    data = json.loads((Path(settings.BASE_DIR) / "fixtures" / "indicators.json").read_text())
    units = {row["unit"] for row in data["items"] + data["indicators"] + data["coefficients"]}
    chinese = {unit: unit_text(unit, True) for unit in units if CJK.search(unit_text(unit, True))}
    assert chinese == {}


def _client(user, language):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
def test_the_indicator_page_says_its_unit_in_the_pages_language(committee_member):
    url = reverse("dashboards:indicator", args=["leading_industry_revenue"])
    english = _client(committee_member, "en").get(url).content.decode()
    assert '<small class="unit">10⁸ CNY</small>' in english
    assert "亿元" not in re.sub(r"<(script|title)[^>]*>.*?</\1>", "", english, flags=re.S)
    chinese = _client(committee_member, "zh-hans").get(url).content.decode()
    assert '<small class="unit">亿元</small>' in chinese


@pytest.mark.django_db
def test_the_entry_page_says_item_units_in_the_pages_language(clerk, statistics_office):
    from reporting.services import round_open

    round_open(period="2024Q1", user=statistics_office)
    url = reverse("reporting:entry", args=["2024Q1"])
    english = _client(clerk, "en").get(url).content.decode()
    units = re.findall(r'<td class="item-unit"[^>]*>([^<]*)</td>', english)
    assert "10⁴ m³" in units  # natural gas
    assert "10⁴ CNY" in units  # value added
    assert not [unit for unit in units if CJK.search(unit)]
    chinese = _client(clerk, "zh-hans").get(url).content.decode()
    assert "万m³" in re.findall(r'<td class="item-unit"[^>]*>([^<]*)</td>', chinese)
