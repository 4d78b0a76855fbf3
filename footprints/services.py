"""Writes of the footprint accounting. Every state change is one function here, audited in
the same transaction; views, the API and the admin call these and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from footprints import calculations as fc
from footprints import selectors
from footprints.models import (
    Certificate,
    CountTarget,
    EmissionFactor,
    FactorCategory,
    IndustryReference,
    InventoryLine,
    Omission,
    Study,
)


def _refuse_permission() -> PermissionRefused:
    return PermissionRefused(
        "您没有权限进行此项碳足迹操作。",
        "You are not allowed to do this in the footprint accounting.",
        code="permission_denied",
    )


def _enterprise_check(user, enterprise) -> None:
    """Refuse a footprint write on an enterprise the person may not prepare for (an energy
    manager: any but its own; the pages audit such an attempt before they get here)."""
    if not permissions.can_prepare_footprint(user, enterprise):
        raise _refuse_permission()


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "请填写修改原因。", "A reason for the change is required.", code="reason_required"
        )
    return reason


# --- Factor library ----------------------------------------------------------------------


@transaction.atomic
def factor_revise(
    *,
    key: str,
    year: int,
    value: Decimal,
    unit: str,
    source: str,
    category: str,
    reason: str,
    user,
    name_zh: str = "",
    name_en: str = "",
    region: str = "中国",
) -> EmissionFactor:
    """Make `value` the current library factor for (key, year) as a new version. Studies
    whose stored result used the key are marked outdated (recompute offered, never silent)."""
    if not permissions.can_manage_footprint_factors(user):
        raise _refuse_permission()
    reason = _require_reason(reason)
    key = (key or "").strip()
    if not key:
        raise ApplicationError("请填写因子代码。", "A factor key is required.", code="key_required")
    if category not in FactorCategory.values:
        raise ApplicationError(
            f"因子类别“{category}”无效。",
            f"Factor category '{category}' is not known.",
            code="bad_category",
        )
    if not source.strip():
        raise ApplicationError(
            "请填写因子来源。", "The factor's source is required.", code="source_required"
        )
    value = Decimal(value)
    if value < 0:
        raise ApplicationError(
            "排放因子不能为负数。", "An emission factor cannot be negative.", code="negative_factor"
        )
    fc.parse_factor_unit(unit)  # refuses a unit the calculation would not understand
    current = (
        EmissionFactor.objects.select_for_update()
        .filter(key=key, year=year, is_current=True)
        .first()
    )
    version = 1
    if current is not None:
        version = current.version + 1
        current.is_current = False
        current.save(update_fields=["is_current"])
        name_zh = name_zh or current.name_zh
        name_en = name_en or current.name_en
    factor = EmissionFactor.objects.create(
        key=key,
        year=year,
        value=value,
        unit=unit,
        source=source.strip(),
        category=category,
        region=region,
        version=version,
        is_current=True,
        reason=reason,
        created_by=user,
        name_zh=name_zh or key,
        name_en=name_en,
    )
    outdated = (
        Study.objects.filter(lines__factor_key=key, computed_at__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    Study.objects.filter(pk__in=list(outdated)).update(
        outdated=True,
        outdated_reason=f"{key} {year} v{version}",
    )
    audit_record(
        actor=user,
        action="footprint_factor_revised",
        object_type="emission_factor",
        object_id=factor.pk,
        old_value=str(current.value) if current else None,
        new_value=str(value),
        reason=reason,
        details={"key": key, "year": year, "version": version, "unit": unit, "source": source},
    )
    return factor


@transaction.atomic
def reference_record(
    *,
    user,
    name_zh: str,
    leading_industry: str,
    declared_unit: str,
    value: Decimal,
    source: str,
    year: int,
) -> IndustryReference:
    if not permissions.can_record_footprint_reference(user):
        raise _refuse_permission()
    if not source.strip():
        raise ApplicationError(
            "请填写参考值来源。",
            "The reference value's source is required.",
            code="source_required",
        )
    if Decimal(value) < 0:
        raise ApplicationError(
            "参考值不能为负数。", "A reference value cannot be negative.", code="negative_value"
        )
    reference = IndustryReference.objects.create(
        name_zh=name_zh,
        leading_industry=leading_industry,
        declared_unit=declared_unit,
        value=Decimal(value),
        source=source.strip(),
        year=year,
        created_by=user,
    )
    audit_record(
        actor=user,
        action="footprint_reference_recorded",
        object_type="industry_reference",
        object_id=reference.pk,
        new_value=str(value),
        details={"source": source, "year": year},
    )
    return reference


# --- Studies -----------------------------------------------------------------------------

_EDITABLE = (Study.State.DRAFT, Study.State.RETURNED)


def _study_rules(*, allocation, shares, product, boundary, cutoff_line, cutoff_total) -> fc.Rules:
    try:
        pairs = tuple((str(name).strip(), Decimal(str(share))) for name, share in shares or ())
    except (ValueError, TypeError, ArithmeticError) as bad:
        raise ApplicationError(
            "联产品分配比例格式无效。",
            "The co-product allocation shares are malformed.",
            code="bad_allocation",
        ) from bad
    rules = fc.Rules(
        boundary=boundary,
        allocation=allocation,
        shares=pairs,
        product=product,
        cutoff_line_percent=Decimal(cutoff_line),
        cutoff_total_percent=Decimal(cutoff_total),
    )
    if boundary not in fc.STAGES_BY_BOUNDARY:
        raise ApplicationError(
            f"系统边界“{boundary}”无效。",
            f"Boundary '{boundary}' is not known.",
            code="bad_boundary",
        )
    fc.allocation_share(rules)  # refuses shares that do not sum to 100 or lack the product
    return rules


def study_rules(study: Study) -> fc.Rules:
    return _study_rules(
        allocation=study.allocation,
        shares=study.shares,
        product=study.product_zh,
        boundary=study.boundary,
        cutoff_line=study.cutoff_line_percent,
        cutoff_total=study.cutoff_total_percent,
    )


@transaction.atomic
def study_create(
    *,
    user,
    enterprise,
    product_key: str,
    product_zh: str,
    declared_unit: str,
    reference_year: int,
    leading_industry: str = "",
    product_en: str = "",
    boundary: str = fc.BOUNDARY_CRADLE_TO_GATE,
    allocation: str = fc.ALLOCATION_MASS,
    shares: Sequence = (),
    cutoff_line_percent: Decimal = fc.DEFAULT_CUTOFF_LINE_PERCENT,
    cutoff_total_percent: Decimal = fc.DEFAULT_CUTOFF_TOTAL_PERCENT,
    grid_region: str = "shandong",
    reference: IndustryReference | None = None,
) -> Study:
    _enterprise_check(user, enterprise)
    this_year = timezone.localdate().year
    if not 2000 <= int(reference_year) <= this_year:
        raise ApplicationError(
            f"基准年应在2000年至{this_year}年之间。",
            f"The reference year must be between 2000 and {this_year}.",
            code="bad_reference_year",
        )
    if not product_zh.strip() or not declared_unit.strip() or not product_key.strip():
        raise ApplicationError(
            "请填写产品、产品代码和声明单位。",
            "The product, its key and the declared unit are required.",
            code="study_fields_required",
        )
    _study_rules(
        allocation=allocation,
        shares=shares,
        product=product_zh.strip(),
        boundary=boundary,
        cutoff_line=cutoff_line_percent,
        cutoff_total=cutoff_total_percent,
    )
    try:
        with transaction.atomic():
            study = Study.objects.create(
                enterprise=enterprise,
                product_key=product_key.strip(),
                product_zh=product_zh.strip(),
                product_en=product_en.strip(),
                leading_industry=leading_industry or enterprise.leading_industry,
                declared_unit=declared_unit.strip(),
                boundary=boundary,
                reference_year=int(reference_year),
                allocation=allocation,
                shares=[[name, str(share)] for name, share in shares or ()],
                cutoff_line_percent=Decimal(cutoff_line_percent),
                cutoff_total_percent=Decimal(cutoff_total_percent),
                grid_region=grid_region,
                reference=reference,
                prepared_by=user,
            )
    except IntegrityError:
        raise ConflictError(
            f"该企业“{product_zh}”{reference_year}年的研究已存在。",
            f"A study of '{product_zh}' for {reference_year} already exists for this enterprise.",
            code="study_exists",
        ) from None
    audit_record(
        actor=user,
        action="footprint_study_created",
        object_type="footprint_study",
        object_id=study.pk,
        details={
            "enterprise": enterprise.code,
            "product": product_key,
            "reference_year": int(reference_year),
        },
    )
    return study


@dataclass(frozen=True)
class LineInput:
    """One inventory line as a person or a file gives it (validated by `inventory_replace`)."""

    no: int
    name: str
    stage: str
    kind: str
    quantity: Decimal
    unit: str
    factor_key: str = ""
    energy_carrier: str = ""
    quality: str = fc.QUALITY_SECONDARY
    mass_kg: Decimal | None = None


def _require_editable(study: Study, user) -> None:
    _enterprise_check(user, study.enterprise)
    if study.state not in _EDITABLE:
        raise ConflictError(
            "研究已提交或已审核，不能修改；如需修改请先退回。",
            "The study is submitted or approved and cannot be changed; it must be returned first.",
            code="study_not_editable",
        )


def _pure_lines(study: Study, lines: Sequence[LineInput]) -> list[fc.Line]:
    """Resolve each line's factor (library or registry) and build the pure lines; refuses a
    line whose factor is missing or whose unit does not convert to its factor's unit."""
    library = fc.index_library(selectors.library_rows())
    book = selectors.registry_book()
    pure = []
    seen = set()
    for line in lines:
        if line.no in seen:
            raise ApplicationError(
                f"行号{line.no}重复。",
                f"Line number {line.no} appears twice.",
                code="duplicate_line",
            )
        seen.add(line.no)
        if line.kind == fc.KIND_ENERGY:
            if not line.energy_carrier:
                raise ApplicationError(
                    f"第{line.no}行是能源，请填写能源品种。",
                    f"Line {line.no} is energy: the energy carrier is required.",
                    code="carrier_required",
                )
            factor = fc.energy_factor(
                book, line.energy_carrier, study.reference_year, study.grid_region
            )
        else:
            if not line.factor_key:
                raise ApplicationError(
                    f"第{line.no}行请填写排放因子代码。",
                    f"Line {line.no}: the emission factor key is required.",
                    code="factor_required",
                )
            factor = fc.library_factor(library, line.factor_key, study.reference_year)
        pure.append(
            fc.Line(
                line.no,
                line.name,
                line.stage,
                line.kind,
                Decimal(line.quantity),
                line.unit,
                factor,
                line.quality,
                line.mass_kg,
            )
        )
    return pure


def _store_result(study: Study, result: fc.Footprint) -> None:
    study.total = result.total
    study.by_stage = {stage: str(value) for stage, value in result.by_stage.items()}
    study.primary_percent = result.primary_percent
    study.cutoff_passed = result.cutoff.passed
    study.trace = {
        **result.trace,
        "cutoff": {
            "passed": result.cutoff.passed,
            "inventory_mass_kg": str(result.cutoff.inventory_mass_kg),
            "omitted_mass_kg": str(result.cutoff.omitted_mass_kg),
            "omitted_percent": None
            if result.cutoff.omitted_percent is None
            else str(result.cutoff.omitted_percent),
            "offending": list(result.cutoff.offending),
        },
        "primary_percent": None if result.primary_percent is None else str(result.primary_percent),
    }
    study.computed_at = timezone.now()
    study.outdated = False
    study.outdated_reason = ""


def _compute(study: Study) -> fc.Footprint:
    # Plain rows, not model instances: a 500-line study is read in a few milliseconds.
    lines = [
        LineInput(*row)
        for row in InventoryLine.objects.filter(study=study)
        .order_by("no")
        .values_list(
            "no", "name", "stage", "kind", "quantity", "unit", "factor_key", "energy_carrier",
            "quality", "mass_kg",
        )
    ]  # fmt: skip
    omissions = [
        fc.Omission(name, mass)
        for name, mass in Omission.objects.filter(study=study).values_list("name", "mass_kg")
    ]
    return fc.compute_footprint(_pure_lines(study, lines), study_rules(study), omissions)


def inventory_preview(
    *, study: Study, lines: Sequence[LineInput], omissions: Sequence[tuple[str, Decimal]], user
) -> fc.Footprint:
    """What `inventory_replace` would store, without storing it (the import's preview)."""
    _require_editable(study, user)
    pure = _pure_lines(study, lines)
    return fc.compute_footprint(
        pure, study_rules(study), [fc.Omission(name, Decimal(mass)) for name, mass in omissions]
    )


@transaction.atomic
def inventory_replace(
    *,
    study: Study,
    lines: Sequence[LineInput],
    omissions: Sequence[tuple[str, Decimal]] = (),
    user,
    source: str = "form",
    expected_version: int | None = None,
) -> Study:
    """Replace the study's whole inventory (all or nothing) and compute its result."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require_editable(study, user)
    if expected_version is not None and expected_version != study.lines_version:
        raise ConflictError(
            "清单已被他人修改，请刷新后重试。",
            "Someone else changed the inventory first; reload and try again.",
            code="stale_inventory",
        )
    pure = _pure_lines(study, lines)
    pure_omissions = [fc.Omission(name, Decimal(mass)) for name, mass in omissions]
    result = fc.compute_footprint(pure, study_rules(study), pure_omissions)
    before = study.lines.count()
    study.lines.all().delete()
    study.omissions.all().delete()
    InventoryLine.objects.bulk_create(
        InventoryLine(
            study=study,
            no=row.no,
            name=row.name,
            stage=row.stage,
            kind=row.kind,
            quantity=Decimal(row.quantity),
            unit=row.unit,
            factor_key=row.factor_key,
            energy_carrier=row.energy_carrier,
            quality=row.quality,
            mass_kg=row.mass_kg,
        )
        for row in lines
    )
    Omission.objects.bulk_create(
        Omission(study=study, name=name, mass_kg=Decimal(mass)) for name, mass in omissions
    )
    _store_result(study, result)
    study.lines_version += 1
    study.save()
    audit_record(
        actor=user,
        action="footprint_inventory_replaced",
        object_type="footprint_study",
        object_id=study.pk,
        old_value={"lines": before},
        new_value={"lines": len(lines), "total": str(result.total)},
        details={"source": source, "lines_version": study.lines_version},
    )
    return study


@transaction.atomic
def study_recompute(*, study: Study, user) -> Study:
    """Compute again with the current factors (after a factor's new version): the old and
    the new total are both in the audit trail."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require_editable(study, user)
    old_total = study.total
    _store_result(study, _compute(study))
    study.save()
    audit_record(
        actor=user,
        action="footprint_study_recomputed",
        object_type="footprint_study",
        object_id=study.pk,
        old_value=None if old_total is None else str(old_total),
        new_value=str(study.total),
    )
    return study


@transaction.atomic
def study_submit(*, study: Study, user) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require_editable(study, user)
    if study.computed_at is None or not study.lines.exists():
        raise ApplicationError(
            "清单为空或尚未计算，不能提交。",
            "The inventory is empty or not computed; the study cannot be submitted.",
            code="study_not_computed",
        )
    if study.outdated:
        raise ApplicationError(
            "排放因子已更新，请先重新计算再提交。",
            "A factor has a new version: recompute the study before submitting it.",
            code="study_outdated",
        )
    study.state = Study.State.SUBMITTED
    study.submitted_by = user
    study.submitted_at = timezone.now()
    study.save(update_fields=["state", "submitted_by", "submitted_at"])
    audit_record(
        actor=user,
        action="footprint_study_submitted",
        object_type="footprint_study",
        object_id=study.pk,
        new_value=str(study.total),
    )
    return study


def _require_reviewable(study: Study, user) -> None:
    if study.state != Study.State.SUBMITTED:
        raise ConflictError(
            "只有已提交的研究可以审核或退回。",
            "Only a submitted study can be approved or returned.",
            code="study_not_submitted",
        )
    if not permissions.can_review_footprint(user, study.submitted_by_id):
        if study.submitted_by_id == getattr(user, "pk", None):
            raise PermissionRefused(
                "提交人不能审核自己提交的研究（四眼原则）。",
                "The person who submitted a study cannot approve it (four eyes).",
                code="four_eyes",
            )
        raise _refuse_permission()


@transaction.atomic
def study_approve(*, study: Study, user, comment: str = "") -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require_reviewable(study, user)
    study.state = Study.State.APPROVED
    study.decided_by = user
    study.decided_at = timezone.now()
    study.decision_comment = comment.strip()
    study.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
    audit_record(
        actor=user,
        action="footprint_study_approved",
        object_type="footprint_study",
        object_id=study.pk,
        new_value=str(study.total),
        reason=comment.strip(),
    )
    return study


@transaction.atomic
def study_return(*, study: Study, user, comment: str) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    _require_reviewable(study, user)
    if not (comment or "").strip():
        raise ApplicationError(
            "退回时请填写意见。",
            "A comment is required to return a study.",
            code="comment_required",
        )
    study.state = Study.State.RETURNED
    study.decided_by = user
    study.decided_at = timezone.now()
    study.decision_comment = comment.strip()
    study.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
    audit_record(
        actor=user,
        action="footprint_study_returned",
        object_type="footprint_study",
        object_id=study.pk,
        reason=comment.strip(),
    )
    return study


# --- Certificates ------------------------------------------------------------------------


@transaction.atomic
def certificate_record(
    *,
    study: Study,
    user,
    body: str,
    number: str,
    valid_from: dt.date,
    valid_to: dt.date,
    standard: str = "GB/T 24067-2024",
    label: bool = False,
) -> Certificate:
    _enterprise_check(user, study.enterprise)
    study = Study.objects.select_for_update().get(pk=study.pk)
    if study.state != Study.State.APPROVED:
        raise ApplicationError(
            "证书只能依据已审核的研究登记。",
            "A certificate can only rest on an approved study.",
            code="study_not_approved",
        )
    if not body.strip() or not number.strip():
        raise ApplicationError(
            "请填写认证机构和证书编号。",
            "The certifying body and the certificate number are required.",
            code="certificate_fields_required",
        )
    if valid_to < valid_from:
        raise ApplicationError(
            "证书有效期的结束日期早于开始日期。",
            "The certificate ends before it starts.",
            code="certificate_dates",
        )
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                study=study,
                body=body.strip(),
                number=number.strip(),
                standard=standard.strip(),
                label=label,
                valid_from=valid_from,
                valid_to=valid_to,
                recorded_by=user,
            )
    except IntegrityError:
        raise ConflictError(
            f"证书“{number}”已登记。",
            f"Certificate '{number}' is already recorded.",
            code="certificate_exists",
        ) from None
    audit_record(
        actor=user,
        action="footprint_certificate_recorded",
        object_type="footprint_certificate",
        object_id=certificate.pk,
        details={
            "study": study.pk,
            "body": body,
            "number": number,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
        },
    )
    return certificate


def certificate_expiry_remind(*, today: dt.date | None = None, days: int = 90) -> int:
    """Remind the footprint department (and the enterprise's users, where they exist) of
    certificates ending within `days`; once per person and certificate. Safe to run twice."""
    from reporting.models import Notification

    today = today or timezone.localdate()
    sent = 0
    for certificate, recipients in selectors.expiring_certificates(today, days):
        study = certificate.study
        for user in recipients:
            _, created = Notification.objects.get_or_create(
                user=user,
                dedupe_key=f"footprint-cert-{certificate.pk}-{certificate.valid_to:%Y%m%d}",
                defaults={
                    "kind": "footprint_certificate_expiring",
                    "message_zh": (
                        f"{study.enterprise.name}“{study.product_zh}”碳足迹证书"
                        f"（{certificate.number}）将于{certificate.valid_to:%Y年%m月%d日}到期。"
                    ),
                    "message_en": (
                        f"The footprint certificate {certificate.number} of "
                        f"'{study.product_en or study.product_zh}' ({study.enterprise.name}) "
                        f"ends on {certificate.valid_to:%Y-%m-%d}."
                    ),
                    "link": f"/footprints/studies/{study.pk}/",
                },
            )
            sent += int(created)
    return sent


# --- Counter targets (the policy innovation's indicator) ------------------------------------


def count_target_set(
    *, counter: str, year: int, value: int, reason: str, document_no: str, approver, actor
) -> CountTarget:
    """Set a counter's target for a year by the committee's decision (as a governed target
    change: recorded by the statistics office, approved by a committee member, reason and
    文号, never the same person). A new version replaces the current one. The one service
    of every counter's target (dezhou_carbon.count_targets.count_target_set)."""
    from dezhou_carbon.count_targets import count_target_set as counter_target_set

    return counter_target_set(
        CountTarget, counter=counter, counters=CountTarget.Counter.values, year=year,
        value=value, reason=reason, document_no=document_no, approver=approver, actor=actor,
        action="footprint_count_target_set", object_type="footprint_count_target",
    )  # fmt: skip
