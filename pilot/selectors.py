"""Reads of the pilot app. `pilot_document` gathers, for one year, everything the annual
progress report says from the product's own records — the round snapshot's targets, the
verified milestones, the key projects, the three policy innovations' counters with the
documents (文号) recorded for them, the sections' narrative — as plain JSON (decimals as
unrounded strings), so the frozen report can be rendered again to the same bytes. Where a
source holds nothing, the document says so (None or an empty list), never a made-up
figure. A fixed number of queries whatever the amount of data."""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.utils import timezone, translation

from indicators.numbers import decimal_text
from pilot.models import AnnualReport, ReportExport, ReportSection

# Default owners of the sections (department codes): the development, reform and statistics
# department (DRS) compiles the report; the ecology sub-bureau (ECO) runs two of the three
# policy innovations (P2, P3); the rest stays with DRS. The committee may reassign.
SECTION_OWNERS = {
    ReportSection.Key.TARGETS: "DRS",
    ReportSection.Key.TASKS: "DRS",
    ReportSection.Key.PROJECTS: "DRS",
    ReportSection.Key.INNOVATIONS: "ECO",
    ReportSection.Key.CASES: "DRS",
    ReportSection.Key.PROBLEMS: "DRS",
    ReportSection.Key.MEASURES: "DRS",
}
SECTION_TITLES_EN = {
    "targets": "Targets and their attainment",
    "tasks": "Progress of the key tasks",
    "projects": "Key projects",
    "innovations": "Policy innovations",
    "cases": "Typical cases and replicable practice",
    "problems": "Problems",
    "measures": "Measures for next year",
}


def _when(moment) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def _who(user) -> str | None:
    return user.get_username() if user is not None else None


def _department(department) -> dict | None:
    if department is None:
        return None
    return {"code": department.code, "name_zh": department.name_zh, "name_en": department.name_en}


def workspace(year: int) -> AnnualReport | None:
    return AnnualReport.objects.filter(year=year).select_related("frozen_by").first()


def sections(report: AnnualReport) -> list[ReportSection]:
    return list(
        report.sections.select_related("owner", "submitted_by", "approved_by").order_by("order")
    )


def exports(report: AnnualReport) -> list[ReportExport]:
    return list(report.exports.select_related("requested_by").defer("content").order_by("-pk")[:20])


def feedback(report: AnnualReport):
    return list(report.feedback.select_related("department", "warning", "recorded_by"))


# --- the document ------------------------------------------------------------------------


def year_snapshot(year: int):
    """The frozen round snapshot the report reads its targets from: the year's annual round
    if it is frozen, else the year's latest frozen quarter; None when none is frozen."""
    from reports.models import RoundSnapshot

    snapshots = list(
        RoundSnapshot.objects.filter(reporting_round__year=year).select_related("reporting_round")
    )
    if not snapshots:
        return None
    return max(snapshots, key=lambda s: s.reporting_round.quarter or 5)


def _targets(snapshot) -> list[dict]:
    rows = []
    for target in snapshot.content["targets"]:
        shown = target["assessments"].get("") or {}
        rows.append(
            {
                "code": target["code"],
                "title_zh": target["title_zh"],
                "title_en": target["title_en"],
                "kind": target["kind"],
                "indicator_name_zh": target["indicator_name_zh"],
                "indicator_name_en": target["indicator_name_en"],
                "unit": target["unit"],
                "places": target["places"],
                "target_text_zh": target["target_text_zh"],
                "target_text_en": target["target_text_en"],
                "owner": target["owner"],
                "period": shown.get("period"),
                "value": shown.get("value"),
                "completion": shown.get("completion"),
                "hold_margin": shown.get("hold_margin"),
                "time_progress": shown.get("time_progress"),
                "status": shown.get("status", ""),
            }
        )
    return rows


def _tasks(year: int) -> list[dict]:
    from tasks.models import Responsibility, Task, WorkItem

    leads = {
        r.task_id: r.department
        for r in Responsibility.objects.filter(role=Responsibility.Role.LEAD)
        .select_related("department")
        .order_by("order", "pk")
    }
    items = defaultdict(list)
    for item in WorkItem.objects.order_by("task_id", "order", "pk"):
        items[item.task_id].append(item)
    rows = []
    for task in Task.objects.order_by("order", "pk"):
        task_items = items.get(task.pk, [])
        verified = [
            i
            for i in task_items
            if i.verified_at is not None and i.verified_period[:4] <= str(year)
        ]
        rows.append(
            {
                "code": task.code,
                "kind": task.kind,
                "title_zh": task.title_zh,
                "title_en": task.title_en,
                "lead": _department(leads.get(task.pk)),
                "items_total": len(task_items),
                "items_verified": len(verified),
                "verified_in_year": [
                    {
                        "code": i.code,
                        "title_zh": i.title_zh,
                        "title_en": i.title_en,
                        "verified_period": i.verified_period,
                        "verified_at": _when(i.verified_at),
                        "evidence": i.evidence,
                    }
                    for i in verified
                    if i.verified_period.startswith(str(year))
                ],
            }
        )
    return rows


def _year_of(moment) -> int | None:
    return timezone.localtime(moment).year if moment is not None else None


def _projects(year: int) -> dict:
    from projects.models import CarbonAssessment, EnergyReview, Project

    reviews = defaultdict(list)
    for review in EnergyReview.objects.order_by("recorded_at", "pk"):
        if _year_of(review.recorded_at) <= year:
            reviews[review.project_id].append(review)
    assessments = defaultdict(list)
    for assessment in CarbonAssessment.objects.order_by("recorded_at", "pk"):
        if _year_of(assessment.recorded_at) <= year:
            assessments[assessment.project_id].append(assessment)
    rows = []
    for project in Project.objects.select_related("enterprise", "department").order_by("code"):
        if _year_of(project.created_at) > year:
            continue
        review = reviews[project.pk][-1] if reviews[project.pk] else None
        assessment = assessments[project.pk][-1] if assessments[project.pk] else None
        rows.append(
            {
                "code": project.code,
                "name": project.name,
                "enterprise": project.enterprise.name if project.enterprise_id else "",
                "department": _department(project.department),
                "stage": project.stage,
                "reviewed": review is not None,
                "review_document_no": review.document_no if review else "",
                "assessed": assessment is not None,
                "assessed_t": decimal_text(assessment.total_t) if assessment else None,
            }
        )
    return {
        "rows": rows,
        "total": len(rows),
        "reviewed": sum(1 for r in rows if r["reviewed"]),
        "assessed": sum(1 for r in rows if r["assessed"]),
    }


def _key_units(year: int) -> tuple[int, list[dict]]:
    """Key units under carbon statistics at the end of `year` (each enterprise's latest
    designation decided for a year up to `year`), and the year's designations with 文号."""
    from enterprises.models import KeyUnitDesignation

    latest = {}
    documents = []
    for d in KeyUnitDesignation.objects.select_related("enterprise").order_by("decided_at", "pk"):
        if d.year <= year:
            latest[d.enterprise_id] = d
        if d.year == year and d.document_no:
            documents.append(
                {
                    "document_no": d.document_no,
                    "subject_zh": f"{d.enterprise.name}{'列入' if d.designated else '移出'}"
                    "重点用能单位",
                    "subject_en": f"{d.enterprise.name} "
                    f"{'designated' if d.designated else 'removed'} as a key energy-using unit",
                }
            )
    return sum(1 for d in latest.values() if d.designated), documents


def _innovations(year: int, projects: dict) -> list[dict]:
    from footprints.models import CountTarget
    from footprints.selectors import innovation_counters
    from projects.models import EnergyReview
    from tasks.models import Task

    key_units, designation_documents = _key_units(year)
    review_documents = [
        {
            "document_no": r.document_no,
            "subject_zh": f"{r.project.code} {r.project.name}节能审查意见",
            "subject_en": f"{r.project.code} {r.project.name}: energy review opinion",
        }
        for r in EnergyReview.objects.select_related("project").order_by("opinion_date", "pk")
        if r.document_no and r.opinion_date and r.opinion_date.year == year
    ]
    footprint = {"studies": 0, "certified": 0, "labelled": 0}
    for (_industry, counted_year), counts in innovation_counters().items():
        if counted_year == year:
            for key in footprint:
                footprint[key] += counts[key]
    count_documents = [
        {
            "document_no": t.document_no,
            "subject_zh": f"{t.year}年{t.get_counter_display()}目标 {t.value}",
            "subject_en": f"{t.year} target for {t.counter}: {t.value}",
        }
        for t in CountTarget.objects.filter(is_current=True, year=year).order_by("counter")
    ]
    counters = {
        "P1": (
            [("key_units", "纳入碳排放统计的重点用能单位(家)",
              "Key energy-using units under carbon statistics", key_units)],
            designation_documents,
        ),
        "P2": (
            [
                ("projects", "重点项目(个)", "Key projects", projects["total"]),
                ("reviewed", "完成节能审查的项目(个)", "Projects with an energy review",
                 projects["reviewed"]),
                ("assessed", "完成碳排放评价的项目(个)", "Projects with a carbon assessment",
                 projects["assessed"]),
            ],
            review_documents,
        ),
        "P3": (
            [
                ("studies", "本年审核通过的碳足迹核算(项)", "Footprint studies approved this year",
                 footprint["studies"]),
                ("certified", "本年获得认证的产品(个)", "Products certified this year",
                 footprint["certified"]),
                ("labelled", "其中获得碳标识的产品(个)", "Of which carry a carbon label",
                 footprint["labelled"]),
            ],
            count_documents,
        ),
    }  # fmt: skip
    rows = []
    for task in Task.objects.filter(kind=Task.Kind.POLICY_INNOVATION).order_by("order", "pk"):
        found, documents = counters.get(task.code, ([], []))
        rows.append(
            {
                "code": task.code,
                "title_zh": task.title_zh,
                "title_en": task.title_en,
                "counters": [
                    {"key": key, "label_zh": zh, "label_en": en, "value": value}
                    for key, zh, en, value in found
                ],
                "documents": documents,
            }
        )
    return rows


def _cases(year: int) -> list[dict] | None:
    """The year's typical cases of the case library (None: the library holds none)."""
    from pilot.models import Case

    cases = list(
        Case.objects.filter(year=year)
        .select_related("department")
        .prefetch_related("tasks", "projects", "enterprises")
        .order_by("pk")
    )
    if not cases:
        return None
    rows = []
    with translation.override("zh-hans"):
        for case in cases:
            status_zh = str(Case.Status(case.status).label)
            with translation.override("en"):
                status_en = str(Case.Status(case.status).label)
            rows.append(
                {
                    "id": case.pk,
                    "title_zh": case.title_zh,
                    "title_en": case.title_en,
                    "summary_zh": case.summary_zh,
                    "summary_en": case.summary_en,
                    "department": _department(case.department),
                    "status": case.status,
                    "status_zh": status_zh,
                    "status_en": status_en,
                    "document_no": case.document_no,
                    "tasks": sorted(t.code for t in case.tasks.all()),
                    "projects": sorted(p.code for p in case.projects.all()),
                    "enterprises": sorted(e.name for e in case.enterprises.all()),
                }
            )
    return rows


def _assessment(year: int) -> dict | None:
    """The units' assessment scores, read through assessment.selectors (signed off, frozen
    or a preview, as that app says); None when the app is not installed or the year has no
    scheme."""
    if not apps.is_installed("assessment"):
        return None
    from assessment import selectors as assessment_selectors

    rows = assessment_selectors.year_scores(year)
    if not rows:
        return None
    return {
        "source": rows[0]["source"],
        "rows": [
            {
                "department": row["department"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "total": str(row["total"]) if row.get("total") is not None else None,
                "grade": row.get("grade") or "",
            }
            for row in rows
        ],
    }


def workspace_sections(report: AnnualReport) -> list[ReportSection]:
    """The sections with their versions and owner changes (the workspace page: 4 queries)."""
    from django.db.models import Prefetch

    from pilot.models import OwnerChange, SectionVersion

    return list(
        report.sections.select_related("owner", "submitted_by", "approved_by")
        .prefetch_related(
            Prefetch("versions", queryset=SectionVersion.objects.select_related("saved_by")),
            Prefetch(
                "owner_changes",
                queryset=OwnerChange.objects.select_related("old_owner", "new_owner", "changed_by"),
            ),
        )
        .order_by("order")
    )


def _section_rows(report: AnnualReport) -> list[dict]:
    return section_rows(sections(report))


def section_rows(found: list[ReportSection]) -> list[dict]:
    return [
        {
            "key": s.key,
            "title_zh": str(ReportSection.Key(s.key).label),
            "title_en": SECTION_TITLES_EN[s.key],
            "owner": _department(s.owner),
            "state": s.state,
            "narrative": s.narrative,
            "submitted_by": _who(s.submitted_by),
            "approved_by": _who(s.approved_by),
            "approved_at": _when(s.approved_at),
        }
        for s in found
    ]


def pilot_document(report: AnnualReport) -> dict:
    """Everything the year's report says, from the records as they stand now."""
    from django.utils import translation

    from tasks.models import Plan

    year = report.year
    plan = Plan.objects.order_by("pk").first()
    snapshot = year_snapshot(year)
    projects = _projects(year)
    with translation.override("zh-hans"):
        document = {
            "year": year,
            "plan": {
                "name_zh": plan.name_zh if plan else "",
                "name_en": plan.name_en if plan else "",
                "park_zh": plan.park_zh if plan else "",
                "park_en": plan.park_en if plan else "",
            },
            "snapshot": None
            if snapshot is None
            else {
                "period": snapshot.reporting_round.period,
                "taken_at": _when(snapshot.taken_at),
                "sha256": snapshot.content_sha256,
            },
            "targets": _targets(snapshot) if snapshot is not None else [],
            "tasks": _tasks(year),
            "projects": projects,
            "innovations": _innovations(year, projects),
            "cases": _cases(year),
            "assessment": _assessment(year),
            "sections": _section_rows(report),
        }
    return document


# --- the public page (宣传推广) ------------------------------------------------------------


def _matches(q: str, *texts) -> bool:
    return not q or any(q.casefold() in (t or "").casefold() for t in texts)


def public_content(q: str = "") -> dict:
    """Only what the committee published: targets (with their latest frozen figures),
    verified milestones and cases. `q` narrows within the published items and never
    reaches anything else. Six queries whatever the amount of data."""
    from indicators.models import Target
    from pilot.models import Case, Publication
    from reports.models import RoundSnapshot
    from tasks.models import WorkItem

    q = (q or "").strip()[:100]
    published = defaultdict(set)
    for kind, object_id in Publication.objects.values_list("kind", "object_id"):
        published[kind].add(object_id)
    snapshot = (
        RoundSnapshot.objects.select_related("reporting_round").order_by("-taken_at", "-pk").first()
        if published["target"]
        else None
    )
    frozen = {t["id"]: t for t in snapshot.content["targets"]} if snapshot else {}
    targets = []
    for target in Target.objects.filter(pk__in=published["target"]).order_by("code"):
        row = frozen.get(target.pk) or {}
        shown = (row.get("assessments") or {}).get("") or {}
        if not _matches(q, target.code, target.title_zh, target.title_en):
            continue
        targets.append(
            {
                "code": target.code,
                "title_zh": target.title_zh,
                "title_en": target.title_en,
                "target_text_zh": row.get("target_text_zh", ""),
                "target_text_en": row.get("target_text_en", ""),
                "unit": row.get("unit", ""),
                "places": row.get("places", 2),
                "period": shown.get("period"),
                "value": shown.get("value"),
                "status": shown.get("status", ""),
            }
        )
    milestones = [
        {
            "task": item.task.code,
            "code": item.code,
            "title_zh": item.title_zh,
            "title_en": item.title_en,
            "verified_period": item.verified_period,
        }
        for item in WorkItem.objects.filter(
            pk__in=published["work_item"], verified_at__isnull=False
        )
        .select_related("task")
        .order_by("task__order", "order", "pk")
        if _matches(q, item.code, item.title_zh, item.title_en)
    ]
    cases = [
        case
        for case in Case.objects.filter(pk__in=published["case"])
        .select_related("department")
        .order_by("-year", "pk")
        if _matches(q, case.title_zh, case.title_en, case.summary_zh, case.summary_en)
    ]
    return {
        "targets": targets,
        "milestones": milestones,
        "cases": cases,
        "snapshot_period": snapshot.reporting_round.period if snapshot else None,
    }


def public_case(case_id) -> object | None:
    """A published case, or None — the same for a case not published and one that does not
    exist, so an id reveals nothing."""
    from pilot.models import Case, Publication

    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        return None
    if not Publication.objects.filter(kind="case", object_id=pk).exists():
        return None
    return Case.objects.select_related("department").filter(pk=pk).first()


def public_rows(content: dict, english: bool) -> dict:
    """What the public page and its data (page, data.json, API) show of `public_content`."""
    from decimal import Decimal

    from dashboards.selectors import number_text, status_label

    def pick(row, name):
        return (row.get(f"{name}_en") if english else None) or row.get(f"{name}_zh") or ""

    return {
        "targets": [
            {
                "code": t["code"],
                "title": pick(t, "title"),
                "target_text": pick(t, "target_text"),
                "period": t["period"],
                "value": number_text(Decimal(t["value"]), t["places"])
                if t["value"] not in (None, "")
                else None,
                "unit": t["unit"],
                "status": str(status_label(t["status"])) if t["status"] else "",
            }
            for t in content["targets"]
        ],
        "milestones": [
            {
                "task": m["task"],
                "code": m["code"],
                "title": pick(m, "title"),
                "verified_period": m["verified_period"],
            }
            for m in content["milestones"]
        ],
        "cases": [
            {
                "id": c.pk,
                "title": (c.title_en if english and c.title_en else c.title_zh),
                "summary": (c.summary_en if english and c.summary_en else c.summary_zh),
                "year": c.year,
                "status": str(c.get_status_display()),
            }
            for c in content["cases"]
        ],
    }
