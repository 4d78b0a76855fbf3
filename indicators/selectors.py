"""Reads that feed the engine and the pages: figures as pure `Inputs`, the current
coefficients and counting rules, targets as pure specs, and stored results."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection
from django.db.models import Max, Min

from indicators.calculations import (
    CoefficientBook,
    CoefficientRow,
    CountingRules,
    IndicatorSpec,
    Inputs,
    ItemRule,
    TargetSpec,
)
from indicators.models import (
    Coefficient,
    Figure,
    Indicator,
    IndicatorResult,
    MethodSetting,
    StatisticalItem,
    Target,
)


def item_rules() -> dict[str, ItemRule]:
    return {
        code: ItemRule(frequency, aggregation)
        for code, frequency, aggregation in StatisticalItem.objects.values_list(
            "code", "frequency", "aggregation"
        )
    }


def counting_scopes() -> list[str]:
    """Every scope with approved figures in force, in order."""
    return list(
        Figure.objects.counting().order_by("scope").values_list("scope", flat=True).distinct()
    )


def counting_extents(scopes: set[str] | None = None) -> dict[str, tuple[int, int, int]]:
    """Per scope with approved figures in force (of `scopes`, default all): its first year,
    last year and that year's last quarter (4 when only yearly data)."""
    queryset = Figure.objects.counting()
    if scopes is not None:
        queryset = queryset.filter(scope__in=scopes)
    extent = {}
    for row in queryset.values("scope").annotate(first=Min("year"), last=Max("year")):
        extent[row["scope"]] = [row["first"], row["last"], 0]
    for row in queryset.values("scope", "year").annotate(last_quarter=Max("quarter")):
        if row["year"] == extent[row["scope"]][1]:
            extent[row["scope"]][2] = row["last_quarter"] or 4
    return {scope: tuple(values) for scope, values in extent.items()}


def result_scopes(*, from_year: int | None = None) -> set[str]:
    """The scopes that have stored results (from `from_year` on)."""
    if connection.vendor != "postgresql":
        results = IndicatorResult.objects.all()
        if from_year is not None:
            results = results.filter(year__gte=from_year)
        return set(results.order_by().values_list("scope", flat=True).distinct())
    # A skip scan of indicator_result_unique (scope, year, …): one probe per scope, not a
    # table scan.
    year = "" if from_year is None else " AND year >= %(year)s"
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE s(scope) AS ("
            f" SELECT min(scope) FROM indicators_indicatorresult WHERE TRUE{year}"
            " UNION ALL SELECT (SELECT min(scope) FROM indicators_indicatorresult"
            f" WHERE scope > s.scope{year}) FROM s WHERE s.scope IS NOT NULL"
            ") SELECT scope FROM s WHERE scope IS NOT NULL",
            {"year": from_year},
        )
        return {scope for (scope,) in cursor.fetchall()}


def counting_inputs_stream(
    *,
    scopes: set[str] | None = None,
    scopes_per_query: int = 100,
    lock=None,
    read=None,
) -> Iterator[tuple[str, dict, Inputs]]:
    """(scope, figures, Inputs) for each scope with approved figures in force, in scope
    order, reading `scopes_per_query` scopes per query: only those scopes' figures are
    held at a time. `figures` is the mapping the Inputs answer from: (item, year,
    quarter) → (value, id).

    Each query runs holding `lock` (a context manager), if any. `read(queryset)`, if
    given, starts reading a query's rows and returns a callable that waits for them: the
    stream then starts reading the next scopes before it yields the current ones, so the
    reading overlaps the caller's work."""
    guard = lock if lock is not None else contextlib.nullcontext()
    with guard:
        rules = item_rules()
        codes = dict(StatisticalItem.objects.values_list("pk", "code"))
        ordered = sorted(scopes) if scopes is not None else counting_scopes()

    def query(batch: list[str]):
        # Unordered: Figure's default ordering (by the item's order and code) costs a
        # join and a sort of every row, and nothing here depends on the order — a scope
        # has one counting version per (item, period), so each key below is set once.
        return (
            Figure.objects.counting()
            .filter(scope__in=batch)
            .order_by()
            .values_list("scope", "item_id", "year", "quarter", "value", "pk")
        )

    def read_when_needed(queryset):
        def rows() -> list[tuple]:
            with guard:
                return list(queryset)

        return rows

    start = read or read_when_needed
    batches = [
        ordered[index : index + scopes_per_query]
        for index in range(0, len(ordered), scopes_per_query)
    ]
    pending = start(query(batches[0])) if batches else None
    for index, batch in enumerate(batches):
        rows = pending()
        pending = start(query(batches[index + 1])) if index + 1 < len(batches) else None
        # `value` is already a Decimal, as read (psycopg2 reads numeric as Decimal, and
        # Django converts SQLite's), so it is kept as it is rather than copied. A scope's
        # rows mostly come together (as stored), so its dict is looked up once per run of
        # them, not once per row.
        by_scope: dict[str, dict] = {}
        current, figures = None, None
        for scope, item_id, year, quarter, value, pk in rows:
            if scope != current:
                current = scope
                figures = by_scope.get(scope)
                if figures is None:
                    figures = by_scope[scope] = {}
            figures[codes[item_id], year, quarter] = (value, pk)
        del rows, figures
        for scope in batch:
            figures = by_scope.pop(scope, None)
            if figures:
                yield scope, figures, Inputs(figures, rules)


def preview_inputs(*, department_id: int, scope: str = "") -> Inputs:
    """Approved figures, with the department's newest versions (any state) in their
    place: what the results would be once the department's drafts are approved."""
    rules = item_rules()
    codes = dict(StatisticalItem.objects.values_list("pk", "code"))
    data = {}
    for item_id, year, quarter, value, pk in (
        Figure.objects.counting()
        .filter(scope=scope)
        .values_list("item_id", "year", "quarter", "value", "pk")
    ):
        data[(codes[item_id], year, quarter)] = (Decimal(value), pk)
    for item_id, year, quarter, value, pk in (
        Figure.objects.latest()
        .filter(scope=scope, department_id=department_id)
        .values_list("item_id", "year", "quarter", "value", "pk")
    ):
        data[(codes[item_id], year, quarter)] = (Decimal(value), pk)
    return Inputs(data, rules)


def coefficient_book() -> CoefficientBook:
    return CoefficientBook(
        CoefficientRow(key, Decimal(value), year, version, pk, unit)
        for key, value, year, version, pk, unit in Coefficient.objects.filter(
            is_current=True
        ).values_list("key", "value", "year", "version", "pk", "unit")
    )


def counting_rules() -> CountingRules:
    settings = {s.key: s for s in MethodSetting.objects.filter(is_current=True)}
    non_fossil = settings["non_fossil_rule"].value if "non_fossil_rule" in settings else {}
    co2 = settings["co2_method"].value if "co2_method" in settings else {}
    waste = (
        settings["waste_intensity_price_basis"].value
        if "waste_intensity_price_basis" in settings
        else {}
    )
    return CountingRules(
        count_grid_non_fossil_fraction=bool(non_fossil.get("count_grid_non_fossil_fraction")),
        grid_non_fossil_fraction_percent=Decimal(
            str(non_fossil.get("grid_non_fossil_fraction_percent") or "0")
        ),
        co2_electricity_basis=co2.get("electricity_basis", "location"),
        co2_grid_region=co2.get("grid_region", "national"),
        waste_intensity_price_basis=waste.get("price_basis", "current"),
        versions={key: setting.version for key, setting in settings.items()},
    )


def indicator_specs() -> dict[str, tuple[Indicator, IndicatorSpec]]:
    return {
        i.code: (i, IndicatorSpec(i.code, i.direction, i.path_kind, i.has_base_year))
        for i in Indicator.objects.all()
    }


def target_specs_by_indicator() -> dict[int, list[TargetSpec]]:
    """Targets with an indicator and a year, as pure specs, per indicator id."""
    specs: dict[int, list[TargetSpec]] = defaultdict(list)
    targets = Target.objects.filter(indicator__isnull=False, target_year__isnull=False)
    for target in targets.select_related("indicator", "base_target"):
        base_year = target.base_year
        if target.kind == Target.Kind.REDUCTION_VS_TARGET and target.base_target_id:
            base_year = target.base_target.target_year
        specs[target.indicator_id].append(
            TargetSpec(
                id=target.pk,
                code=target.code,
                kind=target.kind,
                qualifier=target.qualifier,
                value=target.value,
                target_year=target.target_year,
                base_year=base_year,
                tolerance=target.tolerance,
                is_percentage_unit=target.indicator.unit == "%",
                strict=target.strict,
            )
        )
    return specs


def indicator_result_scopes(indicator_id: int) -> list[str]:
    """The scopes with stored results of one indicator, in order. On PostgreSQL a skip scan
    of indicator_result_unique (scope, year, indicator, …): one short probe per scope
    instead of reading every result (the table has no index starting with the indicator)."""
    if connection.vendor != "postgresql":
        return list(
            IndicatorResult.objects.filter(indicator_id=indicator_id)
            .order_by("scope")
            .values_list("scope", flat=True)
            .distinct()
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE s(scope) AS ("
            " SELECT min(scope) FROM indicators_indicatorresult WHERE indicator_id = %(id)s"
            " UNION ALL SELECT (SELECT min(scope) FROM indicators_indicatorresult"
            " WHERE scope > s.scope AND indicator_id = %(id)s) FROM s"
            " WHERE s.scope IS NOT NULL"
            ") SELECT scope FROM s WHERE scope IS NOT NULL",
            {"id": indicator_id},
        )
        return [scope for (scope,) in cursor.fetchall()]


def indicator_results(
    *, indicator: str | None = None, period: str | None = None, scope: str = "", variant: str = ""
):
    """Stored results, with indicator, target and method trace fetched in the same query."""
    queryset = IndicatorResult.objects.select_related("indicator", "target", "trace").filter(
        scope=scope, variant=variant
    )
    if indicator:
        queryset = queryset.filter(indicator__code=indicator)
    if period:
        queryset = queryset.filter(period=period)
    return queryset.order_by("indicator__order", "year", "quarter")
