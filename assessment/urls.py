"""Pages of the assessment app (see assessment/views.py)."""

from assessment import views

app_name = "assessment"

urlpatterns = views.urlpatterns
