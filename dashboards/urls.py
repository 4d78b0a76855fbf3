"""Pages of the committee's dashboards. Overview, indicator, plan board, department,
heatmap and big screen in dashboards/views.py; warnings in dashboards/warning_views.py."""

from dashboards import views, warning_views

app_name = "dashboards"

urlpatterns = [*views.urlpatterns, *warning_views.urlpatterns]
