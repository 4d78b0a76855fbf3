"""The arithmetic of management.md §2 (projects/calculations.py), checked by hand with the
registry's own coefficients (fixtures/indicators.json)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from indicators.calculations import CoefficientBook, CoefficientRow
from projects import calculations as pc

BOOK = CoefficientBook(
    [
        CoefficientRow("tce.coal_raw", D("0.7143"), 0, 1, 1, "tce/t"),
        CoefficientRow("tce.natural_gas", D("12.143"), 0, 1, 2, "tce/万m³"),
        CoefficientRow("tce.heat", D("0.03412"), 0, 1, 3, "tce/GJ"),
        CoefficientRow("tce.electricity_calorific", D("1.229"), 0, 1, 4, "tce/万kWh"),
        CoefficientRow("elec.coal_rate", D("300.7"), 2022, 1, 5, "gce/kWh"),
        CoefficientRow("co2.ncv.coal_raw", D("20.908"), 0, 1, 6, "GJ/t"),
        CoefficientRow("co2.cc.coal_raw", D("0.02637"), 0, 1, 7, "tC/GJ"),
        CoefficientRow("co2.of.coal_raw", D("0.94"), 0, 1, 8, "1"),
        CoefficientRow("co2.ncv.natural_gas", D("389.31"), 0, 1, 9, "GJ/万m³"),
        CoefficientRow("co2.cc.natural_gas", D("0.0153"), 0, 1, 10, "tC/GJ"),
        CoefficientRow("co2.of.natural_gas", D("0.99"), 0, 1, 11, "1"),
        CoefficientRow("co2.grid.shandong", D("0.6410"), 2022, 1, 12, "tCO₂/MWh"),
        CoefficientRow("co2.heat", D("0.11"), 0, 1, 13, "tCO₂/GJ"),
    ]
)
USES = [
    pc.EnergyUse("coal_raw", D("2000"), "吨"),
    pc.EnergyUse("electricity", D("30000000"), "kWh"),  # 3,000 万kWh, converted
    pc.EnergyUse("natural_gas", D("100"), "万立方米"),
    pc.EnergyUse("heat", D("10000"), "GJ"),
]


def test_annual_energy_calorific_and_equal_value_by_hand():
    energy = pc.annual_energy(USES, BOOK, 2022)
    # 当量: 2000×0.7143 + 3000×1.229 + 100×12.143 + 10000×0.03412 = 1428.6+3687+1214.3+341.2
    assert energy.calorific_tce == D("6671.1")
    # 等价: electricity at 300.7 gce/kWh = 3.007 tce/万kWh → 9021
    assert energy.equal_value_tce == D("12005.1")
    assert energy.electricity_wan_kwh == D("3000")
    assert energy.coal_t == D("2000")


def test_a_renovation_counts_its_increase():
    before = pc.annual_energy([pc.EnergyUse("coal_raw", D("1500"), "t")], BOOK, 2022)
    after = pc.annual_energy([pc.EnergyUse("coal_raw", D("2000"), "t")], BOOK, 2022)
    assert after.minus(before).calorific_tce == D("357.15")


@pytest.mark.parametrize(
    ("tce", "wan_kwh", "authority"),
    [
        ("10000", "0", pc.AUTHORITY_PROVINCIAL),
        ("9999.99", "9000", pc.AUTHORITY_LOCAL),
        ("999.99", "499.99", pc.AUTHORITY_NONE),
        ("999.99", "500", pc.AUTHORITY_LOCAL),  # below 1,000 tce but 500 万kWh: reviewed
        ("1000", "0", pc.AUTHORITY_LOCAL),
    ],
)
def test_review_thresholds(tce, wan_kwh, authority):
    energy = pc.Energy(D(tce), D(tce), D(wan_kwh), D(0))
    assert pc.review_authority(energy, pc.ReviewThresholds()) == authority


def test_carbon_assessment_by_hand_with_the_registry_factors():
    process = [pc.ProcessEmission("石灰石分解", D("500"), "排放因子法：CaCO₃ × 0.44")]
    result = pc.carbon_assessment(
        USES, process, BOOK, 2022, "shandong", product_quantity=D("10000"), value_added=D("50000")
    )
    coal = D("2000") * D("20.908") * D("0.02637") * D("0.94") * D(44) / D(12)
    gas = D("100") * D("389.31") * D("0.0153") * D("0.99") * D(44) / D(12)
    assert result.fuels_t == coal + gas
    assert result.electricity_t == D("19230")  # 30,000 MWh × 0.6410
    assert result.heat_t == D("1100")
    assert result.process_t == D("500")
    assert result.total_t == coal + gas + D("19230") + D("1100") + D("500")
    assert result.per_value_added == result.total_t / D("50000")
    assert len(result.trace["coefficients"]) == 8


@pytest.mark.parametrize(
    ("use", "code"),
    [
        (pc.EnergyUse("coal_raw", D("-1"), "t"), "negative_quantity"),
        (pc.EnergyUse("coal_raw", D("1"), "kWh"), "bad_unit"),
        (pc.EnergyUse("firewood", D("1"), "t"), "bad_energy_carrier"),
    ],
)
def test_bad_energy_is_refused(use, code):
    with pytest.raises(pc.ProjectError) as refused:
        pc.annual_energy([use], BOOK, 2022)
    assert refused.value.code == code


def test_a_process_emission_needs_its_method():
    with pytest.raises(pc.ProjectError) as refused:
        pc.carbon_assessment([], [pc.ProcessEmission("x", D("1"), " ")], BOOK, 2022, "shandong")
    assert refused.value.code == "method_required"


def test_admission_check_by_hand():
    result = pc.admission_check(
        project_energy_tce=D("6671.1"), project_value_added=D("50000"),
        park_energy_tce=D("400000"), park_value_added=D("1000000"),
        path_value=D("0.35"), reserve_tce=D("8000"),
    )  # fmt: skip
    assert result.project_intensity == D("0.133422")
    assert result.park_intensity == D("0.4")
    assert result.park_with_project == D("406671.1") / D("1050000")
    assert result.effect == D("406671.1") / D("1050000") - D("0.4")
    assert result.effect_percent == result.effect / D("0.4") * 100
    assert result.verdict == pc.VERDICT_HELPS
    assert result.reserve_after == D("1328.9")
    harder = pc.admission_check(
        project_energy_tce=D("30000"), project_value_added=D("50000"),
        park_energy_tce=D("400000"), park_value_added=D("1000000"), path_value=D("0.35"),
    )  # fmt: skip
    assert harder.verdict == pc.VERDICT_HARDER
    assert harder.effect > 0


def test_several_projects_together_are_one_summed_project():
    together = pc.admission_together(
        [(D("6671.1"), D("50000")), (D("30000"), D("50000"))],
        park_energy_tce=D("400000"), park_value_added=D("1000000"), path_value=D("0.35"),
    )  # fmt: skip
    assert together.project_intensity == D("36671.1") / D("100000")


def test_budget_derivation_allocations_and_reserve():
    budget = pc.default_budget(D("0.38"), D("1000000"), D("6"))
    assert budget == D("402800.00")
    share = pc.operating_share(dt.date(2026, 7, 1), 2026)
    assert share == D(184) / D(365)
    assert pc.operating_share(dt.date(2025, 3, 1), 2026) == 1
    assert pc.operating_share(dt.date(2027, 1, 1), 2026) == 0
    allocations = [pc.Allocation("existing", D("380000")), pc.Allocation("P1", D("8000") * share)]
    assert pc.reserve(budget, allocations) == budget - (D("380000") + D("8000") * share)
    with pytest.raises(pc.ProjectError) as refused:
        pc.reserve(D("100"), [pc.Allocation("a", D("60")), pc.Allocation("b", D("41"))])
    assert refused.value.code == "allocations_exceed_budget"


def test_seasonal_share_and_year_end_forecast_by_hand():
    history = {
        2022: {1: D("24"), 2: D("50"), 4: D("100")},  # the 4th most recent: left out
        2023: {1: D("20"), 2: D("45"), 3: D("70"), 4: D("100")},
        2024: {1: D("22"), 2: D("46"), 3: D("71"), 4: D("100")},
        2025: {1: D("21"), 2: D("47"), 3: D("72"), 4: D("100")},
        2026: {1: D("25"), 2: D("52")},  # not complete
    }
    share = pc.seasonal_share(history, 2)
    assert share == (D("0.45") + D("0.46") + D("0.47")) / 3
    assert pc.seasonal_share({}, 3) == D("0.75")
    later = [pc.LaterProject("P1", D("40"), 3), pc.LaterProject("P0", D("99"), 2)]
    forecast = pc.year_end_forecast(D("52"), share, 2, later)
    assert forecast == D("52") / share + D("10")  # P1: 40 × (4 − 3) / 4; P0 already running


@pytest.mark.parametrize(
    ("ytd", "forecast", "quarter", "status"),
    [
        ("60", "101", 2, pc.RED),
        ("80", "90", 3, pc.YELLOW),  # 80 % used with a quarter left
        ("80", "90", 4, pc.GREEN),  # the year is over: only the forecast counts
        ("50", "96", 2, pc.YELLOW),  # forecast above 95 %
        ("50", "95", 2, pc.GREEN),
    ],
)
def test_budget_status(ytd, forecast, quarter, status):
    assert (
        pc.budget_status(budget=D("100"), ytd=D(ytd), forecast=D(forecast), quarter=quarter)
        == status
    )
