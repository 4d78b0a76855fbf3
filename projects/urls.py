"""Pages of the projects app (see projects/views.py)."""

from projects import views

app_name = "projects"

urlpatterns = views.urlpatterns
