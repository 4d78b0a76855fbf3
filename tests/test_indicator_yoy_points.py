"""Issue 15 #9: a share's year-on-year change reads in percentage points (个百分点), not as a
relative percentage; other indicators keep their relative change."""

from decimal import Decimal as D

from indicators.models import Indicator, IndicatorResult


def _results(code, values):
    indicator = Indicator.objects.get(code=code)
    for period, value, change in values:
        IndicatorResult.objects.create(
            indicator=indicator, period=period, year=int(period), value=D(value),
            change_yoy=None if change is None else D(change),
        )  # fmt: skip


def test_a_share_s_year_on_year_change_is_in_percentage_points(client, committee_member):
    # 10.0 % → 12.5 %: +2.50 points (the stored relative change is +25 %).
    _results("non_fossil_share", [("2024", "10.0", None), ("2025", "12.5", "0.25")])
    client.force_login(committee_member)
    page = client.get("/dashboards/indicators/non_fossil_share/").content.decode()
    assert "+2.50 个百分点" in page
    assert "+25.00%" not in page


def test_an_intensity_keeps_its_relative_change(client, committee_member):
    _results("energy_intensity_iva", [("2024", "0.5", None), ("2025", "0.45", "-0.1")])
    client.force_login(committee_member)
    page = client.get("/dashboards/indicators/energy_intensity_iva/").content.decode()
    assert "−10.00%" in page
