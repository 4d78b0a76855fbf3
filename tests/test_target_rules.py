"""Methodology §7 as issue 16 §7 asks: 突破 is strictly beyond (400.00 does not 突破 400),
hold targets are judged in the base year too, and the pace is measured from the most
recent complete year (the year before last when last year is not final yet)."""

from decimal import Decimal as D

import pytest

from indicators import calculations as calc
from indicators.calculations import TargetSpec, Window

HIGHER = 1


@pytest.mark.parametrize(
    ("value", "strict", "expected"),
    [
        (D("400.00"), True, "red"),  # the target year's annual value exactly at 400
        (D("400.01"), True, "achieved"),
        (D("400.00"), False, "achieved"),
        (D("399.99"), False, "red"),
    ],
)
def test_an_exceed_target_is_met_only_strictly_beyond(value, strict, expected):
    status = calc.judge_status(
        value=value,
        target_value=D(400),
        direction=HIGHER,
        qualifier="binding",
        is_hold=False,
        tolerance=D(0),
        observed=None,
        required=None,
        target_missed_period=True,
        strict=strict,
    )
    assert status == expected


def test_t5_and_t5b_are_strict_in_the_engines_target_specs(park):
    from indicators.models import Target
    from indicators.selectors import target_specs_by_indicator

    specs = {spec.code: spec for group in target_specs_by_indicator().values() for spec in group}
    assert specs["T5"].strict
    assert specs["T5b"].strict
    assert not specs["T1"].strict
    assert Target.objects.filter(strict=True).count() == 2


INDICATOR = calc.IndicatorSpec(
    code="iw_generation_intensity", direction=-1, path_kind="geometric", has_base_year=True
)


def test_a_hold_target_is_judged_in_the_base_year_too():
    hold = TargetSpec(1, "T12", "hold", "hold", D("0.78"), 2025)
    values = {Window(2020, 4): D("0.90")}  # above the ceiling in the base year itself
    evaluations = calc.evaluate_series(INDICATOR, values, [hold], plan_base_year=2020)
    assert evaluations[Window(2020, 4)].status == "red"


def test_the_pace_is_measured_from_the_year_before_last_when_last_year_is_not_final():
    reduction = TargetSpec(1, "T2", "reduction_vs_base", "about", D(18), 2025, base_year=2020)
    values = {
        Window(2020, 4): D("1.00"),
        Window(2023, 4): D("0.90"),  # 2024 has no Q4 yet: 2023 is the last complete year
        Window(2025, 1): D("0.88"),
    }
    evaluation = calc.evaluate_series(INDICATOR, values, [reduction], plan_base_year=2020)[
        Window(2025, 1)
    ]
    expected = calc.required_annual_change("geometric", D("0.82"), D("0.90"), 2025 - 2023)
    assert evaluation.required_annual_change == expected


# --- Like with like (issue 16 #7): an additive level target in a quarter ----------------
# Leading industries' revenue: the 2020 base year made 300 亿元, 140 of it by June and 210
# by September, so the year-to-date equivalents of 突破400亿元 (T5, 2025) are 186.67 by June
# and 280 by September, and of 突破600亿元 (T5b, 2030) 280 by June.
REVENUE = calc.IndicatorSpec("leading_industry_revenue", HIGHER, "geometric")
T5 = TargetSpec(5, "T5", "level", "binding", D(400), 2025, strict=True)
T5B = TargetSpec(6, "T5b", "level", "binding", D(600), 2030, strict=True)
REVENUE_BASE = {Window(2020, 2): D(140), Window(2020, 3): D(210), Window(2020, 4): D(300)}
REVENUE_2024 = {Window(2024, 3): D(270), Window(2024, 4): D(380)}


@pytest.mark.parametrize(
    ("window", "value", "expected"),
    [
        # On pace: 300 by September beyond the 280 equivalent, though 300 < 400 for the year.
        (Window(2025, 3), D(300), "green"),
        # Short of the equivalent: the barometer (0 % on a year ago vs +5.3 % required).
        (Window(2025, 3), D(270), "yellow"),
        # Exactly at the equivalent does not 突破 it (+3.7 % vs +5.3 % required).
        (Window(2025, 3), D(280), "yellow"),
        # The year-to-date sum already beyond the year's 400: met.
        (Window(2025, 3), D(410), "achieved"),
        # The target year's whole year: 400.00 does not 突破 400, 400.01 does.
        (Window(2025, 4), D("400.00"), "red"),
        (Window(2025, 4), D("400.01"), "achieved"),
        # After the last target's year it stays active, in year-to-date terms: 270 by June
        # 2031 is short of T5b's 280 equivalent (red), 300 is beyond it (green).
        (Window(2031, 2), D(270), "red"),
        (Window(2031, 2), D(300), "green"),
        (Window(2031, 4), D(590), "red"),
        (Window(2031, 4), D(601), "achieved"),
    ],
)
def test_an_additive_level_target_compares_a_year_to_date_sum_with_its_equivalent(
    window, value, expected
):
    values = {**REVENUE_BASE, **REVENUE_2024, window: value}
    evaluation = calc.evaluate_series(REVENUE, values, [T5, T5B], plan_base_year=2020)[window]
    assert evaluation.status == expected


def test_a_quarters_completion_and_path_are_year_to_date_for_an_additive_target():
    window = Window(2025, 3)
    values = {**REVENUE_BASE, **REVENUE_2024, window: D(300)}
    evaluation = calc.evaluate_series(REVENUE, values, [T5, T5B], plan_base_year=2020)[window]
    # (300 − 210) ÷ (280 − 210), not (300 − 210) ÷ (400 − 210) = 47 %.
    assert evaluation.completion == D(90) / D(70)
    # The path from 210 (base year by September) to 280, 4.75 of 5 years along.
    assert evaluation.path_value == calc.path_value("geometric", D(210), D(280), D("0.95"))
    assert evaluation.target_value == D(400)  # the card still shows the plan's target
    assert evaluation.time_progress == D("0.95")


def test_without_the_base_years_quarter_a_part_of_a_year_is_neither_met_nor_missed():
    window = Window(2031, 3)  # after T5b's year, and no 2020 January–September to scale by
    values = {Window(2020, 4): D(300), Window(2030, 3): D(250), window: D(260)}
    evaluation = calc.evaluate_series(REVENUE, values, [T5, T5B], plan_base_year=2020)[window]
    assert evaluation.status != "red"
    assert evaluation.completion is None
    assert "seasonal_share_missing" in evaluation.notes


def test_the_year_to_date_equivalent_scales_the_annual_target_by_the_base_years_share():
    assert calc.year_to_date_equivalent(D(400), D(210), D(300)) == D(280)
    assert calc.year_to_date_equivalent(D(400), None, D(300)) is None
    assert calc.year_to_date_equivalent(D(400), D(210), D(0)) is None


def test_a_ratio_is_not_scaled_by_the_share_of_the_year():
    """An intensity's year-to-date value is already a ratio: its target stands as it is."""
    intensity = calc.IndicatorSpec("energy_intensity_iva", -1, "geometric")
    level = TargetSpec(1, "TX", "level", "binding", D("0.40"), 2025)
    window = Window(2025, 2)
    values = {Window(2020, 2): D("0.50"), Window(2020, 4): D("0.52"), window: D("0.39")}
    evaluation = calc.evaluate_series(intensity, values, [level], plan_base_year=2020)[window]
    assert evaluation.status == "achieved"


@pytest.mark.parametrize(
    ("window", "value", "expected"),
    [
        (Window(2027, 4), D("0.83"), "red"),  # T2's 0.82 (−18 % vs 2020) missed in 2027
        (Window(2027, 2), D("0.83"), "red"),  # non-additive: a quarter is judged as it is
        (Window(2027, 4), D("0.81"), "achieved"),
    ],
)
def test_a_target_stays_active_after_its_year(window, value, expected):
    reduction = TargetSpec(1, "T2", "reduction_vs_base", "binding", D(18), 2025, base_year=2020)
    values = {Window(2020, 4): D("1.00"), Window(2020, 2): D("1.00"), window: value}
    evaluation = calc.evaluate_series(INDICATOR, values, [reduction], plan_base_year=2020)[window]
    assert evaluation.status == expected
