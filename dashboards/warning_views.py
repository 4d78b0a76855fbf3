"""Pages of early warnings (预警): the list of every warning the user may see, with filters,
counts and overdue / escalated marks, and one warning with its history and the action form
that fits the user and the warning's state.

Who sees what and who acts are the rules of `accounts.permissions` (can_see_warning,
can_answer_warning, can_sign_off_warning, can_close_warnings), read through
`dashboards.warning_selectors`, which the API shares: readers of all data see every
warning, department staff their own department's; the owning department's staff
acknowledge (response, rectification plan, due date), their head signs the response off
or returns it (not the person who wrote it), the staff resolve (evidence) and attach
evidence files on the way; a data anomaly has no department and the statistics office
answers it (no sign-off); the committee closes (销号) a resolved warning with a comment.
Evidence files are downloaded by whoever may see the warning, and every download is
audited. Every write goes through `dashboards.services`,
whose refusals are shown in the page's language."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import permissions
from audit.labels import action_label
from audit.models import AuditEvent
from dashboards import services, warning_selectors
from dashboards.models import EarlyWarning, WarningEvidence
from dashboards.warning_selectors import ALL, LIVE, NO_DEPARTMENT, Filters
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import is_english, says
from tasks.models import Department

State = EarlyWarning.State
Level = EarlyWarning.Level
PAGE_SIZE = 50


# --- shared helpers ------------------------------------------------------------------------


def _dress(warning: EarlyWarning, now) -> EarlyWarning:
    """Attach what the templates show: title and message in the page's language, marks."""
    english = is_english()
    warning.display_title = (warning.title_en if english else "") or warning.title_zh
    warning.display_message = (warning.message_en if english else "") or warning.message_zh
    warning.overdue = warning.is_overdue(now)
    return warning


# --- the list ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def warning_list(request):
    """Every warning the user may see: live ones first, red before yellow, newest first."""
    user = request.user
    if not permissions.can_use_product(user):
        raise PermissionDenied
    reads_all = permissions.can_read_all_data(user)
    now = timezone.now()
    departments = list(Department.objects.order_by("order", "code")) if reads_all else []
    filters = Filters.from_query(request.GET, departments=departments)
    chosen = warning_selectors.warning_list(user, filters, now)
    page = Paginator(chosen, PAGE_SIZE).get_page(request.GET.get("page"))
    warnings = [_dress(warning, now) for warning in page.object_list]
    own = None
    if not reads_all and getattr(user, "department_id", None):
        own = user.department
    context = {
        "warnings": warnings,
        "page": page,
        "filters": filters,
        "counts": warning_selectors.warning_counts(user, now),
        "reads_all": reads_all,
        "own_department": own,
        "departments": departments,
        "states": State.choices,
        "levels": Level.choices,
        "no_department": NO_DEPARTMENT,
        "live": LIVE,
        "all": ALL,
    }
    return render(request, "dashboards/warnings.html", context)


# --- one warning ---------------------------------------------------------------------------


class AcknowledgeForm(forms.Form):
    """Response and plan are checked by the service (its message names both)."""

    response = forms.CharField(required=False, max_length=4000)
    rectification_plan = forms.CharField(required=False, max_length=4000)
    due_date = forms.DateField(
        error_messages={
            "required": gettext_lazy("请填写整改期限。"),
            "invalid": gettext_lazy("整改期限的格式应为 2026-06-30。"),
        }
    )


class ResolveForm(forms.Form):
    evidence = forms.CharField(required=False, max_length=4000)


class CloseForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class SignOffForm(forms.Form):
    """The head signs the response off or returns it (a reason is then required: the
    service says so)."""

    decision = forms.ChoiceField(choices=[("sign_off", "sign_off"), ("return", "return")])
    comment = forms.CharField(required=False, max_length=2000)


class AttachForm(forms.Form):
    file = forms.FileField(error_messages={"required": gettext_lazy("请选择要上传的文件。")})


FORMS = {
    "acknowledge": AcknowledgeForm,
    "sign_off": SignOffForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "attach": AttachForm,
}


def _perform(action: str, warning: EarlyWarning, user, data: dict) -> str:
    """Call the service for `action`; returns the success message."""
    if action == "acknowledge":
        answered = services.warning_acknowledge(
            warning=warning,
            user=user,
            response=data["response"],
            plan=data["rectification_plan"],
            due_date=data["due_date"],
        )
        if answered.state == State.SUBMITTED:
            return _("响应已提交，等待本单位负责人审签后报送管委会。")
        return _("已响应预警，整改期限 %(due)s。") % {"due": data["due_date"].isoformat()}
    if action == "sign_off":
        comment = data["comment"].strip()
        if data["decision"] == "return":
            services.warning_response_return(warning=warning, user=user, comment=comment)
            return _("已退回响应，请填写人修改后重新提交。")
        services.warning_sign_off(warning=warning, user=user, comment=comment)
        return _("已审签响应，已报送管委会。")
    if action == "attach":
        evidence = services.warning_evidence_attach(warning=warning, user=user, upload=data["file"])
        return _("已上传佐证材料 %(name)s。") % {"name": evidence.name}
    if action == "resolve":
        services.warning_resolve(warning=warning, user=user, evidence=data["evidence"])
        return _("已提交整改佐证，等待管委会销号。")
    services.warning_close(warning=warning, user=user, comment=data["comment"].strip())
    return _("预警已销号。")


@dataclass
class HistoryLine:
    event: AuditEvent
    action_label: str
    old: str
    new: str
    due_date: str


def _history(warning: EarlyWarning) -> list[HistoryLine]:
    """The warning's audit events, oldest first, with labels in the page's language."""
    labels = {**dict(State.choices), **dict(Level.choices)}

    def label(value) -> str:
        if value in (None, ""):
            return ""
        # "yellow 2025" (a level and its period, as warning_update records them) word by word
        return " ".join(str(labels.get(word, word)) for word in str(value).split(" "))

    events = AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
    lines = []
    for event in events.select_related("actor").order_by("at", "id"):
        details = event.details if isinstance(event.details, dict) else {}
        lines.append(
            HistoryLine(
                event=event,
                action_label=action_label(event.action),
                old=label(event.old_value),
                new=label(event.new_value),
                due_date=str(details.get("due_date", "")),
            )
        )
    return lines


def _waiting_note(warning: EarlyWarning) -> str:
    """What happens next, for someone who has no form to fill at this state."""
    if warning.state == State.OPEN:
        if warning.department_id is None:
            return _("等待统计办响应：情况说明、整改措施和整改期限。")
        return _("等待责任单位响应：情况说明、整改措施和整改期限。")
    if warning.state == State.SUBMITTED:
        return _("响应已提交，等待责任单位负责人审签（填写人本人不能审签）。")
    if warning.state == State.ACKNOWLEDGED:
        return _("整改中：责任单位完成后提交整改佐证。")
    if warning.state == State.RESOLVED:
        return _("整改已完成，等待管委会销号。")
    return _("本预警已销号。")


@login_required
@require_http_methods(["GET", "POST"])
def warning_detail(request, pk: int):
    """One warning, its history and the form the user may fill at its state."""
    user = request.user
    warning = get_object_or_404(
        EarlyWarning.objects.select_related(
            "department", "target", "acknowledged_by", "resolved_by", "closed_by", "signed_off_by"
        ),
        pk=pk,
    )
    if not warning_selectors.may_see(user, warning):
        raise PermissionDenied
    bound: dict[str, forms.Form] = {}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in FORMS:
            errors.append(_("请求无效。"))
            status = 400
        elif not warning_selectors.may_take(user, warning, action):
            raise PermissionDenied
        else:
            form = FORMS[action](request.POST, request.FILES)
            bound[action] = form
            if form.is_valid():
                try:
                    done = _perform(action, warning, user, form.cleaned_data)
                except PermissionRefused as error:
                    raise PermissionDenied(says(error)) from error
                except ApplicationError as error:
                    errors.append(says(error))
                    status = 400
                else:
                    messages.success(request, done)
                    return redirect("dashboards:warning_detail", pk=warning.pk)
            else:
                errors.extend(str(m) for field in form.errors.values() for m in field)
                status = 400
        warning.refresh_from_db()
    now = timezone.now()
    _dress(warning, now)
    action = warning_selectors.next_action(user, warning)
    context = {
        "warning": warning,
        "action": action,
        "form": bound.get(action) or (FORMS[action]() if action else None),
        "errors": errors,
        "waiting": "" if action else _waiting_note(warning),
        "history": _history(warning),
        "today": timezone.localdate(now),
        "reads_all": permissions.can_read_all_data(user),
        "files": list(warning.files.select_related("uploaded_by")),
        "may_attach": warning_selectors.may_take(user, warning, "attach")
        and warning.state in services.EVIDENCE_STATES,
        "attach_form": bound.get("attach") or AttachForm(),
        "max_evidence_mb": services.MAX_EVIDENCE_BYTES // (1024 * 1024),
    }
    return render(request, "dashboards/warning_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def warning_file(request, pk: int, file_id: int):
    """An evidence file of a warning, to whoever may see the warning; audited."""
    evidence = get_object_or_404(
        WarningEvidence.objects.select_related("warning"), pk=file_id, warning_id=pk
    )
    if not warning_selectors.may_see(request.user, evidence.warning):
        raise PermissionDenied
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    services.warning_evidence_download(evidence=evidence, user=request.user)
    response = FileResponse(handle, as_attachment=True, filename=evidence.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("warnings/", warning_list, name="warnings"),
    path("warnings/<int:pk>/", warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/files/<int:file_id>/", warning_file, name="warning_file"),
]
