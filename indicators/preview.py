"""Preview: park results as they would be once a department's newest figures (drafts and
submissions included) were approved. Computed on request, never stored."""

from django.db.models import Max, Min

from indicators import selectors
from indicators.models import Figure, IndicatorResult
from indicators.recompute import compute_scope_rows
from tasks.selectors import plan_base_year


def preview_results(*, department_id: int) -> list[IndicatorResult]:
    """Unsaved park results from approved figures overlaid with the department's newest
    versions; each carries `method.preview = true`."""
    base_year = plan_base_year()
    inputs = selectors.preview_inputs(department_id=department_id)
    extents = [
        e for e in (selectors.counting_extents({""}).get(""), _draft_extent(department_id)) if e
    ]
    if not extents:
        return []
    last_year, last_quarter = max((e[1], e[2]) for e in extents)
    extent = (min(e[0] for e in extents), last_year, last_quarter)
    rows = compute_scope_rows(
        scope="",
        inputs=inputs,
        extent=extent,
        book=selectors.coefficient_book(),
        rules=selectors.counting_rules(),
        indicators=selectors.indicator_specs(),
        targets=selectors.target_specs_by_indicator(),
        base_year=base_year,
    )
    for row in rows:
        row.method = {
            **row.method,
            "preview": True,
            "counting": "approved figures and this department's newest versions",
        }
    return rows


def _draft_extent(department_id: int) -> tuple[int, int, int] | None:
    """First year, last year and its last quarter of the department's newest versions."""
    figures = Figure.objects.latest().filter(scope="", department_id=department_id)
    years = figures.aggregate(first=Min("year"), last=Max("year"))
    if years["first"] is None:
        return None
    last_quarter = figures.filter(year=years["last"]).aggregate(q=Max("quarter"))["q"]
    return years["first"], years["last"], last_quarter or 4
