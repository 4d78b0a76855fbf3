"""Pages of quarterly reporting. Entry, review, board and history pages live in
reporting/views.py; spreadsheet template, upload, preview, confirm and undo in
reporting/upload_views.py."""

from reporting import upload_views, views

app_name = "reporting"

urlpatterns = [
    *views.urlpatterns,
    *upload_views.urlpatterns,
]
