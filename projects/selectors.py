"""Reads of the key projects: the register, a project with its history, and the admission
check against the park's stored results (no recompute in a request)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch

from projects import calculations as pc
from projects.models import EnergyReview, Project


def projects(
    *, stage: str = "", department_id: int | None = None, kind: str = "", task_id=None,
    funding: str = "", query: str = "",
):  # fmt: skip
    found = Project.objects.select_related("enterprise", "department").prefetch_related(
        Prefetch("energy_reviews", queryset=EnergyReview.objects.order_by("-recorded_at", "-id"))
    )
    if stage:
        found = found.filter(stage=stage)
    if department_id:
        found = found.filter(department_id=department_id)
    if kind:
        found = found.filter(kind=kind)
    if task_id:
        found = found.filter(tasks__id=task_id)
    if funding:
        found = found.filter(investment_planned__has_key=funding)
    query = query.replace("\x00", "").strip()
    if query:
        from django.db.models import Q

        found = found.filter(
            Q(code__icontains=query) | Q(name__icontains=query)
            | Q(enterprise__name__icontains=query) | Q(enterprise__code__icontains=query)
        )  # fmt: skip
    return found.order_by("code")


def admission_candidates(*, query: str = "", stage: str = "", limit: int = 50,
                         chosen_ids=()) -> tuple[list[Project], list[Project], bool]:  # fmt: skip
    """The projects the admission calculator offers — a review and value added — in two
    queries whatever their number: the chosen ones (always), and up to `limit` others that
    match `query` (code, name, the enterprise's name or credit code) and `stage`, with
    whether more match. Returns (chosen, matches, more)."""
    from django.db.models import Exists, OuterRef, Q

    offered = (
        Project.objects.filter(value_added__gt=0)
        .filter(Exists(EnergyReview.objects.filter(project=OuterRef("pk"))))
        .select_related("enterprise")
        .order_by("code")
    )
    chosen_ids = list(chosen_ids)
    chosen = list(offered.filter(pk__in=chosen_ids)) if chosen_ids else []
    matches = offered.exclude(pk__in=chosen_ids)
    query = query.strip()
    if query:
        matches = matches.filter(
            Q(code__icontains=query) | Q(name__icontains=query)
            | Q(enterprise__name__icontains=query) | Q(enterprise__code__icontains=query)
        )  # fmt: skip
    if stage:
        matches = matches.filter(stage=stage)
    found = list(matches[: limit + 1])
    return chosen, found[:limit], len(found) > limit


def park_latest_complete_year() -> dict | None:
    """The latest year with the park's annual energy (当量) and energy intensity per industrial
    value added stored: E_L, VA_L = E_L ÷ I_L (2020 prices), and the target value I* of the
    active target in that result (T2 through 2025, T2b after)."""
    from indicators.models import IndicatorResult

    rows = {}
    for code, period, value, target_value, target_code in (
        IndicatorResult.objects.filter(
            indicator__code__in=("energy_total_calorific", "energy_intensity_iva"),
            scope="", variant="", period__regex=r"^[0-9]{4}$", value__isnull=False,
        )
        .values_list("indicator__code", "period", "value", "target_value", "target__code")
    ):  # fmt: skip
        rows.setdefault(period, {})[code] = (Decimal(value), target_value, target_code)
    for period in sorted(rows, reverse=True):
        found = rows[period]
        if "energy_total_calorific" in found and "energy_intensity_iva" in found:
            energy = found["energy_total_calorific"][0]
            intensity, target_value, target_code = found["energy_intensity_iva"]
            if intensity <= 0:
                continue
            return {
                "year": int(period),
                "energy_tce": energy,
                "value_added": energy / intensity,
                "intensity": intensity,
                "target_value": None if target_value is None else Decimal(target_value),
                "target_code": target_code,
            }
    return None


def admission(
    project: Project, park: dict | None = None, reserve: dict | None = None
) -> pc.Admission | None:
    """The admission check of a project at full output with its latest reviewed energy, and
    the reserve of the year's approved budget that would remain (`budget_reserve`)."""
    park = park if park is not None else park_latest_complete_year()
    review = project.energy_reviews.order_by("-recorded_at", "-id").first()
    if park is None or review is None or not project.value_added or park["target_value"] is None:
        return None
    energy = review.approved_calorific_tce or review.calorific_tce
    return pc.admission_check(
        project_energy_tce=energy, project_value_added=project.value_added,
        park_energy_tce=park["energy_tce"], park_value_added=park["value_added"],
        path_value=park["target_value"], **reserve_arguments(reserve, [(project.pk, energy)]),
    )  # fmt: skip


def budget_reserve(year: int) -> dict | None:
    """The reserve (预留) of `year`'s approved energy budget and the projects it already
    allocates energy to, in two queries; None without an approved budget. The admission check
    is on 当量: a budget on 等价 says so (`comparable` False) and no reserve is computed."""
    from budgets.models import Allocation, Budget

    budget = (
        Budget.objects.filter(year=year, state=Budget.State.APPROVED).order_by("-version").first()
    )
    if budget is None:
        return None
    reserve, allocated = Decimal(0), set()
    for kind, project_id, energy in budget.allocations.filter(
        kind__in=(Allocation.Kind.RESERVE, Allocation.Kind.PROJECT)
    ).values_list("kind", "project_id", "energy_tce"):
        if kind == Allocation.Kind.RESERVE:
            reserve += energy
        else:
            allocated.add(project_id)
    return {
        "year": year, "version": budget.version, "document_no": budget.document_no,
        "comparable": budget.basis == Budget.Basis.CALORIFIC, "reserve_tce": reserve,
        "allocated": allocated,
    }  # fmt: skip


def reserve_arguments(reserve: dict | None, projects) -> dict:
    """admission_check's reserve arguments for [(project id or None, annual energy 当量)]: the
    budget's reserve, less the energy of the projects it does not allocate yet (an allocated
    project is already outside the reserve)."""
    if reserve is None or not reserve["comparable"]:
        return {}
    extra = sum(
        (energy for pk, energy in projects if pk is None or pk not in reserve["allocated"]),
        Decimal(0),
    )
    return {"reserve_tce": reserve["reserve_tce"], "project_allocation_tce": extra}


def operation_starts(year: int) -> list[dict]:
    """Projects starting operation (投产) within `year` — the newest record of the stage, its
    actual date or else its planned one — with their approved annual energy (the latest
    review's opinion; the review's own figures where no separate review is needed) and the
    latest carbon assessment's CO₂. Read by the energy budget (allocations and forecast)."""
    import datetime as dt

    from projects.models import CarbonAssessment, Stage, StageEvent

    starts: dict[int, dt.date | None] = {}
    for project_id, actual, planned in (
        StageEvent.objects.filter(stage=Stage.OPERATION)
        .order_by("recorded_at", "id")
        .values_list("project_id", "actual_date", "planned_date")
    ):
        starts[project_id] = actual or planned  # the newest record of the stage counts
    chosen = {pk: day for pk, day in starts.items() if day is not None and day.year == year}
    if not chosen:
        return []
    # The projects with a 投产 record as a subquery, the year's filtered here: no IN list of
    # hundreds of ids to build and send (the budget's recompute reads this after every
    # recompute of the results).
    staged = StageEvent.objects.filter(stage=Stage.OPERATION).values("project_id")
    reviews: dict[int, tuple] = {}
    for review in (
        EnergyReview.objects.filter(project_id__in=staged)
        .order_by("project_id", "recorded_at", "id")
        .values_list("project_id", "pk", "authority", "document_no", "approved_calorific_tce",
                     "calorific_tce", "approved_equal_value_tce", "equal_value_tce")
    ):  # fmt: skip
        if review[0] in chosen:
            reviews[review[0]] = review  # the newest review of each project counts
    co2: dict[int, Decimal] = {}
    for project_id, total in (
        CarbonAssessment.objects.filter(project_id__in=staged)
        .order_by("project_id", "recorded_at", "id")
        .values_list("project_id", "total_t")
    ):
        co2[project_id] = total
    rows = []
    for pk, code, name, enterprise_id in Project.objects.filter(pk__in=staged).values_list(
        "pk", "code", "name", "enterprise_id"
    ):
        if pk not in chosen:
            continue
        review = reviews.get(pk)
        if review is None:
            continue  # no review: no approved energy to allocate
        _, review_id, authority, document_no, approved, calorific, approved_equal, equal = review
        if authority != EnergyReview.Authority.NONE and not document_no:
            continue  # reviewed but no opinion yet: not approved
        rows.append(
            {
                "project_id": pk,
                "code": code,
                "name": name,
                "enterprise_id": enterprise_id,
                "start": chosen[pk],
                "calorific_tce": approved or calorific,
                "equal_value_tce": approved_equal or equal,
                "co2_t": co2.get(pk, Decimal(0)),
                "review_id": review_id,
                "document_no": document_no,
            }
        )
    return sorted(rows, key=lambda row: row["code"])


def reviewed_energy(project_ids) -> dict[int, Decimal]:
    """{project id: annual energy (当量) of its latest review, the approved figure when the
    opinion gives one} in one query."""
    energy: dict[int, Decimal] = {}
    for project_id, approved, computed in (
        EnergyReview.objects.filter(project_id__in=list(project_ids))
        .order_by("project_id", "-recorded_at", "-id")
        .values_list("project_id", "approved_calorific_tce", "calorific_tce")
    ):
        energy.setdefault(project_id, approved if approved is not None else computed)
    return energy


# The enterprise's statistical items that an existing plant's carbon assessment reads, by the
# carrier they are (purchased electricity from the grid, purchased heat; self-generated
# photovoltaic power emits nothing and is not purchased).
ENTERPRISE_ITEMS = {
    "coal_raw": "coal_raw", "coal_washed": "coal_washed", "coke": "coke",
    "fuel_oil": "fuel_oil", "gasoline": "gasoline", "diesel": "diesel", "lpg": "lpg",
    "natural_gas": "natural_gas", "electricity_grid": "electricity", "heat_purchased": "heat",
}  # fmt: skip


def enterprise_year_uses(enterprise_code: str, year: int) -> tuple[list[dict], list[str]]:
    """An enterprise's actual annual use by carrier in `year`: the sum of its four approved
    quarters' counting figures (in the items' units, which are the carriers' registry units),
    and the quarters not approved (the assessment refuses an incomplete year). Two queries."""
    from django.db.models import Sum

    from enterprises.models import EnterprisePeriod
    from indicators.models import Figure

    quarters = [f"{year}Q{q}" for q in range(1, 5)]
    approved = set(
        EnterprisePeriod.objects.filter(
            enterprise__code=enterprise_code, period__in=quarters,
            state=EnterprisePeriod.State.APPROVED,
        ).values_list("period", flat=True)
    )  # fmt: skip
    missing = [q for q in quarters if q not in approved]
    totals = (
        Figure.objects.filter(
            counts=True, scope=enterprise_code, year=year, quarter__isnull=False,
            item__code__in=list(ENTERPRISE_ITEMS),
        )
        .values("item__code", "item__unit")
        .annotate(total=Sum("value"))
        .order_by("item__code")
    )  # fmt: skip
    uses = [
        {"carrier": ENTERPRISE_ITEMS[row["item__code"]], "quantity": row["total"],
         "unit": row["item__unit"], "item": row["item__code"]}
        for row in totals if row["total"]
    ]  # fmt: skip
    return uses, missing
