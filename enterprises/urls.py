"""Pages of the enterprises app, under /enterprises/."""

from django.urls import path

from enterprises.product_views import products_import, products_page
from enterprises.quarter_file_views import quarter_template, quarter_upload, quarter_upload_preview
from enterprises.views import (
    gap,
    ledger_export,
    ledger_page,
    profile,
    quarter,
    quarter_queue,
    reconciliation_page,
    register,
    register_export,
    register_template,
    upload,
)
from enterprises.work_views import (
    benchmarks_page,
    certificates_page,
    counters_page,
    evidence_file,
    finding_page,
    ledger_pdf,
    plan_page,
    suggestions_page,
    visits_page,
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
    path("ledger.pdf", ledger_pdf, name="ledger_pdf"),
    path("certificates/", counters_page, name="counters"),
    path("benchmarks/", benchmarks_page, name="benchmarks"),
    path("suggestions/", suggestions_page, name="suggestions"),
    path("quarters/", quarter_queue, name="quarters"),
    path("products/import/", products_import, name="products_import"),
    path("files/<str:kind>/<int:pk>/", evidence_file, name="evidence_file"),
    path("<str:credit_code>/plan/", plan_page, name="plan"),
    path("<str:credit_code>/visits/", visits_page, name="visits"),
    path("<str:credit_code>/findings/<int:finding_id>/", finding_page, name="finding"),
    path("<str:credit_code>/certificates/", certificates_page, name="certificates"),
    path("<str:credit_code>/products/", products_page, name="products"),
    path("<str:credit_code>/quarters/<str:period>/", quarter, name="quarter"),
    path(
        "<str:credit_code>/quarters/<str:period>/template.xlsx",
        quarter_template,
        name="quarter_template",
    ),
    path("<str:credit_code>/quarters/<str:period>/upload/", quarter_upload, name="quarter_upload"),
    path(
        "<str:credit_code>/quarters/<str:period>/upload/<int:batch_id>/",
        quarter_upload_preview,
        name="quarter_upload_preview",
    ),
    path("<str:credit_code>/", profile, name="profile"),
]
