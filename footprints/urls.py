"""Pages of the footprints app (see footprints/views.py)."""

from footprints import views

app_name = "footprints"

urlpatterns = views.urlpatterns
