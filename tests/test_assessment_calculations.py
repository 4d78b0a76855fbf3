"""The assessment's pure calculations (assessment/calculations.py), each component on a case
computed by hand (management.md §4's default scheme)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from assessment import calculations as calc
from dezhou_carbon.exceptions import ApplicationError

RULES = calc.rules_checked(calc.DEFAULT_RULES)
AS_OF = dt.date(2025, 12, 31)

TARGETS = [
    {"code": "T1", "status": "achieved"},
    {"code": "T2", "status": "green"},
    {"code": "T3", "status": "yellow"},
    {"code": "T4", "status": "red"},
    {"code": "T5", "status": "no_data"},
    {"code": "T6", "status": "upcoming"},  # not judged yet: left out
]
WORK_ITEMS = [
    {"code": "1.1", "due": "2025-06-30", "verified_on": "2025-06-01"},  # on time: 1
    {"code": "1.2", "due": "2025-06-30", "verified_on": "2025-09-15"},  # late: 0.5
    {"code": "1.3", "due": "2025-09-30", "verified_on": None},  # missed: 0
    {"code": "1.4", "due": "2025-12-31", "verified_on": "2026-02-01"},  # after the year: 0
]
PERIODS = [
    {"period": "2025Q1", "deadline": "2025-04-20", "submitted_on": "2025-04-18", "returns": 1},
    {"period": "2025Q2", "deadline": "2025-07-20", "submitted_on": "2025-07-20", "returns": 0},
    {"period": "2025Q3", "deadline": "2025-10-20", "submitted_on": "2025-10-21", "returns": 1},
    {"period": "2025", "deadline": "2025-12-30", "submitted_on": "2025-12-01", "returns": 0},
]
WARNINGS = [
    # Monday → next Monday: 5 working days, in time; rectified after its due date: overdue.
    {"id": 1, "raised_on": "2025-03-03", "acknowledged_on": "2025-03-10",
     "due_date": "2025-04-30", "resolved_on": "2025-05-10"},
    # 6 working days: late.
    {"id": 2, "raised_on": "2025-03-03", "acknowledged_on": "2025-03-11",
     "due_date": "2025-06-30", "resolved_on": "2025-06-01"},
    # never acknowledged, its window long over: counts 0.
    {"id": 3, "raised_on": "2025-06-02", "acknowledged_on": None},
    # raised two working days before the year's end: still in its window, not judged.
    {"id": 4, "raised_on": "2025-12-29", "acknowledged_on": None},
]  # fmt: skip


def _unit(**records):
    return calc.unit_score("DRS", records, RULES, as_of=AS_OF)


def test_targets_component_is_the_mean_of_the_status_scores():
    component = _unit(targets=TARGETS).components[calc.TARGETS]
    # (100 + 90 + 70 + 40 + 0) / 5 = 60; T6 (upcoming) is not judged.
    assert component.score == D(60)
    assert [line.ref for line in component.lines] == ["T1", "T2", "T3", "T4", "T5"]


def test_work_items_count_verified_late_as_half():
    component = _unit(work_items=WORK_ITEMS).components[calc.WORK_ITEMS]
    # 100 × (1 + 0.5 + 0 + 0) / 4 = 37.5
    assert component.score == D("37.5")
    assert [line.outcome for line in component.lines] == ["on_time", "late", "missed", "missed"]


def test_timeliness_deducts_five_per_return():
    component = _unit(timeliness=PERIODS).components[calc.TIMELINESS]
    # 100 × 3 / 4 − 5 × 2 = 65 (the deadline day itself is on time)
    assert component.score == D(65)
    assert [line.outcome for line in component.lines] == ["on_time", "on_time", "late", "on_time"]


def test_timeliness_has_a_floor_of_zero():
    late = [{"period": "2025Q1", "deadline": "2025-04-20", "submitted_on": None, "returns": 3}]
    assert _unit(timeliness=late).components[calc.TIMELINESS].score == D(0)


def test_warning_response_counts_five_working_days_and_deducts_overdue_rectifications():
    component = _unit(warnings=WARNINGS).components[calc.WARNINGS]
    # judged: 1, 2, 3; in time: 1 → 100 × 1 / 3 − 10 × 1 (warning 1 rectified late)
    assert component.denominator == 3
    assert component.score == D(100) / 3 - 10
    assert [line.outcome for line in component.lines] == ["in_time_overdue", "late", "late"]


def test_the_total_weights_the_components_and_adds_adjustments():
    records = {
        calc.TARGETS: TARGETS,
        calc.WORK_ITEMS: WORK_ITEMS,
        calc.TIMELINESS: PERIODS,
        calc.WARNINGS: WARNINGS,
    }
    score = calc.unit_score("DRS", records, RULES, as_of=AS_OF, adjustments=[D(3)])
    # 40 × 60 + 30 × 37.5 + 15 × 65 + 15 × 23.333… all ÷ 100 = 24 + 11.25 + 9.75 + 3.5
    assert score.base.quantize(D("0.0001")) == D("48.5000")
    assert score.total.quantize(D("0.01")) == D("51.50")
    assert score.grade == calc.FAIL
    assert score.as_dict()["total"] == "51.50"
    assert score.as_dict()["components"]["warnings"]["score"] == "23.33"


def test_a_component_without_records_spreads_its_weight_over_the_others():
    score = _unit(targets=TARGETS, work_items=WORK_ITEMS, timeliness=PERIODS)
    warnings = score.components[calc.WARNINGS]
    assert warnings.score is None
    assert warnings.points is None
    # (40 × 60 + 30 × 37.5 + 15 × 65) / 85 = 4500 / 85
    assert score.base == D(4500) / D(85)
    assert score.components[calc.TARGETS].effective_weight == D(4000) / D(85)


def test_a_unit_without_any_record_is_not_assessed():
    score = _unit()
    assert score.total is None
    assert score.grade == calc.NOT_ASSESSED


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("90", calc.EXCELLENT),
        ("89.995", calc.EXCELLENT),  # 90.00 once rounded to the cent shown
        ("89.99", calc.GOOD),
        ("80", calc.GOOD),
        ("79.99", calc.PASS),
        ("60", calc.PASS),
        ("59.99", calc.FAIL),
        ("0", calc.FAIL),
    ],
)
def test_grade_bands(total, grade):
    assert calc.grade_of(D(total), RULES) == grade


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2025-03-03", "2025-03-10", 5),  # Monday → Monday
        ("2025-03-07", "2025-03-10", 1),  # Friday → Monday
        ("2025-03-08", "2025-03-09", 0),  # Saturday → Sunday
        ("2025-03-03", "2025-03-03", 0),
        ("2025-03-03", "2025-03-31", 20),
    ],
)
def test_working_days(start, end, days):
    assert (
        calc.working_days_between(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == days
    )


def test_weights_that_do_not_sum_to_100_are_refused_in_both_languages():
    rules = {**calc.DEFAULT_RULES, "weights": {**calc.DEFAULT_RULES["weights"], "warnings": "10"}}
    with pytest.raises(ApplicationError) as refused:
        calc.rules_checked(rules)
    assert refused.value.code == "weights_not_100"
    assert "100" in refused.value.message_zh
    assert "95" in refused.value.message_en


@pytest.mark.parametrize(
    "change",
    [
        {"weights": {"targets": "40", "work_items": "30", "timeliness": "30"}},
        {"status_scores": {"achieved": "100"}},
        {"grade_bands": [["excellent", "80"], ["good", "90"], ["pass", "60"]]},
        {"response_working_days": 0},
        {"weights": {"targets": "x", "work_items": "30", "timeliness": "15", "warnings": "15"}},
    ],
)
def test_invalid_schemes_are_refused(change):
    with pytest.raises(ApplicationError):
        calc.rules_checked({**calc.DEFAULT_RULES, **change})


def test_the_default_scheme_is_management_section_4():
    assert RULES["weights"] == {
        "targets": "40",
        "work_items": "30",
        "timeliness": "15",
        "warnings": "15",
    }
    assert RULES["status_scores"]["yellow"] == "70"
    assert RULES["grade_bands"] == [["excellent", "90"], ["good", "80"], ["pass", "60"]]


def test_adjustments_need_a_reason_and_stay_within_five_points():
    calc.adjustment_check([D(2)], D(3), "牵头完成国家试点评估", RULES)
    with pytest.raises(ApplicationError) as no_reason:
        calc.adjustment_check([], D(2), "  ", RULES)
    assert no_reason.value.code == "reason_required"
    with pytest.raises(ApplicationError) as too_much:
        calc.adjustment_check([D(3)], D(3), "理由", RULES)
    assert too_much.value.code == "adjustment_limit"


@pytest.mark.parametrize("points", ["NaN", "sNaN", "Infinity", "-Infinity", "1.005", "0.001"])
def test_an_adjustment_that_is_not_a_two_decimal_number_is_refused(points):
    """Nothing the points column would round silently or a comparison would choke on."""
    with pytest.raises(ApplicationError) as refused:
        calc.adjustment_check([], D(points), "理由", RULES)
    assert refused.value.code == "invalid"
    assert "两位小数" in refused.value.message_zh
    assert "two decimals" in refused.value.message_en


def test_an_adjustment_with_two_decimals_or_trailing_zeros_is_accepted():
    calc.adjustment_check([], D("1.25"), "理由", RULES)
    calc.adjustment_check([], D("1.500"), "理由", RULES)
    calc.adjustment_check([], D("-5"), "理由", RULES)


def test_differences_name_the_units_whose_result_moved():
    frozen = [{"department": "DRS", "total": "81.00", "grade": "good"}]
    now = [{"department": "DRS", "total": "79.50", "grade": "pass"}]
    assert calc.differences(frozen, frozen) == []
    assert calc.differences(frozen, now)[0]["now_grade"] == "pass"


def test_the_snapshot_hash_is_stable_and_order_free():
    assert calc.sha256_of({"b": 1, "a": [1, 2]}) == calc.sha256_of({"a": [1, 2], "b": 1})


def test_ties_rank_in_the_plans_order_whatever_order_the_units_come_back_in():
    """PostgreSQL's jsonb returns a frozen snapshot's units with the shorter codes first
    (MC, INV, URB before GRID): the plan's order travels as a list beside them."""
    records = {calc.TIMELINESS: PERIODS[1:2]}  # one period on time: 100
    snapshot = {
        "as_of": "2025-12-31",
        "units": dict.fromkeys(("INV", "URB", "GRID"), records),  # jsonb's order
        "order": ["GRID", "INV", "URB"],  # the plan's
    }
    ranked = calc.year_scores(snapshot, RULES, {})
    assert [s.department for s in ranked] == ["GRID", "INV", "URB"]
    # a snapshot frozen before the order was kept: its dict's order, as before
    del snapshot["order"]
    assert [s.department for s in calc.year_scores(snapshot, RULES, {})] == ["INV", "URB", "GRID"]
