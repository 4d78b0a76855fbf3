"""Spreadsheet template download, upload, preview, confirm and undo pages (to be written)."""

urlpatterns = []
