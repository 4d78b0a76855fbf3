"""One source of formula text (issue 13, defect 6): `calculations.FORMULAS` holds each
indicator's formula in Chinese and English; the indicator catalogue and every stored method
trace show exactly that text, and every bracket in it is closed."""

import pytest

from indicators import calculations as calc
from indicators.models import Indicator, IndicatorResult
from indicators.recompute import results_recompute
from tests.helpers import import_rows

PAIRS = {"(": ")", "（": "）", "[": "]", "{": "}", "〔": "〕"}


def balanced(text: str) -> bool:
    """Every opening bracket closed by its own kind, in order."""
    expected: list[str] = []
    for char in text:
        if char in PAIRS:
            expected.append(PAIRS[char])
        elif char in PAIRS.values() and (not expected or expected.pop() != char):
            return False
    return not expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("((光伏自用+绿电)×供电煤耗 + 地热×0.03412) ÷ E等价 × 100", True),
        ("(光伏自用+绿电)×供电煤耗 + 地热×0.03412) ÷ E等价 × 100", False),
        ("E等价 ÷ 地区生产总值(2020年可比价", False),
        ("(a]", False),
        ("综合利用量 ÷ (产生量 + 综合利用往年贮存量) × 100", True),
    ],
)
def test_the_bracket_check_itself(text, ok):
    assert balanced(text) is ok


@pytest.mark.parametrize("code", sorted(calc.FORMULAS))
def test_every_formula_has_chinese_and_english_text_with_closed_brackets(code):
    formula = calc.FORMULAS[code]
    assert formula.zh.strip()
    assert formula.en.strip()
    assert balanced(formula.zh), formula.zh
    assert balanced(formula.en), formula.en


@pytest.mark.django_db
def test_the_catalogue_shows_the_formulas_of_the_engine(park):
    indicators = list(Indicator.objects.all())
    # the 18 of the first catalogue, and the plan's coal, natural-gas and PV targets (issue 16)
    assert len(indicators) == 21
    assert {indicator.code for indicator in indicators} == set(calc.FORMULAS)
    for indicator in indicators:
        formula = calc.FORMULAS[indicator.code]
        assert (indicator.formula_zh, indicator.formula_en) == (formula.zh, formula.en)


@pytest.mark.django_db
def test_every_stored_trace_shows_the_formula_of_its_indicator(administrator):
    from indicators.demo import demo_rows

    import_rows(demo_rows(), user=administrator)
    results_recompute()
    results = IndicatorResult.objects.select_related("indicator", "trace")
    seen = set()
    for result in results:
        formula = result.method["formula"]
        assert balanced(formula), (result.indicator.code, formula)
        assert formula == calc.FORMULAS[result.indicator.code].zh
        seen.add(result.indicator.code)
    assert "non_fossil_share" in seen


def test_the_migration_keeps_seeding_unedited_indicators(transactional_db, park):
    """Removing the stored formula text changes what a seeded indicator's checksum covers:
    an indicator nobody edited must still be refreshed by the next seeding, an edited one
    still reported as edited."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from dezhou_carbon.seeding import checksum
    from indicators.seed import indicators_seed

    executor = MigrationExecutor(connection)
    executor.migrate([("indicators", "0006_result_input_figure_ids_array")])
    old = executor.loader.project_state([("indicators", "0006_result_input_figure_ids_array")])
    Indicator_then = old.apps.get_model("indicators", "Indicator")
    fields = ["name_zh", "name_en", "unit", "direction", "path_kind", "has_base_year"]
    fields += ["decimal_places", "order", "formula_zh", "formula_en"]
    for indicator in Indicator_then.objects.all():
        formula = calc.FORMULAS[indicator.code]
        indicator.formula_zh, indicator.formula_en = formula.zh, formula.en
        # As seeding left it before: the checksum of the values with the formula text.
        indicator.seed_checksum = checksum({name: getattr(indicator, name) for name in fields})
        if indicator.code == "co2_emissions":
            indicator.name_en = "CO2 emissions (edited by an administrator)"
        indicator.save()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    report = indicators_seed(plan=park)
    assert [label for label in report.kept_edits if label.startswith("indicator")] == [
        "indicator co2_emissions"
    ]
    edited = Indicator.objects.get(code="co2_emissions")
    assert edited.name_en == "CO2 emissions (edited by an administrator)"
    assert edited.formula_zh == calc.FORMULAS["co2_emissions"].zh
