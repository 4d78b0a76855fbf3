"""Every write to the register: an enterprise saved, the register imported (all or
nothing), a key-unit designation decided. Each is one transaction with its audit record."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import register_file
from enterprises.models import DesignationBasis, Enterprise, KeyUnitDesignation, RegisterUpload
from enterprises.register_file import RegisterRow
from indicators.importing import read_table
from tasks.models import Department


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
