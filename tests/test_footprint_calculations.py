"""The footprint arithmetic of management.md §5, checked by hand to the digit."""

from decimal import Decimal as D

import pytest

from footprints import calculations as fc

GRID = fc.Factor("registry:co2.grid.shandong", D("0.6410"), "tCO₂/MWh", version=1, year=2022)
CATHODE = fc.Factor("library:ncm811", D("20.5"), "kgCO₂e/kg", version=2, year=2023)
STEEL = fc.Factor("library:steel.cold_rolled", D("2.1"), "kg CO2e / kg", version=1, year=2023)
TRUCK = fc.Factor("library:truck.heavy", D("0.1"), "kgCO₂e/t·km", version=1, year=2023)
N2O = fc.Factor("gwp:N2O", D("273"), "kgCO₂e/kg", version=1, year=2021, source="IPCC AR6")


def battery_lines():
    return [
        fc.Line(
            1,
            "正极材料",
            fc.STAGE_RAW_MATERIALS,
            fc.KIND_MATERIAL,
            D("2.0"),
            "kg",
            CATHODE,
            mass_kg=D("2.0"),
        ),
        # 0.002 t of steel against a per-kg factor: the converted unit of the hand case.
        fc.Line(
            2,
            "钢壳",
            fc.STAGE_RAW_MATERIALS,
            fc.KIND_MATERIAL,
            D("0.002"),
            "吨",
            STEEL,
            mass_kg=D("2"),
        ),
        fc.Line(
            3,
            "外购电力",
            fc.STAGE_PRODUCTION,
            fc.KIND_ENERGY,
            D("35"),
            "千瓦时",
            GRID,
            quality=fc.QUALITY_PRIMARY,
        ),
        fc.Line(4, "原料运输", fc.STAGE_TRANSPORT, fc.KIND_TRANSPORT, D("0.5"), "吨公里", TRUCK),
        # A non-CO₂ gas through its GWP100.
        fc.Line(
            5,
            "N₂O 逸散",
            fc.STAGE_PRODUCTION,
            fc.KIND_PROCESS,
            D("0.002"),
            "kg",
            N2O,
            quality=fc.QUALITY_PRIMARY,
        ),
    ]


ECONOMIC = fc.Rules(
    allocation=fc.ALLOCATION_ECONOMIC,
    shares=(("电芯", D("80")), ("废料回收", D("20"))),
    product="电芯",
)


def test_hand_computed_study_with_a_gas_an_economic_allocation_and_a_converted_unit():
    # By hand: 2.0×20.5 = 41.0; 0.002 t = 2 kg × 2.1 = 4.2; 35 kWh = 0.035 MWh × 0.6410 t ×
    # 1000 = 22.435; 0.5 × 0.1 = 0.05; 0.002 × 273 = 0.546; Σ = 68.231; × 80 % = 54.5848.
    result = fc.compute_footprint(battery_lines(), ECONOMIC)
    assert result.total == D("54.5848")
    assert result.by_stage == {
        fc.STAGE_RAW_MATERIALS: D("36.16"),
        fc.STAGE_PRODUCTION: D("18.3848"),
        fc.STAGE_TRANSPORT: D("0.04"),
    }
    assert [r.kg_co2e for r in result.lines] == [
        D("32.80"),
        D("3.360"),
        D("17.948"),
        D("0.040"),
        D("0.4368"),
    ]
    assert result.lines[1].converted_quantity == D("2")
    assert result.primary_percent.quantize(D("0.0001")) == D("33.6812")
    assert result.trace["rules"]["allocation_share"] == "0.8"
    assert {f["ref"] for f in result.trace["factors"]} == {
        "registry:co2.grid.shandong",
        "library:ncm811",
        "library:steel.cold_rolled",
        "library:truck.heavy",
        "gwp:N2O",
    }


def test_without_co_products_the_whole_burden_is_the_product_s():
    result = fc.compute_footprint(battery_lines(), fc.Rules())
    assert result.total == D("68.231")


@pytest.mark.parametrize(
    ("shares", "code"),
    [
        ((("电芯", D("80")), ("废料回收", D("10"))), "allocation_not_100"),
        ((("电芯", D("110")), ("废料回收", D("-10"))), "allocation_not_100"),
        ((("副产品", D("100")),), "allocation_without_product"),
    ],
)
def test_allocation_shares_must_sum_to_100_and_name_the_product(shares, code):
    rules = fc.Rules(allocation=fc.ALLOCATION_MASS, shares=shares, product="电芯")
    with pytest.raises(fc.FootprintError) as refused:
        fc.compute_footprint(battery_lines(), rules)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en


@pytest.mark.parametrize(
    ("quantity", "unit", "factor", "code"),
    [
        (D("-1"), "kg", CATHODE, "negative_quantity"),
        (D("1"), "kWh", CATHODE, "unit_mismatch"),  # electricity against a per-kg factor
        (D("1"), "t", TRUCK, "unit_mismatch"),  # tonnes against tonne-kilometres
        (D("1"), "桶", CATHODE, "unit_mismatch"),  # a unit nobody knows
        (D("1"), "kg", fc.Factor("x", D("1"), "kgCO₂e per kg"), "bad_factor_unit"),
        (D("1"), "kg", fc.Factor("x", D("-1"), "kgCO₂e/kg"), "negative_factor"),
    ],
)
def test_bad_lines_are_refused_with_the_line_named(quantity, unit, factor, code):
    line = fc.Line(7, "某材料", fc.STAGE_RAW_MATERIALS, fc.KIND_MATERIAL, quantity, unit, factor)
    with pytest.raises(fc.FootprintError) as refused:
        fc.compute_footprint([line], fc.Rules())
    assert refused.value.code == code
    assert "7" in refused.value.message_zh
    assert "7" in refused.value.message_en


def test_use_stage_is_outside_a_cradle_to_gate_boundary_but_inside_cradle_to_grave():
    use = fc.Line(1, "使用阶段耗电", fc.STAGE_USE, fc.KIND_ENERGY, D("10"), "kWh", GRID)
    with pytest.raises(fc.FootprintError) as refused:
        fc.compute_footprint([use], fc.Rules())
    assert refused.value.code == "stage_outside_boundary"
    grave = fc.compute_footprint([use], fc.Rules(boundary=fc.BOUNDARY_CRADLE_TO_GRAVE))
    assert grave.by_stage[fc.STAGE_USE] == D("6.4100")
    assert grave.by_stage[fc.STAGE_END_OF_LIFE] == 0


@pytest.mark.parametrize(
    ("omitted_kg", "passed", "offending"),
    [
        ([D("0.04")], True, ()),  # 0.04 / 4.04 < 1 %
        ([D("0.05")], False, ("a",)),  # 0.05 / 4.05 > 1 %
        ([D("0.04")] * 6, False, ()),  # each < 1 %, together 0.24 / 4.24 > 5 %
        ([], True, ()),
    ],
)
def test_cut_off_flags_an_omission_over_1_percent_or_together_over_5(omitted_kg, passed, offending):
    omissions = [fc.Omission(chr(ord("a") + i), kg) for i, kg in enumerate(omitted_kg)]
    check = fc.compute_footprint(battery_lines(), ECONOMIC, omissions).cutoff
    assert check.passed is passed
    assert check.offending == offending


@pytest.mark.parametrize(
    ("text", "mass", "per"),
    [
        ("kgCO₂e/kg", "kg", "kg"),
        ("tCO2/MWh", "t", "MWh"),
        ("g CO₂-eq / kWh", "g", "kWh"),
        ("kgCO₂e/吨公里", "kg", "t·km"),
        ("ｋｇCO2e/万立方米", "kg", "万m³"),
    ],
)
def test_factor_units_are_read_in_the_spellings_people_use(text, mass, per):
    unit = fc.parse_factor_unit(text)
    assert (unit.co2e_mass_unit, unit.per_unit) == (mass, per)


def test_percent_change_against_a_reference():
    assert fc.percent_change(D("90"), D("100")) == D("-10")
    assert fc.percent_change(D("90"), D("0")) is None


def _book():
    from indicators.calculations import CoefficientBook, CoefficientRow

    return CoefficientBook(
        [
            CoefficientRow("co2.grid.shandong", D("0.6838"), 2021, 1, 1, "tCO₂/MWh"),
            CoefficientRow("co2.grid.shandong", D("0.6410"), 2022, 1, 2, "tCO₂/MWh"),
            CoefficientRow("co2.heat", D("0.11"), 0, 1, 3, "tCO₂/GJ"),
            CoefficientRow("co2.ncv.natural_gas", D("389.31"), 0, 1, 4, "GJ/万m³"),
            CoefficientRow("co2.cc.natural_gas", D("0.0153"), 0, 1, 5, "tC/GJ"),
            CoefficientRow("co2.of.natural_gas", D("0.99"), 0, 2, 6, "1"),
        ]
    )


def test_energy_factors_come_from_the_registry_with_its_stand_in_rule():
    grid = fc.energy_factor(_book(), fc.ELECTRICITY, 2022, "shandong")
    assert (grid.value, grid.unit, grid.year, grid.provisional) == (
        D("0.6410"),
        "tCO₂/MWh",
        2022,
        False,
    )
    later = fc.energy_factor(_book(), fc.ELECTRICITY, 2024, "shandong")
    assert (later.value, later.year, later.provisional) == (D("0.6410"), 2022, True)
    gas = fc.energy_factor(_book(), "natural_gas", 2024, "shandong")
    # 389.31 GJ/万m³ × 0.0153 tC/GJ × 0.99 × 44/12 per 万m³
    assert gas.value == D("389.31") * D("0.0153") * D("0.99") * (D(44) / D(12))
    assert gas.unit == "tCO₂/万m³"
    assert gas.version == 2
    assert len(gas.trace()["components"]) == 3


def test_a_missing_registry_factor_or_unknown_carrier_is_refused():
    with pytest.raises(fc.FootprintError) as refused:
        fc.energy_factor(_book(), "coal_raw", 2024, "shandong")
    assert refused.value.code == "factor_missing_for_year"
    with pytest.raises(fc.FootprintError) as refused:
        fc.energy_factor(_book(), "firewood", 2024, "shandong")
    assert refused.value.code == "bad_energy_carrier"


def test_library_factor_takes_the_latest_year_not_after_the_reference_year():
    rows = [
        fc.LibraryRow("steel", D("2.0"), "kgCO₂e/kg", 2020, 1),
        fc.LibraryRow("steel", D("2.1"), "kgCO₂e/kg", 2023, 3),
        fc.LibraryRow("steel", D("1.9"), "kgCO₂e/kg", 2025, 1),
    ]
    factor = fc.library_factor(fc.index_library(rows), "steel", 2024)
    assert (factor.value, factor.year, factor.version) == (D("2.1"), 2023, 3)
    with pytest.raises(fc.FootprintError) as refused:
        fc.library_factor(fc.index_library(rows), "steel", 2019)
    assert refused.value.code == "factor_missing_for_year"
