"""Read-only admin views of the assessment (every change goes through its services)."""

from django.contrib import admin

from assessment.models import Adjustment, Assessment, Consequence, Explanation, Scheme


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (Scheme, Assessment, Explanation, Adjustment, Consequence):
    admin.site.register(model, ReadOnly)
