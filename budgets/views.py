"""Pages of the energy budget: a year's dashboard (allocated / used / forecast / remaining for
the park, its projects and its largest enterprises, the Plotly chart, the versions), the
drafting form (DRS, the statistics office) and the committee's approval. Thin:
`accounts.permissions` decides, `budgets.selectors` reads, `budgets.services` writes."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from budgets import charts, selectors, services
from budgets.models import Budget
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import says
from indicators.periods import MAX_YEAR, MIN_YEAR
from tasks.models import Department


def _guarded(rule):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def _labels() -> charts.Labels:
    return charts.Labels(
        use=_("累计用能"), forecast=_("全年预测"), budget=_("用能预算"), quarter=_("季度"),
        unit=_("吨标准煤"), quarters=(_("一季度"), _("二季度"), _("三季度"), _("四季度")),
    )  # fmt: skip


def _year(year) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    return year


@_guarded(permissions.can_read_budgets)
@require_GET
def index(request):
    years = selectors.budget_years()
    return dashboard(request, years[0] if years else timezone.localdate().year)


@_guarded(permissions.can_read_budgets)
@require_GET
def dashboard(request, year: int):
    year = _year(year)
    view = selectors.budget_view(year)
    figure = None
    if view is not None and view["statuses"]:
        figure = charts.budget_figure(
            budget=view["budget"].energy_tce,
            use={s.quarter: s.use_tce for s in view["statuses"]},
            forecast={s.quarter: s.forecast_tce for s in view["statuses"]},
            labels=_labels(),
        )
    user = request.user
    budget = view["budget"] if view else None
    return render(
        request,
        "budgets/dashboard.html",
        {
            "year": year,
            "years": selectors.budget_years(),
            "view": view,
            "figure": figure,
            "may_draft": permissions.can_draft_budget(user),
            "may_approve": budget is not None
            and budget.state == Budget.State.DRAFT
            and permissions.can_approve_budget(user, budget.drafted_by_id),
            "bases": Budget.Basis.choices,
        },
    )


@_guarded(permissions.can_draft_budget)
@require_POST
def draft(request):
    data = request.POST
    try:
        year = int(data.get("year", ""))
    except ValueError:
        year = 0
    try:
        services.budget_draft(
            user=request.user, year=year, basis=data.get("basis", ""),
            department=Department.objects.get(code=_projects_department()),
            energy_tce=data.get("energy_tce") or None, co2_t=data.get("co2_t") or None,
            path_intensity=data.get("path_intensity") or None,
            co2_path_intensity=data.get("co2_path_intensity") or None,
            base_value_added=data.get("base_value_added") or None,
            real_growth_percent=data.get("real_growth_percent") or None,
            note=data.get("note", ""),
        )  # fmt: skip
    except ApplicationError as refused:
        messages.error(request, says(refused))
        return redirect("budgets:index")
    messages.success(request, _("预算草案已保存，待管委会批准。"))
    return redirect("budgets:dashboard", year=year)


def _projects_department() -> str:
    from django.conf import settings

    return getattr(settings, "PROJECTS_DEPARTMENT", "DRS")


@_guarded(permissions.can_approve_budget)
@require_POST
def approve(request, year: int):
    year = _year(year)
    version = request.POST.get("version", "")
    budget = Budget.objects.filter(
        year=year, version=int(version) if version.isascii() and version.isdigit() else 0
    ).first()
    if budget is None:
        raise Http404
    try:
        services.budget_approve(
            user=request.user, budget=budget, reason=request.POST.get("reason", ""),
            document_no=request.POST.get("document_no", ""),
        )  # fmt: skip
    except ApplicationError as refused:
        messages.error(request, says(refused))
    else:
        messages.success(request, _("预算已批准。"))
    return redirect("budgets:dashboard", year=year)


@_guarded(permissions.can_read_budgets)
@require_GET
def export(request, year: int, fmt: str):
    """The year's budget execution report (预算执行报告) as xlsx or PDF."""
    from budgets import exporting
    from dezhou_carbon.i18n import page_language
    from reports.views import attachment

    year = _year(year)
    view = selectors.budget_view(year, all_allocations=True)
    if view is None or fmt not in ("pdf", "xlsx"):
        raise Http404
    language = page_language()
    name = f"{_('用能预算执行报告')}-{year}-v{view['budget'].version}"
    if fmt == "pdf":
        return attachment(exporting.execution_pdf(view, language=language),
                          filename=f"{name}.pdf", content_type="application/pdf")  # fmt: skip
    return attachment(
        exporting.execution_xlsx(view, language=language),
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


app_name = "budgets"
urlpatterns = [
    path("", index, name="index"),
    path("<int:year>/", dashboard, name="dashboard"),
    path("draft/", draft, name="draft"),
    path("<int:year>/approve/", approve, name="approve"),
    path("<int:year>/report.<str:fmt>", export, name="export"),
]
