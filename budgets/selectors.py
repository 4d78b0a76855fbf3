"""Reads of the energy budget: a year's approved version (or its latest draft), its
versions, allocations and the stored use / forecast / status by quarter. A constant number
of queries whatever the number of enterprises and projects (pages list the largest
allocations; the API and the execution report carry all of them)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from budgets.models import Allocation, Budget, BudgetStatus

LISTED = 50  # enterprise and project allocations a page lists (the largest); counts cover all


def budget_years() -> list[int]:
    return sorted(set(Budget.objects.values_list("year", flat=True)), reverse=True)


def budget_of_year(year: int) -> Budget | None:
    """The approved version of `year`, else its newest draft."""
    versions = Budget.objects.filter(year=year).select_related(
        "department", "drafted_by", "approved_by"
    )
    return versions.filter(state=Budget.State.APPROVED).first() or versions.first()


def budget_view(year: int, *, all_allocations: bool = False) -> dict | None:
    budget = budget_of_year(year)
    if budget is None:
        return None
    versions = list(
        Budget.objects.filter(year=year)
        .select_related("drafted_by", "approved_by")
        .order_by("-version")
    )
    statuses = list(BudgetStatus.objects.filter(budget=budget).order_by("quarter"))
    latest = statuses[-1] if statuses else None
    totals = {
        row["kind"]: row
        for row in budget.allocations.values("kind").annotate(
            energy=Sum("energy_tce"), co2=Sum("co2_t"), count=Count("pk")
        )
    }
    projects = (
        budget.allocations.filter(kind=Allocation.Kind.PROJECT)
        .select_related("project", "enterprise")
        .order_by("-energy_tce", "pk")
    )
    projects = list(projects if all_allocations else projects[:LISTED])
    enterprises = budget.allocations.filter(kind=Allocation.Kind.ENTERPRISE).select_related(
        "enterprise"
    )
    enterprises = list(
        enterprises.order_by("-energy_tce", "pk")
        if all_allocations
        else enterprises.order_by("-energy_tce", "pk")[:LISTED]
    )
    by_status = {"green": 0, "yellow": 0, "red": 0}
    states = latest.allocations if latest else {}
    for entry in states.values():
        by_status[entry["status"]] += 1
    rows = []
    for allocation in enterprises:
        entry = states.get(str(allocation.pk), {})
        rows.append(
            {
                "allocation": allocation,
                "use": Decimal(entry["use"]) if entry else None,
                "forecast": Decimal(entry["forecast"]) if entry else None,
                "status": entry.get("status", ""),
                "remaining": allocation.energy_tce - Decimal(entry["use"]) if entry else None,
            }
        )
    reserve = totals.get(Allocation.Kind.RESERVE, {})
    allocated = sum(
        (Decimal(t["energy"]) for k, t in totals.items() if k != Allocation.Kind.RESERVE),
        Decimal(0),
    )
    return {
        "budget": budget,
        "versions": versions,
        "statuses": statuses,
        "latest": latest,
        "totals": totals,
        "allocated_tce": allocated,
        "reserve_tce": reserve.get("energy"),
        "reserve_co2_t": reserve.get("co2"),
        "remaining_tce": budget.energy_tce - latest.use_tce if latest else budget.energy_tce,
        "projects": projects,
        "enterprises": rows,
        "enterprise_count": totals.get(Allocation.Kind.ENTERPRISE, {}).get("count", 0),
        "project_count": totals.get(Allocation.Kind.PROJECT, {}).get("count", 0),
        "by_status": by_status,
    }


def budget_snapshot(year: int, quarter: int | None) -> dict | None:
    """The year's approved budget as the attainment report freezes it (issue 18 item 8):
    plain JSON, decimals as unrounded strings; use, forecast and status by quarter through
    `quarter` (all four for a yearly round), the allocations' totals by kind, and at the
    latest of those quarters the enterprises' statuses counted and the yellow and red ones
    listed. None when the year has no approved budget. Four queries whatever the size."""
    budget = (
        Budget.objects.filter(year=year, state=Budget.State.APPROVED)
        .select_related("department", "approved_by")
        .first()
    )
    if budget is None:
        return None
    statuses = list(
        BudgetStatus.objects.filter(budget=budget, quarter__lte=quarter or 4).order_by("quarter")
    )
    totals = {
        row["kind"]: row
        for row in budget.allocations.values("kind").annotate(
            energy=Sum("energy_tce"), co2=Sum("co2_t"), count=Count("pk")
        )
    }
    latest = statuses[-1] if statuses else None
    entries = latest.allocations if latest else {}
    by_status = {"green": 0, "yellow": 0, "red": 0}
    for entry in entries.values():
        by_status[entry["status"]] += 1
    flagged = [int(pk) for pk, entry in entries.items() if entry["status"] in ("yellow", "red")]
    watched = []
    for allocation in (
        Allocation.objects.filter(pk__in=flagged)
        .select_related("enterprise")
        .order_by("-energy_tce", "pk")
    ):
        entry = entries[str(allocation.pk)]
        watched.append(
            {
                "code": allocation.enterprise.code if allocation.enterprise else "",
                "name": allocation.enterprise.name if allocation.enterprise else "",
                "energy_tce": str(allocation.energy_tce),
                "use_tce": entry["use"],
                "forecast_tce": entry["forecast"],
                "status": entry["status"],
            }
        )

    def total(kind: str, field: str) -> str | None:
        value = totals.get(kind, {}).get(field)
        return str(value) if value is not None else None

    return {
        "year": budget.year,
        "version": budget.version,
        "basis": budget.basis,
        "derivation": budget.derivation,
        "energy_tce": str(budget.energy_tce),
        "co2_t": str(budget.co2_t),
        "department": budget.department.code,
        "document_no": budget.document_no,
        "reason": budget.reason,
        "approved_by": budget.approved_by.get_username() if budget.approved_by else None,
        "approved_at": budget.approved_at.date().isoformat() if budget.approved_at else None,
        "allocations": {
            kind: {
                "energy_tce": total(kind, "energy"),
                "co2_t": total(kind, "co2"),
                "count": totals.get(kind, {}).get("count", 0),
            }
            for kind in Allocation.Kind.values
        },
        "quarters": [
            {
                "period": s.period,
                "quarter": s.quarter,
                "use_tce": str(s.use_tce),
                "use_co2_t": str(s.use_co2_t),
                "share": str(s.share),
                "forecast_tce": str(s.forecast_tce),
                "forecast_co2_t": str(s.forecast_co2_t),
                "energy_status": s.energy_status,
                "co2_status": s.co2_status,
                "status": s.status,
            }
            for s in statuses
        ],
        "enterprises_by_status": by_status,
        "enterprises_watched": watched,
    }


def drafts_awaiting(year: int | None = None):
    found = Budget.objects.filter(state=Budget.State.DRAFT).select_related("drafted_by")
    return found.filter(year=year) if year else found


__all__ = ["budget_of_year", "budget_snapshot", "budget_view", "budget_years", "drafts_awaiting"]
