"""The thresholds of management.md §2 as data: current Coefficient rows (versioned, sourced,
changed by the statistics office with a reason through indicators.reference), never literals
in code. The defaults are stored by `project_rules_seed` (setup_park) and used — and said to
be used — where a database has none (the enterprises app's pattern)."""

from __future__ import annotations

from decimal import Decimal

from projects.calculations import BudgetRules, ReviewThresholds

REVIEW_PROVINCIAL = "project.review.provincial_tce"
REVIEW_EXEMPT_TCE = "project.review.exempt_tce"
REVIEW_EXEMPT_KWH = "project.review.exempt_wan_kwh"
BUDGET_YTD_YELLOW = "budget.ytd_yellow_percent"
BUDGET_FORECAST_YELLOW = "budget.forecast_yellow_percent"
REVIEW_SOURCE = "《固定资产投资项目节能审查办法》(国家发展改革委令 2023 年第 2 号) [S]"
DEFAULTS = {
    REVIEW_PROVINCIAL: ("10000", "tce", "节能审查省级权限门槛(年综合能耗)",
                        "Energy review: provincial at or above (annual energy)", REVIEW_SOURCE, "S"),
    REVIEW_EXEMPT_TCE: ("1000", "tce", "不单独节能审查门槛(年综合能耗)",
                        "Energy review: none below (annual energy)", REVIEW_SOURCE, "S"),
    REVIEW_EXEMPT_KWH: ("500", "万kWh", "不单独节能审查门槛(年电力消费量)",
                        "Energy review: none below (annual electricity)", REVIEW_SOURCE, "S"),
    BUDGET_YTD_YELLOW: ("80", "%", "用能预算黄色预警(年内累计占预算)",
                        "Budget yellow: year-to-date share of the budget", "management.md §2", "C"),
    BUDGET_FORECAST_YELLOW: ("95", "%", "用能预算黄色预警(全年预测占预算)",
                             "Budget yellow: forecast share of the budget", "management.md §2", "C"),
}  # fmt: skip


def _values() -> dict[str, tuple[Decimal, int]]:
    from indicators.models import Coefficient

    stored = {
        c.key: (c.value, c.version)
        for c in Coefficient.objects.filter(key__in=list(DEFAULTS), year=0, is_current=True)
    }
    return {key: stored.get(key, (Decimal(row[0]), 0)) for key, row in DEFAULTS.items()}


def review_thresholds() -> ReviewThresholds:
    values = _values()
    return ReviewThresholds(
        provincial_tce=values[REVIEW_PROVINCIAL][0],
        exempt_tce=values[REVIEW_EXEMPT_TCE][0],
        exempt_wan_kwh=values[REVIEW_EXEMPT_KWH][0],
        version=max(
            values[k][1] for k in (REVIEW_PROVINCIAL, REVIEW_EXEMPT_TCE, REVIEW_EXEMPT_KWH)
        ),
    )


def budget_rules() -> BudgetRules:
    values = _values()
    return BudgetRules(values[BUDGET_YTD_YELLOW][0], values[BUDGET_FORECAST_YELLOW][0])


def project_rules_seed(coefficient_model=None) -> int:
    if coefficient_model is None:
        from indicators.models import Coefficient as coefficient_model
    created = 0
    for key, (value, unit, zh, en, source, tag) in DEFAULTS.items():
        _row, made = coefficient_model.objects.get_or_create(
            key=key, year=0, version=1,
            defaults={"name_zh": zh, "name_en": en, "value": Decimal(value), "unit": unit,
                      "source": source, "tag": tag, "is_current": True},
        )  # fmt: skip
        created += made
    return created
