"""Shared enterprise fixtures (a pytest plugin of tests/conftest.py): the worked
example's park (methodology §3) with two key units and one registered enterprise."""

from decimal import Decimal

import pytest

from enterprises import credit_code
from enterprises.models import Enterprise
from tests.helpers import import_rows, worked_example_rows

UNIT_A = credit_code.complete("91371400MA3C00A01")
UNIT_B = credit_code.complete("91371400MA3C00B02")
OTHER = credit_code.complete("91371400MA3C00C03")  # registered, not a key unit
# Annual coal (t) and current-price value added (万元) of the two key units.
UNITS = {
    UNIT_A: {2020: ("100000", "200000"), 2025: ("90000", "300000")},
    UNIT_B: {2020: ("50000", "100000"), 2025: ("70000", "120000")},
}


def unit_rows(code, years: dict) -> list[dict]:
    """An enterprise's quarterly form as DRS and GRID report it: every DRS quarterly item
    (0 unless given; an energy total needs every carrier) and grid electricity.
    `years`: year → {item: annual value}."""
    from indicators.models import StatisticalItem

    items = [
        c
        for c in StatisticalItem.objects.filter(
            department__code="DRS", frequency="quarter"
        ).values_list("code", flat=True)
        if not c.endswith("_growth_ytd")
    ]
    rows = []
    for year, values in years.items():
        for quarter in range(1, 5):
            for item in sorted({*items, "electricity_grid", *values}):
                value = Decimal(values.get(item, "0")) / 4
                rows.append(
                    {
                        "period": f"{year}Q{quarter}",
                        "item": item,
                        "value": str(value),
                        "scope": code,
                    }
                )
    return rows


def _unit_rows(code, years):
    return unit_rows(
        code,
        {year: {"coal_raw": coal, "iva_current": va} for year, (coal, va) in years.items()},
    )


@pytest.fixture
def park_with_key_units(administrator, django_capture_on_commit_callbacks):
    from tasks.models import Department

    drs = Department.objects.get(code="DRS")
    for code, name, key in (
        (UNIT_A, "甲化工", True),
        (UNIT_B, "乙材料", True),
        (OTHER, "丙", False),
    ):
        Enterprise.objects.create(
            code=code, name=name, industry="2614", supervising_department=drs, is_key_unit=key
        )
    rows = worked_example_rows()
    for code, years in UNITS.items():
        rows += _unit_rows(code, years)
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(rows, user=administrator)
