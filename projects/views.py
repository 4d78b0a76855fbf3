"""Pages of the key projects: the register (filters by task, stage, department, funding,
kind), a project's page (timeline, review, assessment, quarterly updates) and its printable
admission check; the write pages (register a project, record a stage, an energy review, a
carbon assessment, a quarterly update and its decision) and the admission calculator for
several proposed projects together. Thin: `accounts.permissions` decides,
`projects.selectors` reads, `projects.services` / `projects.updates` write and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import wraps
from itertools import zip_longest

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import is_english, says
from indicators.numbers import NumberRefused, parse_number
from projects import calculations as pc
from projects import exporting, selectors, services, updates
from projects.models import CARRIER_LABELS, FundingSource, Project, ProjectUpdate, Stage

ENERGY_ROWS = 6
BEFORE_ROWS = 3
PROCESS_ROWS = 3
WHAT_IF_ROWS = 4
REGISTER_PAGE_SIZE = 50
ADMISSION_PAGE = 50  # candidates the calculator lists at once (search narrows them)
ADMISSION_CHOSEN_MAX = 200


def _reads_projects(user) -> bool:
    return permissions.can_read_all_data(user) or permissions.can_manage_projects(user)


def _guarded(rule):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def _project_or_404(request, pk: int) -> Project:
    project = (
        Project.objects.select_related("enterprise", "department")
        .prefetch_related(
            "stage_events",
            "energy_reviews",
            "carbon_assessments",
            "tasks",
            Prefetch(
                "updates",
                queryset=ProjectUpdate.objects.select_related(
                    "submitted_by", "decided_by"
                ).prefetch_related("evidence"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if project is None:
        raise Http404
    if not permissions.can_read_project(request.user, project.department_id):
        raise PermissionDenied
    return project


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@_guarded(_reads_projects)
@require_GET
def register(request):
    from tasks.models import Department, Task

    stage = request.GET.get("stage", "")
    kind = request.GET.get("kind", "")
    funding = request.GET.get("funding", "")
    department = request.GET.get("department", "")
    task = request.GET.get("task", "")
    found = selectors.projects(
        stage=stage if stage in Stage.values else "",
        kind=kind if kind in Project.Kind.values else "",
        department_id=int(department) if department.isascii() and department.isdigit() else None,
        task_id=int(task) if task.isascii() and task.isdigit() else None,
        funding=funding if funding in FundingSource.values else "",
    )
    page = Paginator(found, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for project in page.object_list:
        review = next(iter(project.energy_reviews.all()), None)
        rows.append({"project": project, "review": review,
                     "investment": sum(float(v) for v in project.investment_planned.values())})  # fmt: skip
    return render(
        request,
        "projects/register.html",
        {
            "rows": rows,
            "page": page,
            "filters": _without_page(request),
            "can_manage": permissions.can_manage_projects(request.user),
            "reports": [
                (k, exporting.TITLES[k][1 if is_english() else 0]) for k in exporting.KINDS
            ],
            "stages": Stage.choices,
            "kinds": Project.Kind.choices,
            "fundings": FundingSource.choices,
            "departments": Department.objects.order_by("order", "code"),
            "tasks": Task.objects.order_by("order", "code"),
            "chosen": {
                "stage": stage,
                "kind": kind,
                "funding": funding,
                "department": department,
                "task": task,
            },
        },
    )


@_guarded(permissions.can_use_product)
@require_GET
def project_page(request, pk: int):
    project = _project_or_404(request, pk)
    park = selectors.park_latest_complete_year()
    reserve = selectors.budget_reserve(timezone.localdate().year)
    return render(
        request,
        "projects/project.html",
        {
            "project": project,
            "events": sorted(project.stage_events.all(), key=lambda e: (e.recorded_at, e.pk)),
            "review": next(
                iter(
                    sorted(
                        project.energy_reviews.all(),
                        key=lambda r: (r.recorded_at, r.pk),
                        reverse=True,
                    )
                ),
                None,
            ),
            "assessment": next(
                iter(
                    sorted(
                        project.carbon_assessments.all(),
                        key=lambda a: (a.recorded_at, a.pk),
                        reverse=True,
                    )
                ),
                None,
            ),
            "admission": selectors.admission(project, park, reserve),
            "reserve": reserve,
            "updates": sorted(
                project.updates.all(), key=lambda u: (u.period, u.version), reverse=True
            ),
            "can_manage": permissions.can_manage_projects(request.user),
            "can_report": permissions.can_report_project(request.user, project.department_id),
            "can_decide": permissions.can_approve(request.user, project.department_id),
            "park": park,
            "funding_labels": dict(FundingSource.choices),
            "print": request.GET.get("print") == "1",
        },
    )


# --- Writes: forms that call the services ----------------------------------------------


def _decimal(text, label: str, *, required: bool = False) -> Decimal | None:
    """A number typed into a project form, read by the product's one parser (full-width
    digits, thousands separators); empty is None unless `required`."""
    typed = (text or "").strip()
    if not typed:
        if required:
            raise ApplicationError(f"请填写{label}。", f"{label} is required.", code="required")
        return None
    try:
        return parse_number(typed)
    except NumberRefused as refused:
        raise ApplicationError(f"{label}“{typed[:40]}”：{refused.reason_zh}。",
                               f"{label} '{typed[:40]}': {refused.reason_en}.",
                               code="not_a_number") from None  # fmt: skip


def _date(text, label: str) -> dt.date | None:
    typed = (text or "").strip()
    if not typed:
        return None
    try:
        return dt.date.fromisoformat(typed)
    except ValueError:
        raise ApplicationError(f"{label}“{typed[:20]}”无效，应为 YYYY-MM-DD。",
                               f"{label} '{typed[:20]}' is not a date (YYYY-MM-DD).",
                               code="bad_date") from None  # fmt: skip


def _year(text) -> int:
    typed = (text or "").strip()
    if not (typed.isascii() and typed.isdigit() and 2000 <= int(typed) <= 2100):
        raise ApplicationError("核算年份无效。", "The year is not valid.", code="bad_year")
    return int(typed)


def _investment(post, prefix: str) -> dict[str, Decimal]:
    amounts = {}
    for source, label in FundingSource.choices:
        value = _decimal(post.get(f"{prefix}{source}"), str(label))
        if value is not None:
            amounts[source] = value
    return amounts


def _energy_rows(post, prefix: str) -> list[dict]:
    """Rows of carrier / quantity / unit typed into a form; an empty row is skipped, a
    quantity that is no number is refused (the carrier and unit are checked by the service)."""
    rows = []
    for carrier, quantity, unit in zip(
        post.getlist(f"{prefix}carrier"), post.getlist(f"{prefix}quantity"),
        post.getlist(f"{prefix}unit"), strict=False,
    ):  # fmt: skip
        if not carrier.strip() and not quantity.strip():
            continue
        label = str(CARRIER_LABELS.get(carrier, carrier))
        value = _decimal(quantity, label, required=True)
        rows.append({"carrier": carrier.strip(), "quantity": str(value),
                     "unit": unit.strip() or pc.CARRIER_UNIT.get(carrier, "")})  # fmt: skip
    return rows


def _project_form_context(**extra) -> dict:
    return {
        "carriers": [(c, CARRIER_LABELS[c], pc.CARRIER_UNIT[c]) for c in pc.CARRIERS],
        "stages": Stage.choices,
        "fundings": FundingSource.choices,
        **extra,
    }


def _project_fields(post) -> dict:
    """The fields of the project form as the services take them."""
    from enterprises.models import Enterprise
    from tasks.models import Department, Task, WorkItem

    department = Department.objects.filter(pk=_pk(post.get("department"))).first()
    if department is None:
        raise ApplicationError("请选择责任部门。", "Choose the responsible department.",
                               code="department_required")  # fmt: skip
    return {
        "name": post.get("name", ""),
        "enterprise": Enterprise.objects.filter(pk=_pk(post.get("enterprise"))).first(),
        "kind": post.get("kind", ""), "department": department,
        "investment_planned": _investment(post, "planned_"),
        "annual_output": _decimal(post.get("annual_output"), _("达产年产值")),
        "value_added": _decimal(post.get("value_added"), _("达产年增加值")),
        "product_quantity": _decimal(post.get("product_quantity"), _("达产年产品产量")),
        "product_unit": post.get("product_unit", "").strip(),
        "tasks": list(Task.objects.filter(pk__in=[_pk(t) for t in post.getlist("tasks")])),
        "work_items": list(
            WorkItem.objects.filter(pk__in=[_pk(t) for t in post.getlist("work_items")])
        ),
    }  # fmt: skip


def _project_form(request, form, **extra):
    from enterprises.models import Enterprise
    from tasks.models import Department, Task, WorkItem

    planned = extra.pop("planned", None)
    return render(
        request,
        "projects/project_new.html",
        _project_form_context(
            enterprises=Enterprise.objects.order_by("name").only("pk", "name", "code"),
            departments=Department.objects.order_by("order", "code"),
            tasks=Task.objects.order_by("order", "code"),
            work_items=WorkItem.objects.order_by("task__order", "pk"),
            kinds=Project.Kind.choices, form=form,
            chosen_tasks=set(form.getlist("tasks")) if hasattr(form, "getlist") else form.get("tasks", set()),
            chosen_items=set(form.getlist("work_items")) if hasattr(form, "getlist")
            else form.get("work_items", set()),
            funding_rows=[(value, label, (planned or form).get(f"planned_{value}", ""))
                          for value, label in FundingSource.choices],
            **extra,
        ),
    )  # fmt: skip


@_guarded(permissions.can_manage_projects)
@require_http_methods(["GET", "POST"])
def project_new(request):
    if request.method == "POST":
        try:
            project = services.project_register(
                user=request.user, code=request.POST.get("code", ""),
                **_project_fields(request.POST),
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("项目已登记。"))
            return redirect("projects:project", pk=project.pk)
    return _project_form(request, request.POST)


@_guarded(permissions.can_manage_projects)
@require_http_methods(["GET", "POST"])
def project_edit(request, pk: int):
    """Change a registered project (its code stays), with a reason; audited."""
    from indicators.numbers import decimal_text

    project = _plain_project(pk)
    if request.method == "POST":
        try:
            services.project_edit(
                user=request.user, project=project, reason=request.POST.get("reason", ""),
                **_project_fields(request.POST),
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, says(error))
            return _project_form(request, request.POST, editing=project)
        messages.success(request, _("项目信息已修改。"))
        return redirect("projects:project", pk=project.pk)
    form = {
        "code": project.code, "name": project.name, "enterprise": str(project.enterprise_id),
        "kind": project.kind, "department": str(project.department_id),
        "annual_output": decimal_text(project.annual_output) or "",
        "value_added": decimal_text(project.value_added) or "",
        "product_quantity": decimal_text(project.product_quantity) or "",
        "product_unit": project.product_unit,
        "tasks": {str(pk) for pk in project.tasks.values_list("pk", flat=True)},
        "work_items": {str(pk) for pk in project.work_items.values_list("pk", flat=True)},
    }  # fmt: skip
    planned = {f"planned_{k}": v for k, v in project.investment_planned.items()}
    return _project_form(request, form, editing=project, planned=planned)


def _pk(text) -> int:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else 0


def _plain_project(pk: int) -> Project:
    project = Project.objects.select_related("enterprise", "department").filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


_RECORDS = {
    "stage": (gettext_lazy("记录项目阶段"), gettext_lazy("阶段已记录。")),
    "review": (gettext_lazy("记录节能审查"), gettext_lazy("节能审查已记录。")),
    "assessment": (gettext_lazy("记录碳排放评价"), gettext_lazy("碳排放评价已记录。")),
}


def _record(user, project: Project, what: str, post) -> None:
    if what == "stage":
        services.project_stage_record(
            user=user, project=project, stage=post.get("stage", ""),
            planned_date=_date(post.get("planned_date"), _("计划日期")),
            actual_date=_date(post.get("actual_date"), _("实际日期")),
            evidence=post.get("evidence", ""),
        )  # fmt: skip
    elif what == "review":
        uses = _energy_rows(post, "")
        if not uses:
            raise ApplicationError("请至少填写一种能源的年消费量。",
                                   "Enter the annual use of at least one energy carrier.",
                                   code="energy_required")  # fmt: skip
        services.energy_review_record(
            user=user, project=project, uses=uses, year=_year(post.get("year")),
            uses_before=_energy_rows(post, "before_"),
            opinion_authority=post.get("opinion_authority", ""),
            document_no=post.get("document_no", ""),
            opinion_date=_date(post.get("opinion_date"), _("审查意见日期")),
            approved_calorific_tce=_decimal(post.get("approved_calorific_tce"), _("核定年综合能耗（当量值）")),
            approved_equal_value_tce=_decimal(post.get("approved_equal_value_tce"), _("核定年综合能耗（等价值）")),
            approved_coal_t=_decimal(post.get("approved_coal_t"), _("核定年煤炭消费（t）")),
            conditions=post.get("conditions", ""),
        )  # fmt: skip
    else:
        uses = _energy_rows(post, "")
        process = []
        for name, tco2, method in zip(post.getlist("process_name"), post.getlist("process_tco2"),
                                      post.getlist("process_method"), strict=False):  # fmt: skip
            if not name.strip() and not tco2.strip():
                continue
            value = _decimal(tco2, name.strip() or _("过程排放"), required=True)
            if not method.strip():
                raise ApplicationError("过程排放须注明核算方法。",
                                       "A process emission needs its method.",
                                       code="method_required")  # fmt: skip
            process.append({"name": name.strip(), "tco2": str(value), "method": method.strip()})
        if post.get("from_enterprise"):
            services.carbon_assessment_from_enterprise(
                user=user, project=project, year=_year(post.get("year")), process=process,
                benchmark=_decimal(post.get("benchmark"), _("行业基准")),
                benchmark_source=post.get("benchmark_source", ""),
                conclusion=post.get("conclusion", ""), measures=post.get("measures", ""),
            )  # fmt: skip
            return
        if not uses and not process:
            raise ApplicationError("请至少填写一种能源的年消费量或一项过程排放。",
                                   "Enter at least one energy use or process emission.",
                                   code="energy_required")  # fmt: skip
        services.carbon_assessment_record(
            user=user, project=project, uses=uses, year=_year(post.get("year")),
            process=process, benchmark=_decimal(post.get("benchmark"), _("行业基准")),
            benchmark_source=post.get("benchmark_source", ""),
            conclusion=post.get("conclusion", ""), measures=post.get("measures", ""),
        )  # fmt: skip


@_guarded(permissions.can_manage_projects)
@require_http_methods(["GET", "POST"])
def project_record(request, pk: int, what: str):
    """Record a stage, an energy review (with its opinion and 文号) or a carbon assessment
    (with a sourced benchmark) of a project."""
    if what not in _RECORDS:
        raise Http404
    project = _plain_project(pk)
    if request.method == "POST":
        try:
            _record(request.user, project, what, request.POST)
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, str(_RECORDS[what][1]))
            return redirect("projects:project", pk=project.pk)
    return render(
        request,
        "projects/project_record.html",
        _project_form_context(
            project=project, what=what, title=_RECORDS[what][0], form=request.POST,
            energy_rows=range(ENERGY_ROWS), before_rows=range(BEFORE_ROWS),
            process_rows=range(PROCESS_ROWS), this_year=timezone.localdate().year,
        ),
    )  # fmt: skip


def _reports_project(request, pk: int) -> Project:
    project = _plain_project(pk)
    if not permissions.can_report_project(request.user, project.department_id):
        raise PermissionDenied
    return project


@login_required
@require_http_methods(["GET", "POST"])
def update_submit(request, pk: int):
    """The project's department reports its quarter inside an open reporting round."""
    from reporting.models import ReportingRound

    project = _reports_project(request, pk)
    rounds = ReportingRound.objects.filter(
        state=ReportingRound.State.OPEN, quarter__isnull=False
    ).order_by("-year", "-quarter")
    if request.method == "POST":
        post = request.POST
        try:
            updates.project_update_submit(
                user=request.user, project=project, period=post.get("period", ""),
                investment_completed=_investment(post, "completed_"), stage=post.get("stage", ""),
                milestone=post.get("milestone", ""), files=request.FILES.getlist("files"),
                stage_date=_date(post.get("stage_date"), _("到达阶段日期")),
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("季度进展已报送，待部门负责人审核。"))
            return redirect("projects:project", pk=project.pk)
    return render(
        request,
        "projects/update_submit.html",
        _project_form_context(project=project, rounds=rounds, form=request.POST),
    )


@login_required
@require_POST
def update_decide(request, pk: int):
    """A head of the project's department approves or returns an update (four eyes)."""
    update = ProjectUpdate.objects.select_related("project__department").filter(pk=pk).first()
    if update is None:
        raise Http404
    if not permissions.can_approve_submission(
        request.user, update.project.department_id, [update.submitted_by_id]
    ):
        raise PermissionDenied
    try:
        if request.POST.get("action") == "return":
            updates.project_update_return(
                update=update, user=request.user, comment=request.POST.get("comment", "")
            )
            messages.success(request, _("季度进展已退回。"))
        else:
            updates.project_update_approve(update=update, user=request.user)
            messages.success(request, _("季度进展已审核通过。"))
    except ApplicationError as error:
        messages.error(request, says(error))
    return redirect("projects:project", pk=update.project_id)


@_guarded(_reads_projects)
@require_GET
def admission_calculator(request):
    """项目准入测算 for several proposed projects together (the "what if" list): registered
    projects with a review, and projects typed in by their annual energy and value added.
    Reads only; printable with ?print=1."""
    park = selectors.park_latest_complete_year()
    chosen_ids = sorted({_pk(v) for v in request.GET.getlist("project")} - {0})[
        :ADMISSION_CHOSEN_MAX
    ]
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    chosen, matches, more = selectors.admission_candidates(
        query=query, stage=stage, limit=ADMISSION_PAGE, chosen_ids=chosen_ids
    )
    candidates = chosen + matches
    energy = selectors.reviewed_energy([p.pk for p in candidates])
    reserve = selectors.budget_reserve(timezone.localdate().year)
    rows, error = [], None
    try:
        for project in chosen:
            if project.pk in energy:
                rows.append(
                    (project.code + " " + project.name, energy[project.pk], project.value_added)
                )
        for i, (name, tce, value_added) in enumerate(zip_longest(
            request.GET.getlist("name"), request.GET.getlist("tce"), request.GET.getlist("va"),
            fillvalue="",
        )):  # fmt: skip
            if not (tce.strip() or value_added.strip()):
                continue
            label = name.strip() or _("拟建项目 %(n)s") % {"n": i + 1}
            energy_tce = _decimal(tce, _("年综合能耗（当量值）"), required=True)
            if energy_tce < 0:
                raise ApplicationError("年综合能耗不能为负数。", "Annual energy cannot be negative.",
                                       code="negative_value")  # fmt: skip
            rows.append(
                (label, energy_tce, _decimal(value_added, _("达产年增加值"), required=True))
            )
        result = None
        if rows and park is not None and park["target_value"] is not None:
            keyed = [(p.pk, energy[p.pk]) for p in chosen if p.pk in energy]
            keyed += [(None, e) for _n, e, _v in rows[len(keyed) :]]
            result = pc.admission_together(
                [(e, v) for _n, e, v in rows], park_energy_tce=park["energy_tce"],
                park_value_added=park["value_added"], path_value=park["target_value"],
                **selectors.reserve_arguments(reserve, keyed),
            )  # fmt: skip
    except ApplicationError as refused:
        error, result = says(refused), None
    typed = list(zip_longest(request.GET.getlist("name"), request.GET.getlist("tce"),
                             request.GET.getlist("va"), fillvalue=""))  # fmt: skip
    typed += [("", "", "")] * max(0, WHAT_IF_ROWS - len(typed))
    return render(
        request,
        "projects/admission.html",
        {
            "park": park, "chosen": set(chosen_ids),
            "chosen_candidates": [(p, energy[p.pk]) for p in chosen if p.pk in energy],
            "candidates": [(p, energy[p.pk]) for p in matches if p.pk in energy],
            "more": more, "query": query, "stage": stage, "stages": Stage.choices,
            "reserve": reserve,
            "page_size": ADMISSION_PAGE,
            "rows": rows, "result": result, "error": error, "typed": typed,
            "total_tce": sum((e for _n, e, _v in rows), Decimal(0)),
            "total_va": sum((v for _n, _e, v in rows), Decimal(0)),
            "print": request.GET.get("print") == "1",
        },
    )  # fmt: skip


@_guarded(_reads_projects)
@require_GET
def export(request, kind: str, fmt: str):
    """A report of the key projects as xlsx (inert) or PDF (CJK): 重点项目清单, 节能审查台账,
    碳排放评价台账, investment completed by quarter."""
    from dezhou_carbon.i18n import page_language
    from reports.views import attachment

    if kind not in exporting.KINDS or fmt not in ("xlsx", "pdf"):
        raise Http404
    language = page_language()
    english = language.startswith("en")
    table = exporting.table_of(kind, english=english)
    stamp = timezone.localdate().isoformat()
    name = f"{table.title[1 if english else 0]}-{stamp}.{fmt}"
    if fmt == "xlsx":
        return attachment(
            exporting.table_xlsx(table, language=language), filename=name,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )  # fmt: skip
    content = exporting.table_pdf(table, language=language, taken_at=timezone.now())
    return attachment(content, filename=name, content_type="application/pdf")


app_name = "projects"
urlpatterns = [
    path("", register, name="register"),
    path("<int:pk>/", project_page, name="project"),
    path("new/", project_new, name="new"),
    path("<int:pk>/edit/", project_edit, name="edit"),
    path("<int:pk>/stage/", project_record, {"what": "stage"}, name="stage"),
    path("<int:pk>/review/", project_record, {"what": "review"}, name="review"),
    path("<int:pk>/assessment/", project_record, {"what": "assessment"}, name="assessment"),
    path("<int:pk>/update/", update_submit, name="update"),
    path("updates/<int:pk>/decide/", update_decide, name="update_decide"),
    path("admission/", admission_calculator, name="admission"),
    path("reports/<str:kind>.<str:fmt>", export, name="export"),
]
