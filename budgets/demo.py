"""Demo of the energy budget (`setup_park --demo`): 2026's budget drafted in January by
发改统计部's 李娜 from the province's total for the park (its 2025 energy + 8.5 %, CO₂ + 15 %),
with allocations to the register's enterprises (their 2025) and the projects starting
operation in 2026, approved by the committee's 王建国 with its 文号. Then the approved
quarters do what they would in a real park: Q1 and Q2 leave the year-end forecast under
95 % of the budget (green); Q3's approved figures — a hot summer's electricity and a new line
on trial runs (indicators.demo.WORKFLOW_CHANGES) — take it above: yellow, and 发改统计部 is
warned in the warning loop. Made through the services by named people. Safe to run twice (a
year that has a budget is left as it is)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from accounts.models import User
from budgets import services
from budgets.models import Budget, BudgetStatus

YEAR = 2026
DOCUMENT = "德经开管发〔2026〕3号"
DRAFTED, APPROVED = dt.date(2026, 1, 12), dt.date(2026, 1, 20)  # before any 2026 figure
ENERGY_MARGIN, CO2_MARGIN = Decimal("1.085"), Decimal("1.15")
THOUSAND = Decimal(1000)


def _up(value: Decimal) -> Decimal:
    return (value / THOUSAND).to_integral_value(rounding=ROUND_CEILING) * THOUSAND


def _allocated(basis: str) -> tuple[Decimal, Decimal]:
    from projects import calculations as pc
    from projects.selectors import operation_starts

    energy = co2 = Decimal(0)
    for row in services._enterprise_baselines(YEAR, services.ENERGY_INDICATORS[basis]):
        energy += row["energy_tce"]
        co2 += row["co2_t"]
    for start in operation_starts(YEAR):
        share = pc.operating_share(start["start"], YEAR)
        energy += start["calorific_tce"] * share
        co2 += start["co2_t"] * share
    return energy, co2


def _park_co2(year: int) -> Decimal | None:
    from indicators.models import IndicatorResult

    return (
        IndicatorResult.objects.filter(
            indicator__code=services.CO2_INDICATOR, scope="", variant="", period=str(year)
        )
        .values_list("value", flat=True)
        .first()
    )


def budgets_demo() -> list[str]:
    from dezhou_carbon.demo_clock import on_day
    from projects.selectors import park_latest_complete_year
    from tasks.models import Department

    if Budget.objects.filter(year=YEAR).exists():
        return [f"用能预算 / energy budget {YEAR}: already there"]
    people = {u.username: u for u in User.objects.filter(username__in=["drs_clerk", "committee"])}
    if len(people) < 2:
        return ["用能预算 / energy budget: demo accounts missing, skipped"]
    basis = Budget.Basis.CALORIFIC
    energy_allocated, co2_allocated = _allocated(basis)
    park = park_latest_complete_year()
    park_energy = park["energy_tce"] if park else energy_allocated
    park_co2 = _park_co2(park["year"]) if park else None
    co2_base = max(park_co2 or Decimal(0), co2_allocated) or Decimal(1000)
    with on_day(DRAFTED):
        budget = services.budget_draft(
            user=people["drs_clerk"], year=YEAR, basis=basis,
            department=Department.objects.get(code="DRS"),
            energy_tce=_up(max(park_energy, energy_allocated) * ENERGY_MARGIN),
            co2_t=_up(co2_base * CO2_MARGIN),
            note="按省下达的2026年园区能耗总量和碳排放总量编制：存量企业按2025年实绩，"
            "年内投产项目按核定能耗折算，余量预留。",
        )  # fmt: skip
    with on_day(APPROVED):
        services.budget_approve(user=people["committee"], budget=budget, document_no=DOCUMENT,
                                reason="管委会2026年第1次主任办公会审议通过。")  # fmt: skip
    services.budgets_recompute({YEAR})
    statuses = BudgetStatus.objects.filter(budget=budget).order_by("quarter")
    shown = ", ".join(f"{s.period} {s.status}" for s in statuses) or "no approved quarter yet"
    return [f"用能预算 / energy budget {YEAR}: v1 {budget.energy_tce:,.0f} tce approved ({shown})"]
