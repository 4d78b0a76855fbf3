"""Data builders shared by tests."""

from decimal import Decimal

from indicators.exchange import item_specs
from indicators.importing import parse_import_records
from indicators.services import statistics_import

# Methodology §3's worked example, in single-quarter flows (each quarter a quarter of the
# year) with year-to-date real growth published every quarter.
WORKED_EXAMPLE_ANNUAL = {
    2020: {
        "coal_raw": "300000",
        "natural_gas": "5000",
        "diesel": "2000",
        "electricity_grid": "120000",
        "heat_purchased": "1500000",
        "iva_current": "1000000",
    },
    2025: {
        "coal_raw": "240000",
        "natural_gas": "7000",
        "diesel": "1800",
        "electricity_grid": "155000",
        "heat_purchased": "1600000",
        "iva_current": "1450000",
    },
}
GROWTH = {2021: "9.0", 2022: "5.5", 2023: "6.2", 2024: "6.8", 2025: "6.0"}


def worked_example_rows() -> list[dict]:
    """The worked example as the departments report it: DRS's whole quarterly form (0 for
    what the example does not use) and GRID's grid electricity, for 2020 and 2025."""
    from indicators.models import StatisticalItem

    drs_items = StatisticalItem.objects.filter(
        department__code="DRS", frequency="quarter"
    ).values_list("code", flat=True)
    rows = []
    for year, values in WORKED_EXAMPLE_ANNUAL.items():
        for quarter in range(1, 5):
            for item in sorted(set(drs_items) | set(values)):
                annual = values.get(item)
                if annual is None and item.endswith("_growth_ytd"):
                    continue  # growth rates come from GROWTH below
                value = str(Decimal(annual) / 4) if annual is not None else "0"
                rows.append({"period": f"{year}Q{quarter}", "item": item, "value": value})
    for year, growth in GROWTH.items():
        for quarter in range(1, 5):
            rows.append({"period": f"{year}Q{quarter}", "item": "iva_growth_ytd", "value": growth})
    return rows


def enterprises_register(codes, *, department_code: str = "DRS") -> None:
    """Put enterprise scopes in the register (what the statistics office does before any
    of their figures can be imported); codes already registered are left alone."""
    from enterprises.models import Enterprise
    from tasks.models import Department

    department = Department.objects.get(code=department_code)
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                code=code, name=f"企业 {code}", industry="3985", supervising_department=department
            )
            for code in sorted(set(codes) - {""})
        ],
        ignore_conflicts=True,
    )


def import_rows(rows, *, user, approve=True, dry_run=False, register_scopes=True):
    """Run rows through the same parser and service the API uses; the rows' enterprises
    are registered first unless `register_scopes` is False."""
    if register_scopes:
        enterprises_register({str(r.get("scope") or "").upper() for r in rows})
    parsed = parse_import_records(rows, item_specs())
    return statistics_import(
        parsed=parsed, user=user, source="test", approve=approve, dry_run=dry_run
    )


def department_fill(
    department_code: str, period: str, *, user, values=None, notes=None, reason: str = ""
):
    """Save every item of the department for the period (0 unless given) as drafts."""
    from reporting.workflow import EntryValue, department_items, department_period_save
    from tasks.models import Department

    department = Department.objects.get(code=department_code)
    values = values or {}
    notes = notes or {}
    entries = [
        EntryValue(item.code, Decimal(str(values.get(item.code, "0"))), notes.get(item.code, ""))
        for item in department_items(department, period)
    ]
    return department_period_save(
        department=department, period=period, entries=entries, user=user, reason=reason
    )


def department_approve(department_code: str, period: str, *, clerk, head):
    """Submit and approve a department's period (the everyday path)."""
    from reporting.workflow import department_period_approve, department_period_submit
    from tasks.models import Department

    department = Department.objects.get(code=department_code)
    department_period_submit(department=department, period=period, user=clerk)
    return department_period_approve(department=department, period=period, user=head)
