"""Product carbon footprint arithmetic (management.md §5; ISO 14067:2018, GB/T 24067-2024).

Pure: no database, no Django models, Decimal only. A study's inventory lines per declared
unit each carry a quantity in some unit and a factor "CO₂e mass per unit of something":

    line emission (kg CO₂e) = quantity converted to the factor's unit × factor × allocation share
    footprint (kg CO₂e per declared unit) = Σ line emissions

Direct process gases are lines whose factor is the gas's GWP100 (kg CO₂e per kg of gas); energy
lines take their factor from the coefficient registry (fuels: NCV × carbon content × oxidation
× 44/12; electricity: the grid factor of the reference year; heat: the heat factor). The
allocation share is the product's share among its co-products (mass or economic), given in
per cent: the shares of all co-products must sum to 100. The cut-off rule is a check, never a
silent change: inputs left out must each be ≤ 1 % of the inventory's mass and together ≤ 5 %
(both thresholds are the study's data), otherwise the study is flagged.

Every result lists the factor versions and rules that produced it (`Footprint.trace`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from dezhou_carbon.exceptions import ApplicationError
from indicators import units
from indicators.calculations import MissingCoefficient, fuel_co2_factor

ZERO = Decimal(0)
HUNDRED = Decimal(100)

STAGE_RAW_MATERIALS = "raw_materials"
STAGE_PRODUCTION = "production"
STAGE_TRANSPORT = "transport"
STAGE_USE = "use"
STAGE_END_OF_LIFE = "end_of_life"
GATE_STAGES = (STAGE_RAW_MATERIALS, STAGE_PRODUCTION, STAGE_TRANSPORT)
GRAVE_STAGES = (*GATE_STAGES, STAGE_USE, STAGE_END_OF_LIFE)

BOUNDARY_CRADLE_TO_GATE = "cradle_to_gate"
BOUNDARY_CRADLE_TO_GRAVE = "cradle_to_grave"
STAGES_BY_BOUNDARY = {
    BOUNDARY_CRADLE_TO_GATE: GATE_STAGES,
    BOUNDARY_CRADLE_TO_GRAVE: GRAVE_STAGES,
}

KIND_MATERIAL = "material"
KIND_ENERGY = "energy"
KIND_TRANSPORT = "transport"
KIND_PROCESS = "process"
KINDS = (KIND_MATERIAL, KIND_ENERGY, KIND_TRANSPORT, KIND_PROCESS)

QUALITY_PRIMARY = "primary"
QUALITY_SECONDARY = "secondary"

ALLOCATION_MASS = "mass"
ALLOCATION_ECONOMIC = "economic"

# The spec's defaults (management.md §5); a study stores its own thresholds.
DEFAULT_CUTOFF_LINE_PERCENT = Decimal(1)
DEFAULT_CUTOFF_TOTAL_PERCENT = Decimal(5)

TONNE_KM = "t·km"
_TONNE_KM_SPELLINGS = {"t·km", "tkm", "t.km", "t*km", "t-km", "吨公里", "吨·公里", "吨千米"}
# CO₂e mass units a factor's numerator may use, as powers of ten of a kilogram.
_CO2E_MASS = {"g": -3, "kg": 0, "t": 3}
_TONNE_KM_KEYS = frozenset(
    re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).lower() for s in _TONNE_KM_SPELLINGS
)
_FACTOR_UNIT_RE = re.compile(r"^(g|kg|t)co2(e|-eq|eq)?/(.+)$")


class FootprintError(ApplicationError):
    """An inventory line, factor or rule the calculation refuses; nothing is computed."""

    def __init__(self, message_zh: str, message_en: str, *, code: str, details=None):
        super().__init__(message_zh, message_en, code=code, details=details)


def _key(text: str) -> str:
    """NFKC, no spaces, ₂ → 2, lower case: the form unit spellings are compared in."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return re.sub(r"\s+", "", text).replace("₂", "2").lower()


@lru_cache(maxsize=1024)
def normalize_quantity_unit(text: str) -> str:
    """Canonical spelling of a quantity unit: the importer's units plus tonne-kilometres."""
    if _key(text) in _TONNE_KM_KEYS:
        return TONNE_KM
    return units.normalize_unit(text)


@dataclass(frozen=True)
class FactorUnit:
    """`kgCO₂e/kg` → CO₂e mass unit `kg`, per unit `kg`."""

    co2e_mass_unit: str
    per_unit: str

    @property
    def kg_per_numerator(self) -> Decimal:
        return Decimal(1).scaleb(_CO2E_MASS[self.co2e_mass_unit])


@lru_cache(maxsize=1024)
def parse_factor_unit(text: str) -> FactorUnit:
    """Parse a factor's unit such as `kgCO₂e/kg`, `tCO₂/MWh`, `kg CO2e / t·km`."""
    match = _FACTOR_UNIT_RE.match(_key(text))
    if not match:
        raise FootprintError(
            f"排放因子单位“{text}”无法识别，应为“kgCO₂e/单位”或“tCO₂/单位”",
            f"Emission factor unit '{text}' is not understood; expected 'kgCO₂e/unit' or 'tCO₂/unit'",
            code="bad_factor_unit",
        )
    per_unit = normalize_quantity_unit(match.group(3))
    if per_unit != TONNE_KM and not units.is_known_unit(per_unit):
        raise FootprintError(
            f"排放因子单位“{text}”的分母“{match.group(3)}”无法识别",
            f"The denominator '{match.group(3)}' of emission factor unit '{text}' is not known",
            code="bad_factor_unit",
        )
    return FactorUnit(match.group(1), per_unit)


def quantity_in(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert a line's quantity into its factor's unit, exactly, or refuse."""
    source = normalize_quantity_unit(from_unit)
    target = normalize_quantity_unit(to_unit)
    if (source == target and units.is_known_unit(source)) or source == target == TONNE_KM:
        return value
    if TONNE_KM in (source, target):
        if source == target:
            return value
        raise FootprintError(
            f"数量单位“{from_unit}”与排放因子单位“{to_unit}”不一致，无法换算",
            f"Quantity unit '{from_unit}' does not convert to the factor's unit '{to_unit}'",
            code="unit_mismatch",
            details={"from_unit": from_unit, "to_unit": to_unit},
        )
    try:
        return units.convert(value, source, target)
    except units.UnitError as refused:
        raise FootprintError(
            f"数量单位“{from_unit}”与排放因子单位“{to_unit}”不一致，无法换算",
            f"Quantity unit '{from_unit}' does not convert to the factor's unit '{to_unit}'",
            code="unit_mismatch",
            details={"from_unit": from_unit, "to_unit": to_unit},
        ) from refused


@dataclass(frozen=True)
class Factor:
    """One factor as used: where it comes from (`ref`, version, source) and its value."""

    ref: str  # "library:steel.hot_rolled" or "registry:co2.grid.shandong"
    value: Decimal
    unit: str  # e.g. "kgCO₂e/kg"
    version: int = 1
    year: int = 0
    source: str = ""
    # Registry coefficients a derived factor is made of (a fuel's NCV, carbon content, oxidation).
    components: tuple[dict, ...] = ()
    provisional: bool = False  # a registry factor standing in for a missing year

    def trace(self) -> dict:
        entry = {
            "ref": self.ref,
            "value": str(self.value),
            "unit": self.unit,
            "version": self.version,
            "year": self.year,
            "source": self.source,
        }
        if self.components:
            entry["components"] = list(self.components)
        if self.provisional:
            entry["provisional"] = True
        return entry


@dataclass(frozen=True)
class LibraryRow:
    """A current factor of the library, as the selectors hand it over."""

    key: str
    value: Decimal
    unit: str
    year: int
    version: int
    source: str = ""


def index_library(rows: Iterable[LibraryRow]) -> dict[str, list[LibraryRow]]:
    """The library's rows by key, so that a line finds its factor without a scan."""
    index: dict[str, list[LibraryRow]] = {}
    for row in rows:
        index.setdefault(row.key, []).append(row)
    return index


def library_factor(library: dict[str, list[LibraryRow]], key: str, reference_year: int) -> Factor:
    """The library's factor for `key` (from `index_library`) at the study's reference year:
    the current version of the latest data year not after it. A factor published only for
    later years is missing."""
    usable = [row for row in library.get(key, ()) if row.year <= reference_year]
    if not usable:
        raise FootprintError(
            f"排放因子库中没有“{key}”在{reference_year}年或更早年份的因子",
            f"The factor library has no factor '{key}' for {reference_year} or an earlier year",
            code="factor_missing_for_year",
            details={"factor": key, "year": reference_year},
        )
    row = max(usable, key=lambda r: (r.year, r.version))
    return Factor(f"library:{key}", row.value, row.unit, row.version, row.year, row.source)


# Energy carriers a line may name, and the registry keys of their CO₂ factor.
FUEL_CARRIERS = (
    "coal_raw",
    "coal_washed",
    "coke",
    "crude_oil",
    "fuel_oil",
    "gasoline",
    "diesel",
    "lpg",
    "natural_gas",
)
ELECTRICITY = "electricity"
HEAT = "heat"
ENERGY_CARRIERS = (*FUEL_CARRIERS, ELECTRICITY, HEAT)


def energy_factor(book, carrier: str, year: int, grid_region: str) -> Factor:
    """An energy carrier's CO₂ factor from the coefficient registry (`CoefficientBook`),
    with the engine's own stand-in rule for a missing year: electricity the grid factor of
    the region, heat the heat factor, fuels NCV × carbon content × oxidation × 44/12."""
    try:
        if carrier == ELECTRICITY:
            use = book.lookup(f"co2.grid.{grid_region}", year)
            return Factor(
                f"registry:{use.key}",
                use.value,
                "tCO₂/MWh",
                use.version,
                use.year,
                provisional=use.provisional,
                components=(use.trace(),),
            )
        if carrier == HEAT:
            use = book.lookup("co2.heat", year)
            return Factor(
                f"registry:{use.key}",
                use.value,
                "tCO₂/GJ",
                use.version,
                use.year,
                components=(use.trace(),),
            )
        if carrier in FUEL_CARRIERS:
            ncv = book.lookup(f"co2.ncv.{carrier}", year)
            cc = book.lookup(f"co2.cc.{carrier}", year)
            oxidation = book.lookup(f"co2.of.{carrier}", year)
            per_unit = "万m³" if carrier == "natural_gas" else "t"
            return Factor(
                f"registry:co2.fuel.{carrier}",
                fuel_co2_factor(ncv.value, cc.value, oxidation.value),
                f"tCO₂/{per_unit}",
                max(ncv.version, cc.version, oxidation.version),
                year,
                components=(ncv.trace(), cc.trace(), oxidation.trace()),
            )
    except MissingCoefficient as missing:
        raise FootprintError(
            f"系数库中没有能源品种“{carrier}”{year}年的排放因子（{missing}）",
            f"The coefficient registry has no CO₂ factor for '{carrier}' in {year} ({missing})",
            code="factor_missing_for_year",
            details={"carrier": carrier, "year": year},
        ) from missing
    raise FootprintError(
        f"能源品种“{carrier}”无法识别",
        f"Energy carrier '{carrier}' is not known",
        code="bad_energy_carrier",
        details={"carrier": carrier},
    )


@dataclass(frozen=True)
class Line:
    """One inventory line per declared unit."""

    no: int
    name: str
    stage: str
    kind: str
    quantity: Decimal
    unit: str
    factor: Factor
    quality: str = QUALITY_SECONDARY
    mass_kg: Decimal | None = None  # the input's mass, for the cut-off check


@dataclass(frozen=True)
class Omission:
    """An input left out under the cut-off rule, with its mass per declared unit."""

    name: str
    mass_kg: Decimal


@dataclass(frozen=True)
class Rules:
    boundary: str = BOUNDARY_CRADLE_TO_GATE
    allocation: str = ALLOCATION_MASS
    # co-product name → share in per cent (the study's product included); empty = no co-products
    shares: tuple[tuple[str, Decimal], ...] = ()
    product: str = ""
    cutoff_line_percent: Decimal = DEFAULT_CUTOFF_LINE_PERCENT
    cutoff_total_percent: Decimal = DEFAULT_CUTOFF_TOTAL_PERCENT

    def trace(self) -> dict:
        return {
            "boundary": self.boundary,
            "allocation": self.allocation,
            "shares": [[name, str(share)] for name, share in self.shares],
            "product": self.product,
            "allocation_share": str(allocation_share(self)),
            "cutoff_line_percent": str(self.cutoff_line_percent),
            "cutoff_total_percent": str(self.cutoff_total_percent),
        }


@dataclass(frozen=True)
class LineResult:
    no: int
    name: str
    stage: str
    quality: str
    converted_quantity: Decimal
    kg_co2e: Decimal


@dataclass(frozen=True)
class CutoffCheck:
    passed: bool
    inventory_mass_kg: Decimal
    omitted_mass_kg: Decimal
    omitted_percent: Decimal | None
    offending: tuple[str, ...]  # omissions above the per-line threshold


@dataclass(frozen=True)
class Footprint:
    total: Decimal  # kg CO₂e per declared unit
    by_stage: dict[str, Decimal]
    lines: tuple[LineResult, ...]
    primary_percent: Decimal | None
    cutoff: CutoffCheck
    trace: dict = field(compare=False)


def allocation_share(rules: Rules) -> Decimal:
    """The product's share (a fraction) among its co-products; 1 when it has none.

    Shares are given in per cent and must sum to exactly 100."""
    if not rules.shares:
        return Decimal(1)
    if rules.allocation not in (ALLOCATION_MASS, ALLOCATION_ECONOMIC):
        raise FootprintError(
            f"分配方法“{rules.allocation}”无效，应为质量分配或经济价值分配",
            f"Allocation rule '{rules.allocation}' is not mass or economic",
            code="bad_allocation",
        )
    total = sum((share for _, share in rules.shares), ZERO)
    if any(share < 0 for _, share in rules.shares) or total != HUNDRED:
        raise FootprintError(
            f"联产品分配比例合计为{total}%，应为100%",
            f"Co-product allocation shares sum to {total}%, not 100%",
            code="allocation_not_100",
            details={"sum": str(total)},
        )
    named = dict(rules.shares)
    if rules.product not in named:
        raise FootprintError(
            f"分配比例中没有本产品“{rules.product}”",
            f"The allocation shares do not include the product '{rules.product}'",
            code="allocation_without_product",
        )
    return named[rules.product] / HUNDRED


def _check_line(line: Line, stages: Sequence[str]) -> None:
    where = {"line": line.no, "name": line.name}
    if line.stage not in stages:
        raise FootprintError(
            f"第{line.no}行“{line.name}”的阶段“{line.stage}”不在研究边界内",
            f"Line {line.no} '{line.name}': stage '{line.stage}' is outside the study's boundary",
            code="stage_outside_boundary",
            details=where,
        )
    if line.kind not in KINDS:
        raise FootprintError(
            f"第{line.no}行“{line.name}”的类别“{line.kind}”无效",
            f"Line {line.no} '{line.name}': kind '{line.kind}' is not known",
            code="bad_line_kind",
            details=where,
        )
    if line.quantity < 0:
        raise FootprintError(
            f"第{line.no}行“{line.name}”的数量不能为负数",
            f"Line {line.no} '{line.name}': the quantity cannot be negative",
            code="negative_quantity",
            details=where,
        )
    if line.factor.value < 0:
        raise FootprintError(
            f"第{line.no}行“{line.name}”的排放因子不能为负数",
            f"Line {line.no} '{line.name}': the emission factor cannot be negative",
            code="negative_factor",
            details=where,
        )


def line_emission(line: Line, share: Decimal) -> LineResult:
    """kg CO₂e of one line: quantity in the factor's unit × factor × allocation share."""
    try:
        factor_unit = parse_factor_unit(line.factor.unit)
        converted = quantity_in(line.quantity, line.unit, factor_unit.per_unit)
    except FootprintError as refused:
        refused.details = {**(refused.details or {}), "line": line.no, "name": line.name}
        raise FootprintError(
            f"第{line.no}行“{line.name}”：{refused.message_zh}",
            f"Line {line.no} '{line.name}': {refused.message_en}",
            code=refused.code,
            details=refused.details,
        ) from refused
    kg = converted * line.factor.value * factor_unit.kg_per_numerator * share
    return LineResult(line.no, line.name, line.stage, line.quality, converted, kg)


def cutoff_check(lines: Iterable[Line], omissions: Iterable[Omission], rules: Rules) -> CutoffCheck:
    """Mass-based cut-off: each omission ≤ line threshold, together ≤ total threshold, as a
    share of the inventory's mass (the lines' masses plus the omitted masses)."""
    omissions = tuple(omissions)
    for omission in omissions:
        if omission.mass_kg < 0:
            raise FootprintError(
                f"舍弃项“{omission.name}”的质量不能为负数",
                f"Omitted input '{omission.name}': the mass cannot be negative",
                code="negative_quantity",
            )
    omitted = sum((o.mass_kg for o in omissions), ZERO)
    inventory = sum((line.mass_kg or ZERO for line in lines), ZERO) + omitted
    if inventory == 0:
        passed = not omissions or omitted == 0
        return CutoffCheck(passed, inventory, omitted, None, ())
    offending = tuple(
        o.name for o in omissions if o.mass_kg * HUNDRED / inventory > rules.cutoff_line_percent
    )
    percent = omitted * HUNDRED / inventory
    passed = not offending and percent <= rules.cutoff_total_percent
    return CutoffCheck(passed, inventory, omitted, percent, offending)


def compute_footprint(
    lines: Sequence[Line], rules: Rules, omissions: Sequence[Omission] = ()
) -> Footprint:
    """The study's footprint per declared unit, by stage and by line, with its trace."""
    if rules.boundary not in STAGES_BY_BOUNDARY:
        raise FootprintError(
            f"研究边界“{rules.boundary}”无效",
            f"Study boundary '{rules.boundary}' is not known",
            code="bad_boundary",
        )
    stages = STAGES_BY_BOUNDARY[rules.boundary]
    share = allocation_share(rules)
    results = []
    for line in lines:
        _check_line(line, stages)
        results.append(line_emission(line, share))
    by_stage = dict.fromkeys(stages, ZERO)
    for result in results:
        by_stage[result.stage] += result.kg_co2e
    total = sum((r.kg_co2e for r in results), ZERO)
    primary = sum((r.kg_co2e for r in results if r.quality == QUALITY_PRIMARY), ZERO)
    primary_percent = primary * HUNDRED / total if total else None
    cutoff = cutoff_check(lines, omissions, rules)
    factors = {}
    for line in lines:
        factors[f"{line.factor.ref}@{line.factor.year}v{line.factor.version}"] = line.factor.trace()
    trace = {
        "formula_zh": "碳足迹(kg CO₂e/声明单位) = Σ 清单数量(换算为因子单位) × 排放因子 × 分配比例",
        "formula_en": "footprint (kg CO₂e per declared unit) = Σ quantity (in the factor's unit)"
        " × factor × allocation share",
        "rules": rules.trace(),
        "factors": [factors[key] for key in sorted(factors)],
        "lines": [
            {
                "no": line.no,
                "name": line.name,
                "stage": line.stage,
                "kind": line.kind,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "factor": line.factor.ref,
                "factor_version": line.factor.version,
                "quality": line.quality,
                "kg_co2e": str(result.kg_co2e),
            }
            for line, result in zip(lines, results, strict=True)
        ],
        "omissions": [{"name": o.name, "mass_kg": str(o.mass_kg)} for o in omissions],
    }
    return Footprint(total, by_stage, tuple(results), primary_percent, cutoff, trace)


def percent_change(current: Decimal, reference: Decimal) -> Decimal | None:
    """(current − reference) ÷ reference × 100, for comparisons with a version or a reference."""
    if not reference:
        return None
    return (current - reference) * HUNDRED / reference
