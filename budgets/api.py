"""API of the energy budget (management.md §6): `budgets/{year}/` — the budget (approved
version, else the newest draft), its allocations, use, forecast and status by quarter.
Numbers are decimal strings (data-exchange §3)."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from budgets import selectors
from dezhou_carbon.api import ApiViewMixin
from indicators.periods import MAX_YEAR, MIN_YEAR


class ReadsBudgets(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_budgets(request.user)


def _text(value) -> str | None:
    return None if value is None else format(value.normalize() if value else value, "f")


def budget_document(view: dict) -> dict:
    budget = view["budget"]
    return {
        "year": budget.year,
        "version": budget.version,
        "state": budget.state,
        "basis": budget.basis,
        "derivation": budget.derivation,
        "energy_tce": _text(budget.energy_tce),
        "co2_t": _text(budget.co2_t),
        "document_no": budget.document_no,
        "reason": budget.reason,
        "department": budget.department.code,
        "approved_at": budget.approved_at.isoformat() if budget.approved_at else None,
        "allocations": [
            {
                "kind": row["allocation"].kind,
                "enterprise": row["allocation"].enterprise.code,
                "energy_tce": _text(row["allocation"].energy_tce),
                "co2_t": _text(row["allocation"].co2_t),
                "use_tce": _text(row["use"]),
                "forecast_tce": _text(row["forecast"]),
                "status": row["status"] or None,
            }
            for row in view["enterprises"]
        ]
        + [
            {
                "kind": allocation.kind,
                "project": allocation.project.code,
                "enterprise": allocation.enterprise.code if allocation.enterprise else None,
                "energy_tce": _text(allocation.energy_tce),
                "co2_t": _text(allocation.co2_t),
                "operating_share": allocation.trace.get("operating_share"),
            }
            for allocation in view["projects"]
        ],
        "reserve": {
            "energy_tce": _text(view["reserve_tce"]),
            "co2_t": _text(view["reserve_co2_t"]),
        },
        "quarters": [
            {
                "period": s.period,
                "use_tce": _text(s.use_tce),
                "use_co2_t": _text(s.use_co2_t),
                "seasonal_share": _text(s.share),
                "forecast_tce": _text(s.forecast_tce),
                "forecast_co2_t": _text(s.forecast_co2_t),
                "energy_status": s.energy_status,
                "co2_status": s.co2_status,
                "status": s.status,
            }
            for s in view["statuses"]
        ],
        "status": view["latest"].status if view["latest"] else None,
        "versions": [
            {
                "version": v.version,
                "state": v.state,
                "energy_tce": _text(v.energy_tce),
                "co2_t": _text(v.co2_t),
                "document_no": v.document_no,
            }
            for v in view["versions"]
        ],
    }


class BudgetApi(ApiViewMixin, APIView):
    """GET a year's energy and carbon budget: allocations, use, forecast and status (404 when
    the year has no budget)."""

    permission_classes = [ReadsBudgets]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, year: int):
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise NotFound
        view = selectors.budget_view(year, all_allocations=True)
        if view is None:
            raise NotFound
        return Response(budget_document(view))


api_urlpatterns = [
    path("budgets/<int:year>/", BudgetApi.as_view(), name="budget-detail"),
]
