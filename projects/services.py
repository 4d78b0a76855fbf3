"""Writes of the key projects: one function per state change, audited in its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import translation

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators.numbers import NumberRefused, decimal_text, parse_number
from projects import calculations as pc
from projects import rules
from projects.models import (
    CARRIER_LABELS,
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


def number(value, label_zh: str, label_en: str, *, required: bool = False) -> Decimal | None:
    """A figure given to a service (typed text, a Decimal or an int), read by the product's one
    parser; never negative, never NaN or infinite. Empty is None unless `required`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApplicationError(f"请填写{label_zh}。", f"{label_en} is required.",
                                   code="required")  # fmt: skip
        return None
    if isinstance(value, bool):
        value = str(value)  # True is no number
    try:
        if isinstance(value, Decimal | int):
            parsed = Decimal(value)
            if not parsed.is_finite():
                raise NumberRefused("not_a_number", "不是数字", "not a number")
        else:
            parsed = parse_number(str(value))
    except NumberRefused as refused:
        raise ApplicationError(f"{label_zh}“{str(value)[:40]}”无效：{refused.reason_zh}。",
                               f"{label_en} '{str(value)[:40]}' is not valid: {refused.reason_en}.",
                               code="not_a_number") from None  # fmt: skip
    if parsed < 0:
        raise ApplicationError(f"{label_zh}不能为负数。", f"{label_en} cannot be negative.",
                               code="negative_value")  # fmt: skip
    return parsed


def investment_amounts(investment: dict | None) -> dict[str, str]:
    """{funding source: 万元 as a decimal string} of a plan or a quarter; an unknown source,
    a negative or non-numeric amount is refused; an empty amount is left out."""
    if investment is not None and not isinstance(investment, dict):
        raise ApplicationError("投资额应按资金来源填写。", "Investment is given by funding source.",
                               code="bad_funding_source")  # fmt: skip
    amounts = {}
    for source, amount in (investment or {}).items():
        if source not in FundingSource.values:
            raise ApplicationError(f"资金来源“{source}”无效。", f"Funding source '{source}' is not known.",
                                   code="bad_funding_source")  # fmt: skip
        value = number(amount, "投资额", "An investment")
        if value is not None:
            amounts[source] = decimal_text(value)
    return amounts


def _project_fields(*, enterprise, kind: str, name: str, annual_output, value_added,
                    product_quantity) -> dict:  # fmt: skip
    """The checks a project's fields pass whether registered or edited."""
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
    if not (name or "").strip():
        raise ApplicationError("请填写项目代码和名称。", "The project's code and name are required.",
                               code="project_fields_required")  # fmt: skip
    return {
        "annual_output": number(annual_output, "达产年产值", "Annual output"),
        "value_added": number(value_added, "达产年增加值", "Value added"),
        "product_quantity": number(product_quantity, "达产年产品产量", "Product quantity"),
    }


@transaction.atomic
def project_register(
    *, user, code: str, name: str, enterprise, kind: str, department,
    investment_planned: dict | None = None, annual_output: Decimal | None = None,
    value_added: Decimal | None = None, product_quantity: Decimal | None = None,
    product_unit: str = "", tasks: Sequence = (), work_items: Sequence = (),
) -> Project:  # fmt: skip
    _require(user)
    figures = _project_fields(
        enterprise=enterprise, kind=kind, name=name, annual_output=annual_output,
        value_added=value_added, product_quantity=product_quantity,
    )  # fmt: skip
    if not (code or "").strip():
        raise ApplicationError("请填写项目代码和名称。", "The project's code and name are required.",
                               code="project_fields_required")  # fmt: skip
    if department is None:
        raise ApplicationError("请选择责任部门。", "Choose the responsible department.",
                               code="department_required")  # fmt: skip
    planned = investment_amounts(investment_planned)
    try:
        with transaction.atomic():
            project = Project.objects.create(
                code=code.strip(), name=name.strip(), enterprise=enterprise, kind=kind,
                department=department, investment_planned=planned, product_unit=product_unit,
                created_by=user, **figures,
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


_EDITABLE = ("name", "enterprise", "kind", "department", "investment_planned", "annual_output",
             "value_added", "product_quantity", "product_unit")  # fmt: skip


def _audit_value(value):
    if hasattr(value, "code"):
        return value.code
    if isinstance(value, Decimal):
        return decimal_text(value)
    return value


@transaction.atomic
def project_edit(*, user, project: Project, reason: str = "", **changes) -> Project:
    """Change a registered project's fields (its code stays: it names the project in the
    reports and the API). Only the fields given change; the same checks as a registration;
    audited with the old and new values. `tasks` / `work_items` replace the links."""
    _require(user)
    unknown = set(changes) - {*_EDITABLE, "tasks", "work_items"}
    if unknown:
        raise ApplicationError(f"不能修改字段：{'、'.join(sorted(unknown))}。",
                               f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
                               code="not_editable")  # fmt: skip
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("enterprise", "department")
        .get(pk=project.pk)
    )
    merged = {field: changes.get(field, getattr(project, field)) for field in _EDITABLE}
    figures = _project_fields(
        enterprise=merged["enterprise"], kind=merged["kind"], name=merged["name"],
        annual_output=merged["annual_output"], value_added=merged["value_added"],
        product_quantity=merged["product_quantity"],
    )  # fmt: skip
    if merged["department"] is None:
        raise ApplicationError("请选择责任部门。", "Choose the responsible department.",
                               code="department_required")  # fmt: skip
    merged.update(figures)
    merged["name"] = merged["name"].strip()
    merged["product_unit"] = (merged["product_unit"] or "").strip()
    if "investment_planned" in changes:
        merged["investment_planned"] = investment_amounts(changes["investment_planned"])
    old, new = {}, {}
    for field in _EDITABLE:
        if getattr(project, field) != merged[field]:
            old[field], new[field] = (
                _audit_value(getattr(project, field)),
                _audit_value(merged[field]),
            )
            setattr(project, field, merged[field])
    for link in ("tasks", "work_items"):
        if link in changes:
            before = sorted(getattr(project, link).values_list("pk", flat=True))
            after = sorted(item.pk for item in changes[link])
            if before != after:
                getattr(project, link).set(changes[link])
                old[link], new[link] = before, after
    if not old:
        return project
    project.save(update_fields=[f for f in _EDITABLE if f in new])
    audit_record(
        actor=user, action="project_edited", object_type="project", object_id=project.pk,
        department_code=project.department.code, old_value=old, new_value=new,
        reason=(reason or "").strip()[:500],
    )  # fmt: skip
    return project


def latest_review(project: Project) -> EnergyReview | None:
    return project.energy_reviews.order_by("-recorded_at", "-id").first()


def stage_change_check(project: Project, stage: str, actual_date: dt.date | None) -> None:
    """The rules a stage reached must keep, whoever records it (DRS on the project page, or the
    approval of a quarterly update): a known stage; its actual date not before an earlier
    stage's nor after a later stage's; construction (开工) — and so every stage after it —
    needs an energy-review opinion (文号) unless the project is below the review threshold.
    An existing plant (存量, the carbon-assessment pilot) was built before the rule and is
    registered at the stage it has; the gate is for new investment."""
    if stage not in STAGE_ORDER:
        raise ApplicationError(
            f"阶段“{stage}”无效。", f"Stage '{stage}' is not known.", code="bad_stage"
        )
    if actual_date is None:
        return
    index = STAGE_ORDER.index(stage)
    reached = {}
    for event in project.stage_events.exclude(actual_date__isnull=True).order_by(
        "recorded_at", "id"
    ):
        reached[event.stage] = event.actual_date  # the newest record of a stage counts
    for previous in STAGE_ORDER[:index]:
        if previous in reached and reached[previous] > actual_date:
            label = Stage(previous).label
            raise ApplicationError(
                f"“{Stage(stage).label}”的日期早于上一阶段“{label}”的日期（{reached[previous]}）。",
                f"The date of '{stage}' is before the date of the previous stage '{previous}' "
                f"({reached[previous]}).",
                code="stage_date_before_previous",
            )
    for later in STAGE_ORDER[index + 1 :]:
        if later in reached and reached[later] < actual_date:
            label = Stage(later).label
            raise ApplicationError(
                f"“{Stage(stage).label}”的日期晚于下一阶段“{label}”的日期（{reached[later]}）。",
                f"The date of '{stage}' is after the date of the later stage '{later}' "
                f"({reached[later]}).",
                code="stage_date_after_next",
            )
    if index >= STAGE_ORDER.index(Stage.CONSTRUCTION) and project.kind != Project.Kind.EXISTING:
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


def stage_apply(
    *, user, project: Project, stage: str, actual_date: dt.date | None = None,
    planned_date: dt.date | None = None, evidence: str = "", source: str = "",
) -> StageEvent:  # fmt: skip
    """Record the stage once `stage_change_check` passes, move the project forward when an
    actual date is reached, and audit it. Callers check who may do it and hold the project's
    row lock (projects.updates calls this when an approved quarter reports a new stage)."""
    if stage not in STAGE_ORDER:
        raise ApplicationError(
            f"阶段“{stage}”无效。", f"Stage '{stage}' is not known.", code="bad_stage"
        )
    if actual_date is None and planned_date is None:
        raise ApplicationError("请填写计划日期或实际日期。", "A planned or an actual date is required.",
                               code="date_required")  # fmt: skip
    stage_change_check(project, stage, actual_date)
    event = StageEvent.objects.create(
        project=project, stage=stage, planned_date=planned_date, actual_date=actual_date,
        evidence=evidence.strip(), recorded_by=user,
    )  # fmt: skip
    if actual_date is not None and STAGE_ORDER.index(stage) > STAGE_ORDER.index(project.stage):
        project.stage = stage
        project.save(update_fields=["stage"])
    details = {"stage": stage, "planned_date": planned_date and planned_date.isoformat(),
               "actual_date": actual_date and actual_date.isoformat()}  # fmt: skip
    if source:
        details["source"] = source
    audit_record(
        actor=user, action="project_stage_recorded", object_type="project", object_id=project.pk,
        department_code=project.department.code, details=details,
    )  # fmt: skip
    return event


@transaction.atomic
def project_stage_record(
    *, user, project: Project, stage: str, actual_date: dt.date | None = None,
    planned_date: dt.date | None = None, evidence: str = "",
) -> StageEvent:  # fmt: skip
    """Record a stage's planned or actual date (the rules of `stage_change_check`)."""
    _require(user)
    project = Project.objects.select_for_update().get(pk=project.pk)
    return stage_apply(
        user=user, project=project, stage=stage, actual_date=actual_date,
        planned_date=planned_date, evidence=evidence,
    )  # fmt: skip


def _uses(rows: Sequence[dict]) -> list[pc.EnergyUse]:
    """Rows of {carrier, quantity, unit} (the unit defaults to the carrier's registry unit); a
    quantity that is no number, negative, or a row that is no mapping is refused."""
    if not isinstance(rows, list | tuple):
        raise ApplicationError("能源消费数据格式无效。", "The energy data is malformed.",
                               code="bad_energy")  # fmt: skip
    uses = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("carrier"), str):
            raise ApplicationError("能源消费数据格式无效。", "The energy data is malformed.",
                                   code="bad_energy")  # fmt: skip
        carrier = row["carrier"].strip()
        with translation.override("zh-hans"):
            label = str(CARRIER_LABELS.get(carrier, carrier))[:40]
        quantity = number(row.get("quantity"), f"“{label}”的年消费量",
                          f"The annual quantity of '{carrier}'", required=True)  # fmt: skip
        unit = row.get("unit") or pc.CARRIER_UNIT.get(carrier, "")
        uses.append(pc.EnergyUse(carrier, quantity, str(unit).strip()))
    return uses


def _stored(uses: Sequence[pc.EnergyUse]) -> list[dict]:
    return [
        {"carrier": u.carrier, "quantity": decimal_text(u.quantity), "unit": u.unit} for u in uses
    ]


def _year_check(year) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ApplicationError("核算年份无效。", "The year is not valid.", code="bad_year")


def _process(rows: Sequence[dict]) -> list[pc.ProcessEmission]:
    """Process emissions, each with its name, tonnes of CO₂ (a number, not negative) and the
    method it was computed by."""
    if not isinstance(rows, list | tuple):
        raise ApplicationError("过程排放数据格式无效。", "The process emissions are malformed.",
                               code="bad_process")  # fmt: skip
    emissions = []
    for row in rows:
        if not isinstance(row, dict):
            raise ApplicationError("过程排放数据格式无效。", "The process emissions are malformed.",
                                   code="bad_process")  # fmt: skip
        name = str(row.get("name") or "").strip()
        method = str(row.get("method") or "").strip()
        tco2 = number(row.get("tco2"), f"过程排放“{name[:40]}”", f"Process emission '{name[:40]}'",
                      required=True)  # fmt: skip
        if not name or not method:
            raise ApplicationError("过程排放须注明名称和核算方法。",
                                   "A process emission needs its name and method.",
                                   code="method_required")  # fmt: skip
        emissions.append(pc.ProcessEmission(name, tco2, method))
    return emissions


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
    _year_check(year)
    parsed = _uses(uses)
    if not parsed:
        raise ApplicationError("请至少填写一种能源的年消费量。",
                               "Enter the annual use of at least one energy carrier.",
                               code="energy_required")  # fmt: skip
    approved_calorific_tce = number(approved_calorific_tce, "核定年综合能耗（当量值）",
                                    "The approved annual energy (calorific)")  # fmt: skip
    approved_equal_value_tce = number(approved_equal_value_tce, "核定年综合能耗（等价值）",
                                      "The approved annual energy (equal value)")  # fmt: skip
    approved_coal_t = number(approved_coal_t, "核定年煤炭消费", "The approved coal use")
    book = _registry_book()
    energy = pc.annual_energy(parsed, book, year)
    counted = energy
    if uses_before:
        counted = energy.minus(pc.annual_energy(_uses(uses_before), book, year))
    thresholds = rules.review_thresholds()
    authority = pc.review_authority(counted, thresholds)
    has_opinion = any([opinion_authority.strip(), opinion_date, approved_calorific_tce is not None,
                       approved_equal_value_tce is not None, approved_coal_t is not None,
                       conditions.strip()])  # fmt: skip
    if has_opinion and not document_no.strip():
        raise ApplicationError("节能审查意见须填写文号。", "A review opinion needs its document number (文号).",
                               code="document_required")  # fmt: skip
    review = EnergyReview.objects.create(
        project=project, uses=_stored(parsed), uses_before=_stored(_uses(uses_before)),
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
    conclusion: str = "", measures: str = "", source: dict | None = None,
) -> CarbonAssessment:  # fmt: skip
    _require(user)
    _year_check(year)
    benchmark = number(benchmark, "行业基准", "The industry benchmark")
    if benchmark is not None and not benchmark_source.strip():
        raise ApplicationError("行业基准须注明来源。", "The industry benchmark needs its source.",
                               code="source_required")  # fmt: skip
    parsed = _uses(uses)
    emissions = _process(process)
    if not parsed and not emissions:
        raise ApplicationError("请至少填写一种能源的年消费量或一项过程排放。",
                               "Enter at least one energy use or process emission.",
                               code="energy_required")  # fmt: skip
    process = [
        {"name": e.name, "tco2": decimal_text(e.tco2), "method": e.method} for e in emissions
    ]
    result = pc.carbon_assessment(
        parsed, emissions, _registry_book(), year, grid_region,
        product_quantity=project.product_quantity, value_added=project.value_added,
    )  # fmt: skip
    assessment = CarbonAssessment.objects.create(
        project=project, year=year, uses=_stored(parsed), process=process,
        fuels_t=result.fuels_t, process_t=result.process_t, electricity_t=result.electricity_t,
        heat_t=result.heat_t, total_t=result.total_t, per_product=result.per_product,
        per_value_added=result.per_value_added, benchmark=benchmark,
        benchmark_source=benchmark_source.strip(), conclusion=conclusion.strip(),
        measures=measures.strip(), trace={**result.trace, **({"source": source} if source else {})},
        recorded_by=user,
    )  # fmt: skip
    audit_record(
        actor=user, action="carbon_assessment_recorded", object_type="project", object_id=project.pk,
        department_code=project.department.code, new_value={"total_t": str(result.total_t)},
    )  # fmt: skip
    return assessment


OPERATING = (Stage.OPERATION, Stage.ACCEPTANCE)


@transaction.atomic
def carbon_assessment_from_enterprise(
    *, user, project: Project, year: int, process: Sequence[dict] = (),
    benchmark: Decimal | None = None, benchmark_source: str = "", conclusion: str = "",
    measures: str = "",
) -> CarbonAssessment:  # fmt: skip
    """The existing-project pilot (issue 18 item 3): an operating existing plant (存量) is
    assessed from its enterprise's actual figures — the four approved quarters of `year`,
    carrier by carrier — with the registry's factors; process emissions are entered with their
    method. Refused for another kind of project, one not operating, or an incomplete year."""
    from projects.selectors import enterprise_year_uses

    _require(user)
    _year_check(year)
    project = Project.objects.select_related("enterprise").get(pk=project.pk)
    if project.kind != Project.Kind.EXISTING or project.stage not in OPERATING:
        raise ApplicationError(
            "只有已投产的存量项目按企业实际数据评价。",
            "Only an operating existing plant is assessed from its enterprise's actual figures.",
            code="not_an_operating_plant",
        )
    code = project.enterprise.code
    uses, missing = enterprise_year_uses(code, year)
    if missing:
        raise ApplicationError(
            f"{project.enterprise.name} {year} 年尚有季度数据未审核（{'、'.join(missing)}），"
            "不能按实际数据评价。",
            f"{project.enterprise.name} has quarters of {year} not approved "
            f"({', '.join(missing)}): the year's actual figures are not complete.",
            code="enterprise_year_incomplete",
        )
    if not uses and not process:
        raise ApplicationError(
            f"{project.enterprise.name} {year} 年没有能源消费数据。",
            f"{project.enterprise.name} reported no energy use in {year}.",
            code="energy_required",
        )
    return carbon_assessment_record(
        user=user, project=project, year=year, process=process,
        uses=[{k: v for k, v in row.items() if k != "item"} for row in uses],
        benchmark=benchmark, benchmark_source=benchmark_source, conclusion=conclusion,
        measures=measures,
        source={"kind": "enterprise_actual", "enterprise": code, "year": year,
                "items": {row["item"]: decimal_text(row["quantity"]) for row in uses}},
    )  # fmt: skip
