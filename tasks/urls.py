"""The accountable work: a unit's to-do, part reports, the committee's verification."""

from django.urls import path, re_path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("todo/", views.todo_page, name="todo"),
    path("todo/parts.xlsx", views.parts_export, name="parts_export"),
    path("todo/import/", views.parts_import, name="parts_import"),
    path("imports/<int:pk>/", views.parts_import_preview, name="parts_import_preview"),
    path("imports/<int:pk>/apply/", views.parts_import_apply, name="parts_import_apply"),
    path("parts/<int:part_id>/report/", views.part_report, name="part_report"),
    re_path(
        r"^reports/(?P<pk>[0-9]+)/(?P<action>approve|return|cosign)/$",
        views.report_action,
        name="report_action",
    ),
    path("verification/", views.verification_page, name="verification"),
    re_path(
        r"^verification/(?P<item_id>[0-9]+)/(?P<period>[0-9]{4}Q[1-4])/(?P<action>verify|return)/$",
        views.verification_action,
        name="verification_action",
    ),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
