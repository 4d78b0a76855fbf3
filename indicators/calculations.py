"""Indicator arithmetic, exactly as ../shared/spec/methodology.md (and docs/methodology-notes.md
where the methodology is silent) says. Pure: no database, no Django models, Decimal only.

Vocabulary:
- a *window* is a year-to-date period: `Window(2024, 3)` is 2024 Q1–Q3 ("2024Q3"),
  `Window(2024, 4)` is the whole year ("2024");
- `Inputs` holds the counting figures of one scope: (item, year, quarter) → value;
- `CoefficientBook` answers a coefficient for a year, with the stand-in rule of §1;
- `compute_window` gives every indicator (and assessment variant) for one window;
- `evaluate_series` adds changes, the active target, path, progress and status (§7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import NamedTuple

from indicators.periods import Period

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CARBON_TO_CO2 = Decimal(44) / Decimal(12)
MWH_PER_WAN_KWH = Decimal(10)
DEFAULT_ABOUT_TOLERANCE_PP = Decimal("0.5")  # methodology §7: 左右 met within 0.5 pp
DEFAULT_HOLD_BAND_FRACTION = Decimal("0.05")  # hold band for non-percentage thresholds

PLAIN = ""
EXCLUDING_FEEDSTOCK = "excl_feedstock"
EXCLUDING_FEEDSTOCK_AND_NON_FOSSIL = "excl_feedstock_non_fossil"

STATUS_ACHIEVED = "achieved"
STATUS_GREEN = "green"
STATUS_YELLOW = "yellow"
STATUS_RED = "red"
STATUS_NO_DATA = "no_data"


# --- Periods --------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Window:
    """Year-to-date window: quarters 1..`quarters` of `year` (4 = the whole year)."""

    year: int
    quarters: int = 4

    @property
    def label(self) -> str:
        return str(self.year) if self.quarters == 4 else f"{self.year}Q{self.quarters}"

    @property
    def is_annual(self) -> bool:
        return self.quarters == 4

    def shifted(self, years: int) -> Window:
        return Window(self.year + years, self.quarters)

    def elapsed_years_since(self, base_year: int) -> Decimal:
        """Years from the end of `base_year` to the end of this window (2021Q1 → 0.25)."""
        return Decimal(self.year - base_year - 1) + Decimal(self.quarters) / Decimal(4)


def window_from_label(label: str) -> Window:
    """'2024' → the year; '2024Q3' → 2024 Q1–Q3. The canonical code only (`Period.parse`:
    `２０２４Q3` is refused, not read as 2024Q3); raises ValueError (PeriodError) otherwise."""
    period = Period.parse(label)
    return Window(period.year, period.quarters)


# --- Conversions (methodology §1, §4) ------------------------------------------------------


def coal_rate_to_tce_per_wan_kwh(coal_rate_gce_per_kwh: Decimal) -> Decimal:
    """305.5 gce/kWh × 10⁴ kWh = 3.055 tce per 万kWh."""
    return coal_rate_gce_per_kwh / HUNDRED


def electricity_equal_value_tce(wan_kwh: Decimal, coal_rate_gce_per_kwh: Decimal) -> Decimal:
    """Electricity at the year's coal rate of thermal power supply (等价值, coal-equivalent)."""
    return wan_kwh * coal_rate_to_tce_per_wan_kwh(coal_rate_gce_per_kwh)


def fuel_co2_factor(
    ncv_gj_per_unit: Decimal, carbon_content_tc_per_gj: Decimal, oxidation_rate: Decimal
) -> Decimal:
    """tCO₂ per unit of fuel = NCV × carbon content × oxidation rate × 44/12."""
    return ncv_gj_per_unit * carbon_content_tc_per_gj * oxidation_rate * CARBON_TO_CO2


def share_percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole × 100, or None when the whole is zero."""
    if whole == ZERO:
        return None
    return part / whole * HUNDRED


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == ZERO:
        return None
    return numerator / denominator


def required_average_annual_change(reduction_fraction: Decimal, years: int) -> Decimal:
    """(1 − R)^(1/n) − 1: −18 % over 5 years → −3.891 %/yr."""
    return _power(ONE - reduction_fraction, ONE / Decimal(years)) - ONE


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    """base ** exponent to 34 digits. A fractional power costs ~0.3 ms, and a series asks
    the same ones again (the required change for every quarter of a year): answers are
    kept, keyed by value (a result equal in value is quantized to the same stored one)."""
    key = (base, exponent)
    answer = _POWERS.get(key)
    if answer is None:
        with localcontext() as context:
            context.prec = 34
            answer = +(base**exponent)
        if len(_POWERS) >= 100_000:
            _POWERS.clear()
        _POWERS[key] = answer
    return answer


_POWERS: dict[tuple[Decimal, Decimal], Decimal] = {}


def chain_constant_price(base_value: Decimal, growth_percents: Iterable[Decimal]) -> Decimal:
    """Value at base-year prices: base × Π(1 + g/100), g being year-to-date real growth
    against the same window of the previous year. Rates are never added or averaged."""
    value = base_value
    for growth in growth_percents:
        value = value * (ONE + growth / HUNDRED)
    return value


# --- Coefficients and counting rules ----------------------------------------------------------


class MissingCoefficient(LookupError):
    """No row at all exists for a coefficient key."""


@dataclass(frozen=True)
class CoefficientRow:
    key: str
    value: Decimal
    year: int = 0  # 0 = every year
    version: int = 1
    id: int | None = None
    unit: str = ""


@dataclass(frozen=True)
class CoefficientUse:
    """The coefficient a computation used, and whether it stood in for a missing year."""

    key: str
    value: Decimal
    year: int
    version: int
    id: int | None
    provisional: bool

    def trace(self) -> dict:
        entry = {"key": self.key, "value": str(self.value), "version": self.version}
        if self.id is not None:
            entry["id"] = self.id
        if self.year:
            entry["year"] = self.year
        if self.provisional:
            entry["provisional"] = True
        return entry


class CoefficientBook:
    """Current coefficients. A per-year series answers the requested year; when that year
    is not set it answers the most recent earlier year (or, before the first set year, the
    first one) and marks the use provisional (methodology §1, §4)."""

    def __init__(self, rows: Iterable[CoefficientRow]):
        self._constant: dict[str, CoefficientRow] = {}
        self._series: dict[str, dict[int, CoefficientRow]] = {}
        # Answers already given: (key, year) → (trace label, trace entry, value, provisional).
        # The book never changes after construction, so every answer is final.
        self._traced: dict[tuple[str, int | None], tuple[str, dict, Decimal, bool]] = {}
        for row in rows:
            if row.year == 0:
                self._constant[row.key] = row
            else:
                self._series.setdefault(row.key, {})[row.year] = row

    def traced(self, key: str, year: int | None = None) -> tuple[str, dict, Decimal, bool]:
        """`lookup` as a computation traces it: (label, trace entry, value, provisional).
        The entry is shared by every caller asking the same question; do not mutate it."""
        answer = self._traced.get((key, year))
        if answer is None:
            use = self.lookup(key, year)
            label = f"{key}@{use.year}" if use.year else key
            answer = self._traced[(key, year)] = (label, use.trace(), use.value, use.provisional)
        return answer

    def lookup(self, key: str, year: int | None = None) -> CoefficientUse:
        if key in self._constant:
            row = self._constant[key]
            return CoefficientUse(key, row.value, 0, row.version, row.id, False)
        series = self._series.get(key)
        if not series:
            raise MissingCoefficient(key)
        if year is None:
            raise MissingCoefficient(f"{key} needs a year")
        if year in series:
            row = series[year]
            return CoefficientUse(key, row.value, year, row.version, row.id, False)
        earlier = [y for y in series if y < year]
        chosen = max(earlier) if earlier else min(series)
        row = series[chosen]
        return CoefficientUse(key, row.value, chosen, row.version, row.id, True)


@dataclass(frozen=True)
class CountingRules:
    """The versioned counting rules (MethodSetting rows) a computation applies."""

    count_grid_non_fossil_fraction: bool = False
    grid_non_fossil_fraction_percent: Decimal = ZERO
    co2_electricity_basis: str = "location"  # "market": certified green power emits zero
    co2_grid_region: str = "national"  # or "shandong"
    waste_intensity_price_basis: str = "current"  # or "constant": 2020-price value added
    versions: Mapping[str, int] = field(default_factory=dict)

    def trace(self) -> dict:
        return {
            "non_fossil_rule": {
                "count_grid_non_fossil_fraction": self.count_grid_non_fossil_fraction,
                "grid_non_fossil_fraction_percent": str(self.grid_non_fossil_fraction_percent),
            },
            "co2": {"electricity_basis": self.co2_electricity_basis, "grid": self.co2_grid_region},
            "waste_intensity_price_basis": self.waste_intensity_price_basis,
            "versions": dict(self.versions),
        }


# --- Inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRule:
    frequency: str  # "quarter" | "year"
    aggregation: str  # "sum" | "latest" | "as_published"


class Inputs:
    """Counting figures of one scope, answered per window (methodology §6).

    Flows are single-quarter and sum over the window; stocks take the latest value in the
    window; year-to-date growth rates are taken as published for the window's last quarter;
    yearly items exist only for whole-year windows.
    """

    def __init__(
        self,
        figures: Mapping[tuple[str, int, int | None], tuple[Decimal, int | None]],
        item_rules: Mapping[str, ItemRule],
    ):
        self._figures = figures
        self._rules = item_rules
        # Answers already given, per (item, year, quarters): the figures of a scope do not
        # change while they are being computed, and every window asks for the same items.
        self._answers: dict[tuple[str, int, int], tuple[Decimal | None, list[int], bool]] = {}

    def get(self, item: str, window: Window) -> tuple[Decimal | None, list[int], bool]:
        """(value, figure ids, anything reported at all in the window). The id list is
        shared by every caller asking the same question; do not mutate it."""
        key = (item, window.year, window.quarters)
        answer = self._answers.get(key)
        if answer is None:
            self._answer_year(item, window.year)
            answer = self._answers.get(key)
            if answer is None:  # not a year-to-date window of 1–4 quarters
                raise ValueError(f"not a window: {window!r}")
        return answer

    def _answer_year(self, item: str, year: int) -> None:
        """The answers for the four year-to-date windows of `year`, built together: a sum
        over Q1–Q3 is the sum over Q1–Q2 plus Q3, added in the same order as ever."""
        answers = self._answers
        rule = self._rules.get(item)
        if rule is None:
            for quarters in (1, 2, 3, 4):
                answers[(item, year, quarters)] = _NOTHING
            return
        if rule.frequency == "year":
            for quarters in (1, 2, 3):
                answers[(item, year, quarters)] = _NOTHING
            found = self._figures.get((item, year, None))
            answers[(item, year, 4)] = _NOTHING if found is None else (found[0], _ids(found), True)
            return
        figures = self._figures
        aggregation = rule.aggregation
        total, ids = ZERO, []
        complete = True  # every quarter so far reported (a sum needs all of them)
        last = None  # the latest reported quarter so far
        for quarters in (1, 2, 3, 4):
            found = figures.get((item, year, quarters))
            if found is None:
                complete = False
            else:
                last = found
                if complete:
                    total = total + found[0]
                    ids = [*ids, *_ids(found)]
            if last is None:
                answer = _NOTHING
            elif aggregation == "sum":
                answer = (total, ids, True) if complete else _REPORTED_INCOMPLETE
            elif aggregation == "latest":
                answer = (last[0], _ids(last), True)
            elif found is None:  # as published: the figure of the window's own quarter
                answer = _REPORTED_INCOMPLETE
            else:
                answer = (found[0], _ids(found), True)
            answers[(item, year, quarters)] = answer

    def quarters_reported(self, items: Iterable[str], window: Window) -> bool:
        """True when, for every quarter of the window, at least one of `items` is reported."""
        items = list(items)
        for quarter in range(1, window.quarters + 1):
            if not any((item, window.year, quarter) in self._figures for item in items):
                return False
        return True


def _ids(found: tuple[Decimal, int | None]) -> list[int]:
    return [found[1]] if found[1] is not None else []


_NOTHING: tuple[None, list[int], bool] = (None, [], False)  # shared: never mutated
_REPORTED_INCOMPLETE: tuple[None, list[int], bool] = (None, [], True)


# --- Indicator formulas (methodology §1–§5) ---------------------------------------------------

FOSSIL_FUELS = (
    "coal_raw",
    "coal_washed",
    "coke",
    "fuel_oil",
    "gasoline",
    "diesel",
    "lpg",
    "natural_gas",
)
# The statistics department's energy form: a window counts only when every one of its
# quarters has at least one of these reported; an item not reported at all in the window
# counts as zero (the fuel is not used) and is listed in the trace.
ENERGY_FORM_ITEMS = (*FOSSIL_FUELS, "heat_purchased")
ZERO_WHEN_UNREPORTED = (
    *ENERGY_FORM_ITEMS,
    "electricity_pv",
    "electricity_green",
    "geothermal_heat",
    "energy_feedstock",
    "iw_utilized_prior_stock",
)
CO2_FUELS = FOSSIL_FUELS
# 区域"煤炭清零" (plan, task 11): the coal the park burns — raw coal, washed coal and coke.
COAL_FUELS = ("coal_raw", "coal_washed", "coke")
LEADING_INDUSTRIES = (
    "revenue_electronic",
    "revenue_new_energy_materials",
    "revenue_high_end_equipment",
    "revenue_food",
)


@dataclass
class Computed:
    """One indicator value for one window, with everything needed to trace it."""

    value: Decimal | None
    provisional: bool = False
    method: dict = field(default_factory=dict)
    figure_ids: list[int] = field(default_factory=list)
    # A hashable stand-in for `method`: two results of one CoefficientBook and
    # CountingRules with equal signatures have equal methods (see _Trace.result). It names
    # the book's coefficient entries by identity, so it is meaningful only while they are
    # alive, e.g. while something holds a method with those entries.
    signature: tuple | None = None


class _Missing(Exception):
    def __init__(self, what: str):
        self.what = what


class _Trace:
    """Collects the inputs, coefficients and notes one computation used.

    `memo`, shared by the traces of one window, lets `part` compute a shared
    sub-computation (the energy totals, value added at constant prices …) once per window
    and replay what it used into every trace that needs it."""

    __slots__ = (
        "book",
        "coefficients",
        "figure_ids",
        "inputs",
        "memo",
        "provisional",
        "window",
        "zero_items",
    )

    def __init__(
        self, inputs: Inputs, book: CoefficientBook, window: Window, memo: dict | None = None
    ):
        self.inputs = inputs
        self.book = book
        self.window = window
        self.memo = memo
        self.figure_ids: list[int] = []
        self.coefficients: dict[str, dict] = {}
        self.zero_items: list[str] = []
        self.provisional = False

    def part(self, key, compute) -> Decimal:
        """`compute(trace)`, run once per window and key; later calls replay the figures,
        coefficients, unreported items and provisional flag it recorded (in the same order)
        and return its value or raise its _Missing / MissingCoefficient again — the same
        effect on this trace as running it here."""
        if self.memo is None:
            return compute(self)
        recorded = self.memo.get(key)
        if recorded is None:
            child = _Trace(self.inputs, self.book, self.window, self.memo)
            error = None
            try:
                value = compute(child)
            except (_Missing, MissingCoefficient) as missing:
                value, error = None, missing.with_traceback(None)
            recorded = self.memo[key] = (
                value,
                error,
                child.figure_ids,
                child.coefficients,
                child.zero_items,
                child.provisional,
            )
        value, error, figure_ids, coefficients, zero_items, provisional = recorded
        self.figure_ids.extend(figure_ids)
        self.coefficients.update(coefficients)
        for code in zero_items:
            if code not in self.zero_items:
                self.zero_items.append(code)
        if provisional:
            self.provisional = True
        if error is not None:
            raise error.with_traceback(None)
        return value

    def item(self, code: str, window: Window | None = None) -> Decimal:
        value, ids, reported = self.inputs.get(code, window or self.window)
        if value is None:
            if not reported and code in ZERO_WHEN_UNREPORTED:
                if code not in self.zero_items:
                    self.zero_items.append(code)
                return ZERO
            raise _Missing(code)
        self.figure_ids.extend(ids)
        return value

    def coefficient(self, key: str, year: int | None = None) -> Decimal:
        label, entry, value, provisional = self.book.traced(key, year)
        self.coefficients[label] = entry
        self.provisional = self.provisional or provisional
        return value

    def require_energy_form(self) -> None:
        if not self.inputs.quarters_reported(ENERGY_FORM_ITEMS, self.window):
            raise _Missing("energy_form")

    def result(
        self,
        value: Decimal | None,
        formula: str,
        rules: dict | None = None,
        *,
        missing: tuple[str, str] | None = None,
        variant: str = "",
    ) -> Computed:
        """The value with its method. `missing` = (key, what) marks a value that could not
        be computed (no figure ids then); `variant` names an assessment variant."""
        coefficients = self.coefficients
        zero_items = tuple(sorted(self.zero_items)) if self.zero_items else ()
        method = {"formula": formula, "coefficients": coefficients}
        if zero_items:
            method["unreported_as_zero"] = list(zero_items)
        if rules:
            method["rules"] = rules
        if missing is not None:
            method[missing[0]] = missing[1]
        if variant:
            method["variant"] = variant
        # Everything `method` is built from: the formula, missing and variant by value; the
        # coefficient entries by identity, as the book shares them and each entry determines
        # its label (see CoefficientBook.traced); the rules by identity (shared, frozen).
        signature = (
            formula,
            tuple(map(id, coefficients.values())),
            zero_items,
            id(rules) if rules else None,
            missing,
            variant,
        )
        figure_ids = [] if missing is not None else sorted(set(self.figure_ids))
        return Computed(value, self.provisional, method, figure_ids, signature)


def _fossil_tce(trace: _Trace) -> Decimal:
    total = ZERO
    for fuel in FOSSIL_FUELS:
        quantity = trace.item(fuel)
        if quantity != ZERO:
            total += quantity * trace.coefficient(f"tce.{fuel}")
    return total


def coal_tce(trace: _Trace) -> Decimal:
    """Coal consumption in tce: raw coal, washed coal and coke at their standard-coal
    factors (three coals of different heat, so not summed in tonnes). Counted only for a
    window the energy form covers; an unreported coal counts as zero (none burnt)."""
    trace.part("energy_form", _require_energy_form)
    total = ZERO
    for fuel in COAL_FUELS:
        quantity = trace.item(fuel)
        if quantity != ZERO:
            total += quantity * trace.coefficient(f"tce.{fuel}")
    return total


def natural_gas_tce(trace: _Trace) -> Decimal:
    """Natural gas in tce (its standard-coal factor per 万m³)."""
    trace.part("energy_form", _require_energy_form)
    gas = trace.item("natural_gas")
    return gas * trace.coefficient("tce.natural_gas") if gas != ZERO else ZERO


def _require_energy_form(trace: _Trace) -> None:
    trace.require_energy_form()


def _heat_tce(trace: _Trace) -> Decimal:
    heat = trace.item("heat_purchased") + trace.item("geothermal_heat")
    return heat * trace.coefficient("tce.heat") if heat != ZERO else ZERO


def _coal_rate_tce(trace: _Trace) -> Decimal:
    return coal_rate_to_tce_per_wan_kwh(trace.coefficient("elec.coal_rate", trace.window.year))


def energy_calorific(trace: _Trace) -> Decimal:
    """E当量: fossil fuels + all electricity at 1.229 tce/万kWh + all heat at 0.03412 tce/GJ."""
    trace.part("energy_form", _require_energy_form)
    electricity = trace.item("electricity_grid") + trace.item("electricity_pv")
    return (
        trace.part("fossil_tce", _fossil_tce)
        + electricity * trace.coefficient("tce.electricity_calorific")
        + trace.part("heat_tce", _heat_tce)
    )


def energy_equal_value(trace: _Trace) -> Decimal:
    """E等价: fossil fuels + all electricity at the year's coal rate + all heat at 0.03412."""
    trace.part("energy_form", _require_energy_form)
    electricity = trace.item("electricity_grid") + trace.item("electricity_pv")
    return (
        trace.part("fossil_tce", _fossil_tce)
        + electricity * _coal_rate_tce(trace)
        + trace.part("heat_tce", _heat_tce)
    )


def _non_fossil_electricity(trace: _Trace, rules: CountingRules) -> Decimal:
    """万kWh counted as non-fossil: on-site renewables + certified green purchases
    (+ the provincial grid's non-fossil fraction of ordinary purchases, when that option is on)."""
    green = trace.item("electricity_green")
    electricity = trace.item("electricity_pv") + green
    if rules.count_grid_non_fossil_fraction:
        ordinary = trace.item("electricity_grid") - green
        electricity += ordinary * rules.grid_non_fossil_fraction_percent / HUNDRED
    return electricity


def non_fossil_equal_value(trace: _Trace, rules: CountingRules) -> Decimal:
    """Non-fossil energy by the coal-equivalent method (methodology §2)."""
    heat = trace.item("geothermal_heat")
    heat_tce = heat * trace.coefficient("tce.heat") if heat != ZERO else ZERO
    return _non_fossil_electricity(trace, rules) * _coal_rate_tce(trace) + heat_tce


def non_fossil_calorific(trace: _Trace, rules: CountingRules) -> Decimal:
    """The same non-fossil energy on the calorific basis of E当量 (for the variant that
    deducts it from energy per unit of industrial value added)."""
    heat = trace.item("geothermal_heat")
    heat_tce = heat * trace.coefficient("tce.heat") if heat != ZERO else ZERO
    return (
        _non_fossil_electricity(trace, rules) * trace.coefficient("tce.electricity_calorific")
        + heat_tce
    )


def constant_price(
    trace: _Trace, current_item: str, growth_item: str, window: Window, base_year: int
) -> Decimal:
    """Value added at base-year prices for the window, chained from the base year's current
    prices with each year's published year-to-date real growth (methodology §3)."""
    if window.year < base_year:
        raise _Missing(f"{current_item}@{window.label}<base")
    value = trace.item(current_item, Window(base_year, window.quarters))
    growth = [
        trace.item(growth_item, Window(year, window.quarters))
        for year in range(base_year + 1, window.year + 1)
    ]
    return chain_constant_price(value, growth)


def co2_emissions(trace: _Trace, rules: CountingRules) -> Decimal:
    """Fuel combustion + purchased electricity × grid factor + purchased heat × 0.11 (§4)."""
    trace.part("energy_form", _require_energy_form)
    total = ZERO
    for fuel in CO2_FUELS:
        quantity = trace.item(fuel)
        if quantity != ZERO:
            total += quantity * fuel_co2_factor(
                trace.coefficient(f"co2.ncv.{fuel}"),
                trace.coefficient(f"co2.cc.{fuel}"),
                trace.coefficient(f"co2.of.{fuel}"),
            )
    electricity = trace.item("electricity_grid")
    if rules.co2_electricity_basis == "market":
        electricity -= trace.item("electricity_green")
    factor = trace.coefficient(f"co2.grid.{rules.co2_grid_region}", trace.window.year)
    total += electricity * MWH_PER_WAN_KWH * factor
    heat = trace.item("heat_purchased")
    if heat != ZERO:
        total += heat * trace.coefficient("co2.heat")
    return total


class Formula(NamedTuple):
    """An indicator's formula as shown to people: the one text of it. Every method trace
    records `zh`; the catalogue (Indicator.formula_zh / formula_en) shows both."""

    zh: str
    en: str


_REVENUE_ACCUMULATED = Formula(
    "季度主营业务收入累计", "Main business revenue, quarters accumulated"
)
FORMULAS: dict[str, Formula] = {
    "energy_total_calorific": Formula(
        "Σ燃料×折标系数 + (电网购电+光伏自用)×1.229 + (外购热力+地热)×0.03412",
        "Σ fuel × standard-coal factor + (grid purchases + own PV use) × 1.229"
        " + (purchased heat + geothermal) × 0.03412",
    ),
    "energy_total_equal_value": Formula(
        "Σ燃料×折标系数 + (电网购电+光伏自用)×供电煤耗 + (外购热力+地热)×0.03412",
        "Σ fuel × standard-coal factor + (grid purchases + own PV use)"
        " × coal use per kWh supplied + (purchased heat + geothermal) × 0.03412",
    ),
    "non_fossil_share": Formula(
        "((光伏自用+绿电)×供电煤耗 + 地热×0.03412) ÷ E等价 × 100",
        "((own PV use + green electricity) × coal use per kWh supplied + geothermal × 0.03412)"
        " ÷ E(equal value) × 100",
    ),
    "energy_intensity_iva": Formula(
        "E当量 ÷ 工业增加值(2020年可比价)",
        "E(calorific) ÷ industrial value added (constant 2020 prices)",
    ),
    "energy_intensity_gdp": Formula(
        "E等价 ÷ 地区生产总值(2020年可比价)",
        "E(equal value) ÷ GDP (constant 2020 prices)",
    ),
    "co2_emissions": Formula(
        "Σ燃料×NCV×含碳量×氧化率×44/12 + 电网购电(MWh)×电网排放因子 + 外购热力×0.11",
        "Σ fuel × NCV × carbon content × oxidation rate × 44/12"
        " + grid purchases (MWh) × grid emission factor + purchased heat × 0.11",
    ),
    "co2_intensity_gdp": Formula(
        "CO₂ ÷ 地区生产总值(2020年可比价)",
        "CO₂ ÷ GDP (constant 2020 prices)",
    ),
    "leading_industry_revenue": Formula(
        "四大主导产业主营业务收入之和",
        "Sum of the four leading industries' main business revenue",
    ),
    "green_building_share": Formula(
        "新建绿色建筑面积 ÷ 城镇新建民用建筑面积 × 100",
        "New green building floor area ÷ new urban civil building floor area × 100",
    ),
    "iw_utilization_rate": Formula(
        "综合利用量 ÷ (产生量 + 综合利用往年贮存量) × 100",
        "Amount utilised ÷ (amount generated + stored waste of earlier years utilised) × 100",
    ),
    "iw_generation_intensity": Formula(
        "一般工业固废产生量 ÷ 工业增加值",
        "General industrial solid waste generated ÷ industrial value added",
    ),
    "agri_waste_utilization_rate": Formula(
        "农业固废综合利用量 ÷ 产生量 × 100",
        "Agricultural solid waste utilised ÷ generated × 100",
    ),
    "manure_utilization_rate": Formula(
        "畜禽粪污综合利用量 ÷ 产生量 × 100",
        "Livestock manure utilised ÷ generated × 100",
    ),
    "straw_utilization_rate": Formula(
        "秸秆综合利用量 ÷ 可收集资源量 × 100",
        "Straw utilised ÷ collectable resource × 100",
    ),
    "coal_consumption": Formula(
        "(原煤 + 洗精煤 + 焦炭)×折标系数",
        "(raw coal + washed coal + coke) × standard-coal factor",
    ),
    "natural_gas_share": Formula(
        "天然气×折标系数 ÷ E等价 × 100",
        "natural gas × standard-coal factor ÷ E(equal value) × 100",
    ),
    "pv_capacity": Formula(
        "光伏装机容量(期末值)",
        "Installed PV capacity (at the end of the period)",
    ),
}
for _code in LEADING_INDUSTRIES:
    FORMULAS[_code] = _REVENUE_ACCUMULATED


def compute_window(
    inputs: Inputs,
    book: CoefficientBook,
    rules: CountingRules,
    window: Window,
    *,
    base_year: int,
) -> dict[tuple[str, str], Computed]:
    """Every indicator and assessment variant for one window: {(code, variant): Computed}.

    An indicator whose inputs are incomplete gets value None and `method.missing`.

    Sub-computations several indicators share (the energy totals, non-fossil energy, CO₂,
    value added at constant prices) run once per window; each indicator's trace gets what
    they used exactly as if it had run them itself (see `_Trace.part`)."""
    rules_trace = _rules_trace(rules)
    memo: dict = {}

    def run(code: str, variant: str, compute) -> None:
        trace = _Trace(inputs, book, window, memo)
        formula = FORMULAS[code].zh if code in FORMULAS else ""
        try:
            value = compute(trace)
        except _Missing as missing:
            missing.with_traceback(None)  # may be shared (_Trace.part): keep no frames alive
            computed = trace.result(
                None, formula, missing=("missing", missing.what), variant=variant
            )
        except MissingCoefficient as missing:
            missing.with_traceback(None)
            computed = trace.result(
                None, formula, missing=("missing_coefficient", str(missing)), variant=variant
            )
        else:
            computed = trace.result(value, formula, rules_trace, variant=variant)
        results[(code, variant)] = computed

    def iva(trace):
        return trace.part(
            "iva",
            lambda t: constant_price(t, "iva_current", "iva_growth_ytd", window, base_year),
        )

    def gdp(trace):
        return trace.part(
            "gdp",
            lambda t: constant_price(t, "gdp_current", "gdp_growth_ytd", window, base_year),
        )

    def calorific(trace):
        return trace.part("energy_calorific", energy_calorific)

    def equal_value(trace):
        return trace.part("energy_equal_value", energy_equal_value)

    def non_fossil_ev(trace):
        return trace.part("non_fossil_equal_value", lambda t: non_fossil_equal_value(t, rules))

    def non_fossil_cal(trace):
        return trace.part("non_fossil_calorific", lambda t: non_fossil_calorific(t, rules))

    def co2(trace):
        return trace.part("co2_emissions", lambda t: co2_emissions(t, rules))

    def divide(numerator, denominator):
        result = ratio(numerator, denominator)
        if result is None:
            raise _Missing("denominator_zero")
        return result

    def percent(part, whole):
        result = share_percent(part, whole)
        if result is None:
            raise _Missing("denominator_zero")
        return result

    results: dict[tuple[str, str], Computed] = {}
    run("energy_total_calorific", PLAIN, calorific)
    run("energy_total_equal_value", PLAIN, equal_value)
    run("non_fossil_share", PLAIN, lambda t: percent(non_fossil_ev(t), equal_value(t)))
    run("energy_intensity_iva", PLAIN, lambda t: divide(calorific(t), iva(t)))
    run(
        "energy_intensity_iva",
        EXCLUDING_FEEDSTOCK,
        lambda t: divide(calorific(t) - t.item("energy_feedstock"), iva(t)),
    )
    run(
        "energy_intensity_iva",
        EXCLUDING_FEEDSTOCK_AND_NON_FOSSIL,
        lambda t: divide(
            calorific(t) - t.item("energy_feedstock") - non_fossil_cal(t),
            iva(t),
        ),
    )
    run("energy_intensity_gdp", PLAIN, lambda t: divide(equal_value(t), gdp(t)))
    run(
        "energy_intensity_gdp",
        EXCLUDING_FEEDSTOCK,
        lambda t: divide(equal_value(t) - t.item("energy_feedstock"), gdp(t)),
    )
    run(
        "energy_intensity_gdp",
        EXCLUDING_FEEDSTOCK_AND_NON_FOSSIL,
        lambda t: divide(
            equal_value(t) - t.item("energy_feedstock") - non_fossil_ev(t),
            gdp(t),
        ),
    )
    run("co2_emissions", PLAIN, co2)
    run("co2_intensity_gdp", PLAIN, lambda t: divide(co2(t), gdp(t)))
    for code in LEADING_INDUSTRIES:
        run(code, PLAIN, lambda t, code=code: t.item(code))
    run(
        "leading_industry_revenue",
        PLAIN,
        lambda t: sum((t.item(code) for code in LEADING_INDUSTRIES), ZERO),
    )
    run(
        "green_building_share",
        PLAIN,
        lambda t: percent(t.item("building_new_green_area"), t.item("building_new_civil_area")),
    )
    run(
        "iw_utilization_rate",
        PLAIN,
        lambda t: percent(
            t.item("iw_utilized"), t.item("iw_generated") + t.item("iw_utilized_prior_stock")
        ),
    )

    def waste_intensity(t):
        if rules.waste_intensity_price_basis == "constant":
            return divide(t.item("iw_generated"), iva(t))
        return divide(t.item("iw_generated"), t.item("iva_current"))

    run("iw_generation_intensity", PLAIN, waste_intensity)
    run("coal_consumption", PLAIN, coal_tce)
    run("natural_gas_share", PLAIN, lambda t: percent(natural_gas_tce(t), equal_value(t)))
    run("pv_capacity", PLAIN, lambda t: t.item("pv_capacity"))
    if window.is_annual:
        run(
            "agri_waste_utilization_rate",
            PLAIN,
            lambda t: percent(t.item("agri_waste_utilized"), t.item("agri_waste_generated")),
        )
        run(
            "manure_utilization_rate",
            PLAIN,
            lambda t: percent(t.item("manure_utilized"), t.item("manure_generated")),
        )
        run(
            "straw_utilization_rate",
            PLAIN,
            lambda t: percent(t.item("straw_utilized"), t.item("straw_collectable")),
        )
    return results


def _rules_trace(rules: CountingRules) -> dict:
    """`rules.trace()`, built once per CountingRules (they are frozen) and shared."""
    cached = rules.__dict__.get("_trace")
    if cached is None:
        cached = rules.trace()
        object.__setattr__(rules, "_trace", cached)
    return cached


# --- Targets and status (methodology §7) ---------------------------------------------------


# Indicators that are sums of quarterly flows (an amount, not a ratio): their year-to-date
# value is part of a year, so a level target for the year is compared in a quarter with its
# year-to-date equivalent (methodology §7, issue 16 #7), never the part with the whole.
ADDITIVE_INDICATORS = frozenset(
    {
        "energy_total_calorific",
        "energy_total_equal_value",
        "co2_emissions",
        "leading_industry_revenue",
        "revenue_electronic",
        "revenue_new_energy_materials",
        "revenue_high_end_equipment",
        "revenue_food",
        "coal_consumption",
    }
)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    direction: int  # +1 higher is better, −1 lower is better
    path_kind: str  # "geometric" | "linear"
    has_base_year: bool = True

    @property
    def is_additive(self) -> bool:
        return self.code in ADDITIVE_INDICATORS


@dataclass(frozen=True)
class TargetSpec:
    id: int | None
    code: str
    kind: str  # level | hold | reduction_vs_base | reduction_vs_target
    qualifier: str  # binding | about | strive | hold
    value: Decimal | None  # level in indicator units; reductions: percent (18 = −18 %)
    target_year: int
    base_year: int | None = None  # reductions vs base; for chained: the base target's year
    tolerance: Decimal | None = None
    is_percentage_unit: bool = False
    strict: bool = False  # 突破/超过: met only strictly beyond the value

    @property
    def is_reduction(self) -> bool:
        return self.kind in ("reduction_vs_base", "reduction_vs_target")


@dataclass
class Evaluation:
    """Everything shown beside a value: changes, the active target, path, progress, status."""

    change_vs_base: Decimal | None = None
    change_yoy: Decimal | None = None
    target: TargetSpec | None = None
    target_value: Decimal | None = None
    target_pending_base: bool = False
    target_awaits_value: bool = False
    path_value: Decimal | None = None
    status: str = STATUS_NO_DATA
    completion: Decimal | None = None
    time_progress: Decimal | None = None
    required_annual_change: Decimal | None = None
    projection: Decimal | None = None
    notes: list[str] = field(default_factory=list)


def relative_change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """current ÷ previous − 1 (a fraction), None when either is missing or previous is 0."""
    if current is None or previous is None or previous == ZERO:
        return None
    return current / previous - ONE


def active_target(targets: Iterable[TargetSpec], year: int) -> TargetSpec | None:
    """The earliest target whose year is at or after `year`; after the last target year,
    the last target (which then must hold in every later period)."""
    ordered = sorted(targets, key=lambda t: (t.target_year, t.code))
    if not ordered:
        return None
    for target in ordered:
        if target.target_year >= year:
            return target
    return ordered[-1]


def observed_change(path_kind: str, current: Decimal | None, year_ago: Decimal | None):
    """Change against the same window a year earlier: a fraction on geometric paths,
    percentage points on linear (share) paths."""
    if current is None or year_ago is None:
        return None
    if path_kind == "linear":
        return current - year_ago
    return relative_change(current, year_ago)


def required_annual_change(
    path_kind: str, target: Decimal, last_value: Decimal | None, years: int
) -> Decimal | None:
    """Geometric `(T / A_L)^(1/n) − 1`, linear `(T − A_L) / n` (percentage points)."""
    if last_value is None or years <= 0:
        return None
    if path_kind == "linear":
        return (target - last_value) / Decimal(years)
    if last_value <= ZERO or target <= ZERO:
        return None
    return _power(target / last_value, ONE / Decimal(years)) - ONE


def path_value(
    path_kind: str, base: Decimal | None, target: Decimal, fraction: Decimal
) -> Decimal | None:
    """Where the path from base to target stands after `fraction` of the planned years."""
    if base is None:
        return None
    if path_kind == "linear":
        return base + (target - base) * fraction
    if base <= ZERO or target <= ZERO:
        return None
    return base * _power(target / base, fraction)


def judge_status(
    *,
    value: Decimal | None,
    target_value: Decimal | None,
    direction: int,
    qualifier: str,
    is_hold: bool,
    tolerance: Decimal,
    observed: Decimal | None,
    required: Decimal | None,
    target_missed_period: bool,
    strict: bool = False,
) -> str:
    """The barometer rule of methodology §7.

    `tolerance` is in indicator units: for 左右 targets the band within which the target
    counts as met; for hold targets the band that is yellow rather than red. A `strict`
    target (突破, 超过) is met only strictly beyond its value: 400.00 does not 突破 400.
    """
    if value is None or target_value is None:
        return STATUS_NO_DATA
    gap = Decimal(direction) * (value - target_value)  # ≥ 0: the target is met
    if is_hold:
        if gap >= ZERO:
            status = STATUS_GREEN
        elif gap >= -tolerance:
            status = STATUS_YELLOW
        else:
            status = STATUS_RED
    elif gap > ZERO if strict else gap >= -(tolerance if qualifier == "about" else ZERO):
        return STATUS_ACHIEVED
    elif target_missed_period:
        status = STATUS_RED
    elif observed is None or required is None:
        return STATUS_NO_DATA
    elif Decimal(direction) * observed < ZERO:
        status = STATUS_RED
    elif Decimal(direction) * observed < Decimal(direction) * required:
        status = STATUS_YELLOW
    else:
        status = STATUS_GREEN
    if qualifier == "strive" and status == STATUS_RED:
        return STATUS_YELLOW  # 力争: aspirational targets never go beyond yellow
    return status


def judge_increase(
    *,
    value: Decimal | None,
    base_value: Decimal | None,
    direction: int,
    observed: Decimal | None,
    target_missed_period: bool,
) -> str:
    """An "increase" target (提高天然气消费比重, 推进光伏建设): a direction without a level.
    By its year (the target year's whole year, and every later period) it is met only
    strictly beyond the base year's value, else red; before, green when it moved the right
    way against a year earlier, yellow when it stood still, red when it went back."""
    if value is None or base_value is None:
        return STATUS_NO_DATA
    if target_missed_period:
        return STATUS_ACHIEVED if Decimal(direction) * (value - base_value) > ZERO else STATUS_RED
    if observed is None:
        return STATUS_NO_DATA
    moved = Decimal(direction) * observed
    if moved > ZERO:
        return STATUS_GREEN
    if moved == ZERO:
        return STATUS_YELLOW
    return STATUS_RED


def _tolerance_in_units(target: TargetSpec, base_value: Decimal | None, threshold: Decimal):
    """The target's tolerance in indicator units (methodology §7 defaults when unset)."""
    if target.tolerance is not None:
        tolerance = target.tolerance
    elif target.qualifier == "about" or (target.kind == "hold" and target.is_percentage_unit):
        tolerance = DEFAULT_ABOUT_TOLERANCE_PP
    elif target.kind == "hold":
        return abs(threshold) * DEFAULT_HOLD_BAND_FRACTION
    else:
        return ZERO
    if target.is_reduction:
        # Percentage points of the reduction, applied to the base value.
        return (base_value or ZERO) * tolerance / HUNDRED
    return tolerance


def evaluate_series(
    indicator: IndicatorSpec,
    values: Mapping[Window, Decimal | None],
    targets: Iterable[TargetSpec],
    *,
    plan_base_year: int,
    from_year: int | None = None,
) -> dict[Window, Evaluation]:
    """Changes, target, path, progress, status and projection for every window of one
    indicator (and one variant) of the park. `values` holds every computed window; with
    `from_year`, only the windows of that year and later are evaluated (each evaluation
    depends on the values alone, never on another evaluation)."""
    targets = [t for t in targets if t.kind != "milestone"]
    evaluations: dict[Window, Evaluation] = {}
    for window, value in values.items():
        if from_year is not None and window.year < from_year:
            continue
        evaluation = Evaluation()
        evaluations[window] = evaluation
        if indicator.has_base_year and window.year != plan_base_year:
            evaluation.change_vs_base = relative_change(
                value, values.get(Window(plan_base_year, window.quarters))
            )
        year_ago = values.get(window.shifted(-1))
        evaluation.change_yoy = relative_change(value, year_ago)

        target = active_target(targets, window.year)
        evaluation.target = target
        if target is None:
            evaluation.status = ""
            continue
        if target.value is None and target.kind != "increase":
            evaluation.target_awaits_value = True
            evaluation.notes.append("target_value_not_set")
            continue

        # Base of the target's path: the base year (or the chained target's year) in the
        # same window, falling back to the whole year.
        if target.kind == "reduction_vs_target":
            base_year = target.base_year
            if values.get(Window(base_year, 4)) is None:
                evaluation.target_pending_base = True
                evaluation.notes.append("target_pending_base")
                continue
        else:
            base_year = target.base_year or plan_base_year
        base_value = values.get(Window(base_year, window.quarters))
        if base_value is None:
            base_value = values.get(Window(base_year, 4))
        if target.is_reduction:
            if base_value is None:
                evaluation.notes.append("base_value_missing")
                evaluation.status = STATUS_NO_DATA
                continue
            target_value = base_value * (ONE - target.value / HUNDRED)
        elif target.kind == "increase":
            # 提高…比重: no level, only a direction — beyond the base year's same window.
            if base_value is None:
                evaluation.notes.append("base_value_missing")
                evaluation.status = STATUS_NO_DATA
                continue
            target_value = base_value
        else:
            target_value = target.value
        evaluation.target_value = target_value

        # Like with like: in a quarter, an additive indicator's year-to-date sum is set
        # against the target's year-to-date equivalent (the annual target times the base
        # year's share of the year reached by this window), never against the whole year.
        judged_value = target_value
        ytd_equivalent = indicator.is_additive and not window.is_annual
        if ytd_equivalent and target.kind == "level":
            judged_value = year_to_date_equivalent(
                target_value,
                values.get(Window(base_year, window.quarters)),
                values.get(Window(base_year, 4)),
            )
            if judged_value is None:
                evaluation.notes.append("seasonal_share_missing")

        span = target.target_year - base_year
        if span > 0:
            fraction = window.elapsed_years_since(base_year) / Decimal(span)
            evaluation.time_progress = min(max(fraction, ZERO), ONE)
            if judged_value is not None and target.kind != "increase":
                evaluation.path_value = path_value(
                    indicator.path_kind, base_value, judged_value, min(max(fraction, ZERO), ONE)
                )
        if (
            value is not None
            and base_value is not None
            and judged_value is not None
            and judged_value != base_value
        ):
            evaluation.completion = (value - base_value) / (judged_value - base_value)

        observed = observed_change(indicator.path_kind, value, year_ago)
        # L: the most recent complete year before this one; early in a year whose
        # predecessor is not final yet, the year before that (methodology §7).
        last_year, last_value = base_year, values.get(Window(base_year, 4))
        for year in range(window.year - 1, base_year, -1):
            if values.get(Window(year, 4)) is not None:
                last_year, last_value = year, values[Window(year, 4)]
                break
        required = required_annual_change(
            indicator.path_kind, target_value, last_value, target.target_year - last_year
        )
        evaluation.required_annual_change = required
        remaining = target.target_year - window.year
        if observed is not None and value is not None and remaining > 0:
            if indicator.path_kind == "linear":
                evaluation.projection = value + observed * remaining
            elif ONE + observed > ZERO:
                evaluation.projection = value * _power(ONE + observed, Decimal(remaining))
        missed = window.year > target.target_year or (
            window.year == target.target_year and window.is_annual
        )
        partial_level = ytd_equivalent and target.kind == "level"
        on_pace = False
        if partial_level:
            # A part of a year is judged against the year-to-date equivalent: at or beyond
            # it, the year is on pace (green; 达标 only once the year-to-date sum itself
            # meets the annual target); short of it after the target's year, missed (red);
            # without an equivalent, neither (the barometer's pace alone).
            on_pace = judged_value is not None and meets(
                value, judged_value, indicator.direction, strict=target.strict
            )
            missed = missed and judged_value is not None and not on_pace
            if (
                indicator.direction < 0
                and window.year >= target.target_year
                and value is not None
                and not meets(value, target_value, indicator.direction, strict=target.strict)
            ):
                # A year-to-date sum already past an annual cap cannot come back under it:
                # the target year is missed from that quarter on (any coal in 2025 misses
                # 煤炭清零, methodology §7's "the annual figure … does not meet it").
                missed = True
        if window.year <= base_year and target.kind != "hold":
            # The base period is the starting point of a path, not judged; a hold target
            # must hold in every period, the base year included (methodology §7).
            evaluation.status = ""
            continue
        if target.kind == "increase":
            evaluation.status = judge_increase(
                value=value,
                base_value=target_value,
                direction=indicator.direction,
                observed=observed,
                target_missed_period=missed,
            )
            if value is None:
                evaluation.notes.append("inputs_missing")
            continue
        evaluation.status = judge_status(
            value=value,
            target_value=target_value,
            direction=indicator.direction,
            qualifier=target.qualifier,
            is_hold=target.kind == "hold",
            tolerance=_tolerance_in_units(target, base_value, target_value),
            observed=observed,
            required=required,
            target_missed_period=missed,
            strict=target.strict,
        )
        if on_pace and evaluation.status != STATUS_ACHIEVED:
            evaluation.status = STATUS_GREEN
        if value is None:
            evaluation.notes.append("inputs_missing")
    return evaluations


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 19)}


def meets(value: Decimal | None, threshold: Decimal, direction: int, *, strict: bool) -> bool:
    """Whether `value` is on the target's side of `threshold` (strictly beyond for 突破)."""
    if value is None:
        return False
    gap = Decimal(direction) * (value - threshold)
    return gap > ZERO if strict else gap >= ZERO


def year_to_date_equivalent(
    annual_target: Decimal, base_window: Decimal | None, base_annual: Decimal | None
) -> Decimal | None:
    """An annual level target of an additive indicator in year-to-date terms: the target
    times the base year's year-to-date share (its seasonal pattern). 400 亿元 for the year
    with a base year of 300, 210 of it by September, is 280 亿元 by September. None without
    a base year to take the share from. A target of zero is zero by any quarter: no share
    is needed (煤炭清零: no coal by September either)."""
    if annual_target == ZERO:
        return ZERO
    if base_window is None or base_annual is None or base_annual <= ZERO:
        return None
    return annual_target * base_window / base_annual


def safe_quantize(value: Decimal | None, places: int = 12) -> Decimal | None:
    """Round half up to `places` decimals for storage; None stays None."""
    if value is None:
        return None
    quantum = _QUANTUM.get(places)
    if quantum is None:
        quantum = Decimal(1).scaleb(-places)
    try:
        # Rounding passed positionally: the keyword form costs twice as much, and a full
        # recompute quantizes ~2 million values.
        return value.quantize(quantum, ROUND_HALF_UP)
    except InvalidOperation:
        return None


def hold_margin(value: Decimal | None, threshold: Decimal | None, direction: int) -> Decimal | None:
    """A hold target's room to its threshold, in the indicator's unit (percentage points
    for shares): positive while the value is on the held side (at or above a floor when
    higher is better, at or below a ceiling when lower is), negative by how far it has
    crossed. A hold target is met from its first period, so "completion" (the share of the
    way from base to target) says nothing about it: 0.16 t/万元 under a 0.78 ceiling is not
    "796.8 % complete" but 0.62 t/万元 of room."""
    if value is None or threshold is None:
        return None
    return Decimal(direction) * (value - threshold)
