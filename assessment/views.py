"""Pages of the units' responsibility assessment. Thin: `accounts.permissions` decides,
`assessment.selectors` reads, `assessment.services` writes and audits.

- the committee's ranking of a year (or a quarter's preview) with grades, components and a
  heatmap; its actions (freeze, adjust, sign off, rewards and sanctions);
- a unit's scorecard: every component with the records behind it, each linked to its
  evidence (a target's result lineage, the work item, the department-period's history,
  the warning), the unit's explanation;
- exports of the ranking with the method printed beside the scores (xlsx, PDF);
- the scheme: its versions, and a new version recorded with the committee's 文号."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from accounts.models import User
from assessment import calculations as calc
from assessment import display, selectors, services
from assessment.models import Consequence, RankingExport
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import page_language, says
from dezhou_carbon.input_fields import PERIOD_URL
from reports.views import attachment
from tasks.models import Department

DEPARTMENT = r"(?P<code>[A-Za-z0-9_-]{1,20})"


def _guarded(rule):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def _view_or_404(period: str) -> selectors.YearView:
    try:
        view = selectors.year_view(period)
    except ApplicationError:
        raise Http404 from None
    if view is None:
        raise Http404
    return view


def _names(view: selectors.YearView) -> dict[str, str]:
    english = page_language() == "en"
    return {
        code: (names[1] or names[0]) if english else names[0]
        for code, names in view.snapshot.get("names", {}).items()
    }


def heatmap_figure(view: selectors.YearView, names: dict[str, str]) -> dict:
    """Units (rows, ranked) × components (columns), coloured by score; empty cells where a
    unit has nothing in a component."""
    scores = [s for s in view.scores if s.total is not None]
    columns = [display.component_label(key) for key in calc.COMPONENTS]
    z, text = [], []
    for score in scores:
        row, labels = [], []
        for key in calc.COMPONENTS:
            value = score.components[key].score
            row.append(None if value is None else float(value.quantize(calc.CENT)))
            labels.append(display.score_text(value))
        z.append(row)
        text.append(labels)
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=[names.get(s.department, s.department) for s in scores],
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=100,
            colorscale=[[0, "#c53030"], [0.6, "#ecc94b"], [0.8, "#9ae6b4"], [1, "#2f855a"]],
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": _("得分")}},
        )
    )
    figure.update_layout(
        height=120 + 32 * max(len(scores), 1),
        margin={"l": 170, "r": 20, "t": 10, "b": 50},
        yaxis={"autorange": "reversed"},
        font={"family": '"Noto Sans CJK SC","Microsoft YaHei",sans-serif'},
    )
    return figure.to_plotly_json()


def _rows(view: selectors.YearView, names: dict[str, str]) -> list[dict]:
    rows = []
    rank = 0
    for score in view.scores:
        if score.total is not None:
            rank += 1
        rows.append(
            {
                "rank": rank if score.total is not None else None,
                "code": score.department,
                "name": names.get(score.department, score.department),
                "score": score,
                "components": [
                    {
                        "key": key,
                        "label": display.component_label(key),
                        "score": display.score_text(score.components[key].score),
                        "weight": display.score_text(score.components[key].effective_weight)
                        if score.components[key].score is not None
                        else "—",
                    }
                    for key in calc.COMPONENTS
                ],
                "base": display.score_text(score.base),
                "adjustments": display.score_text(score.adjustments),
                "total": display.score_text(score.total),
                "grade": score.grade,
                "grade_label": display.grade_label(score.grade),
            }
        )
    return rows


@_guarded(permissions.can_use_assessment)
@require_GET
def index(request):
    """The committee (and every reader of all data) to the ranking of the newest quarter;
    a unit's staff to their own scorecard."""
    period = selectors.default_period()
    if permissions.can_read_assessment(request.user):
        return redirect("assessment:ranking", period=period)
    return redirect("assessment:unit", period=period, code=request.user.department.code)


def _committee_action(request, view: selectors.YearView) -> None:
    post, user = request.POST, request.user
    action = post.get("action", "")
    year = view.snapshot["year"]
    if action == "freeze":
        if view.period != str(year):
            raise ApplicationError(
                "只能冻结全年考核。", "Only a whole year can be frozen.", code="invalid"
            )
        services.assessment_freeze(year=year, user=user)
        messages.success(request, _("年度考核已冻结。"))
        return
    if view.assessment is None:
        raise ApplicationError(
            "该年度考核尚未冻结。", "This year's assessment is not frozen yet.", code="not_frozen"
        )
    if action == "adjust":
        try:
            points = Decimal((post.get("points") or "").strip())
        except InvalidOperation:
            raise ApplicationError(
                "加减分须为数值。", "An adjustment must be a number.", code="invalid"
            ) from None
        services.adjustment_add(
            assessment=view.assessment,
            department=post.get("department", ""),
            points=points,
            reason=post.get("reason", ""),
            user=user,
        )
        messages.success(request, _("加减分已记录。"))
    elif action == "sign_off":
        services.assessment_sign_off(
            assessment=view.assessment, user=user, comment=post.get("comment", "")
        )
        messages.success(request, _("年度考核已审定。"))
    elif action == "consequence":
        services.consequence_record(
            assessment=view.assessment,
            department=post.get("department", ""),
            kind=post.get("kind", ""),
            reason=post.get("reason", ""),
            document_no=post.get("document_no", ""),
            user=user,
        )
        messages.success(request, _("奖惩已记录。"))
    else:
        raise ApplicationError("未知操作。", "Unknown action.", code="invalid")


@_guarded(permissions.can_read_assessment)
@require_http_methods(["GET", "POST"])
def ranking(request, period: str):
    view = _view_or_404(period)
    if request.method == "POST":
        if not permissions.can_prepare_assessment(request.user):
            raise PermissionDenied
        try:
            _committee_action(request, view)
        except ApplicationError as error:
            messages.error(request, says(error))
        return redirect("assessment:ranking", period=period)
    names = _names(view)
    assessment = view.assessment
    may_prepare = permissions.can_prepare_assessment(request.user)
    return render(
        request,
        "assessment/ranking.html",
        {
            "view": view,
            "period_label": display.period_label(view.period),
            "source_label": display.source_label(view.source),
            "rows": _rows(view, names),
            "components": [display.component_label(key) for key in calc.COMPONENTS],
            "figure": heatmap_figure(view, names),
            "method": display.method_lines(view.rules),
            "assessment": assessment,
            "adjustments": selectors.adjustment_rows(assessment),
            "consequences": selectors.consequences_of(assessment),
            "differences": [
                {
                    **d,
                    "name": names.get(d["department"], d["department"]),
                    "frozen_grade_label": display.grade_label(d["frozen_grade"] or ""),
                    "now_grade_label": display.grade_label(d["now_grade"]),
                }
                for d in selectors.recomputation_differences(assessment)
            ]
            if assessment is not None
            else [],
            "names": names,
            "period_links": [
                (code, display.period_label(code)) for code in selectors.assessment_periods()
            ],
            "may_prepare": may_prepare,
            "may_freeze": may_prepare and assessment is None and view.period.isdigit(),
            "may_sign_off": assessment is not None
            and not assessment.signed_off
            and permissions.can_sign_off_assessment(request.user, assessment.frozen_by_id),
            "consequence_kinds": Consequence.Kind.choices,
            "may_rank": True,
            "section": "ranking",
        },
    )


def _evidence_link(line: calc.Line, code: str, user) -> str:
    """Where a line's record is shown; none when the person may not open it (a target's
    lineage is for readers of all data, not a unit's own staff)."""
    record = line.record
    if line.kind == "target":
        if record.get("result_id") and permissions.can_read_all_data(user):
            return reverse("reports:lineage_result", kwargs={"result_id": record["result_id"]})
        return ""
    if line.kind == "work_item":
        return reverse("dashboards:plan_board") + f"#item-{record['code']}"
    if line.kind == "period":
        return reverse(
            "reporting:history", kwargs={"period": record["period"], "department_code": code}
        )
    return reverse("dashboards:warning_detail", kwargs={"pk": record["id"]})


def _ref_text(line: calc.Line) -> str:
    record = line.record
    if line.kind == "target":
        return f"{record['code']} {record.get('title', '')}".strip()
    if line.kind == "work_item":
        return f"{record['code']} {record.get('title', '')}".strip()
    if line.kind == "period":
        return display.period_label(record["period"])
    return f"#{record['id']} {record.get('title', '')}".strip()


def _detail(line: calc.Line) -> str:
    record = line.record
    if line.kind == "target":
        return record.get("period", "")
    if line.kind == "work_item":
        return _("到期 %(due)s，销号 %(verified)s") % {
            "due": record["due"],
            "verified": record.get("verified_on") or "—",
        }
    if line.kind == "period":
        return _("截止 %(deadline)s，首次报送 %(submitted)s，退回 %(returns)s 次") % {
            "deadline": record["deadline"],
            "submitted": record.get("submitted_on") or "—",
            "returns": record.get("returns", 0),
        }
    values = {
        "raised": record["raised_on"],
        "ack": record.get("acknowledged_on") or "—",
        "due": record.get("due_date") or "—",
        "resolved": record.get("resolved_on") or "—",
        "days": line.working_days,
    }
    if line.working_days is None:
        return (
            _("发出 %(raised)s，审签响应 %(ack)s，整改期限 %(due)s，整改完成 %(resolved)s") % values
        )
    return (
        _(
            "发出 %(raised)s，审签响应 %(ack)s（用时%(days)s个工作日，节假日不计、调休上班日计入），"
            "整改期限 %(due)s，整改完成 %(resolved)s"
        )
        % values
    )


@_guarded(permissions.can_use_assessment)
@require_http_methods(["GET", "POST"])
def unit(request, period: str, code: str):
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise Http404
    if not permissions.can_read_assessment(request.user, department.pk):
        raise PermissionDenied
    view = _view_or_404(period)
    if request.method == "POST":
        if not permissions.can_explain_assessment(request.user, department.pk):
            raise PermissionDenied
        try:
            if view.assessment is None:
                raise ApplicationError(
                    "考核冻结后才能提交情况说明。",
                    "An explanation is added once the year's assessment is frozen.",
                    code="not_frozen",
                )
            services.explanation_add(
                assessment=view.assessment,
                department=department,
                text=request.POST.get("text", ""),
                user=request.user,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("情况说明已提交。"))
        return redirect("assessment:unit", period=period, code=code)
    score = next((s for s in view.scores if s.department == code), None)
    if score is None:
        raise Http404
    components = []
    for key in calc.COMPONENTS:
        component = score.components[key]
        components.append(
            {
                "key": key,
                "label": display.component_label(key),
                "weight": display.score_text(component.weight),
                "effective_weight": display.score_text(component.effective_weight)
                if component.score is not None
                else "—",
                "score": display.score_text(component.score),
                "points": display.score_text(component.points),
                "numerator": calc.plain(component.numerator),
                "denominator": component.denominator,
                "deduction": calc.plain(component.deduction),
                "lines": [
                    {
                        "ref": _ref_text(line),
                        "outcome": display.outcome_label(line.outcome),
                        "outcome_code": line.outcome,
                        "value": calc.plain(line.value) if line.value is not None else "—",
                        "detail": _detail(line),
                        "link": _evidence_link(line, code, request.user),
                    }
                    for line in component.lines
                ],
            }
        )
    return render(
        request,
        "assessment/unit.html",
        {
            "view": view,
            "department": department,
            "name": _names(view).get(code, code),
            "period_label": display.period_label(view.period),
            "source_label": display.source_label(view.source),
            "score": score,
            "total": display.score_text(score.total),
            "base": display.score_text(score.base),
            "adjustments_total": display.score_text(score.adjustments),
            "grade_label": display.grade_label(score.grade),
            "components": components,
            "method": display.method_lines(view.rules),
            **selectors.unit_extras(view.assessment, department),
            "may_explain": view.assessment is not None
            and not view.assessment.signed_off
            and permissions.can_explain_assessment(request.user, department.pk),
            "may_rank": permissions.can_read_assessment(request.user),
            "section": "unit",
        },
    )


def _jobs_in_process() -> bool:
    """No worker configured (the embedded default, tests): jobs run in the request."""
    from dezhou_carbon.celery import app

    return bool(app.conf.task_always_eager)


@_guarded(permissions.can_read_assessment)
@require_http_methods(["GET", "POST"])
def export(request, period: str, fmt: str):
    """POST (the ranking page's buttons): ask for the file; a job renders it when a worker
    is configured (in-process otherwise) and its page offers it once ready. GET renders
    the file in the request, only where jobs run in process anyway."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    if request.method == "POST":
        try:
            done = services.ranking_export_request(
                period=period, fmt=fmt, language=page_language(), user=request.user
            )
        except ApplicationError as error:
            messages.error(request, says(error))
            return redirect("assessment:index")
        return redirect("assessment:export_status", export_id=done.pk)
    if not _jobs_in_process():
        return HttpResponseNotAllowed(["POST"])
    view = _view_or_404(period)
    language = page_language()
    name = f"责任单位考核-{view.period}"
    export_type = RankingExport.Format.PDF if fmt == "pdf" else RankingExport.Format.XLSX
    return attachment(
        services.ranking_file(view, fmt=fmt, language=language),
        filename=f"{name}.{fmt}",
        content_type=RankingExport(format=export_type).content_type,
    )


REFRESH_SECONDS = 3


def _export_or_404(export_id: int) -> RankingExport:
    try:
        return (
            RankingExport.objects.select_related("requested_by").defer("content").get(pk=export_id)
        )
    except RankingExport.DoesNotExist:
        raise Http404 from None


@_guarded(permissions.can_read_assessment)
@require_GET
def export_status(request, export_id: int):
    found = _export_or_404(export_id)
    running = found.status in (RankingExport.Status.PENDING, RankingExport.Status.RUNNING)
    return render(
        request,
        "assessment/export.html",
        {
            "export": found,
            "period_label": display.period_label(found.period),
            "running": running,
            "refresh_seconds": REFRESH_SECONDS,
            "may_rank": True,
            "section": "ranking",
        },
    )


@_guarded(permissions.can_read_assessment)
@require_GET
def export_download(request, export_id: int):
    found = _export_or_404(export_id)
    try:
        services.ranking_export_download(export=found, user=request.user)
    except ApplicationError:
        return redirect("assessment:export_status", export_id=found.pk)
    full = RankingExport.objects.get(pk=found.pk)
    return attachment(bytes(full.content), filename=full.filename, content_type=full.content_type)


@_guarded(permissions.can_read_assessment)
@require_http_methods(["GET", "POST"])
def scheme(request):
    may_record = permissions.can_change_targets(request.user)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        post = request.POST
        rules = {
            **calc.DEFAULT_RULES,
            "weights": {key: post.get(f"weight_{key}", "") for key in calc.COMPONENTS},
            "status_scores": {key: post.get(f"status_{key}", "") for key in calc.STATUSES},
            "grade_bands": [
                [grade, post.get(f"band_{grade}", "")]
                for grade in (calc.EXCELLENT, calc.GOOD, calc.PASS)
            ],
        }
        try:
            rules["response_working_days"] = int(post.get("response_working_days") or 0)
            services.scheme_record(
                year=int(post.get("year") or 0),
                rules=rules,
                document_no=post.get("document_no", ""),
                reason=post.get("reason", ""),
                approver=User.objects.filter(pk=post.get("approver") or 0).first(),
                actor=request.user,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        except ValueError:
            messages.error(request, _("数值格式无效。"))
        else:
            messages.success(request, _("考核方案已按批准文件保存为新版本。"))
        return redirect("assessment:scheme")
    versions = selectors.scheme_versions()
    current = next((s for s in versions if s.year == 0 and s.is_current), None)
    return render(
        request,
        "assessment/scheme.html",
        {
            "versions": [{"scheme": s, "method": display.method_lines(s.rules)} for s in versions],
            "current": current.rules if current else calc.rules_checked(calc.DEFAULT_RULES),
            "components": [(key, display.component_label(key)) for key in calc.COMPONENTS],
            "statuses": [(key, display.outcome_label(key)) for key in calc.STATUSES],
            "grades": [
                (grade, display.grade_label(grade))
                for grade in (calc.EXCELLENT, calc.GOOD, calc.PASS)
            ],
            "may_record": may_record,
            "committee": User.objects.filter(role=User.Role.COMMITTEE, is_active=True).order_by(
                "username"
            )
            if may_record
            else [],
            "may_rank": True,
            "section": "scheme",
        },
    )


app_name = "assessment"
urlpatterns = [
    path("", index, name="index"),
    path("scheme/", scheme, name="scheme"),
    re_path(rf"^{PERIOD_URL}/$", ranking, name="ranking"),
    re_path(rf"^{PERIOD_URL}/export\.(?P<fmt>xlsx|pdf)$", export, name="export"),
    path("exports/<int:export_id>/", export_status, name="export_status"),
    path("exports/<int:export_id>/download/", export_download, name="export_download"),
    re_path(rf"^{PERIOD_URL}/{DEPARTMENT}/$", unit, name="unit"),
]
