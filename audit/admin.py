from django.contrib import admin

from accounts import permissions
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, readable by auditors and administrators, never editable."""

    list_display = [
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "department_code",
        "period",
        "reason",
    ]
    list_filter = ["action", "department_code"]
    search_fields = ["actor_label", "object_id", "reason"]

    def has_module_permission(self, request):
        return permissions.can_read_audit_trail(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_read_audit_trail(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
