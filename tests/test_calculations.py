"""The methodology's worked examples and status rules, to the digit. No database."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import calculations as calc
from indicators.calculations import Window

D = Decimal

# The shipped default coefficients (fixtures/indicators.json), as the engine sees them.
BOOK = calc.CoefficientBook(
    [
        calc.CoefficientRow("tce.coal_raw", D("0.7143")),
        calc.CoefficientRow("tce.coal_washed", D("0.9000")),
        calc.CoefficientRow("tce.coke", D("0.9714")),
        calc.CoefficientRow("tce.fuel_oil", D("1.4286")),
        calc.CoefficientRow("tce.gasoline", D("1.4714")),
        calc.CoefficientRow("tce.diesel", D("1.4571")),
        calc.CoefficientRow("tce.lpg", D("1.7143")),
        calc.CoefficientRow("tce.natural_gas", D("12.143")),
        calc.CoefficientRow("tce.heat", D("0.03412")),
        calc.CoefficientRow("tce.electricity_calorific", D("1.229")),
        calc.CoefficientRow("elec.coal_rate", D("305.5"), year=2020),
        calc.CoefficientRow("elec.coal_rate", D("300.7"), year=2022),
        calc.CoefficientRow("co2.grid.national", D("0.5568"), year=2021),
        calc.CoefficientRow("co2.grid.national", D("0.5366"), year=2022),
        calc.CoefficientRow("co2.grid.national", D("0.5306"), year=2023),
        calc.CoefficientRow("co2.heat", D("0.11")),
        *[
            calc.CoefficientRow(f"co2.{part}.{fuel}", D(value))
            for fuel, parts in {
                "coal_raw": ("20.908", "0.02637", "0.94"),
                "coke": ("28.435", "0.0295", "0.93"),
                "fuel_oil": ("41.816", "0.0211", "0.98"),
                "gasoline": ("43.070", "0.0189", "0.98"),
                "diesel": ("42.652", "0.0202", "0.98"),
                "lpg": ("50.179", "0.0172", "0.98"),
                "natural_gas": ("389.31", "0.0153", "0.99"),
                "coal_washed": ("26.334", "0.02541", "0.90"),
            }.items()
            for part, value in zip(("ncv", "cc", "of"), parts, strict=True)
        ],
    ]
)
RULES = calc.CountingRules()
QUARTERLY_SUM = calc.ItemRule("quarter", "sum")
ITEM_RULES = dict.fromkeys(
    [
        *calc.ENERGY_FORM_ITEMS,
        "electricity_grid",
        "electricity_green",
        "electricity_pv",
        "geothermal_heat",
        "energy_feedstock",
        "iva_current",
        "gdp_current",
        "building_new_civil_area",
        "building_new_green_area",
        "iw_generated",
        "iw_utilized",
        "iw_utilized_prior_stock",
    ],
    QUARTERLY_SUM,
)
ITEM_RULES["iva_growth_ytd"] = calc.ItemRule("quarter", "as_published")
ITEM_RULES["gdp_growth_ytd"] = calc.ItemRule("quarter", "as_published")


def round_to(value: Decimal, places: str) -> Decimal:
    return value.quantize(D(places), rounding=ROUND_HALF_UP)


def annual_inputs(years: dict[int, dict[str, str]]) -> calc.Inputs:
    """Whole-year values put in Q4 (Q1–Q3 zero), growth rates published at Q4."""
    figures = {}
    for year, values in years.items():
        for item, value in values.items():
            if item.endswith("_growth_ytd"):
                figures[(item, year, 4)] = (D(value), None)
                continue
            for quarter in (1, 2, 3):
                figures[(item, year, quarter)] = (D(0), None)
            figures[(item, year, 4)] = (D(value), None)
    return calc.Inputs(figures, ITEM_RULES)


WORKED_EXAMPLE = {
    2020: {
        "coal_raw": "300000",
        "natural_gas": "5000",
        "diesel": "2000",
        "electricity_grid": "120000",
        "heat_purchased": "1500000",
        "iva_current": "1000000",
    },
    2021: {"iva_growth_ytd": "9.0"},
    2022: {"iva_growth_ytd": "5.5"},
    2023: {"iva_growth_ytd": "6.2"},
    2024: {"iva_growth_ytd": "6.8"},
    2025: {
        "coal_raw": "240000",
        "natural_gas": "7000",
        "diesel": "1800",
        "electricity_grid": "155000",
        "heat_purchased": "1600000",
        "iva_current": "1450000",
        "iva_growth_ytd": "6.0",
    },
}


def test_worked_example_energy_intensity_of_industrial_value_added():
    """Methodology §3: −23.49 % against 2020 at constant 2020 prices."""
    inputs = annual_inputs(WORKED_EXAMPLE)
    y2020 = calc.compute_window(inputs, BOOK, RULES, Window(2020), base_year=2020)
    y2025 = calc.compute_window(inputs, BOOK, RULES, Window(2025), base_year=2020)

    assert y2020[("energy_total_calorific", "")].value == D("476579.2")
    # 504,142.78 exactly (diesel 1,800 × 1.4571 = 2,622.78); published to one decimal.
    assert y2025[("energy_total_calorific", "")].value == D("504142.78")
    assert round_to(y2025[("energy_total_calorific", "")].value, "0.1") == D("504142.8")
    assert round_to(y2020[("energy_intensity_iva", "")].value, "0.00001") == D("0.47658")
    assert round_to(y2025[("energy_intensity_iva", "")].value, "0.00001") == D("0.36465")
    change = calc.relative_change(
        y2025[("energy_intensity_iva", "")].value, y2020[("energy_intensity_iva", "")].value
    )
    assert round_to(change, "0.0001") == D("-0.2349")


def test_worked_example_with_current_prices_is_wrong_by_design():
    """Dividing by current-price value added would give −27.05 %: the engine must not."""
    wrong = calc.relative_change(D("504142.78") / D("1450000"), D("476579.2") / D("1000000"))
    assert round_to(wrong, "0.0001") == D("-0.2705")
    inputs = annual_inputs(WORKED_EXAMPLE)
    engine = calc.compute_window(inputs, BOOK, RULES, Window(2025), base_year=2020)
    assert engine[("energy_intensity_iva", "")].value != D("504142.78") / D("1450000")


def test_constant_price_value_added_is_chained_from_ytd_growth():
    chained = calc.chain_constant_price(
        D("1000000"), [D("9.0"), D("5.5"), D("6.2"), D("6.8"), D("6.0")]
    )
    assert round_to(chained, "1") == D("1382549")


def test_national_2022_non_fossil_share_by_the_coal_equivalent_method():
    """Methodology §2: 31,443 亿kWh × 300.7 gce/kWh ÷ 54.1 亿tce = 17.48 %."""
    non_fossil_tce = calc.electricity_equal_value_tce(D(31443) * D(10000), D("300.7"))
    share = calc.share_percent(non_fossil_tce, D("54.1") * D(10) ** 8)
    assert round_to(share, "0.01") == D("17.48")


@pytest.mark.parametrize(
    ("_case", "count_grid_fraction", "expected_percent"),
    [
        ("default rule: only on-site PV and green power", False, D("2.99")),
        ("option: 20 % of grid purchases counted non-fossil", True, D("14.59")),
    ],
)
def test_park_non_fossil_share_under_each_counting_rule(
    _case, count_grid_fraction, expected_percent
):
    """domain.md §2.5: the counting rule moves the share from 3 % to 15 %."""
    book = calc.CoefficientBook(
        [*BOOK._constant.values(), calc.CoefficientRow("elec.coal_rate", D("300.7"), year=2025)]
    )
    inputs = annual_inputs(
        {
            2025: {
                "coal_raw": "240000",
                "natural_gas": "7000",
                "diesel": "1800",
                "electricity_grid": "155000",
                "heat_purchased": "1600000",
                "electricity_pv": "8000",
            }
        }
    )
    rules = calc.CountingRules(
        count_grid_non_fossil_fraction=count_grid_fraction,
        grid_non_fossil_fraction_percent=D(20),
    )
    values = calc.compute_window(inputs, book, rules, Window(2025), base_year=2020)

    assert round_to(values[("energy_total_equal_value", "")].value, "0.1") == D("803788.8")
    assert round_to(values[("non_fossil_share", "")].value, "0.01") == expected_percent


@pytest.mark.parametrize(
    ("_case", "fuel", "ncv", "carbon", "oxidation", "expected"),
    [
        ("raw coal", "coal_raw", "20.908", "0.02637", "0.94", "1.9003"),
        ("coke", "coke", "28.435", "0.0295", "0.93", "2.8604"),
        ("crude oil", "crude_oil", "41.816", "0.0201", "0.98", "3.0202"),
        ("fuel oil", "fuel_oil", "41.816", "0.0211", "0.98", "3.1705"),
        ("gasoline", "gasoline", "43.070", "0.0189", "0.98", "2.9251"),
        ("diesel", "diesel", "42.652", "0.0202", "0.98", "3.0959"),
        ("LPG", "lpg", "50.179", "0.0172", "0.98", "3.1013"),
        ("natural gas per 万m³", "natural_gas", "389.31", "0.0153", "0.99", "21.6219"),
    ],
)
def test_default_fuel_factors_reproduce_the_published_values(
    _case, fuel, ncv, carbon, oxidation, expected
):
    """Methodology §4: NCV × carbon content × oxidation × 44/12."""
    factor = calc.fuel_co2_factor(D(ncv), D(carbon), D(oxidation))
    assert round_to(factor, "0.0001") == D(expected)


def test_co2_of_the_worked_example_with_the_2023_national_grid_factor():
    """domain.md §4.5: 612,997.9 + 998,430 = 1,611,428 tCO₂; the 2025 factor is not
    published yet, so the 2023 one stands in and the figure is provisional."""
    inputs = annual_inputs({2025: WORKED_EXAMPLE[2025]})
    co2 = calc.compute_window(inputs, BOOK, RULES, Window(2025), base_year=2020)[
        ("co2_emissions", "")
    ]
    assert round_to(co2.value, "1") == D("1611428")
    assert co2.provisional is True
    assert co2.method["coefficients"]["co2.grid.national@2023"]["provisional"] is True


@pytest.mark.parametrize(
    ("_case", "reduction", "years", "expected_percent_per_year"),
    [
        ("−18 % over 2021–2025", D("0.18"), 5, D("-3.891")),
        ("−15 % over 2026–2030", D("0.15"), 5, D("-3.198")),
    ],
)
def test_required_average_annual_change(_case, reduction, years, expected_percent_per_year):
    change = calc.required_average_annual_change(reduction, years) * 100
    assert round_to(change, "0.001") == expected_percent_per_year


@pytest.mark.parametrize(
    ("_case", "year", "expected_value", "expected_provisional"),
    [
        ("a set year is used as is", 2022, D("300.7"), False),
        ("an unset year takes the most recent earlier one", 2024, D("300.7"), True),
        ("a year between takes the earlier one", 2021, D("305.5"), True),
        ("before the first set year takes the first one", 2019, D("305.5"), True),
    ],
)
def test_coal_rate_stand_in_rule(_case, year, expected_value, expected_provisional):
    use = BOOK.lookup("elec.coal_rate", year)
    assert (use.value, use.provisional) == (expected_value, expected_provisional)


# --- Status rule (methodology §7) -------------------------------------------------------------

LOWER, HIGHER = -1, 1


@pytest.mark.parametrize(
    ("_case", "kwargs", "expected"),
    [
        ("no value", {"value": None, "target_value": D(1)}, "no_data"),
        (
            "already meets a lower-is-better target",
            {"value": D("0.39"), "target_value": D("0.40")},
            "achieved",
        ),
        (
            "moved away from the target",
            {
                "value": D("0.45"),
                "target_value": D("0.40"),
                "observed": D("0.01"),
                "required": D("-0.04"),
            },
            "red",
        ),
        (
            "moved toward it, slower than required",
            {
                "value": D("0.45"),
                "target_value": D("0.40"),
                "observed": D("-0.02"),
                "required": D("-0.04"),
            },
            "yellow",
        ),
        (
            "moved toward it at least as fast as required",
            {
                "value": D("0.45"),
                "target_value": D("0.40"),
                "observed": D("-0.05"),
                "required": D("-0.04"),
            },
            "green",
        ),
        (
            "target year over and not met",
            {
                "value": D("0.45"),
                "target_value": D("0.40"),
                "observed": D("-0.09"),
                "required": D("-0.04"),
                "target_missed_period": True,
            },
            "red",
        ),
        (
            "pace unknown without last year's figure",
            {
                "value": D("0.45"),
                "target_value": D("0.40"),
                "observed": None,
                "required": D("-0.04"),
            },
            "no_data",
        ),
        (
            "about: within 0.5 pp counts as met",
            {
                "value": D("13.6"),
                "target_value": D(14),
                "direction": HIGHER,
                "qualifier": "about",
                "tolerance": D("0.5"),
            },
            "achieved",
        ),
        (
            "about: beyond the band is judged on pace",
            {
                "value": D("13.4"),
                "target_value": D(14),
                "direction": HIGHER,
                "qualifier": "about",
                "tolerance": D("0.5"),
                "observed": D("0.5"),
                "required": D("1.0"),
            },
            "yellow",
        ),
        (
            "strive: never beyond yellow, even moving away",
            {
                "value": D(90),
                "target_value": D(100),
                "direction": HIGHER,
                "qualifier": "strive",
                "observed": D(-1),
                "required": D(2),
            },
            "yellow",
        ),
        (
            "strive: never beyond yellow, even missed",
            {
                "value": D(90),
                "target_value": D(100),
                "direction": HIGHER,
                "qualifier": "strive",
                "target_missed_period": True,
            },
            "yellow",
        ),
        (
            "hold met",
            {
                "value": D("0.70"),
                "target_value": D("0.78"),
                "is_hold": True,
                "tolerance": D("0.039"),
            },
            "green",
        ),
        (
            "hold missed within the band",
            {
                "value": D("0.80"),
                "target_value": D("0.78"),
                "is_hold": True,
                "tolerance": D("0.039"),
            },
            "yellow",
        ),
        (
            "hold missed beyond the band",
            {
                "value": D("0.85"),
                "target_value": D("0.78"),
                "is_hold": True,
                "tolerance": D("0.039"),
            },
            "red",
        ),
        (
            "hold above: 94 % against ≥ 95 % within 0.5 pp is red",
            {
                "value": D(94),
                "target_value": D(95),
                "direction": HIGHER,
                "is_hold": True,
                "tolerance": D("0.5"),
            },
            "red",
        ),
    ],
)
def test_judge_status(_case, kwargs, expected):
    arguments = {
        "direction": LOWER,
        "qualifier": "binding",
        "is_hold": False,
        "tolerance": D(0),
        "observed": None,
        "required": None,
        "target_missed_period": False,
    }
    arguments.update(kwargs)
    assert calc.judge_status(**arguments) == expected


INTENSITY = calc.IndicatorSpec("energy_intensity_iva", LOWER, "geometric")
T2 = calc.TargetSpec(1, "T2", "reduction_vs_base", "about", D(18), 2025, base_year=2020)
T2B = calc.TargetSpec(2, "T2b", "reduction_vs_target", "about", D(15), 2030, base_year=2025)


def test_chained_2030_target_is_pending_until_the_2025_actual_exists():
    values = {Window(2020): D("0.50"), Window(2025): None, Window(2026, 2): D("0.38")}
    evaluation = calc.evaluate_series(INTENSITY, values, [T2, T2B], plan_base_year=2020)
    assert evaluation[Window(2026, 2)].target.code == "T2b"
    assert evaluation[Window(2026, 2)].target_pending_base is True
    assert evaluation[Window(2026, 2)].target_value is None
    assert evaluation[Window(2026, 2)].status == "no_data"


def test_chained_2030_target_moves_when_the_2025_actual_is_revised():
    first = {Window(2020): D("0.50"), Window(2025): D("0.40"), Window(2026): D("0.39")}
    revised = {**first, Window(2025): D("0.42")}
    before = calc.evaluate_series(INTENSITY, first, [T2, T2B], plan_base_year=2020)
    after = calc.evaluate_series(INTENSITY, revised, [T2, T2B], plan_base_year=2020)
    assert before[Window(2026)].target_value == D("0.40") * D("0.85")
    assert after[Window(2026)].target_value == D("0.42") * D("0.85")


def test_reduction_target_status_path_and_progress():
    values = {
        Window(2020): D("0.50"),
        Window(2021): D("0.48"),
        Window(2022): D("0.47"),
    }
    evaluation = calc.evaluate_series(INTENSITY, values, [T2, T2B], plan_base_year=2020)[
        Window(2022)
    ]
    assert evaluation.target_value == D("0.41")  # 0.50 × (1 − 18 %)
    # 2022 is 2 of 5 years: time progress 40 %; completion (0.47−0.50)/(0.41−0.50) = 1/3.
    assert evaluation.time_progress == D("0.4")
    assert round_to(evaluation.completion, "0.0001") == D("0.3333")
    # Required from 2021's 0.48 to 0.41 in 4 years; observed 0.47/0.48 − 1 = −2.08 %.
    assert round_to(evaluation.required_annual_change, "0.0001") == D("-0.0386")
    assert evaluation.status == "yellow"
    assert round_to(evaluation.path_value, "0.0001") == round_to(
        D("0.50") * (D("0.82") ** 2 / D(1)) ** (D(1) / D(5)), "0.0001"
    )


def test_missed_target_year_is_red_and_later_periods_keep_the_last_target():
    hold_above = calc.TargetSpec(3, "T11", "level", "binding", D(90), 2025)
    rate = calc.IndicatorSpec("iw_utilization_rate", HIGHER, "linear", has_base_year=False)
    values = {
        Window(2020): D(80),
        Window(2024): D(88),
        Window(2025): D(89),
        Window(2026, 1): D(91),
        Window(2026, 2): D(89.5),
    }
    evaluation = calc.evaluate_series(rate, values, [hold_above], plan_base_year=2020)
    assert evaluation[Window(2025)].status == "red"
    assert evaluation[Window(2026, 1)].status == "achieved"
    assert evaluation[Window(2026, 2)].status == "red"
    assert evaluation[Window(2020)].status == ""  # the base year is the starting point


@pytest.mark.parametrize(
    "from_year",
    [
        pytest.param(2021, id="after_the_base_year_case"),
        pytest.param(2025, id="the_first_target_year_case"),
        pytest.param(2026, id="the_chained_target_case"),
        pytest.param(2031, id="after_every_window_case"),
    ],
)
def test_evaluating_from_a_year_gives_the_same_evaluations_of_that_year_and_later(from_year):
    values = {
        Window(year, quarters): D("0.50") - D("0.013") * (year - 2020) - D("0.001") * quarters
        for year in range(2020, 2027)
        for quarters in (1, 2, 3, 4)
    }
    values[Window(2023, 2)] = None
    full = calc.evaluate_series(INTENSITY, values, [T2, T2B], plan_base_year=2020)
    later = calc.evaluate_series(
        INTENSITY, values, [T2, T2B], plan_base_year=2020, from_year=from_year
    )
    assert later == {window: e for window, e in full.items() if window.year >= from_year}
    # Answered again from the kept powers: the same evaluations.
    assert calc.evaluate_series(INTENSITY, values, [T2, T2B], plan_base_year=2020) == full


def test_target_awaiting_its_value_is_shown_as_such():
    t3 = calc.TargetSpec(4, "T3", "reduction_vs_base", "binding", None, 2030, base_year=2020)
    evaluation = calc.evaluate_series(
        calc.IndicatorSpec("energy_intensity_gdp", LOWER, "geometric"),
        {Window(2020): D("0.5"), Window(2024): D("0.4")},
        [t3],
        plan_base_year=2020,
    )[Window(2024)]
    assert evaluation.target_awaits_value is True
    assert evaluation.status == "no_data"


# --- Aggregation properties -----------------------------------------------------------------------

quantity = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)


@given(st.lists(st.tuples(quantity, quantity), min_size=4, max_size=4))
def test_a_share_over_quarters_is_the_sum_of_numerators_over_the_sum_of_denominators(pairs):
    figures = {}
    for quarter, (green, extra) in enumerate(pairs, start=1):
        figures[("building_new_green_area", 2024, quarter)] = (green, None)
        figures[("building_new_civil_area", 2024, quarter)] = (green + extra, None)
    inputs = calc.Inputs(figures, ITEM_RULES)
    share = calc.compute_window(inputs, BOOK, RULES, Window(2024, 3), base_year=2020)[
        ("green_building_share", "")
    ].value
    numerator = sum(green for green, _ in pairs[:3])
    denominator = sum(green + extra for green, extra in pairs[:3])
    assert share == numerator / denominator * 100


def test_a_window_missing_a_quarter_has_no_value():
    figures = {
        ("iw_generated", 2024, 1): (D(10), None),
        ("iw_generated", 2024, 3): (D(10), None),
        ("iw_utilized", 2024, 1): (D(5), None),
        ("iw_utilized", 2024, 2): (D(5), None),
        ("iw_utilized", 2024, 3): (D(5), None),
    }
    values = calc.compute_window(
        calc.Inputs(figures, ITEM_RULES), BOOK, RULES, Window(2024, 3), base_year=2020
    )
    assert values[("iw_utilization_rate", "")].value is None
    assert values[("iw_utilization_rate", "")].method["missing"] == "iw_generated"


def test_an_unreported_fuel_counts_as_zero_and_is_listed():
    inputs = annual_inputs({2020: {"natural_gas": "100", "electricity_grid": "10"}})
    energy = calc.compute_window(inputs, BOOK, RULES, Window(2020), base_year=2020)[
        ("energy_total_calorific", "")
    ]
    assert energy.value == D("100") * D("12.143") + D("10") * D("1.229")
    assert "coal_raw" in energy.method["unreported_as_zero"]


def test_energy_is_missing_when_the_energy_form_lacks_a_quarter():
    figures = {
        ("natural_gas", 2024, 1): (D(1), None),
        ("electricity_grid", 2024, 1): (D(1), None),
        ("electricity_grid", 2024, 2): (D(1), None),
    }
    values = calc.compute_window(
        calc.Inputs(figures, ITEM_RULES), BOOK, RULES, Window(2024, 2), base_year=2020
    )
    assert values[("energy_total_calorific", "")].value is None
    assert values[("energy_total_calorific", "")].method["missing"] == "energy_form"


def test_feedstock_variants_deduct_from_energy_never_from_value_added():
    years = {y: dict(v) for y, v in WORKED_EXAMPLE.items()}
    years[2025]["energy_feedstock"] = "40000"
    values = calc.compute_window(annual_inputs(years), BOOK, RULES, Window(2025), base_year=2020)
    plain = values[("energy_intensity_iva", "")].value
    without_feedstock = values[("energy_intensity_iva", "excl_feedstock")].value
    value_added = D("504142.78") / plain
    assert round_to(without_feedstock, "0.000000000001") == round_to(
        (D("504142.78") - D("40000")) / value_added, "0.000000000001"
    )


@given(
    reported=st.dictionaries(
        st.tuples(
            st.sampled_from(sorted(ITEM_RULES)),
            st.sampled_from([2020, 2021, 2024]),
            st.integers(min_value=1, max_value=4),
        ),
        st.integers(min_value=0, max_value=500),
        max_size=120,
    )
)
def test_results_with_equal_signatures_have_equal_methods(reported):
    """The recompute gives results with equal signatures one shared method dict, so equal
    signatures must mean equal methods — across windows and years of one book, where one
    label can name two different coefficient entries (elec.coal_rate@2020 as asked for
    2020, and as the provisional stand-in for 2021)."""
    import json

    figures = {key: (D(value), number) for number, (key, value) in enumerate(reported.items())}
    inputs = calc.Inputs(figures, ITEM_RULES)
    methods: dict[tuple, str] = {}
    for year in (2020, 2021, 2024):
        for quarters in (1, 2, 3, 4):
            window = Window(year, quarters)
            for computed in calc.compute_window(
                inputs, BOOK, RULES, window, base_year=2020
            ).values():
                document = json.dumps(computed.method, sort_keys=True)
                assert methods.setdefault(computed.signature, document) == document


def test_a_label_standing_in_for_another_year_gets_its_own_signature():
    calorific = {}
    for year in (2020, 2021):
        inputs = annual_inputs({year: {"electricity_grid": "10", "natural_gas": "1"}})
        calorific[year] = calc.compute_window(inputs, BOOK, RULES, Window(year), base_year=2020)[
            ("energy_total_equal_value", "")
        ]
    used = [c.method["coefficients"]["elec.coal_rate@2020"] for c in calorific.values()]
    assert used[0] != used[1]  # the 2021 use is provisional
    assert calorific[2020].signature != calorific[2021].signature
