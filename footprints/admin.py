"""The footprint models in the admin are read-only: every change goes through
`footprints.services` (pages and API), which audit it."""

from django.contrib import admin

from footprints.models import Certificate, EmissionFactor, IndustryReference, Study


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmissionFactor)
class EmissionFactorAdmin(ReadOnlyAdmin):
    list_display = ("key", "name_zh", "category", "value", "unit", "year", "version", "is_current")
    list_filter = ("category", "is_current")


@admin.register(Study)
class StudyAdmin(ReadOnlyAdmin):
    list_display = ("product_zh", "enterprise", "reference_year", "state", "total")
    list_filter = ("state", "leading_industry")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("number", "body", "study", "valid_from", "valid_to")


@admin.register(IndustryReference)
class IndustryReferenceAdmin(ReadOnlyAdmin):
    list_display = ("name_zh", "year", "value", "declared_unit")
