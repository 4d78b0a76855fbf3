"""Every write to the register: an enterprise saved, the register imported (all or
nothing), a key-unit designation decided. Each is one transaction with its audit record."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import register_file, rules
from enterprises.analysis import ENERGY, reconciliation
from enterprises.models import (
    DesignationBasis,
    DesignationSuggestion,
    Enterprise,
    KeyUnitDesignation,
    RegisterUpload,
)
from enterprises.register_file import RegisterRow
from indicators.importing import read_table
from indicators.numbers import decimal_text
from tasks.models import Department


def value_text(value) -> str:
    return decimal_text(value)


def _refuse_unless_manager(user) -> None:
    if not permissions.can_manage_enterprises(user):
        raise PermissionRefused(
            "只有统计办可以维护企业名录。",
            "Only the statistics office can maintain the enterprise register.",
            code="permission_denied",
        )


def _departments() -> dict[str, Department]:
    return {d.code: d for d in Department.objects.all()}


def _row_errors(errors) -> ApplicationError:
    details = [e.__dict__ for e in errors]
    first = errors[0]
    return ApplicationError(
        f"企业名录有 {len(errors)} 处错误，未写入任何数据（第{first.line}行 {first.column}："
        f"{first.message_zh}）",
        f"The register has {len(errors)} error(s); nothing was written (line {first.line} "
        f"{first.column}: {first.message_en})",
        code="register_rejected",
        details=details[:1000],
    )


@dataclass
class RegisterOutcome:
    created: list[str] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # code, field, old, new
    unchanged: int = 0
    dry_run: bool = False


def _apply(rows: list[RegisterRow], *, user, dry_run: bool, reason: str) -> RegisterOutcome:
    departments = _departments()
    existing = {
        e.code: e
        for e in Enterprise.objects.select_for_update().filter(code__in=[r.code for r in rows])
    }
    outcome = RegisterOutcome(dry_run=dry_run)
    for row in rows:
        department = departments[row.department]
        current = existing.get(row.code)
        if current is None:
            outcome.created.append(row.code)
            if not dry_run:
                enterprise = Enterprise.objects.create(
                    code=row.code, supervising_department=department, **row.fields()
                )
                audit_record(
                    actor=user,
                    action="enterprise_register",
                    object_type="enterprise",
                    object_id=enterprise.code,
                    department_code=department.code,
                    new_value={**row.fields(), "department": department.code},
                    reason=reason,
                )
            continue
        differences = {
            name: (getattr(current, name), value)
            for name, value in row.fields().items()
            if getattr(current, name) != value
        }
        if current.supervising_department_id != department.pk:
            differences["department"] = (current.supervising_department.code, department.code)
        if not differences:
            outcome.unchanged += 1
            continue
        for name, (old, new) in differences.items():
            outcome.changed.append({"code": row.code, "field": name, "old": old, "new": new})
        if not dry_run:
            for name, (_old, new) in differences.items():
                if name != "department":
                    setattr(current, name, new)
            current.supervising_department = department
            current.save()
            audit_record(
                actor=user,
                action="enterprise_update",
                object_type="enterprise",
                object_id=current.code,
                department_code=department.code,
                old_value={name: old for name, (old, _new) in differences.items()},
                new_value={name: new for name, (_old, new) in differences.items()},
                reason=reason,
            )
    return outcome


def enterprise_save(*, user, data: dict, reason: str = "") -> Enterprise:
    """Register an enterprise or change its entry; `data` has the register file's columns
    (code, name, industry, department, …), checked exactly as a file row is."""
    _refuse_unless_manager(user)
    header = list(register_file.ORDER)
    table = [header, ["" if data.get(c) is None else str(data.get(c)) for c in header]]
    if isinstance(data.get("above_scale"), bool):
        table[1][header.index("above_scale")] = "是" if data["above_scale"] else "否"
    rows, errors = register_file.parse_register_table(table, set(_departments()))
    if errors:
        raise _row_errors(errors)
    with transaction.atomic():
        _apply(rows, user=user, dry_run=False, reason=reason or "名录维护 / register")
    return Enterprise.objects.get(code=rows[0].code)


def register_import(
    *,
    user,
    table: list[list[str]],
    formula_cells=None,
    filename: str = "",
    dry_run: bool = False,
) -> RegisterOutcome:
    """Import the register all or nothing: any row error refuses the whole file (the
    refusal is audited); a dry run says what would be created and changed."""
    _refuse_unless_manager(user)
    rows, errors = register_file.parse_register_table(table, set(_departments()), formula_cells)
    if errors:
        with transaction.atomic():
            audit_record(
                actor=user,
                action="enterprise_import_rejected",
                object_type="enterprise_register",
                reason=filename,
                details={"errors": len(errors)},
            )
        raise _row_errors(errors)
    with transaction.atomic():
        outcome = _apply(
            rows, user=user, dry_run=dry_run, reason=f"名录导入 / register import {filename}"
        )
        if not dry_run:
            audit_record(
                actor=user,
                action="enterprise_import",
                object_type="enterprise_register",
                reason=filename,
                details={
                    "created": len(outcome.created),
                    "changed": len({c["code"] for c in outcome.changed}),
                    "unchanged": outcome.unchanged,
                },
            )
    return outcome


def key_unit_designate(
    *,
    user,
    enterprise: Enterprise,
    designated: bool,
    basis: str,
    year: int,
    reason: str,
    document_no: str = "",
    energy_tce: Decimal | None = None,
    threshold_tce: Decimal | None = None,
) -> KeyUnitDesignation:
    """Decide that `enterprise` is (or no longer is) a key energy-using unit from `year`
    on. A reason is required; the decision is audited and never changed afterwards."""
    _refuse_unless_manager(user)
    if not (reason or "").strip():
        raise ApplicationError(
            "认定或移出重点用能单位须填写理由。",
            "A designation (or its revocation) needs a reason.",
            code="reason_required",
        )
    if basis not in DesignationBasis.values:
        raise ApplicationError(
            "认定依据无效。", "Unknown basis of the designation.", code="invalid"
        )
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        designation = KeyUnitDesignation.objects.create(
            enterprise=locked,
            designated=designated,
            basis=basis,
            year=year,
            reason=reason.strip(),
            document_no=document_no.strip(),
            energy_tce=energy_tce,
            threshold_tce=threshold_tce,
            decided_by=user if getattr(user, "pk", None) else None,
        )
        old = locked.is_key_unit
        locked.is_key_unit = designated
        locked.save(update_fields=["is_key_unit", "updated_at"])
        audit_record(
            actor=user,
            action="key_unit_designate" if designated else "key_unit_revoke",
            object_type="enterprise",
            object_id=locked.code,
            department_code=locked.supervising_department.code,
            period=str(year),
            old_value=old,
            new_value=designated,
            reason=reason.strip(),
            details={"basis": basis, "document_no": document_no, "designation": designation.pk},
        )
    enterprise.is_key_unit = designated
    return designation


def register_upload_preview(*, user, content: bytes, filename: str) -> RegisterUpload:
    """Check an uploaded register file and keep it as a preview (what would be created
    and changed), or as refused with every error. Nothing in the register changes."""
    _refuse_unless_manager(user)
    digest = hashlib.sha256(content).hexdigest()
    try:
        table, formula_cells, _encoding = read_table(content, filename)
    except ApplicationError as error:
        with transaction.atomic():
            upload = RegisterUpload.objects.create(
                sha256=digest,
                filename=filename[:255],
                status=RegisterUpload.Status.REJECTED,
                errors=[{"line": 0, "column": "", "code": error.code,
                         "message_zh": error.message_zh, "message_en": error.message_en,
                         "value": ""}],
                created_by=user,
            )  # fmt: skip
            audit_record(
                actor=user,
                action="enterprise_import_rejected",
                object_type="enterprise_register",
                object_id=upload.pk,
                reason=filename[:200],
                details={"code": error.code},
            )
        return upload
    try:
        outcome = register_import(
            user=user, table=table, formula_cells=formula_cells, filename=filename, dry_run=True
        )
    except ApplicationError as error:
        if error.code != "register_rejected":
            raise
        return RegisterUpload.objects.create(
            sha256=digest,
            filename=filename[:255],
            status=RegisterUpload.Status.REJECTED,
            errors=error.details or [],
            created_by=user,
        )
    return RegisterUpload.objects.create(
        sha256=digest,
        filename=filename[:255],
        status=RegisterUpload.Status.PREVIEW,
        table=table,
        formula_cells=sorted(formula_cells or []),
        summary={
            "created": outcome.created,
            "changed": [{**c, "old": str(c["old"]), "new": str(c["new"])} for c in outcome.changed],
            "unchanged": outcome.unchanged,
        },
        created_by=user,
    )


def register_upload_confirm(*, upload: RegisterUpload, user) -> RegisterOutcome:
    """Import the previewed file, all or nothing (checked again: the register may have
    changed since the preview)."""
    _refuse_unless_manager(user)
    with transaction.atomic():
        locked = RegisterUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.status != RegisterUpload.Status.PREVIEW:
            raise ApplicationError(
                "该文件已处理，不能再次确认。",
                "This file has already been handled.",
                code="not_preview",
            )
        outcome = register_import(
            user=user,
            table=locked.table,
            formula_cells={tuple(c) for c in locked.formula_cells},
            filename=locked.filename,
        )
        locked.status = RegisterUpload.Status.APPLIED
        locked.table = []  # the register now holds it; the file's digest stays
        locked.save(update_fields=["status", "table"])
    return outcome


# --- checks after each recompute ----------------------------------------------------------


def reconciliation_warnings_raise(*, periods: list[str]) -> list:
    """For each period, an impossible excess (Σ registered enterprises above the park
    beyond the tolerance) raises a red data warning owned by the item's reporting
    department, in the warning loop. One live warning per item, period and window."""
    from dashboards.models import EarlyWarning
    from dashboards.services import warning_raise

    raised = []
    departments = {d.pk: d for d in Department.objects.all()}
    for period in periods:
        frame = reconciliation(period=period)
        tolerance = frame.attrs["tolerance"]
        for row in frame[frame["excess"]].to_dict("records") if len(frame) else []:
            window_zh = {"quarter": "当季", "ytd": "年内累计", "year": "全年"}[row["window"]]
            window_en = {"quarter": "quarter", "ytd": "year to date", "year": "year"}[row["window"]]
            excess = row["enterprises"] - row["park"]
            warning = warning_raise(
                key=f"reconcile:{row['item']}:{period}:{row['window']}",
                kind=EarlyWarning.Kind.ANOMALY,
                level=EarlyWarning.Level.RED,
                department=departments.get(row["department"]),
                period=period,
                title_zh=f"数据异常：{period} {row['name']}企业合计超过园区数",
                title_en=f"Data anomaly: {period} {row['item']}: Σ enterprises exceeds the park",
                message_zh=f"{period}（{window_zh}）{row['name']}：已登记企业合计 "
                f"{value_text(row['enterprises'])} {row['unit']}，园区数 "
                f"{value_text(row['park'])} {row['unit']}，超出 {value_text(excess)}"
                f"（容差 {value_text(tolerance * 100)}%），请核查企业或园区数据。",
                message_en=f"{period} ({window_en}) {row['item']}: Σ registered enterprises "
                f"{value_text(row['enterprises'])} {row['unit']} against the park's "
                f"{value_text(row['park'])} {row['unit']}, {value_text(excess)} more "
                f"(tolerance {value_text(tolerance * 100)}%); check the enterprises' or the "
                "park's figures.",
            )
            if warning is not None:
                raised.append(warning)
    return raised


def recent_periods(today=None) -> list[str]:
    """The periods a recompute may have changed that the checks look at: this year's and
    last year's quarters and last year."""
    year = (today or timezone.localdate()).year
    return [*(f"{y}Q{q}" for y in (year - 1, year) for q in range(1, 5)), str(year - 1)]


CHECKED_GENERATION_KEY = "enterprises:checked-generation"


def enterprise_checks_run(*, force: bool = False, today=None) -> int:
    """Reconciliation warnings for the recent periods and the designation suggestions,
    once per results generation (every recompute bumps it). Idempotent."""
    from django.core.cache import cache

    from indicators.cache import results_generation

    generation = results_generation()
    try:
        seen = cache.get(CHECKED_GENERATION_KEY)
    except Exception:  # the cache is an accelerator only: check anyway
        seen = None
    if seen == generation and not force:
        return 0
    raised = reconciliation_warnings_raise(periods=recent_periods(today))
    designation_suggestions_refresh()
    from enterprises.jobs import gap_precompute

    gap_precompute.delay()
    with contextlib.suppress(Exception):
        cache.set(CHECKED_GENERATION_KEY, generation, timeout=7 * 24 * 3600)
    return len(raised)


# --- designation suggestions ----------------------------------------------------------


def _last_complete_year() -> int | None:
    from django.db.models import Max

    from indicators.models import IndicatorResult

    return IndicatorResult.objects.filter(
        indicator__code=ENERGY, scope="", quarter__isnull=True, value__isnull=False
    ).aggregate(year=Max("year"))["year"]


def designation_suggestions_refresh(*, year: int | None = None) -> list[DesignationSuggestion]:
    """Suggest designations from the enterprises' annual comprehensive energy (E当量) of
    the last complete year: at or above the threshold and not a key unit → designate; a
    key unit below its threshold (5,000 tce where designated on that basis, else 10,000)
    in that year and the year before → revoke. A person decides (with a reason); each
    suggestion is made once per enterprise, kind and year."""
    from indicators.models import IndicatorResult

    year = year or _last_complete_year()
    if year is None:
        return []
    current = rules.rules()
    key_threshold = current[rules.KEY_UNIT_THRESHOLD].value
    designated_threshold = current[rules.DESIGNATED_THRESHOLD].value
    below_years = int(current[rules.BELOW_YEARS].value)
    years = [year - k for k in range(max(below_years, 1))]
    energy: dict[tuple[str, int], Decimal] = {
        (scope, y): value
        for scope, y, value in IndicatorResult.objects.filter(
            indicator__code=ENERGY,
            variant="",
            quarter__isnull=True,
            year__in=years,
            value__isnull=False,
            scope__in=Enterprise.objects.values("code"),
        ).values_list("scope", "year", "value")
    }
    bases = {}
    for enterprise_id, basis in (
        KeyUnitDesignation.objects.filter(designated=True, enterprise__is_key_unit=True)
        .order_by("enterprise_id", "-decided_at", "-id")
        .values_list("enterprise_id", "basis")
    ):
        bases.setdefault(enterprise_id, basis)
    existing = set(
        DesignationSuggestion.objects.filter(year=year).values_list("enterprise_id", "kind")
    )
    made = []
    for enterprise in Enterprise.objects.only("pk", "code", "name", "is_key_unit"):
        value = energy.get((enterprise.code, year))
        if value is None:
            continue
        if not enterprise.is_key_unit and value >= key_threshold:
            kind, threshold = DesignationSuggestion.Kind.DESIGNATE, key_threshold
            why_zh = f"{year}年综合能耗(当量值) {value_text(value)} 吨标准煤，达到 {value_text(threshold)} 吨标准煤门槛。"
            why_en = f"{year} energy (calorific) {value_text(value)} tce, at or above the {value_text(threshold)} tce threshold."
        elif enterprise.is_key_unit:
            threshold = (
                designated_threshold
                if bases.get(enterprise.pk) == DesignationBasis.DESIGNATED
                else key_threshold
            )
            values = [energy.get((enterprise.code, y)) for y in years]
            if any(v is None or v >= threshold for v in values):
                continue
            kind = DesignationSuggestion.Kind.REVOKE
            shown = "、".join(f"{y}年 {value_text(v)}" for y, v in zip(years, values, strict=True))
            why_zh = (
                f"连续 {len(years)} 年低于 {value_text(threshold)} 吨标准煤门槛：{shown} 吨标准煤。"
            )
            why_en = (
                f"Below the {value_text(threshold)} tce threshold for {len(years)} years: "
                + ", ".join(f"{y} {value_text(v)}" for y, v in zip(years, values, strict=True))
                + " tce."
            )
        else:
            continue
        if (enterprise.pk, kind) in existing:
            continue
        with transaction.atomic():
            suggestion = DesignationSuggestion.objects.create(
                enterprise=enterprise,
                kind=kind,
                year=year,
                energy_tce=value,
                threshold_tce=threshold,
                explanation_zh=why_zh,
                explanation_en=why_en,
            )
            audit_record(
                actor=None,
                action="designation_suggest",
                object_type="enterprise",
                object_id=enterprise.code,
                period=str(year),
                new_value=kind,
                reason=why_zh,
            )
        made.append(suggestion)
    return made


def designation_suggestion_decide(
    *, suggestion: DesignationSuggestion, user, confirm: bool, reason: str
) -> DesignationSuggestion:
    """Confirm (the designation or revocation is made) or dismiss a suggestion; either
    way with a reason, audited."""
    _refuse_unless_manager(user)
    if not (reason or "").strip():
        raise ApplicationError(
            "确认或驳回认定建议须填写理由。",
            "Confirming or dismissing a suggestion needs a reason.",
            code="reason_required",
        )
    with transaction.atomic():
        locked = (
            DesignationSuggestion.objects.select_for_update()
            .select_related("enterprise")
            .get(pk=suggestion.pk)
        )
        if locked.state != DesignationSuggestion.State.OPEN:
            raise ApplicationError(
                "该建议已处理。", "This suggestion has already been decided.", code="decided"
            )
        if confirm:
            designate = locked.kind == DesignationSuggestion.Kind.DESIGNATE
            key_unit_designate(
                user=user,
                enterprise=locked.enterprise,
                designated=designate,
                basis=DesignationBasis.THRESHOLD if designate else DesignationBasis.BELOW_THRESHOLD,
                year=locked.year + 1,
                reason=reason,
                energy_tce=locked.energy_tce,
                threshold_tce=locked.threshold_tce,
            )
        locked.state = (
            DesignationSuggestion.State.CONFIRMED
            if confirm
            else DesignationSuggestion.State.DISMISSED
        )
        locked.decision_reason = reason.strip()
        locked.decided_by = user
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=user,
            action="designation_suggestion_confirm"
            if confirm
            else "designation_suggestion_dismiss",
            object_type="enterprise",
            object_id=locked.enterprise.code,
            period=str(locked.year),
            new_value=locked.kind,
            reason=reason.strip(),
            details={"suggestion": locked.pk},
        )
    return locked


def enterprise_access_refused_record(*, user, code: str, where: str) -> None:
    """An attempt to reach an enterprise the user may not read (by id, code or filter):
    audited; the caller answers as if it did not exist."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="enterprise_access_refused",
            object_type="enterprise",
            object_id=code[:64],
            reason=where[:200],
        )


def foreign_measure_attempt_record(*, user, measure_id, enterprise: Enterprise, where: str) -> None:
    """A plan measure named by id under `enterprise` that is another enterprise's (an
    attempt to reach that enterprise by id): audited as such; the caller answers 404 as for
    a measure that does not exist."""
    from enterprises.models import Measure

    try:
        pk = int(str(measure_id))
    except (TypeError, ValueError):
        return
    code = (
        Measure.objects.filter(pk=pk)
        .exclude(enterprise=enterprise)
        .values_list("enterprise__code", flat=True)
        .first()
    )
    if code is not None:
        enterprise_access_refused_record(user=user, code=code, where=where)
