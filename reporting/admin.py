from django.contrib import admin

from accounts import permissions
from dezhou_carbon.admin_access import PermissionRuleAdmin
from reporting.models import ReportingRound


@admin.register(ReportingRound)
class ReportingRoundAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    """Rounds are opened from the reporting pages; the statistics office may adjust a
    deadline or close a round here."""

    read_rule = staticmethod(permissions.can_read_all_data)
    list_display = ["period", "deadline", "state", "created_by", "created_at"]
    readonly_fields = ["period", "year", "quarter", "created_by"]
