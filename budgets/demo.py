"""Demo of the energy budget (`setup_park --demo`): 2026's budget drafted by 发改统计部's
李娜 from the register's enterprises (their 2025) and the projects starting operation in
2026, approved by the committee's 王建国 (v1, green); then the province's total for the
park is cut and v2 — drafted again, approved with its own 文号 — leaves the year-end
forecast from the approved quarters above 95 % of the energy budget: yellow, and 发改统计部
is warned in the warning loop. Made through the services by named people. Safe to run
twice (a year that has a budget is left as it is)."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from accounts.models import User
from budgets import services
from budgets.models import Budget, BudgetStatus

YEAR = 2026
V1_DOCUMENT, V2_DOCUMENT = "德经开管发〔2026〕3号", "德经开管发〔2026〕21号"
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


def _forecast() -> tuple[Decimal, Decimal] | None:
    latest = BudgetStatus.objects.filter(budget__year=YEAR, budget__state="approved").last()
    return (latest.forecast_tce, latest.forecast_co2_t) if latest else None


def budgets_demo() -> list[str]:
    from tasks.models import Department

    if Budget.objects.filter(year=YEAR).exists():
        return [f"用能预算 / energy budget {YEAR}: already there"]
    people = {u.username: u for u in User.objects.filter(username__in=["drs_clerk", "committee"])}
    if len(people) < 2:
        return ["用能预算 / energy budget: demo accounts missing, skipped"]
    drs = Department.objects.get(code="DRS")
    basis = Budget.Basis.CALORIFIC
    energy_allocated, co2_allocated = _allocated(basis)
    from projects.selectors import park_latest_complete_year

    park = park_latest_complete_year()
    park_energy = park["energy_tce"] if park else energy_allocated
    park_co2 = _park_co2(park["year"]) if park else None
    co2_base = max(park_co2 or Decimal(0), co2_allocated) or Decimal(1000)
    # v1: drafted in January with room: 12 % above the park's last complete year.
    v1 = services.budget_draft(
        user=people["drs_clerk"], year=YEAR, basis=basis, department=drs,
        energy_tce=_up(max(park_energy, energy_allocated) * Decimal("1.12")), co2_t=_up(co2_base * Decimal("1.15")),
        note="按2025年园区能耗和年内投产项目编制，预留约一成。",
    )  # fmt: skip
    services.budget_approve(user=people["committee"], budget=v1, document_no=V1_DOCUMENT,
                            reason="管委会2026年第1次主任办公会审议通过。")  # fmt: skip
    services.budgets_recompute({YEAR})
    forecast = _forecast()
    if forecast is None:
        return [f"用能预算 / energy budget {YEAR}: v1 approved (no approved quarter yet)"]
    # v2: the province's total leaves the forecast at about 96.5 % of the energy budget.
    energy = max(_up(forecast[0] / Decimal("0.965")) - THOUSAND, _up(energy_allocated))
    co2 = max(_up(forecast[1] / Decimal("0.9")), _up(co2_allocated))
    v2 = services.budget_draft(
        user=people["drs_clerk"], year=YEAR, basis=basis, department=drs, energy_tce=energy,
        co2_t=co2, note="按省下达的调整后用能总量重新编制。",
    )  # fmt: skip
    services.budget_approve(user=people["committee"], budget=v2, document_no=V2_DOCUMENT,
                            reason="省发展改革委下达调整后的2026年能耗总量，管委会审议通过。")  # fmt: skip
    statuses = services.budgets_recompute({YEAR}) and list(
        BudgetStatus.objects.filter(budget=v2).order_by("quarter")
    )
    shown = ", ".join(f"{s.period} {s.status}" for s in statuses or [])
    return [f"用能预算 / energy budget {YEAR}: v1 {v1.energy_tce:,.0f} tce superseded by v2 "
            f"{energy:,.0f} tce ({shown})"]  # fmt: skip
