"""Pages of quarterly reporting: the reporting home, a department's entry form, the head's
review, the completeness board, a department-period's history and notifications.

Views stay thin: they check the rules of `accounts.permissions`, read through
`reporting.selectors` and write only through the services (`reporting.workflow`,
`reporting.services`), turning their errors into messages next to the fields concerned."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from dezhou_carbon.i18n import is_english, page_language, says
from dezhou_carbon.input_fields import PERIOD_URL, PeriodFormField
from indicators.numbers import NumberRefused, decimal_text, parse_optional_number
from indicators.periods import quarter_text
from reporting import selectors, workflow
from reporting.notifications import notifications_mark_read
from reporting.services import round_open
from reporting.workflow import EntryValue
from tasks.models import Department
from tasks.selectors import part_completeness

DEPARTMENT = r"(?P<department_code>[A-Za-z0-9_-]{1,20})"


# --- shared helpers ------------------------------------------------------------------------


def _checked_period(period: str) -> str:
    try:
        workflow.parse_period(period)
    except ApplicationError as error:
        raise Http404(says(error)) from error
    return period


def _render(request, template: str, context: dict, *, status: int = 200, section: str = ""):
    """Render a reporting page with its sub-navigation and unread notification count;
    validation issues on its rows get their message in the page's language."""
    for row in context.get("rows") or ():
        for issue in getattr(row, "issues", ()):
            issue["message"] = says(issue)
    context = {
        "section": section,
        "unread_count": selectors.unread_count(request.user),
        **context,
    }
    return render(request, template, context, status=status)


def _denied(error: PermissionRefused) -> PermissionDenied:
    return PermissionDenied(says(error))


# --- forms ---------------------------------------------------------------------------------


class RoundOpenForm(forms.Form):
    period = PeriodFormField(label=gettext_lazy("期间"))
    deadline = forms.DateField(label=gettext_lazy("截止日期"), required=False)


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("return", "return")])
    comment = forms.CharField(required=False, max_length=2000)


class LockExceptionForm(forms.Form):
    department_code = forms.CharField(max_length=20)
    reason = forms.CharField(
        max_length=2000, error_messages={"required": gettext_lazy("请填写解锁原因。")}
    )
    hours = forms.IntegerField(
        min_value=1,
        max_value=168,
        error_messages={
            "required": gettext_lazy("请填写解锁时长。"),
            "invalid": gettext_lazy("解锁时长须在 1 至 168 小时之间。"),
            "min_value": gettext_lazy("解锁时长须在 1 至 168 小时之间。"),
            "max_value": gettext_lazy("解锁时长须在 1 至 168 小时之间。"),
        },
    )


def _form_error(form: forms.Form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


# --- the reporting home ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    """Department staff: their rounds. Statistics office: open a round. Readers: boards."""
    user = request.user
    if not permissions.can_use_product(user):
        raise PermissionDenied
    may_open = permissions.can_manage_reference_data(user)
    form = RoundOpenForm(request.POST or None) if may_open else None
    status = 200
    if request.method == "POST":
        if not may_open:
            raise PermissionDenied
        if form.is_valid():
            try:
                opened = round_open(
                    period=form.cleaned_data["period"],
                    deadline=form.cleaned_data["deadline"],
                    user=user,
                )
            except PermissionRefused as error:
                raise _denied(error) from error
            except ApplicationError as error:
                form.add_error("period", says(error))
            else:
                messages.success(
                    request,
                    _("已开启 %(period)s 填报轮次，截止日期 %(deadline)s。")
                    % {
                        "period": quarter_text(opened.period, page_language()),
                        "deadline": opened.deadline.isoformat(),
                    },
                )
                return redirect("reporting:board", period=opened.period)
        status = 400
    department = user.department if permissions.is_department_staff(user) else None
    context = {
        "department": department,
        "department_rounds": selectors.department_rounds(department) if department else [],
        "may_review": bool(department) and permissions.can_approve(user, department.pk),
        "may_open": may_open,
        "form": form,
        "reads_all": permissions.can_read_all_data(user),
        "rounds": selectors.round_summaries() if permissions.can_read_all_data(user) else [],
    }
    return _render(request, "reporting/index.html", context, status=status, section="index")


# --- entry -----------------------------------------------------------------------------------


def _entries_from_post(post, rows: list[selectors.EntryRow]) -> list[EntryValue]:
    """The form's values as EntryValues; rows keep what was typed, and a parse error."""
    entries = []
    for row in rows:
        raw = post.get(f"value_{row.code}")
        if raw is None:  # disabled or absent: left alone
            continue
        row.value = raw.strip()
        row.note = post.get(f"note_{row.code}", "").strip()
        try:
            value = parse_optional_number(raw)
        except NumberRefused as refused:
            typed = row.value if len(row.value) <= 40 else row.value[:39] + "…"
            if is_english():
                row.error = f"'{typed}': {refused.reason_en}."
            else:
                row.error = f"“{typed}”{refused.reason_zh}。"
            continue
        try:
            expected = int(post.get(f"version_{row.code}", ""))
        except ValueError:
            expected = None
        row.version = expected if expected is not None else row.version
        entries.append(EntryValue(row.code, value, row.note, expected))
    return entries


def _conflicts(rows: list[selectors.EntryRow], error: ConflictError, department, period):
    """Mark every row whose figure changed since the form was opened, with both values;
    the form then carries the current versions, so saving again is a deliberate choice."""
    current = workflow.latest_figures(department, period)
    details = error.details or {}
    for row in rows:
        figure = current.get(row.code)
        version = figure.version if figure else 0
        if version == row.version and row.code != details.get("item"):
            continue
        row.conflict = {
            "your_value": row.value,
            "current_value": decimal_text(figure.value) if figure else "",
            "current_by": (
                figure.entered_by.get_username() if figure and figure.entered_by else ""
            ),
            "current_at": figure.entered_at if figure else None,
        }
        row.version = version


@login_required
@require_http_methods(["GET", "POST"])
def entry(request, period):
    """The entry form of the user's own department for `period`: save drafts, submit."""
    user = request.user
    if not (
        permissions.is_department_staff(user)
        and permissions.can_enter_figures(user, user.department_id)
    ):
        raise PermissionDenied
    period = _checked_period(period)
    department = user.department
    rows = selectors.entry_rows(department, period)
    errors: list[str] = []
    conflict = False
    http_status = 200
    reason = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        reason = request.POST.get("reason", "").strip()
        entries = _entries_from_post(request.POST, rows)
        if any(row.error for row in rows):
            errors.append(_("有数值格式不正确，未保存。"))
            http_status = 400
        else:
            try:
                with transaction.atomic():  # submitting writes nothing unless it submits
                    if entries:
                        workflow.department_period_save(
                            department=department,
                            period=period,
                            entries=entries,
                            user=user,
                            reason=reason,
                        )
                    if action == "submit":
                        workflow.department_period_submit(
                            department=department, period=period, user=user
                        )
            except PermissionRefused as error:
                raise _denied(error) from error
            except ConflictError as error:
                _conflicts(rows, error, department, period)
                conflict = True
                errors.append(says(error))
                http_status = 409
            except ApplicationError as error:
                errors.append(says(error))
                if isinstance(error.details, list):
                    errors.extend(
                        says(issue) for issue in selectors.attach_issues(rows, error.details)
                    )
                http_status = 400
            else:
                if action == "submit":
                    messages.success(request, _("已提交，等待部门负责人审核。"))
                else:
                    messages.success(request, _("草稿已保存。"))
                return redirect("reporting:entry", period=period)
    else:
        selectors.stored_issues(department, period, rows)
    status = selectors.period_status(department, period)
    context = {
        "department": department,
        "period": period,
        "status": status,
        "rows": rows,
        "errors": errors,
        "conflict": conflict,
        "reason": reason,
        "may_approve": permissions.can_approve(user, department.pk),
    }
    return _render(request, "reporting/entry.html", context, status=http_status, section="entry")


# --- review ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review(request, period, department_code):
    """The head approves or returns the submitted figures; readers of all data look on."""
    user = request.user
    department = get_object_or_404(Department, code=department_code)
    may_decide = permissions.can_approve(user, department.pk)
    if not may_decide and not permissions.can_read_all_data(user):
        raise PermissionDenied
    period = _checked_period(period)
    errors: list[str] = []
    http_status = 200
    comment = ""
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            comment = form.cleaned_data["comment"].strip()
            decide = (
                workflow.department_period_approve
                if form.cleaned_data["action"] == "approve"
                else workflow.department_period_return
            )
            try:
                decide(department=department, period=period, user=user, comment=comment)
            except PermissionRefused as error:
                raise _denied(error) from error
            except ApplicationError as error:
                errors.append(says(error))
                http_status = 400
            else:
                if form.cleaned_data["action"] == "approve":
                    messages.success(request, _("已审核通过，数据已锁定。"))
                else:
                    messages.success(request, _("已退回填报人员修改。"))
                return redirect("reporting:review", period=period, department_code=department.code)
        else:
            errors.append(_("请求无效。"))
            http_status = 400
    rows = selectors.entry_rows(department, period)
    selectors.stored_issues(department, period, rows)
    status = selectors.period_status(department, period)
    context = {
        "department": department,
        "period": period,
        "status": status,
        "rows": rows,
        "errors": errors,
        "comment": comment,
        "may_decide": may_decide and status.state == selectors.PeriodState.SUBMITTED,
        # Four eyes: whoever submitted may still return, never approve.
        "may_approve": permissions.can_approve_submission(
            user, department.pk, {status.row.submitted_by_id if status.row else None}
        ),
        "reads_all": permissions.can_read_all_data(user),
    }
    return _render(request, "reporting/review.html", context, status=http_status, section="review")


# --- the completeness board --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def board(request, period):
    """Every department of the round: state, who submitted and decided, late, returned;
    the statistics office grants lock exceptions from here."""
    user = request.user
    if not permissions.can_read_all_data(user):
        raise PermissionDenied
    period = _checked_period(period)
    may_grant = permissions.can_manage_reference_data(user)
    grant_errors: dict[str, str] = {}
    grant_values: dict[str, dict] = {}
    http_status = 200
    if request.method == "POST":
        if not may_grant:
            raise PermissionDenied
        form = LockExceptionForm(request.POST)
        code = request.POST.get("department_code", "")
        grant_values[code] = {
            "reason": request.POST.get("reason", ""),
            "hours": request.POST.get("hours", ""),
        }
        if form.is_valid():
            department = get_object_or_404(Department, code=form.cleaned_data["department_code"])
            try:
                exception = workflow.lock_exception_grant(
                    department=department,
                    period=period,
                    reason=form.cleaned_data["reason"],
                    hours=form.cleaned_data["hours"],
                    user=user,
                )
            except PermissionRefused as error:
                raise _denied(error) from error
            except ApplicationError as error:
                grant_errors[code] = says(error)
            else:
                messages.success(
                    request,
                    _("已为%(department)s开通限时解锁，有效期至 %(until)s。")
                    % {
                        "department": department.name,
                        "until": timezone.localtime(exception.valid_until).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    },
                )
                return redirect("reporting:board", period=period)
        else:
            grant_errors[code] = _form_error(form)
        http_status = 400
    reporting_round, opened = selectors.round_of(period)
    rows = selectors.board_rows(reporting_round, opened=opened)
    for row in rows:
        row.grant_error = grant_errors.get(row.department.code, "")
        row.grant_values = grant_values.get(row.department.code, {})
    context = {
        "period": period,
        "reporting_round": reporting_round,
        "opened": opened,
        "rows": rows,
        "may_grant": may_grant,
        "today": timezone.localdate(),
        # The units' task parts of the quarter, beside their figures.
        "parts": part_completeness(period, deadline=reporting_round.deadline if opened else None)
        if reporting_round.quarter
        else [],
    }
    return _render(request, "reporting/board.html", context, status=http_status, section="board")


# --- history ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def history(request, period, department_code):
    """Every figure version and every audit event of one department-period."""
    department = get_object_or_404(Department, code=department_code)
    if not permissions.can_read_department_history(request.user, department.pk):
        raise PermissionDenied
    period = _checked_period(period)
    item = request.GET.get("item", "")[:60]
    context = {
        "department": department,
        "period": period,
        "item": item,
        "status": selectors.period_status(department, period),
        "versions": selectors.figure_versions(department, period, item),
        "events": selectors.audit_events(department, period, item),
        "reads_all": permissions.can_read_all_data(request.user),
    }
    return _render(request, "reporting/history.html", context, section="history")


# --- notifications ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """The user's notifications, newest first; POST marks them all read."""
    if not permissions.can_use_own_pages(request.user):
        raise PermissionDenied
    if request.method == "POST":
        marked = notifications_mark_read(request.user)
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": marked})
        return redirect("reporting:notifications")
    context = {
        "notifications": selectors.notifications_of(request.user),
        "english": is_english(),
    }
    return _render(request, "reporting/notifications.html", context, section="notifications")


urlpatterns = [
    path("", index, name="index"),
    path("notifications/", notifications, name="notifications"),
    re_path(rf"^{PERIOD_URL}/$", entry, name="entry"),
    re_path(rf"^{PERIOD_URL}/review/{DEPARTMENT}/$", review, name="review"),
    re_path(rf"^{PERIOD_URL}/board/$", board, name="board"),
    re_path(rf"^{PERIOD_URL}/history/{DEPARTMENT}/$", history, name="history"),
]
