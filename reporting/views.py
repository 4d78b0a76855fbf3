"""Entry, review, completeness board, history and notification pages (to be written)."""

urlpatterns = []
