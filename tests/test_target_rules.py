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
