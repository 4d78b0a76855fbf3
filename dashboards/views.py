"""Pages of the committee's dashboards: overview, indicator, plan board, department,
heatmap and the meeting-room big screen (warnings live in dashboards/warning_views.py).

Views stay thin: `accounts.permissions` decides who may do what, `dashboards.selectors`
reads stored results (a fixed number of queries per page), `dashboards.charts` builds the
chart figures (cached per results generation by `dashboards.cache`) and every write goes
through `dashboards.services`."""

from __future__ import annotations

import datetime as dt
import re
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from dashboards import cache as dashboard_cache
from dashboards import charts, selectors, services
from dashboards.cache import cached
from dashboards.models import ProgressReport
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import page_language, says
from dezhou_carbon.input_fields import period_param
from indicators.models import PARK_SCOPE
from indicators.periods import Period, quarter_text
from tasks.models import Task

BIGSCREEN_REFRESH_SECONDS = 300
BIGSCREEN_CHART_PX = 390  # each trend chart's height: two fit beside the bullets at 1080
SCOPE = re.compile(r"^[0-9A-Z]{18}$")


def product_page(view):
    """Signed in (else to the login page) and allowed to use the product (else 403)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not permissions.can_use_product(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _render(request, template: str, context: dict, *, section: str, status: int = 200):
    return render(request, template, {"section": section, **context}, status=status)


# --- overview and big screen -------------------------------------------------------------------


@product_page
@require_GET
def overview(request):
    """A card per target for the chosen period and assessment variant, the status counts,
    open warnings and the latest round's submission completeness.

    The rendered page is cached per session (it carries the user's forms), language and
    filters, under the results and page generations: a recompute, an answered warning, a
    submitted period or a round's new deadline shows at once."""
    period = period_param(request.GET.get("period")) or ""
    variant = request.GET.get("variant") or ""
    # Resolved before the cache: which period is the default changes with the rounds.
    choice = selectors.period_choice(period or None)
    updating = selectors.recompute_state()

    def build() -> str:
        data = selectors.overview(user=request.user, variant=variant or None, choice=choice)
        response = _render(
            request,
            "dashboards/overview.html",
            {"data": data, "legend": selectors.status_legend(), "updating": updating},
            section="overview",
        )
        return response.content.decode()

    parts = (
        "overview-page",
        request.session.session_key or "-",
        request.user.pk,
        request.user.role,
        page_language(),
        choice.period or "-",
        int(choice.requested),
        choice.newer or "-",
        variant[:40],
        updating.key,
    )
    if len(messages.get_messages(request)):  # shown once: never kept in the page
        return HttpResponse(build())
    return HttpResponse(dashboard_cache.page_cached(parts, build))


@product_page
@require_GET
def bigscreen(request):
    """The meeting-room screen at 1920×1080 without scrolling: every target as a bullet
    with its status colour, the intensity and non-fossil trends against their paths, the
    round's completeness ring, open warnings by level and state, and the responsible units
    ranked. Same period rule as the overview (`?period=` for another). It reloads itself
    every five minutes (static/js/bigscreen.js); the page carries nobody's forms, so one
    rendering per language, period and "updating" state is cached under the results and
    page generations, and a wall of screens costs one query set per change."""
    choice = selectors.period_choice(period_param(request.GET.get("period")))
    updating = selectors.recompute_state()

    def build() -> str:
        screen = selectors.bigscreen(choice)
        trends = []
        for code in selectors.BIGSCREEN_TRENDS:
            series = selectors.trend_series(code, period=choice.period)
            if series is not None and series["points"]:
                figure = charts.indicator_figure(series, chart_labels())
                title = _("%(name)s（%(unit)s）") % {"name": series["name"], "unit": series["unit"]}
                trends.append(
                    (code, charts.bigscreen_figure(figure, title=title, height=BIGSCREEN_CHART_PX))
                )
        response = render(
            request,
            "dashboards/bigscreen.html",
            {
                "data": screen.overview,
                "screen": screen,
                "trends": trends,
                "legend": selectors.status_legend(),
                "refresh_seconds": BIGSCREEN_REFRESH_SECONDS,
                "now": timezone.localtime(),
                "updating": updating,
            },
        )
        return response.content.decode()

    parts = (
        "bigscreen-page",
        page_language(),
        choice.period or "-",
        int(choice.requested),
        choice.newer or "-",
        updating.key,
    )
    return HttpResponse(dashboard_cache.page_cached(parts, build))


# --- indicator ---------------------------------------------------------------------------------


def chart_labels() -> charts.Labels:
    return charts.Labels(
        annual=_("年度值"),
        ytd=_("年内累计值"),
        path=_("{code} 目标路径"),
        hold=_("{code} 保持线"),
        target=_("{code} 目标（{year}）"),
        projection=_("按当前增速预测（至{year}）"),
        original=_("{code} 原目标路径（调整前）"),
        period=_("期间"),
        variants={value: str(label) for value, label in selectors.Variant.choices if value},
    )


def indicator_chart(page: selectors.IndicatorPage) -> dict:
    """The chart's figure, cached per results generation, indicator, scope and language."""
    key = ("chart", page.indicator.code, page.scope or "park", page_language())
    return cached(key, lambda: charts.indicator_figure(page.series, chart_labels()))


@product_page
@require_GET
def indicator(request, indicator_code):
    """Actual values against the path to each target, and every stored value with its
    method trace and inputs."""
    scope = request.GET.get("scope", PARK_SCOPE)
    if scope and not SCOPE.match(scope):
        raise Http404
    page = selectors.indicator_page(indicator_code, scope=scope)
    if scope not in page.scopes:
        raise Http404
    return _render(
        request,
        "dashboards/indicator.html",
        {"page": page, "figure": indicator_chart(page), "legend": selectors.status_legend()},
        section="indicator",
    )


# --- plan board --------------------------------------------------------------------------------


def _report_periods(today: dt.date) -> list[str]:
    """The quarter just ended first, then the current one and the six before."""
    current = Period(today.year, (today.month - 1) // 3 + 1)
    periods = [current]
    for _step in range(7):
        periods.append(periods[-1].previous())
    return [period.code for period in [periods[1], periods[0], *periods[2:]]]


def _report_post(request):
    """The lead department's quarterly progress report, with an optional attachment."""
    task = get_object_or_404(Task, pk=_int(request.POST.get("task")))
    lead = task.lead
    if lead is None or not permissions.can_enter_figures(request.user, lead.department_id):
        raise PermissionDenied(_("只有牵头单位可以报送任务进展。"))
    period = period_param(request.POST.get("period"), quarter_only=True)
    attachment = request.FILES.get("attachment")
    if period is None:
        return task, _("请选择报告期（如 2026Q3）。")
    try:
        services.progress_report_submit(
            task=task,
            period=period,
            text=request.POST.get("text", "").strip()[:20000],
            user=request.user,
            attachment=attachment,
        )
    except PermissionRefused as error:
        raise PermissionDenied(says(error)) from error
    except ApplicationError as error:
        return task, says(error)
    messages.success(
        request,
        _("已报送任务 %(code)s %(period)s 的进展。")
        % {"code": task.code, "period": quarter_text(period, page_language())},
    )
    return task, None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@product_page
@require_http_methods(["GET", "POST"])
def plan_board(request):
    """Sections → tasks and policy innovations with their units, targets' status, work
    items with their derived state (from the parts' reports and the committee's 销号, or
    the status of the targets they restate) and progress reports; the lead department's
    staff report the task's quarter here."""
    error, error_task, status = None, None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "report":
            task, error = _report_post(request)
        else:
            raise Http404
        if error is None:
            return redirect(f"{reverse('dashboards:plan_board')}#task-{task.code}")
        error_task, status = task.pk, 400

    def build():
        board = selectors.plan_board()
        user = request.user
        for _section, rows in board.sections:
            for row in rows:
                row.may_update = row.lead is not None and permissions.can_enter_figures(
                    user, row.lead.department_id
                )
                row.error = error if row.task.pk == error_task else None
        return _render(
            request,
            "dashboards/plan_board.html",
            {
                "board": board,
                "error": error,
                "report_periods": _report_periods(timezone.localdate()),
                "max_attachment_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
                "legend": selectors.status_legend(),
            },
            section="plan",
            status=status,
        )

    if request.method == "POST":  # a refused report: its error, never kept
        return build()
    return dashboard_cache.reader_page(request, "plan-board-page", build)


@product_page
@require_GET
def progress_report_attachment(request, report_id):
    """A progress report's attachment, to anyone who may use the product."""
    report = get_object_or_404(ProgressReport, pk=report_id)
    if not report.attachment:
        raise Http404
    try:
        handle = report.attachment.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    name = report.attachment_name or Path(report.attachment.name).name
    response = FileResponse(handle, as_attachment=True, filename=Path(name).name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- department and heatmap ------------------------------------------------------------------


@product_page
@require_GET
def department(request, code):
    """A responsible unit: its tasks, items, submissions and open warnings."""
    chosen = request.GET.get("code", "")
    if chosen and chosen != code and re.match(r"^[A-Za-z0-9_-]{1,20}$", chosen):
        return redirect("dashboards:department", code=chosen)
    page = selectors.department_page(code, user=request.user)
    return _render(
        request,
        "dashboards/department.html",
        {"page": page, "legend": selectors.status_legend()},
        section="department",
    )


@product_page
@require_GET
def heatmap(request):
    """Targets × periods coloured by status."""
    data = selectors.heatmap(
        variant=request.GET.get("variant"), annual_only=request.GET.get("annual") == "1"
    )
    return _render(
        request,
        "dashboards/heatmap.html",
        {
            "data": data,
            "legend": selectors.status_legend(),
            "variants": selectors.Variant.choices,
        },
        section="heatmap",
    )


urlpatterns = [
    path("", overview, name="overview"),
    path("bigscreen/", bigscreen, name="bigscreen"),
    path("indicators/<slug:indicator_code>/", indicator, name="indicator"),
    path("plan/", plan_board, name="plan_board"),
    path(
        "reports/<int:report_id>/attachment/",
        progress_report_attachment,
        name="report_attachment",
    ),
    path("departments/<slug:code>/", department, name="department"),
    path("heatmap/", heatmap, name="heatmap"),
]
