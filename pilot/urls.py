"""Pages of the pilot app (see pilot/views.py)."""

from pilot import views

app_name = "pilot"

urlpatterns = views.urlpatterns
