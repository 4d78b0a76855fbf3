from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from indicators import api as indicator_api
from tasks import api as task_api
from tasks import views as task_views

api_v1 = [
    path("departments/", task_api.DepartmentListApi.as_view(), name="department-list"),
    path("tasks/", task_api.TaskListApi.as_view(), name="task-list"),
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
]

urlpatterns = [
    path("", task_views.home, name="home"),
    path("plan/", task_views.plan_page, name="plan"),
    path("reporting/", include("reporting.urls")),
    path("dashboards/", include("dashboards.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
