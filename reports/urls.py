"""Pages of the reports app (see reports/views.py)."""

from reports import views

app_name = "reports"

urlpatterns = views.urlpatterns
