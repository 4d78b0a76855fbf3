"""Result rows: one named layout (`ResultRow`) for every result the engine computes, how
one scope's rows are computed from its inputs, and how a new row is compared with a stored
result (the nightly reconciliation). Pure apart from building model instances."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from indicators import calculations as calc
from indicators.models import Indicator, IndicatorResult

ENGINE_VERSION = 1
# The IndicatorResult fields a recompute writes besides the key (scope, year, indicator,
# period, variant): what an upsert updates.
RESULT_FIELDS = [
    "year",
    "quarter",
    "value",
    "change_vs_base",
    "change_yoy",
    "target",
    "target_value",
    "target_pending_base",
    "path_value",
    "status",
    "completion",
    "time_progress",
    "required_annual_change",
    "projection",
    "provisional",
    "trace",
    "input_figure_ids",
    "computed_at",
]
# What the reconciliation compares: a stored result differing in one of these was lost or
# wrong.
COMPARED_FIELDS = ["value", "status", "target_value", "change_vs_base", "change_yoy"]
COUNTING_NOTE = "approved figures only / 仅计已审核数据"


class ResultRow(NamedTuple):
    """One result as the engine produces it: the IndicatorResult fields in this order, with
    the Indicator instance first (`result_instance` builds a model instance from it; the
    COPY writer sends its id). Every value is final (quantized decimals, method dict).

    The COPY formatter unpacks rows in this order (writers.RowFormatter.format)."""

    indicator: Indicator
    period: str
    year: int
    quarter: int | None
    scope: str
    variant: str
    value: Decimal | None
    change_vs_base: Decimal | None
    change_yoy: Decimal | None
    target_id: int | None
    target_value: Decimal | None
    target_pending_base: bool
    path_value: Decimal | None
    status: str
    completion: Decimal | None
    time_progress: Decimal | None
    required_annual_change: Decimal | None
    projection: Decimal | None
    provisional: bool
    method: dict
    input_figure_ids: list[int]

    def key(self) -> tuple[int, str, str, str]:
        """(indicator id, period, scope, variant): the result's identity (with the year,
        which the period implies, the unique key of the results table)."""
        return (self.indicator.pk, self.period, self.scope, self.variant)


# An enterprise row (hundreds of thousands per full recompute) is made with the tuple
# constructor from a tuple of the ResultRow fields in order: the NamedTuple's own
# constructor costs four times as much, keywords twelve times.
_new_row = tuple.__new__


def windows(extent: tuple[int, int, int], *, base_year: int) -> list[calc.Window]:
    """Every window (year to date, quarter by quarter) from the base year or the first
    year with data, whichever is earlier, to the last year and quarter with data."""
    first_year, last_year, last_quarter = extent
    found = []
    for year in range(min(first_year, base_year), last_year + 1):
        quarters = last_quarter if year == last_year else 4
        found.extend(calc.Window(year, q) for q in range(1, quarters + 1))
    return found


def extent_of(figures) -> tuple[int, int, int] | None:
    """First year, last year and its last quarter (4 when only yearly data) of one scope,
    from its counting figures {(item, year, quarter): …} (selectors.counting_extents reads
    the same from the database)."""
    if not figures:
        return None
    years = {year for _item, year, _quarter in figures}
    first, last = min(years), max(years)
    quarters = [q for _item, year, q in figures if year == last and q is not None]
    return first, last, max(quarters) if quarters else 4


def scope_result_rows(
    *,
    scope: str,
    inputs: calc.Inputs,
    extent: tuple[int, int, int],
    book: calc.CoefficientBook,
    rules: calc.CountingRules,
    indicators: dict,
    targets: dict,
    base_year: int,
    from_year: int | None = None,
    shared_methods: dict | None = None,
) -> list[ResultRow]:
    """Every result of one scope as rows, from `from_year` on.

    Enterprise rows with equal methods share one method dict, taken from `shared_methods`
    (signature → method; pass the same dict for every scope computed with this `book` and
    `rules`): building one per row cost more than its formula, and the COPY formatter
    recognises a shared one by identity. Never mutate a row's method."""
    if shared_methods is None:
        shared_methods = {}
    scope_windows = windows(extent, base_year=base_year)
    computed: dict[tuple[str, str], dict[calc.Window, calc.Computed]] = {}
    for window in scope_windows:
        for key, value in calc.compute_window(
            inputs, book, rules, window, base_year=base_year
        ).items():
            computed.setdefault(key, {})[window] = value
    is_park = scope == ""
    q = calc.safe_quantize
    relative_change = calc.relative_change
    labels = {window: window.label for window in scope_windows}
    rows = []
    for (code, variant), series in computed.items():
        if code not in indicators:
            continue
        indicator, spec = indicators[code]
        if is_park:
            values = {w: c.value for w, c in series.items()}
            evaluations = calc.evaluate_series(
                spec,
                values,
                targets.get(indicator.pk, []),
                plan_base_year=base_year,
                from_year=from_year,
            )
        else:
            by_period = {(w.year, w.quarters): c.value for w, c in series.items()}
        for window, result in series.items():
            year = window.year
            if from_year is not None and year < from_year:
                continue
            quarters = window.quarters
            quarter = None if quarters == 4 else quarters
            if not is_park:
                # Enterprises: only values that exist, with their changes; no targets.
                value = result.value
                if value is None:
                    continue
                change_vs_base = (
                    relative_change(value, by_period.get((base_year, quarters)))
                    if spec.has_base_year
                    else None
                )
                change_yoy = relative_change(value, by_period.get((year - 1, quarters)))
                method = shared_methods.get(result.signature)
                if method is None:
                    method = {
                        **result.method,
                        "engine_version": ENGINE_VERSION,
                        "counting": COUNTING_NOTE,
                    }
                    if result.signature is not None:
                        shared_methods[result.signature] = method
                rows.append(
                    _new_row(
                        ResultRow,
                        (
                            indicator,
                            labels[window],  # period
                            year,
                            quarter,
                            scope,
                            variant,
                            q(value),
                            q(change_vs_base),
                            q(change_yoy),
                            None,  # target_id
                            None,  # target_value
                            False,  # target_pending_base
                            None,  # path_value
                            "",  # status
                            None,  # completion
                            None,  # time_progress
                            None,  # required_annual_change
                            None,  # projection
                            result.provisional,
                            method,
                            result.figure_ids,  # input_figure_ids
                        ),
                    )
                )
                continue
            method = {
                **result.method,
                "engine_version": ENGINE_VERSION,
                "counting": COUNTING_NOTE,
            }
            evaluation = evaluations.get(window) or calc.Evaluation(status="")
            if evaluation.target is not None:
                method["target"] = evaluation.target.code
            if evaluation.notes:
                method["notes"] = evaluation.notes
            rows.append(
                ResultRow(
                    indicator=indicator,
                    period=window.label,
                    year=year,
                    quarter=quarter,
                    scope=scope,
                    variant=variant,
                    value=q(result.value),
                    change_vs_base=q(evaluation.change_vs_base),
                    change_yoy=q(evaluation.change_yoy),
                    target_id=evaluation.target.id if evaluation.target else None,
                    target_value=q(evaluation.target_value),
                    target_pending_base=evaluation.target_pending_base,
                    path_value=q(evaluation.path_value),
                    status=evaluation.status,
                    completion=q(evaluation.completion),
                    time_progress=q(evaluation.time_progress),
                    required_annual_change=q(evaluation.required_annual_change),
                    projection=q(evaluation.projection),
                    provisional=result.provisional,
                    method=method,
                    input_figure_ids=result.figure_ids,
                )
            )
    return rows


def result_instance(row: ResultRow, computed_at) -> IndicatorResult:
    """The row as an unsaved IndicatorResult."""
    return IndicatorResult(**row._asdict(), computed_at=computed_at)


def compute_scope_rows(
    *,
    scope: str,
    inputs: calc.Inputs,
    extent: tuple[int, int, int],
    book: calc.CoefficientBook,
    rules: calc.CountingRules,
    indicators: dict,
    targets: dict,
    base_year: int,
) -> list[IndicatorResult]:
    """Every result of one scope (unsaved). Pure apart from building model instances."""
    rows = scope_result_rows(
        scope=scope,
        inputs=inputs,
        extent=extent,
        book=book,
        rules=rules,
        indicators=indicators,
        targets=targets,
        base_year=base_year,
    )
    return [result_instance(row, timezone.now()) for row in rows]


# --- Comparing with stored results (the reconciliation) ---------------------------------

RELATIVE_TOLERANCE = Decimal("1e-12")  # SQLite keeps decimals as 64-bit floats


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    a, b = Decimal(a), Decimal(b)
    return abs(a - b) <= max(abs(a), abs(b)) * RELATIVE_TOLERANCE


def same_row(new: ResultRow, stored: dict) -> bool:
    """Whether a new row holds what a stored result's COMPARED_FIELDS hold (numbers within
    RELATIVE_TOLERANCE)."""
    return new.status == stored["status"] and all(
        same_number(getattr(new, name), stored[name])
        for name in COMPARED_FIELDS
        if name != "status"
    )


def row_comparable(row: ResultRow | None) -> dict | None:
    """A row's COMPARED_FIELDS as text, as the reconciliation reports them."""
    if row is None:
        return None
    return {
        name: None if getattr(row, name) is None else str(getattr(row, name))
        for name in COMPARED_FIELDS
    }
