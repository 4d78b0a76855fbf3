"""Key projects in the admin are read-only: every change goes through `projects.services`."""

from django.contrib import admin

from projects.models import CarbonAssessment, EnergyReview, Project


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "enterprise", "kind", "stage", "department")
    list_filter = ("stage", "kind")


@admin.register(EnergyReview)
class EnergyReviewAdmin(ReadOnlyAdmin):
    list_display = ("project", "calorific_tce", "authority", "document_no")


@admin.register(CarbonAssessment)
class CarbonAssessmentAdmin(ReadOnlyAdmin):
    list_display = ("project", "year", "total_t")
