"""Reconciliation and gap attribution on stored figures and results: the worked example's
park (methodology §3) with two key units, through the API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from enterprises.analysis import gap_attribution, reconciliation
from indicators.models import IndicatorResult
from tests.enterprise_fixtures import OTHER, UNIT_A, UNIT_B
from tests.helpers import import_rows


def _park(indicator, period):
    return IndicatorResult.objects.get(
        indicator__code=indicator, period=period, scope="", variant=""
    ).value


def test_gap_attribution_sums_to_the_park_change(park_with_key_units):
    gap = gap_attribution(period_0="2020", period_t="2025")
    change = _park("energy_intensity_iva", "2025") - _park("energy_intensity_iva", "2020")
    result = gap.decomposition
    assert result.change == pytest.approx(float(change), rel=1e-12)
    assert abs(result.residual) <= 1e-9 * abs(result.change)
    assert set(result.sectors.index) == {UNIT_A, UNIT_B, ""}
    # A: coal 100,000 t → 90,000 t while its value added rose 50 %: its intensity fell,
    # so its intensity effect lowers the park's intensity; its share rose (structure > 0).
    assert result.sectors.loc[UNIT_A, "intensity"] < 0
    assert result.sectors.loc[UNIT_A, "structure"] > 0


def test_gap_attribution_refuses_periods_that_do_not_compare(park_with_key_units):
    from dezhou_carbon.exceptions import ApplicationError

    for first, second in (("2020", "2025Q3"), ("2025", "2020"), ("2020Q2", "2025Q3")):
        with pytest.raises(ApplicationError) as refused:
            gap_attribution(period_0=first, period_t=second)
        assert refused.value.code == "not_comparable"


def test_reconciliation_residual_and_coverage(park_with_key_units):
    frame = reconciliation(period="2025Q2", item="coal_raw").set_index("window")
    # park 240,000 t a year (60,000 a quarter); units 90,000 + 70,000 a year (40,000 a quarter)
    quarter = frame.loc["quarter"]
    assert quarter["park"] == Decimal("60000")
    assert quarter["enterprises"] == Decimal("40000")
    assert quarter["residual"] == Decimal("20000")
    assert quarter["coverage"] == Decimal("40000") / Decimal("60000")
    assert not quarter["excess"]
    assert frame.loc["ytd", "enterprises"] == Decimal("80000")
    assert frame.loc["ytd", "reporting"] == 2


def test_reconciliation_flags_an_impossible_excess(park_with_key_units, administrator):
    import_rows(
        [{"period": "2025Q1", "item": "coal_raw", "value": "20301", "scope": OTHER}],
        user=administrator,
    )
    frame = reconciliation(period="2025Q1", item="coal_raw").set_index("window")
    # 40,000 + 20,301 > 60,000 × 1.005 = 60,300
    assert frame.loc["quarter", "excess"]


def test_api_for_readers_of_all_data(park_with_key_units, committee_member, clerk):
    client = APIClient()
    client.force_authenticate(committee_member)
    body = client.get("/api/v1/decomposition/?from=2020&to=2025").json()
    total = sum(Decimal(r["total"]) for r in body["results"])
    assert abs(total - Decimal(body["change"])) <= Decimal("1e-9") * abs(Decimal(body["change"]))
    assert {r["sector"] for r in body["results"]} == {UNIT_A, UNIT_B, "rest_of_park"}
    body = client.get("/api/v1/reconciliation/?period=2025&item=coal_raw").json()
    assert body["tolerance"] == "0.005"
    assert [r["window"] for r in body["results"]] == ["year"]
    bad = client.get("/api/v1/decomposition/?from=2020&to=zzz")
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_period"
    client.force_authenticate(clerk)
    assert client.get("/api/v1/decomposition/?from=2020&to=2025").status_code == 403
