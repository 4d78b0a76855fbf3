from django.contrib import admin

from accounts import permissions
from dashboards.models import EarlyWarning, ProgressReport
from dezhou_carbon.admin_access import PermissionRuleAdmin


class ReadOnly(PermissionRuleAdmin, admin.ModelAdmin):
    """Warnings and reports change only through their pages (every step audited)."""

    read_rule = staticmethod(permissions.can_read_all_data)

    def _can_edit(self, request) -> bool:
        return False


@admin.register(EarlyWarning)
class EarlyWarningAdmin(ReadOnly):
    list_display = ["created_at", "kind", "level", "state", "department", "period", "title_zh"]
    list_filter = ["kind", "level", "state", "department"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnly):
    list_display = ["task", "period", "department", "submitted_by", "submitted_at"]
