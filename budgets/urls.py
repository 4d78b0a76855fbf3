"""Pages of the budgets app (see budgets/views.py)."""

from budgets import views

app_name = "budgets"

urlpatterns = views.urlpatterns
