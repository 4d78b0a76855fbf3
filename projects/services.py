"""Writes of the key projects: one function per state change, audited in its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from projects import calculations as pc
from projects import rules
from projects.models import (
    STAGE_ORDER,
    CarbonAssessment,
    EnergyReview,
    FundingSource,
    Project,
    Stage,
    StageEvent,
)


def _refuse_permission() -> PermissionRefused:
    return PermissionRefused(
        "您没有权限管理重点项目。", "You are not allowed to manage key projects.",
        code="permission_denied",
    )  # fmt: skip


def _require(user) -> None:
    if not permissions.can_manage_projects(user):
        raise _refuse_permission()


def _registry_book():
    from indicators.selectors import coefficient_book

    return coefficient_book()


@transaction.atomic
def project_register(
    *, user, code: str, name: str, enterprise, kind: str, department,
    investment_planned: dict | None = None, annual_output: Decimal | None = None,
    value_added: Decimal | None = None, product_quantity: Decimal | None = None,
    product_unit: str = "", tasks: Sequence = (), work_items: Sequence = (),
) -> Project:  # fmt: skip
    _require(user)
    if enterprise is None:
        raise ApplicationError(
            "项目须属于企业名录中的企业，请先登记企业。",
            "A project belongs to an enterprise of the register: register it first.",
            code="enterprise_unregistered",
        )
    if kind not in Project.Kind.values:
        raise ApplicationError(
            f"项目类型“{kind}”无效。", f"Project kind '{kind}' is not known.", code="bad_kind"
        )
    if not code.strip() or not name.strip():
        raise ApplicationError("请填写项目代码和名称。", "The project's code and name are required.",
                               code="project_fields_required")  # fmt: skip
    planned = {}
    for source, amount in (investment_planned or {}).items():
        if source not in FundingSource.values:
            raise ApplicationError(f"资金来源“{source}”无效。", f"Funding source '{source}' is not known.",
                                   code="bad_funding_source")  # fmt: skip
        if Decimal(amount) < 0:
            raise ApplicationError(
                "投资额不能为负数。", "An investment cannot be negative.", code="negative_value"
            )
        planned[source] = str(Decimal(amount))
    for value in (annual_output, value_added, product_quantity):
        if value is not None and Decimal(value) < 0:
            raise ApplicationError("产值、增加值和产量不能为负数。",
                                   "Output, value added and quantity cannot be negative.",
                                   code="negative_value")  # fmt: skip
    try:
        with transaction.atomic():
            project = Project.objects.create(
                code=code.strip(), name=name.strip(), enterprise=enterprise, kind=kind,
                department=department, investment_planned=planned, annual_output=annual_output,
                value_added=value_added, product_quantity=product_quantity,
                product_unit=product_unit, created_by=user,
            )  # fmt: skip
    except IntegrityError:
        raise ConflictError(f"项目代码“{code}”已存在。", f"Project code '{code}' already exists.",
                            code="project_exists") from None  # fmt: skip
    project.tasks.set(tasks)
    project.work_items.set(work_items)
    audit_record(
        actor=user, action="project_registered", object_type="project", object_id=project.pk,
        department_code=department.code,
        details={"code": project.code, "enterprise": enterprise.code, "kind": kind, "investment": planned},
    )  # fmt: skip
    return project


def latest_review(project: Project) -> EnergyReview | None:
    return project.energy_reviews.order_by("-recorded_at", "-id").first()


@transaction.atomic
def project_stage_record(
    *, user, project: Project, stage: str, actual_date: dt.date | None = None,
    planned_date: dt.date | None = None, evidence: str = "",
) -> StageEvent:  # fmt: skip
    """Record a stage's planned or actual date. An actual date may not precede the previous
    stage's, and construction (开工) needs an energy-review opinion unless the project is
    below the review threshold."""
    _require(user)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if stage not in STAGE_ORDER:
        raise ApplicationError(
            f"阶段“{stage}”无效。", f"Stage '{stage}' is not known.", code="bad_stage"
        )
    if actual_date is None and planned_date is None:
        raise ApplicationError("请填写计划日期或实际日期。", "A planned or an actual date is required.",
                               code="date_required")  # fmt: skip
    if actual_date is not None:
        index = STAGE_ORDER.index(stage)
        earlier = {}
        for event in project.stage_events.exclude(actual_date__isnull=True):
            earlier[event.stage] = event.actual_date  # the newest record of a stage counts
        for previous in STAGE_ORDER[:index]:
            if previous in earlier and earlier[previous] > actual_date:
                label = Stage(previous).label
                raise ApplicationError(
                    f"“{Stage(stage).label}”的日期早于上一阶段“{label}”的日期（{earlier[previous]}）。",
                    f"The date of '{stage}' is before the date of the previous stage '{previous}' "
                    f"({earlier[previous]}).",
                    code="stage_date_before_previous",
                )
        if stage == Stage.CONSTRUCTION:
            review = latest_review(project)
            if review is None or (
                review.authority != EnergyReview.Authority.NONE and not review.document_no
            ):
                raise ApplicationError(
                    "项目尚无节能审查意见，不能开工（年综合能耗低于审查门槛的项目除外）。",
                    "The project has no energy-review opinion and cannot start construction "
                    "(unless it is below the review threshold).",
                    code="review_required",
                )
    event = StageEvent.objects.create(
        project=project, stage=stage, planned_date=planned_date, actual_date=actual_date,
        evidence=evidence.strip(), recorded_by=user,
    )  # fmt: skip
    if actual_date is not None and STAGE_ORDER.index(stage) > STAGE_ORDER.index(project.stage):
        project.stage = stage
        project.save(update_fields=["stage"])
    audit_record(
        actor=user, action="project_stage_recorded", object_type="project", object_id=project.pk,
        department_code=project.department.code,
        details={"stage": stage, "planned_date": planned_date and planned_date.isoformat(),
                 "actual_date": actual_date and actual_date.isoformat()},
    )  # fmt: skip
    return event


def _uses(rows: Sequence[dict]) -> list[pc.EnergyUse]:
    try:
        return [pc.EnergyUse(r["carrier"], Decimal(str(r["quantity"])), r["unit"]) for r in rows]
    except (KeyError, ArithmeticError, ValueError, TypeError) as bad:
        raise ApplicationError("能源消费数据格式无效。", "The energy data is malformed.",
                               code="bad_energy") from bad  # fmt: skip


@transaction.atomic
def energy_review_record(
    *, user, project: Project, uses: Sequence[dict], year: int, uses_before: Sequence[dict] = (),
    opinion_authority: str = "", document_no: str = "", opinion_date: dt.date | None = None,
    approved_calorific_tce: Decimal | None = None, approved_equal_value_tce: Decimal | None = None,
    approved_coal_t: Decimal | None = None, conditions: str = "",
) -> EnergyReview:  # fmt: skip
    """The project's annual energy (for a renovation, the increase counts), which authority
    reviews it under the current thresholds, and the opinion when there is one (文号 required)."""
    _require(user)
    book = _registry_book()
    energy = pc.annual_energy(_uses(uses), book, year)
    counted = energy
    if uses_before:
        counted = energy.minus(pc.annual_energy(_uses(uses_before), book, year))
    thresholds = rules.review_thresholds()
    authority = pc.review_authority(counted, thresholds)
    has_opinion = any([opinion_authority, opinion_date, approved_calorific_tce])
    if has_opinion and not document_no.strip():
        raise ApplicationError("节能审查意见须填写文号。", "A review opinion needs its document number (文号).",
                               code="document_required")  # fmt: skip
    review = EnergyReview.objects.create(
        project=project, uses=list(uses), uses_before=list(uses_before),
        calorific_tce=counted.calorific_tce, equal_value_tce=counted.equal_value_tce,
        electricity_wan_kwh=counted.electricity_wan_kwh, coal_t=counted.coal_t,
        authority=authority, thresholds_version=thresholds.version,
        trace={"energy": counted.trace, "renovation": bool(uses_before),
               "thresholds": {"provincial_tce": str(thresholds.provincial_tce),
                              "exempt_tce": str(thresholds.exempt_tce),
                              "exempt_wan_kwh": str(thresholds.exempt_wan_kwh)}},
        opinion_authority=opinion_authority.strip(), document_no=document_no.strip(),
        opinion_date=opinion_date, approved_calorific_tce=approved_calorific_tce,
        approved_equal_value_tce=approved_equal_value_tce, approved_coal_t=approved_coal_t,
        conditions=conditions.strip(), recorded_by=user,
    )  # fmt: skip
    audit_record(
        actor=user, action="energy_review_recorded", object_type="project", object_id=project.pk,
        department_code=project.department.code,
        new_value={"calorific_tce": str(counted.calorific_tce), "authority": authority},
        details={"document_no": document_no, "renovation": bool(uses_before)},
    )  # fmt: skip
    return review


@transaction.atomic
def carbon_assessment_record(
    *, user, project: Project, uses: Sequence[dict], year: int, process: Sequence[dict] = (),
    grid_region: str = "shandong", benchmark: Decimal | None = None, benchmark_source: str = "",
    conclusion: str = "", measures: str = "",
) -> CarbonAssessment:  # fmt: skip
    _require(user)
    if benchmark is not None and not benchmark_source.strip():
        raise ApplicationError("行业基准须注明来源。", "The industry benchmark needs its source.",
                               code="source_required")  # fmt: skip
    emissions = [
        pc.ProcessEmission(p["name"], Decimal(str(p["tco2"])), p.get("method", "")) for p in process
    ]
    result = pc.carbon_assessment(
        _uses(uses), emissions, _registry_book(), year, grid_region,
        product_quantity=project.product_quantity, value_added=project.value_added,
    )  # fmt: skip
    assessment = CarbonAssessment.objects.create(
        project=project, year=year, uses=list(uses), process=list(process),
        fuels_t=result.fuels_t, process_t=result.process_t, electricity_t=result.electricity_t,
        heat_t=result.heat_t, total_t=result.total_t, per_product=result.per_product,
        per_value_added=result.per_value_added, benchmark=benchmark,
        benchmark_source=benchmark_source.strip(), conclusion=conclusion.strip(),
        measures=measures.strip(), trace=result.trace, recorded_by=user,
    )  # fmt: skip
    audit_record(
        actor=user, action="carbon_assessment_recorded", object_type="project", object_id=project.pk,
        department_code=project.department.code, new_value={"total_t": str(result.total_t)},
    )  # fmt: skip
    return assessment
