"""Reference data for the statistics office (items, targets, coefficients, counting rules)
and read-only views of figures and results: every change to those goes through services."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from accounts.models import User
from dezhou_carbon.admin_access import PermissionRuleAdmin, administrators_only
from dezhou_carbon.exceptions import ApplicationError
from indicators.models import (
    Coefficient,
    DepartmentPeriod,
    EngineAlert,
    Figure,
    ImportBatch,
    Indicator,
    IndicatorResult,
    LockException,
    MethodSetting,
    StatisticalItem,
    Target,
    TargetRevision,
)
from indicators.reference import coefficient_revise, method_setting_revise
from indicators.targets import GOVERNED_FIELDS, target_change


@admin.register(StatisticalItem)
class StatisticalItemAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    list_display = ["code", "name_zh", "unit", "frequency", "aggregation", "department"]
    list_filter = ["department", "frequency"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Indicator)
class IndicatorAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    edit_rule = staticmethod(administrators_only)
    read_rule = staticmethod(permissions.can_manage_reference_data)
    list_display = ["code", "name_zh", "unit", "direction", "path_kind"]


class TargetChangeForm(forms.ModelForm):
    """A target is changed by the committee's decision: the form asks for it."""

    reason = forms.CharField(label=_("调整原因"), widget=forms.Textarea(attrs={"rows": 2}))
    document_no = forms.CharField(label=_("批准文号"), max_length=120)
    approver = forms.ModelChoiceField(
        label=_("批准人（管委会）"),
        queryset=User.objects.filter(role=User.Role.COMMITTEE, is_active=True),
    )

    class Meta:
        model = Target
        fields = [*GOVERNED_FIELDS]


@admin.register(Target)
class TargetAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    """Targets come from the plan; their governed fields change only through
    indicators.targets.target_change (reason, 文号, committee approver, audit, recompute).
    No plain save, no adding or deleting here."""

    edit_rule = staticmethod(permissions.can_change_targets)
    form = TargetChangeForm
    list_display = [
        "code",
        "title_zh",
        "indicator",
        "kind",
        "qualifier",
        "value",
        "target_year",
        "owner",
    ]
    fields = [*GOVERNED_FIELDS, "reason", "document_no", "approver"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in GOVERNED_FIELDS
        }
        try:
            target_change(
                Target.objects.get(pk=obj.pk),
                changes,
                form.cleaned_data["reason"],
                form.cleaned_data["document_no"],
                form.cleaned_data["approver"],
                request.user,
            )
        except ApplicationError as error:
            self.message_user(request, f"{error.message_zh} / {error.message_en}", messages.ERROR)


@admin.register(TargetRevision)
class TargetRevisionAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    read_rule = staticmethod(permissions.can_read_all_data)
    list_display = ["target", "number", "document_no", "approved_by", "recorded_by", "recorded_at"]
    list_select_related = ["target", "approved_by", "recorded_by"]

    def _can_edit(self, request) -> bool:
        return False


class RevisionForm(forms.ModelForm):
    reason = forms.CharField(label=_("修改原因"), widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Coefficient)
class CoefficientAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    """Saving creates a new version; the previous one stays for the results that used it."""

    form = RevisionForm
    list_display = ["key", "year", "value", "unit", "tag", "version", "is_current", "created_at"]
    list_filter = ["is_current", "tag"]
    search_fields = ["key", "name_zh"]
    fields = ["key", "name_zh", "name_en", "year", "value", "unit", "source", "tag", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["key", "year"] if obj else []

    def save_model(self, request, obj, form, change):
        try:
            revised = coefficient_revise(
                key=obj.key,
                year=obj.year,
                value=obj.value,
                unit=obj.unit,
                source=obj.source,
                tag=obj.tag,
                reason=form.cleaned_data["reason"],
                user=request.user,
                name_zh=obj.name_zh,
                name_en=obj.name_en,
            )
        except ApplicationError as error:
            self.message_user(request, f"{error.message_zh} / {error.message_en}", messages.ERROR)
            return
        obj.pk = revised.pk


@admin.register(MethodSetting)
class MethodSettingAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    form = RevisionForm
    list_display = ["key", "name_zh", "version", "is_current", "created_at"]
    fields = ["key", "name_zh", "value", "description_zh", "reason"]
    readonly_fields = ["key", "name_zh", "description_zh"]

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        try:
            revised = method_setting_revise(
                key=obj.key, value=obj.value, reason=form.cleaned_data["reason"], user=request.user
            )
        except ApplicationError as error:
            self.message_user(request, f"{error.message_zh} / {error.message_en}", messages.ERROR)
            return
        obj.pk = revised.pk


class ReadOnlyAdmin(PermissionRuleAdmin, admin.ModelAdmin):
    read_rule = staticmethod(permissions.can_read_all_data)

    def _can_edit(self, request) -> bool:
        return False


@admin.register(Figure)
class FigureAdmin(ReadOnlyAdmin):
    list_display = [
        "item",
        "period",
        "scope",
        "value",
        "version",
        "state",
        "counts",
        "entered_by",
        "entered_at",
    ]
    list_filter = ["state", "counts", "department"]
    search_fields = ["item__code", "period", "scope"]
    list_select_related = ["item", "entered_by"]


@admin.register(IndicatorResult)
class IndicatorResultAdmin(ReadOnlyAdmin):
    list_display = [
        "indicator",
        "period",
        "scope",
        "variant",
        "value",
        "status",
        "provisional",
        "computed_at",
    ]
    list_filter = ["status", "variant", "indicator"]
    list_select_related = ["indicator"]
    readonly_fields = ["method_document"]

    @admin.display(description=_("计算方法"))
    def method_document(self, result: IndicatorResult) -> str:
        """The method trace (stored once in MethodTrace and shared by many results)."""
        return json.dumps(result.method, ensure_ascii=False, indent=2)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "filename",
        "source",
        "status",
        "row_count",
        "created_count",
        "unchanged_count",
        "created_by",
    ]


@admin.register(EngineAlert)
class EngineAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "message_zh"]


@admin.register(DepartmentPeriod)
class DepartmentPeriodAdmin(ReadOnlyAdmin):
    list_display = [
        "department",
        "period",
        "state",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state", "department"]
    list_select_related = ["department", "submitted_by", "decided_by"]


@admin.register(LockException)
class LockExceptionAdmin(ReadOnlyAdmin):
    list_display = ["department_period", "reason", "valid_until", "granted_by", "granted_at"]
    list_select_related = ["department_period__department", "granted_by"]
