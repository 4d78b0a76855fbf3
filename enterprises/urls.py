"""Pages of the enterprises app, under /enterprises/."""

from django.urls import path

from enterprises.views import (
    gap,
    reconciliation_page,
    register,
    register_export,
    register_template,
    upload,
)

app_name = "enterprises"
urlpatterns = [
    path("", register, name="register"),
    path("uploads/<int:upload_id>/", upload, name="upload"),
    path("export.xlsx", register_export, name="export"),
    path("template.xlsx", register_template, name="template"),
    path("reconciliation/", reconciliation_page, name="reconciliation"),
    path("gap/", gap, name="gap"),
]
