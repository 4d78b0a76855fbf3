from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from dezhou_carbon.admin_access import PermissionRuleAdmin
from dezhou_carbon.exceptions import ApplicationError
from reporting.models import ReportingRound
from reporting.services import round_close, round_deadline_change


class RoundChangeForm(forms.ModelForm):
    close_round = forms.BooleanField(label=_("结束本轮填报"), required=False)
    reason = forms.CharField(
        label=_("调整原因"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = ReportingRound
        fields = ["deadline"]


@admin.register(ReportingRound)
class ReportingRoundAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    """Rounds are opened from the reporting pages; the statistics office may move a
    deadline or close a round here, through the round services (audited)."""

    read_rule = staticmethod(permissions.can_read_all_data)
    form = RoundChangeForm
    list_display = ["period", "deadline", "state", "created_by", "created_at"]
    fields = ["period", "state", "deadline", "close_round", "reason", "created_by"]
    readonly_fields = ["period", "state", "created_by"]

    def has_add_permission(self, request, *args):
        return False  # opened with reporting.services.round_open (the reporting pages)

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("reason", "")
        try:
            if "deadline" in form.changed_data:
                round_deadline_change(
                    reporting_round=obj,
                    deadline=form.cleaned_data["deadline"],
                    user=request.user,
                    reason=reason,
                )
            if form.cleaned_data.get("close_round"):
                round_close(reporting_round=obj, user=request.user, reason=reason)
        except ApplicationError as error:
            self.message_user(request, f"{error.message_zh} / {error.message_en}", messages.ERROR)
