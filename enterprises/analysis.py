"""Reads behind the reconciliation and the gap attribution: a fixed number of queries
whatever the number of enterprises (sums are grouped in the database; pandas does the
whole-table analysis in enterprises.reconciliation and enterprises.decomposition)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Count, Q, Sum

from dezhou_carbon.exceptions import ApplicationError
from enterprises import rules
from enterprises.decomposition import Decomposition, ParkPeriod, lmdi
from enterprises.models import Enterprise
from enterprises.reconciliation import reconcile
from indicators.importing import parse_period
from indicators.models import Figure, IndicatorResult, StatisticalItem

ENERGY = "energy_total_calorific"
INTENSITY = "energy_intensity_iva"
VALUE_ADDED = "iva_current"


def period_parse(text: str | None, *, field: str = "period") -> tuple[str, int, int | None]:
    parsed = parse_period(text or "")
    if parsed is None:
        raise ApplicationError(
            f"期间“{(text or '')[:20]}”无效，应为 2025 或 2025Q3 这样的形式。",
            f"Invalid {field} '{(text or '')[:20]}': use a year (2025) or a quarter (2025Q3).",
            code="bad_period",
        )
    return parsed


# --- reconciliation ---------------------------------------------------------------------


def reconciliation(*, period: str, item: str | None = None) -> pd.DataFrame:
    """Σ registered enterprises vs the park for `period` (a quarter: that quarter and the
    year to date; a year: the year), per summed item (reconciliation.reconcile's columns
    plus item names and units)."""
    label, year, quarter = period_parse(period)
    items = StatisticalItem.objects.filter(aggregation=StatisticalItem.Aggregation.SUM)
    if item:
        items = items.filter(code=item)
    spec = {i.pk: i for i in items}
    if item and not spec:
        raise ApplicationError(
            f"未知或不可加总的统计指标项“{item[:60]}”。",
            f"Unknown item, or one that is not summed: '{item[:60]}'.",
            code="unknown_item",
        )
    registered = Enterprise.objects.values("code")
    figures = Figure.objects.filter(counts=True, year=year, item_id__in=list(spec)).filter(
        Q(scope="") | Q(scope__in=registered)
    )
    if quarter is not None:
        figures = figures.filter(Q(quarter__lte=quarter) | Q(quarter__isnull=True))
    sums = figures.values("item_id", "quarter").annotate(
        park=Sum("value", filter=Q(scope="")),
        enterprises=Sum("value", filter=~Q(scope="")),
        reporting=Count("scope", filter=~Q(scope="")),
        park_rows=Count("pk", filter=Q(scope="")),
    )
    rows = [
        {
            "item": spec[s["item_id"]].code,
            "quarter": s["quarter"] or 0,
            "park": s["park"] if s["park_rows"] else None,
            "enterprises": s["enterprises"] or Decimal(0),
            "reporting": s["reporting"],
        }
        for s in sums
    ]
    tolerance = rules.rules()[rules.RECONCILIATION_TOLERANCE].value
    frame = reconcile(pd.DataFrame(rows), quarter=quarter, tolerance=tolerance)
    by_code = {i.code: i for i in spec.values()}
    frame["period"] = label
    frame["name"] = [by_code[c].name for c in frame["item"]] if len(frame) else []
    frame["unit"] = [by_code[c].unit for c in frame["item"]] if len(frame) else []
    frame["department"] = [by_code[c].department_id for c in frame["item"]] if len(frame) else []
    frame.attrs["tolerance"] = tolerance
    return frame


# --- gap attribution ----------------------------------------------------------------------


@dataclass(frozen=True)
class GapAttribution:
    period_0: str
    period_t: str
    decomposition: Decomposition
    names: dict[str, str]  # credit code → name


def _park_result(indicator: str, period: str) -> Decimal | None:
    return (
        IndicatorResult.objects.filter(
            indicator__code=indicator, period=period, scope="", variant=""
        )
        .values_list("value", flat=True)
        .first()
    )


def _value_added(year: int, quarter: int | None) -> dict[str, Decimal]:
    """Current-price value added per scope ("" = park) over the window."""
    figures = Figure.objects.filter(counts=True, item__code=VALUE_ADDED, year=year)
    if quarter is not None:
        figures = figures.filter(quarter__lte=quarter)
    return {
        row["scope"]: row["total"] for row in figures.values("scope").annotate(total=Sum("value"))
    }


def gap_attribution(*, period_0: str, period_t: str) -> GapAttribution:
    """The LMDI decomposition of the park's intensity change from `period_0` to
    `period_t` over the key units (with value added reported) and the rest of the park."""
    label_0, year_0, quarter_0 = period_parse(period_0, field="from")
    label_t, year_t, quarter_t = period_parse(period_t, field="to")
    if quarter_0 != quarter_t or year_0 >= year_t:
        raise ApplicationError(
            "两个期间不可比：应为两个年度，或同一季度截止的两个年度累计，且起始期在前。",
            "The periods are not comparable: two years, or two years to date through the "
            "same quarter, the earlier one first.",
            code="not_comparable",
        )
    parks = []
    for label, year, quarter in ((label_0, year_0, quarter_0), (label_t, year_t, quarter_t)):
        energy = _park_result(ENERGY, label)
        intensity = _park_result(INTENSITY, label)
        value_added = _value_added(year, quarter)
        current = value_added.get("")
        if not energy or not intensity or not current:
            raise ApplicationError(
                f"{label} 园区综合能耗、单位工业增加值能耗或工业增加值尚无已审核结果。",
                f"{label}: the park's energy, intensity or value added has no approved result yet.",
                code="no_data",
            )
        parks.append(
            (ParkPeriod(float(energy), float(current), float(energy / intensity)), value_added)
        )
    key_units = dict(Enterprise.objects.filter(is_key_unit=True).values_list("code", "name"))
    energies = {
        (scope, period): value
        for scope, period, value in IndicatorResult.objects.filter(
            indicator__code=ENERGY,
            variant="",
            period__in=[label_0, label_t],
            scope__in=Enterprise.objects.filter(is_key_unit=True).values("code"),
        ).values_list("scope", "period", "value")
    }
    (park_0, va_0), (park_t, va_t) = parks
    rows = {
        code: {
            "energy_0": float(energies.get((code, label_0)) or 0),
            "va_0": float(va_0.get(code) or 0),
            "energy_t": float(energies.get((code, label_t)) or 0),
            "va_t": float(va_t.get(code) or 0),
        }
        for code in key_units
        if va_0.get(code) or va_t.get(code)  # units with value added reported
    }
    units = pd.DataFrame.from_dict(
        rows, orient="index", columns=["energy_0", "va_0", "energy_t", "va_t"]
    )
    units.index.name = "code"
    return GapAttribution(label_0, label_t, lmdi(units, park_0, park_t), key_units)
