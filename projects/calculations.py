"""Key projects, energy review, carbon assessment, admission check and the energy budget —
the arithmetic of management.md §2. Pure: no database, no Django models, Decimal only;
coefficients come in a `CoefficientBook` (the registry as the engine reads it) and every
threshold in a `ReviewThresholds` / `BudgetRules` (data with a version, never literals
in the callers).

    energy (当量)  = Σ fuel t × tce/t + 万kWh × 1.229 + GJ × 0.03412      (methodology §2)
    energy (等价)  = the same with electricity at the year's coal rate (gce/kWh ÷ 100)
    CO₂           = Σ fuel × NCV × carbon × oxidation × 44/12 + process
                    + MWh × grid factor (location) + GJ × heat factor     (methodology §4)
    admission     I_P = E_P / VA_P; I' = (E_L + E_P) / (VA_L + VA_P); ΔI = I' − E_L / VA_L
    forecast      YTD_k ÷ s_k + Σ later projects × approved energy × (4 − q) / 4
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from dezhou_carbon.exceptions import ApplicationError
from indicators import units
from indicators.calculations import (
    CARBON_TO_CO2,
    CoefficientBook,
    MissingCoefficient,
    coal_rate_to_tce_per_wan_kwh,
    fuel_co2_factor,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
FOUR = Decimal(4)

FUELS = ("coal_raw", "coal_washed", "coke", "crude_oil", "fuel_oil", "gasoline", "kerosene",
         "diesel", "lpg", "natural_gas")  # fmt: skip
ELECTRICITY = "electricity"
HEAT = "heat"
CARRIERS = (*FUELS, ELECTRICITY, HEAT)
# The unit each carrier's registry coefficient is per (what quantities are converted to).
CARRIER_UNIT = {**dict.fromkeys(FUELS, "t"), "natural_gas": "万m³", ELECTRICITY: "万kWh",
                HEAT: "GJ"}  # fmt: skip
COAL = ("coal_raw", "coal_washed")  # 煤炭消费量 of a review opinion: raw and washed coal

AUTHORITY_PROVINCIAL = "provincial"
AUTHORITY_LOCAL = "local"
AUTHORITY_NONE = "none"

VERDICT_HELPS = "helps"  # 有利
VERDICT_HARDER = "harder"  # 不利

GREEN, YELLOW, RED = "green", "yellow", "red"


class ProjectError(ApplicationError):
    """A refusal of the arithmetic, said as a sentence (a full stop is added when missing)."""

    def __init__(self, message_zh: str, message_en: str, *, code: str, details=None):
        if not message_zh.endswith(("。", "！", "？")):
            message_zh += "。"
        if not message_en.endswith((".", "!", "?")):
            message_en += "."
        super().__init__(message_zh, message_en, code=code, details=details)


@dataclass(frozen=True)
class EnergyUse:
    """An annual quantity of one carrier in the unit a person gives it."""

    carrier: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class Energy:
    calorific_tce: Decimal  # 当量值
    equal_value_tce: Decimal  # 等价值
    electricity_wan_kwh: Decimal
    coal_t: Decimal
    trace: dict = field(compare=False, default_factory=dict)

    def minus(self, other: Energy) -> Energy:
        """The increase over `other` (renovation on the same site counts only this)."""
        return Energy(
            self.calorific_tce - other.calorific_tce,
            self.equal_value_tce - other.equal_value_tce,
            self.electricity_wan_kwh - other.electricity_wan_kwh,
            self.coal_t - other.coal_t,
            {"after": self.trace, "before": other.trace},
        )


def _coefficient(book: CoefficientBook, key: str, year: int | None = None):
    try:
        return book.lookup(key, year)
    except MissingCoefficient as missing:
        raise ProjectError(
            f"系数库中缺少“{key}”（{missing}）",
            f"The coefficient registry has no '{key}' ({missing})",
            code="coefficient_missing",
        ) from missing


def _in_carrier_unit(use: EnergyUse) -> Decimal:
    if use.carrier not in CARRIERS:
        raise ProjectError(
            f"能源品种“{use.carrier}”无法识别",
            f"Energy carrier '{use.carrier}' is not known",
            code="bad_energy_carrier",
        )
    if use.quantity < 0:
        raise ProjectError(
            f"“{use.carrier}”的用量不能为负数",
            f"The quantity of '{use.carrier}' cannot be negative",
            code="negative_quantity",
        )
    try:
        return units.convert(Decimal(use.quantity), use.unit, CARRIER_UNIT[use.carrier])
    except units.UnitError as refused:
        raise ProjectError(
            f"“{use.carrier}”的单位“{use.unit}”无法换算为“{CARRIER_UNIT[use.carrier]}”",
            f"The unit '{use.unit}' of '{use.carrier}' does not convert to "
            f"'{CARRIER_UNIT[use.carrier]}'",
            code="bad_unit",
        ) from refused


def annual_energy(uses: Iterable[EnergyUse], book: CoefficientBook, year: int) -> Energy:
    """当量 and 等价 tce of a project's annual energy, its electricity and its coal."""
    calorific = equal = electricity = coal = ZERO
    used = []
    for use in uses:
        quantity = _in_carrier_unit(use)
        if use.carrier == ELECTRICITY:
            factor = _coefficient(book, "tce.electricity_calorific")
            rate = _coefficient(book, "elec.coal_rate", year)
            calorific += quantity * factor.value
            equal += quantity * coal_rate_to_tce_per_wan_kwh(rate.value)
            electricity += quantity
            used += [factor.trace(), rate.trace()]
        else:
            factor = _coefficient(book, f"tce.{use.carrier}")
            calorific += quantity * factor.value
            equal += quantity * factor.value
            used.append(factor.trace())
            if use.carrier in COAL:
                coal += quantity
    trace = {"coefficients": used, "year": year}
    return Energy(calorific, equal, electricity, coal, trace)


@dataclass(frozen=True)
class ReviewThresholds:
    """《固定资产投资项目节能审查办法》(2023) as data: provincial review at or above
    `provincial_tce`; no separate review below `exempt_tce` AND `exempt_wan_kwh`."""

    provincial_tce: Decimal = Decimal(10_000)
    exempt_tce: Decimal = Decimal(1_000)
    exempt_wan_kwh: Decimal = Decimal(500)
    version: int = 1


def review_authority(energy: Energy, thresholds: ReviewThresholds) -> str:
    """Which authority reviews a project of this annual energy (当量; for a renovation, the
    increase): provincial, local (as the province decides), or none (commitment only)."""
    if energy.calorific_tce >= thresholds.provincial_tce:
        return AUTHORITY_PROVINCIAL
    if (
        energy.calorific_tce < thresholds.exempt_tce
        and energy.electricity_wan_kwh < thresholds.exempt_wan_kwh
    ):
        return AUTHORITY_NONE
    return AUTHORITY_LOCAL


@dataclass(frozen=True)
class ProcessEmission:
    name: str
    tco2: Decimal
    method: str


@dataclass(frozen=True)
class CarbonAssessment:
    fuels_t: Decimal
    process_t: Decimal
    electricity_t: Decimal
    heat_t: Decimal
    total_t: Decimal
    per_product: Decimal | None  # t CO₂ per unit of product
    per_value_added: Decimal | None  # t CO₂ per 万元
    trace: dict = field(compare=False, default_factory=dict)


def carbon_assessment(
    uses: Iterable[EnergyUse],
    process: Sequence[ProcessEmission],
    book: CoefficientBook,
    year: int,
    grid_region: str,
    *,
    product_quantity: Decimal | None = None,
    value_added: Decimal | None = None,
) -> CarbonAssessment:
    """A project's annual CO₂ (methodology §4, location-based electricity)."""
    fuels = electricity = heat = ZERO
    used = []
    for use in uses:
        quantity = _in_carrier_unit(use)
        if use.carrier == ELECTRICITY:
            grid = _coefficient(book, f"co2.grid.{grid_region}", year)
            electricity += quantity * 10 * grid.value  # 万kWh × 10 = MWh
            used.append(grid.trace())
        elif use.carrier == HEAT:
            factor = _coefficient(book, "co2.heat")
            heat += quantity * factor.value
            used.append(factor.trace())
        else:
            ncv = _coefficient(book, f"co2.ncv.{use.carrier}")
            cc = _coefficient(book, f"co2.cc.{use.carrier}")
            oxidation = _coefficient(book, f"co2.of.{use.carrier}")
            fuels += quantity * fuel_co2_factor(ncv.value, cc.value, oxidation.value)
            used += [ncv.trace(), cc.trace(), oxidation.trace()]
    for emission in process:
        if emission.tco2 < 0:
            raise ProjectError(
                f"过程排放“{emission.name}”不能为负数",
                f"Process emission '{emission.name}' cannot be negative",
                code="negative_quantity",
            )
        if not emission.method.strip():
            raise ProjectError(
                f"过程排放“{emission.name}”须注明核算方法",
                f"Process emission '{emission.name}' needs its method",
                code="method_required",
            )
    process_t = sum((e.tco2 for e in process), ZERO)
    total = fuels + process_t + electricity + heat
    trace = {
        "formula_zh": "CO₂ = Σ燃料×低位发热量×单位热值含碳量×碳氧化率×44/12 + 过程排放"
        " + 外购电力(MWh)×电网排放因子 + 外购热力(GJ)×热力排放因子",
        "formula_en": "CO₂ = Σ fuel × NCV × carbon content × oxidation × 44/12 + process"
        " + purchased electricity (MWh) × grid factor + purchased heat (GJ) × heat factor",
        "coefficients": used,
        "process": [{"name": e.name, "tco2": str(e.tco2), "method": e.method} for e in process],
        "year": year,
        "grid_region": grid_region,
        "carbon_to_co2": str(CARBON_TO_CO2),
    }
    per_product = total / product_quantity if product_quantity else None
    per_value_added = total / value_added if value_added else None
    return CarbonAssessment(fuels, process_t, electricity, heat, total, per_product,
                            per_value_added, trace)  # fmt: skip


@dataclass(frozen=True)
class Admission:
    project_intensity: Decimal  # I_P, tce/万元
    park_intensity: Decimal  # I_L
    park_with_project: Decimal  # I'
    effect: Decimal  # ΔI
    effect_percent: Decimal  # ΔI ÷ I_L × 100
    path_value: Decimal  # I*
    verdict: str
    reserve_after: Decimal | None  # the budget reserve that would remain


def admission_check(
    *,
    project_energy_tce: Decimal,
    project_value_added: Decimal,
    park_energy_tce: Decimal,
    park_value_added: Decimal,
    path_value: Decimal,
    reserve_tce: Decimal | None = None,
    project_allocation_tce: Decimal | None = None,
) -> Admission:
    """项目准入测算 of management.md §2: the project's intensity against the path value at the
    target year, the park's intensity with the project at full output, and the reserve."""
    if project_value_added <= 0 or park_value_added <= 0:
        raise ProjectError(
            "增加值须大于零才能测算强度",
            "Value added must be above zero to compute an intensity",
            code="value_added_required",
        )
    project = project_energy_tce / project_value_added
    park = park_energy_tce / park_value_added
    with_project = (park_energy_tce + project_energy_tce) / (park_value_added + project_value_added)
    effect = with_project - park
    reserve_after = None
    if reserve_tce is not None:
        reserve_after = reserve_tce - (
            project_energy_tce if project_allocation_tce is None else project_allocation_tce
        )
    return Admission(
        project, park, with_project, effect, effect / park * HUNDRED, path_value,
        VERDICT_HELPS if project <= path_value else VERDICT_HARDER, reserve_after,
    )  # fmt: skip


def admission_together(projects: Sequence[tuple[Decimal, Decimal]], **park) -> Admission:
    """The "what if" list: several proposed projects at once, as one project of their summed
    energy and value added."""
    energy = sum((e for e, _ in projects), ZERO)
    value_added = sum((v for _, v in projects), ZERO)
    return admission_check(project_energy_tce=energy, project_value_added=value_added, **park)


# --- The energy and carbon budget ---------------------------------------------------------


def default_budget(
    path_intensity: Decimal, last_value_added: Decimal, real_growth_percent: Decimal
) -> Decimal:
    """B = path intensity of the year × expected value added at 2020 prices, the expected
    value added being last year's grown by the committee's expected real growth."""
    return path_intensity * last_value_added * (1 + real_growth_percent / HUNDRED)


def operating_share(start: dt.date, year: int) -> Decimal:
    """The share of `year` a project operates when it starts operation on `start`: the days
    from the start to the year's end (both counted) ÷ the year's days; 0 or 1 outside it."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if start <= first:
        return Decimal(1)
    if start > last:
        return ZERO
    return Decimal((last - start).days + 1) / Decimal((last - first).days + 1)


@dataclass(frozen=True)
class Allocation:
    name: str
    tce: Decimal


def reserve(budget: Decimal, allocations: Iterable[Allocation]) -> Decimal:
    """B − Σ allocations; refused when the allocations exceed the budget."""
    allocated = sum((a.tce for a in allocations), ZERO)
    if allocated > budget:
        raise ProjectError(
            f"分配合计 {allocated} 吨标准煤超过预算 {budget} 吨标准煤",
            f"The allocations ({allocated} tce) exceed the budget ({budget} tce)",
            code="allocations_exceed_budget",
            details={"allocated": str(allocated), "budget": str(budget)},
        )
    return budget - allocated


def seasonal_share(history: Mapping[int, Mapping[int, Decimal]], quarter: int) -> Decimal:
    """s_k: the mean over the last 3 complete years of YTD through quarter k ÷ annual; k/4
    when no complete year exists. `history[year]` maps 1..4 to year-to-date values (4 is the
    annual value); only years with both are complete."""
    shares = []
    for year in sorted(history, reverse=True):
        values = history[year]
        if quarter in values and 4 in values and values[4]:
            shares.append(values[quarter] / values[4])
        if len(shares) == 3:
            break
    if not shares:
        return Decimal(quarter) / FOUR
    return sum(shares, ZERO) / len(shares)


@dataclass(frozen=True)
class LaterProject:
    """A project starting operation later in the year: approved annual energy, start quarter."""

    name: str
    approved_tce: Decimal
    start_quarter: int


def year_end_forecast(
    ytd: Decimal, share: Decimal, quarter: int, later: Sequence[LaterProject]
) -> Decimal:
    """forecast = YTD_k ÷ s_k + Σ projects starting after quarter k × approved energy ×
    (4 − start quarter) ÷ 4 (the quarters after their start)."""
    if share <= 0:
        raise ProjectError(
            "季节系数须大于零", "The seasonal share must be above zero", code="bad_share"
        )
    extra = sum(
        (
            p.approved_tce * Decimal(4 - p.start_quarter) / FOUR
            for p in later
            if p.start_quarter > quarter
        ),
        ZERO,
    )
    return ytd / share + extra


@dataclass(frozen=True)
class BudgetRules:
    """The status thresholds as data: yellow at `ytd_yellow_percent` of the budget with a
    quarter or more left, or a forecast above `forecast_yellow_percent`."""

    ytd_yellow_percent: Decimal = Decimal(80)
    forecast_yellow_percent: Decimal = Decimal(95)


def budget_status(*, budget: Decimal, ytd: Decimal, forecast: Decimal, quarter: int,
                  rules: BudgetRules = BudgetRules()) -> str:  # fmt: skip
    """red: forecast > B; yellow: YTD ≥ 80 % of B with a quarter or more left, or forecast
    > 95 % of B; else green."""
    if forecast > budget:
        return RED
    if (quarter < 4 and ytd * HUNDRED >= rules.ytd_yellow_percent * budget) or (
        forecast * HUNDRED > rules.forecast_yellow_percent * budget
    ):
        return YELLOW
    return GREEN
