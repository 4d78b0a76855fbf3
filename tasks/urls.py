"""The accountable work: a unit's to-do, part reports, the committee's verification."""

from django.urls import path, re_path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("todo/", views.todo_page, name="todo"),
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
