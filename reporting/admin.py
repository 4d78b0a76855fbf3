from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from dezhou_carbon.admin_access import PermissionRuleAdmin
from dezhou_carbon.exceptions import ApplicationError
from reporting.models import ReportingRound, WorkCalendarYear
from reporting.services import round_close, round_deadline_change, work_calendar_year_record


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


class WorkCalendarYearForm(forms.ModelForm):
    holiday_lines = forms.CharField(
        label=_("放假日期"),
        help_text=_("每行一个日期或一段日期，如2027-01-01或2027-02-06..2027-02-14。"),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    workday_lines = forms.CharField(
        label=_("调休上班日期"),
        help_text=_("通知中调为上班的周六、周日，每行一个日期。"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = WorkCalendarYear
        fields = ["year", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["year"].disabled = True
            self.initial["holiday_lines"] = "\n".join(self.instance.holidays)
            self.initial["workday_lines"] = "\n".join(self.instance.workdays)

    def validate_unique(self):
        pass  # the service decides (a year recorded again is a correction, audited)

    def clean(self):
        """The notice's days checked here too, so a wrong line shows on the form and
        nothing is saved (reporting.workdays says what is wrong, in zh/en)."""
        from reporting import workdays

        data = super().clean()
        year = data.get("year") or self.instance.year
        if year and data.get("holiday_lines") is not None:
            try:
                workdays.year_checked(
                    year,
                    workdays.days_parsed(
                        data["holiday_lines"].splitlines(), "放假日期", "Holidays"
                    ),
                    workdays.days_parsed(
                        (data.get("workday_lines") or "").splitlines(),
                        "调休上班日期",
                        "Make-up working days",
                    ),
                )
            except ApplicationError as error:
                raise forms.ValidationError(f"{error.message_zh} / {error.message_en}") from None
        return data


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    """The official holiday calendar, a year per State Council notice: administrators
    record a new year (or correct one) here, through
    reporting.services.work_calendar_year_record (checked, audited)."""

    edit_rule = staticmethod(permissions.can_record_work_calendar)
    read_rule = staticmethod(permissions.can_read_all_data)
    form = WorkCalendarYearForm
    list_display = ["year", "source", "recorded_by", "recorded_at"]
    fields = ["year", "holiday_lines", "workday_lines", "source"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            work_calendar_year_record(
                year=data.get("year") or obj.year,
                holidays=data["holiday_lines"].splitlines(),
                workdays=(data.get("workday_lines") or "").splitlines(),
                source=data.get("source", ""),
                user=request.user,
            )
        except ApplicationError as error:
            self.message_user(request, f"{error.message_zh} / {error.message_en}", messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass
