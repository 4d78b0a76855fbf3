"""Deterministic demo statistics for the park, 2020 Q1 to 2026 Q3: the methodology's
worked example (§3) spread over quarters, with plausible trends for every other item.

Every item a department reports has a value in every period (zero for the fuels the park
does not burn: washed coal, coke, fuel oil, gasoline, LPG), so a first correction is never
refused for a missing item. Quarters follow the seasons of what they measure (heating in
winter, cooling load and solar in summer, construction from spring); each item's four
quarters add up to its year, so annual results are the worked example's."""

from decimal import ROUND_HALF_UP, Decimal

from indicators.exchange import item_specs
from indicators.importing import parse_import_records
from indicators.periods import period_code
from indicators.services import statistics_import

# Quarter shares of an annual flow (heating season in Q1 and Q4).
SEASON = (Decimal("0.27"), Decimal("0.23"), Decimal("0.22"), Decimal("0.28"))
# Items whose year falls differently over the quarters (each profile adds up to 1).
_D = Decimal
SEASONS = {
    # Heat: the heating season (15 Nov – 15 Mar) dominates Q1 and Q4.
    "heat_purchased": (_D("0.36"), _D("0.13"), _D("0.11"), _D("0.40")),
    "geothermal_heat": (_D("0.38"), _D("0.12"), _D("0.10"), _D("0.40")),
    "natural_gas": (_D("0.33"), _D("0.18"), _D("0.16"), _D("0.33")),
    # Electricity: the summer cooling load; solar peaks in spring and summer.
    "electricity_grid": (_D("0.24"), _D("0.24"), _D("0.28"), _D("0.24")),
    "electricity_green": (_D("0.24"), _D("0.25"), _D("0.27"), _D("0.24")),
    "electricity_pv": (_D("0.20"), _D("0.30"), _D("0.29"), _D("0.21")),
    # Output builds up over the year (Spring Festival in Q1, year-end push in Q4).
    "iva_current": (_D("0.21"), _D("0.25"), _D("0.25"), _D("0.29")),
    "gdp_current": (_D("0.21"), _D("0.25"), _D("0.25"), _D("0.29")),
    "coal_raw": (_D("0.26"), _D("0.23"), _D("0.23"), _D("0.28")),
    "energy_feedstock": (_D("0.22"), _D("0.25"), _D("0.26"), _D("0.27")),
    "iw_generated": (_D("0.22"), _D("0.25"), _D("0.26"), _D("0.27")),
    "iw_utilized": (_D("0.21"), _D("0.25"), _D("0.26"), _D("0.28")),
    # Construction: little in the winter quarter.
    "building_new_civil_area": (_D("0.12"), _D("0.28"), _D("0.31"), _D("0.29")),
    "building_new_green_area": (_D("0.12"), _D("0.28"), _D("0.31"), _D("0.29")),
    # Revenues of the leading industries: steady, a stronger second half.
    "revenue_electronic": (_D("0.22"), _D("0.24"), _D("0.26"), _D("0.28")),
    "revenue_new_energy_materials": (_D("0.21"), _D("0.25"), _D("0.26"), _D("0.28")),
    "revenue_high_end_equipment": (_D("0.20"), _D("0.25"), _D("0.25"), _D("0.30")),
    "revenue_food": (_D("0.26"), _D("0.23"), _D("0.23"), _D("0.28")),
}
# Fuels the park's statistics list but nobody here burns: reported as zero.
UNUSED_FUELS = ("coal_washed", "coke", "fuel_oil", "gasoline", "lpg")
REAL_GROWTH = {2021: "9.0", 2022: "5.5", 2023: "6.2", 2024: "6.8", 2025: "6.0", 2026: "5.8"}
LAST_YEAR, LAST_QUARTER = 2026, 3


def _annual(year: int) -> dict[str, Decimal]:
    """Annual flows: 2020 and 2025 energy are the worked example's; other years between."""
    t = Decimal(year - 2020)
    d = Decimal
    return {
        "coal_raw": d(300000) - d(12000) * t,
        "natural_gas": d(5000) + d(400) * t,
        "diesel": d(2000) - d(40) * t,
        "heat_purchased": d(1500000) + d(20000) * t,
        "electricity_grid": d(120000) + d(7000) * t,
        "electricity_green": d(2000) + d(2500) * t,
        "electricity_pv": d(1500) + d(1300) * t,
        "geothermal_heat": d(50000) + d(30000) * t,
        "energy_feedstock": d(20000) + d(500) * t,
        "iva_current": d(1000000) + d(90000) * t,
        "gdp_current": d(2600000) + d(180000) * t,
        "revenue_electronic": d(95) + d(18) * t,
        "revenue_new_energy_materials": d(60) + d(12) * t,
        "revenue_high_end_equipment": d(55) + d(11) * t,
        "revenue_food": d(50) + d(9) * t,
        "iw_generated": d(820000) - d(8000) * t,
        "iw_utilized": d(700000) + d(8000) * t,
        "iw_utilized_prior_stock": d(20000),
        "building_new_civil_area": d(400000) + d(10000) * t,
        "building_new_green_area": d(300000) + d(18000) * t,
    }


def _yearly(year: int) -> dict[str, Decimal]:
    t = Decimal(year - 2020)
    d = Decimal
    return {
        "agri_waste_generated": d(150000),
        "agri_waste_utilized": d(141000) + d(600) * t,
        "manure_generated": d(80000),
        "manure_utilized": d(71000) + d(400) * t,
        "straw_collectable": d(120000),
        "straw_utilized": d(110000) + d(1400) * t,
    }


def demo_rows() -> list[dict]:
    """Import rows (data-exchange §2) for every item from 2020 Q1 to 2026 Q3."""
    rows = []
    for year in range(2020, LAST_YEAR + 1):
        last_quarter = LAST_QUARTER if year == LAST_YEAR else 4
        annual = _annual(year)
        for quarter in range(1, last_quarter + 1):
            period = period_code(year, quarter)
            for item, value in annual.items():
                share = SEASONS.get(item, SEASON)[quarter - 1]
                quantity = (value * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                rows.append({"period": period, "item": item, "value": str(quantity)})
            rows.extend({"period": period, "item": item, "value": "0"} for item in UNUSED_FUELS)
            if year > 2020:
                growth = REAL_GROWTH[year]
                rows.append({"period": period, "item": "iva_growth_ytd", "value": growth})
                rows.append(
                    {
                        "period": period,
                        "item": "gdp_growth_ytd",
                        "value": str(Decimal(growth) - Decimal("0.6")),
                    }
                )
            rows.append(
                {
                    "period": period,
                    "item": "pv_capacity",
                    "value": str(Decimal(20) + Decimal(6) * (year - 2020) + quarter),
                }
            )
        if year < LAST_YEAR:
            rows.extend(
                {"period": str(year), "item": item, "value": str(value)}
                for item, value in _yearly(year).items()
            )
    return rows


def demo_statistics_load(*, user):
    """Import the demo rows as approved history; a rerun changes nothing."""
    parsed = parse_import_records(demo_rows(), item_specs())
    return statistics_import(parsed=parsed, user=user, source="demo", approve=True)


def _year_of(period: str) -> int:
    return int(period[:4])


def demo_history_rows(before_year: int) -> list[dict]:
    """The demo rows of the periods before `before_year` (loaded as approved history)."""
    return [row for row in demo_rows() if _year_of(row["period"]) < before_year]


# Where what the departments enter through the workflow leaves the trend: 2026 Q3's grid
# electricity ran 20 % above it (a hot summer, and DZKF-2025-001's battery line on trial runs
# from August) — the approved quarter that takes the energy budget's year-end forecast above
# 95 % of the budget the committee approved in January (budgets.demo).
WORKFLOW_CHANGES = {"2026Q3": {"electricity_grid": Decimal("1.20")}}


def demo_rows_by_period(from_year: int) -> dict[str, dict[str, str]]:
    """{period: {item: value}} of the periods from `from_year` on (entered through the
    workflow by the departments themselves, with WORKFLOW_CHANGES)."""
    periods: dict[str, dict[str, str]] = {}
    for row in demo_rows():
        if _year_of(row["period"]) >= from_year:
            value = row["value"]
            factor = WORKFLOW_CHANGES.get(row["period"], {}).get(row["item"])
            if factor is not None:
                value = str((Decimal(value) * factor).quantize(Decimal("0.01"), ROUND_HALF_UP))
            periods.setdefault(row["period"], {})[row["item"]] = value
    return periods
