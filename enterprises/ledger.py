"""The key-unit ledger (重点用能单位碳排放台账): per enterprise and period, energy on
both bases, CO₂ with the grid factor's version, value added and energy per 万元, changes
vs last year and vs 2020, rank and share in the park. Reads stored results and grouped
figure sums: a fixed number of queries whatever the number of enterprises; pandas ranks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Sum

from enterprises.analysis import ENERGY, VALUE_ADDED, period_parse
from enterprises.models import Enterprise
from indicators.models import Figure, IndicatorResult, MethodTrace

EQUAL_VALUE = "energy_total_equal_value"
CO2 = "co2_emissions"
LEDGER_INDICATORS = (ENERGY, EQUAL_VALUE, CO2)
PAGE_SIZE = 100


@dataclass(frozen=True)
class Ledger:
    period: str
    rows: list[dict]  # the page's enterprises, ranked by energy
    total: int  # enterprises with a value in the period (visible to the user)
    park_energy: Decimal | None
    factors: dict  # trace id → "co2.grid.national@2023 v1"


def _factor_labels(trace_ids) -> dict:
    labels = {}
    for trace in MethodTrace.objects.filter(pk__in=set(trace_ids)):
        coefficients = trace.document.get("coefficients") or {}
        grid = [
            f"{label} v{entry.get('version', '')}"
            for label, entry in coefficients.items()
            if str(label).startswith("co2.grid")
        ]
        labels[trace.pk] = "、".join(sorted(grid))
    return labels


def _window_value_added(year: int, quarter: int | None, scopes) -> dict[str, Decimal]:
    figures = Figure.objects.filter(counts=True, item__code=VALUE_ADDED, year=year)
    if quarter is not None:
        figures = figures.filter(quarter__lte=quarter)
    return dict(
        figures.filter(scope__in=scopes)
        .values("scope")
        .annotate(total=Sum("value"))
        .values_list("scope", "total")
    )


def ledger(*, period: str, enterprises, page: int = 1, key_units_only: bool = False) -> Ledger:
    """The ledger of `period` for `enterprises` (a queryset the user may read)."""
    label, year, quarter = period_parse(period)
    if key_units_only:
        enterprises = enterprises.filter(is_key_unit=True)
    # Every registered enterprise's energy of the period (for rank and share), then the
    # other indicators of the page's enterprises only.
    energy = pd.DataFrame(
        list(
            IndicatorResult.objects.filter(
                indicator__code=ENERGY,
                period=label,
                variant="",
                scope__in=Enterprise.objects.values("code"),
            ).values_list("scope", "value", "change_yoy", "change_vs_base")
        ),
        columns=["scope", "value", "yoy", "vs_base"],
    ).set_index("scope")
    park_energy = (
        IndicatorResult.objects.filter(indicator__code=ENERGY, period=label, scope="", variant="")
        .values_list("value", flat=True)
        .first()
    )
    energy = energy.assign(
        rank=energy["value"].astype(float).rank(ascending=False, method="min").astype("Int64")
    )
    visible = dict(enterprises.values_list("code", "name"))
    shown = energy[energy.index.isin(list(visible))].sort_values("rank", kind="mergesort")
    total = len(shown)
    page_rows = shown.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    codes = list(page_rows.index)
    by_key = {
        (scope, indicator): (value, trace)
        for scope, indicator, value, trace in IndicatorResult.objects.filter(
            indicator__code__in=[EQUAL_VALUE, CO2], period=label, variant="", scope__in=codes
        ).values_list("scope", "indicator__code", "value", "trace_id")
    }
    value_added = _window_value_added(year, quarter, codes)
    factors = _factor_labels(
        trace for (_scope, code), (_value, trace) in by_key.items() if code == CO2
    )
    rows = []
    for code, value, yoy, vs_base, rank in zip(
        page_rows.index,
        page_rows["value"],
        page_rows["yoy"],
        page_rows["vs_base"],
        page_rows["rank"],
        strict=True,
    ):
        equal = by_key.get((code, EQUAL_VALUE))
        co2 = by_key.get((code, CO2))
        va = value_added.get(code)
        rows.append(
            {
                "code": code,
                "name": visible[code],
                "energy": value,
                "energy_yoy": yoy,
                "energy_vs_base": vs_base,
                "equal_value": equal[0] if equal else None,
                "co2": co2[0] if co2 else None,
                "co2_factor": factors.get(co2[1], "") if co2 else "",
                "value_added": va,
                "intensity": value / va if va else None,
                "rank": int(rank),
                "share": value / park_energy if park_energy else None,
            }
        )
    return Ledger(label, rows, total, park_energy, factors)


def enterprise_series(code: str) -> dict:
    """An enterprise's annual energy (both bases) and CO₂ since the base year, and its
    latest year's figures by carrier (item sums), for its profile."""
    results = IndicatorResult.objects.filter(
        scope=code, variant="", quarter__isnull=True, indicator__code__in=LEDGER_INDICATORS
    ).values_list("indicator__code", "year", "value")
    series: dict[str, dict[int, Decimal]] = {}
    for indicator, year, value in results:
        if value is not None:
            series.setdefault(indicator, {})[year] = value
    years = sorted({y for values in series.values() for y in values})
    latest = years[-1] if years else None
    carriers = []
    if latest is not None:
        carriers = list(
            Figure.objects.filter(counts=True, scope=code, year=latest)
            .values("item__code", "item__name_zh", "item__name_en", "item__unit")
            .annotate(total=Sum("value"))
            .order_by("item__order", "item__code")
        )
    return {"years": years, "series": series, "latest": latest, "carriers": carriers}
