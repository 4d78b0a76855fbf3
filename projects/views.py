"""Pages of the key projects: the register (filters by task, stage, department, funding,
kind), a project's page (timeline, review, assessment) and its printable admission check.
Thin: `accounts.permissions` decides, `projects.selectors` reads."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts import permissions
from projects import selectors
from projects.models import FundingSource, Project, Stage


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
        .prefetch_related("stage_events", "energy_reviews", "carbon_assessments", "tasks")
        .filter(pk=pk)
        .first()
    )
    if project is None:
        raise Http404
    if not permissions.can_read_project(request.user, project.department_id):
        raise PermissionDenied
    return project


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
    )
    rows = []
    for project in found:
        if funding and funding not in project.investment_planned:
            continue
        review = next(iter(project.energy_reviews.all()), None)
        rows.append({"project": project, "review": review,
                     "investment": sum(float(v) for v in project.investment_planned.values())})  # fmt: skip
    return render(
        request,
        "projects/register.html",
        {
            "rows": rows,
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
            "admission": selectors.admission(project, park),
            "park": park,
            "funding_labels": dict(FundingSource.choices),
            "print": request.GET.get("print") == "1",
        },
    )


app_name = "projects"
urlpatterns = [
    path("", register, name="register"),
    path("<int:pk>/", project_page, name="project"),
]
