from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from accounts import api as account_api
from accounts import views as account_views
from assessment import api as assessment_api
from budgets import api as budget_api
from dashboards import api as dashboard_api
from dezhou_carbon import health
from dezhou_carbon.api import ApiDocsView
from enterprises import api as enterprise_api
from enterprises import product_api as enterprise_product_api
from enterprises import quarter_api as enterprise_quarter_api
from enterprises import work_api as enterprise_work_api
from footprints import api as footprint_api
from indicators import api as indicator_api
from pilot import api as pilot_api
from projects import api as project_api
from reporting import api as reporting_api
from reports import api as report_api
from tasks import api as task_api
from tasks import views as task_views

_DEPARTMENT_PERIOD = (
    rf"^department-periods/{reporting_api.DEPARTMENT_PATTERN}/{reporting_api.PERIOD_PATTERN}/"
)

api_v1 = [
    path("me/", account_api.MeApi.as_view(), name="me"),
    path("tokens/", account_api.ApiTokenListApi.as_view(), name="token-list"),
    path("tokens/<int:pk>/revoke/", account_api.ApiTokenRevokeApi.as_view(), name="token-revoke"),
    path("tokens/<int:pk>/renew/", account_api.ApiTokenRenewApi.as_view(), name="token-renew"),
    path("departments/", task_api.DepartmentListApi.as_view(), name="department-list"),
    path("sections/", task_api.SectionListApi.as_view(), name="section-list"),
    path("tasks/", task_api.TaskListApi.as_view(), name="task-list"),
    path("work-items/", task_api.WorkItemListApi.as_view(), name="work-item-list"),
    path("work-items/<int:pk>/", task_api.WorkItemDetailApi.as_view(), name="work-item-detail"),
    path(
        "work-items/<int:pk>/verify/", task_api.WorkItemVerifyApi.as_view(), name="work-item-verify"
    ),
    path(
        "work-items/<int:pk>/verification-return/",
        task_api.WorkItemVerificationReturnApi.as_view(),
        name="work-item-verification-return",
    ),
    path("part-reports/", task_api.PartReportListApi.as_view(), name="part-report-list"),
    path(
        "part-reports/<int:pk>/approve/",
        task_api.PartReportApproveApi.as_view(),
        name="part-report-approve",
    ),
    path(
        "part-reports/<int:pk>/return/",
        task_api.PartReportReturnApi.as_view(),
        name="part-report-return",
    ),
    path(
        "part-reports/<int:pk>/cosign/",
        task_api.PartReportCosignApi.as_view(),
        name="part-report-cosign",
    ),
    path(
        "progress-reports/",
        dashboard_api.ProgressReportListApi.as_view(),
        name="progress-report-list",
    ),
    path("targets/", indicator_api.TargetListApi.as_view(), name="target-list"),
    path("items/", indicator_api.ItemListApi.as_view(), name="item-list"),
    path("indicators/", indicator_api.IndicatorListApi.as_view(), name="indicator-list"),
    path(
        "indicator-values/",
        indicator_api.IndicatorValueListApi.as_view(),
        name="indicator-value-list",
    ),
    path("figures/", indicator_api.FigureListApi.as_view(), name="figure-list"),
    path("imports/", indicator_api.ImportApi.as_view(), name="import-create"),
    path("imports/<int:pk>/", indicator_api.ImportDetailApi.as_view(), name="import-detail"),
    path("imports/<int:pk>/undo/", indicator_api.ImportUndoApi.as_view(), name="import-undo"),
    path(
        "department-periods/",
        reporting_api.DepartmentPeriodListApi.as_view(),
        name="department-period-list",
    ),
    re_path(
        rf"{_DEPARTMENT_PERIOD}$",
        reporting_api.DepartmentPeriodDetailApi.as_view(),
        name="department-period-detail",
    ),
    re_path(
        rf"{_DEPARTMENT_PERIOD}submit/$",
        reporting_api.DepartmentPeriodSubmitApi.as_view(),
        name="department-period-submit",
    ),
    re_path(
        rf"{_DEPARTMENT_PERIOD}approve/$",
        reporting_api.DepartmentPeriodApproveApi.as_view(),
        name="department-period-approve",
    ),
    re_path(
        rf"{_DEPARTMENT_PERIOD}return/$",
        reporting_api.DepartmentPeriodReturnApi.as_view(),
        name="department-period-return",
    ),
    re_path(
        rf"{_DEPARTMENT_PERIOD}lock-exceptions/$",
        reporting_api.DepartmentPeriodUnlockApi.as_view(),
        name="department-period-unlock",
    ),
    path("rounds/", reporting_api.RoundListApi.as_view(), name="round-list"),
    path("notifications/", reporting_api.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/mark-read/",
        reporting_api.NotificationMarkReadApi.as_view(),
        name="notification-mark-read",
    ),
    path("warnings/", dashboard_api.WarningListApi.as_view(), name="warning-list"),
    path("warnings/<int:pk>/", dashboard_api.WarningDetailApi.as_view(), name="warning-detail"),
    path(
        "warnings/<int:pk>/acknowledge/",
        dashboard_api.WarningAcknowledgeApi.as_view(),
        name="warning-acknowledge",
    ),
    path(
        "warnings/<int:pk>/resolve/",
        dashboard_api.WarningResolveApi.as_view(),
        name="warning-resolve",
    ),
    path(
        "warnings/<int:pk>/sign-off/",
        dashboard_api.WarningSignOffApi.as_view(),
        name="warning-sign-off",
    ),
    path("warnings/<int:pk>/close/", dashboard_api.WarningCloseApi.as_view(), name="warning-close"),
    *report_api.api_urlpatterns,
    *enterprise_api.api_urlpatterns,
    *enterprise_work_api.api_urlpatterns,
    *enterprise_quarter_api.api_urlpatterns,
    *enterprise_product_api.api_urlpatterns,
    *footprint_api.api_urlpatterns,
    *project_api.api_urlpatterns,
    *assessment_api.api_urlpatterns,
    *budget_api.api_urlpatterns,
    *pilot_api.api_urlpatterns,
]

urlpatterns = [
    path("", task_views.home, name="home"),
    path("plan/", task_views.plan_page, name="plan"),
    path("tasks/", include("tasks.urls")),
    path("reporting/", include("reporting.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("reports/", include("reports.urls")),
    path("footprints/", include("footprints.urls")),
    path("projects/", include("projects.urls")),
    path("budgets/", include("budgets.urls")),
    path("pilot/", include("pilot.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("assessment/", include("assessment.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", account_views.tokens_page, name="tokens"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
    path("health/", health.health, name="health"),
]

# Errors outside any view's own handling: the JSON envelope on /api/, a Chinese-first page
# in the layout elsewhere, with the request id (dezhou_carbon/errors.py).
handler400 = "dezhou_carbon.errors.bad_request"
handler403 = "dezhou_carbon.errors.permission_denied"
handler404 = "dezhou_carbon.errors.page_not_found"
handler500 = "dezhou_carbon.errors.server_error"
