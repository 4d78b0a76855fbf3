"""Pages of the enterprises app, under /enterprises/."""

from django.urls import path

from enterprises.views import (
    gap,
    ledger_export,
    ledger_page,
    profile,
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
    path("ledger/", ledger_page, name="ledger"),
    path("ledger.xlsx", ledger_export, name="ledger_export"),
    path("<str:credit_code>/", profile, name="profile"),
]
