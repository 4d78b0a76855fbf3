"""Governed target changes (management.md §3): a target's value, year, tolerance, qualifier,
strictness or owner changes only here, by a decision of the committee on an authorising
document (文号), with a reason, an audit event, a history row and a recompute request in
the same transaction. The admin and any future page or endpoint call `target_change`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.cache import page_changed, results_generation_bump
from indicators.models import RecomputeRequest, Target, TargetRevision
from indicators.numbers import NumberRefused, decimal_text, parse_number
from indicators.recompute import recompute_request
from tasks.models import Department

# The fields a decision may change, in the order the history shows them.
GOVERNED_FIELDS = ("value", "target_year", "tolerance", "qualifier", "strict", "owner")
LATEST_TARGET_YEAR = 2100


def _refuse(message_zh: str, message_en: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message_zh, message_en, code=code)


def _decimal(name: str, raw, *, label_zh: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise _refuse(f"{label_zh}不是有效的数字：{raw}", f"{name} is not a number: {raw}")
        return raw
    try:  # typed: the product's one parser (a target keeps 14 integer digits, 6 decimals)
        return parse_number(str(raw), max_integer_digits=14, max_decimal_places=6)
    except NumberRefused as refused:
        raise _refuse(
            f"{label_zh}“{raw}”{refused.reason_zh}", f"{name} '{raw}': {refused.reason_en}"
        ) from None


def _owner(raw) -> Department | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, Department):
        return raw
    department = Department.objects.filter(code=str(raw).strip()).first()
    if department is None:
        raise _refuse(f"没有代码为 {raw} 的责任单位。", f"No unit with code {raw}.", "not_found")
    return department


def cleaned_changes(target: Target, changes: dict) -> dict:
    """The requested changes as field values, checked; unknown fields and bad values are
    refused (zh/en), nothing is read from the database but an owner's department."""
    unknown = sorted(set(changes) - set(GOVERNED_FIELDS))
    if unknown:
        raise _refuse(
            f"目标的这些字段不能通过调整修改：{'、'.join(unknown)}",
            f"These fields cannot be changed by a target change: {', '.join(unknown)}",
        )
    cleaned = {}
    if "value" in changes:
        value = _decimal("value", changes["value"], label_zh="目标值")
        if target.kind == Target.Kind.MILESTONE:
            raise _refuse("里程碑目标没有目标值。", "A milestone target has no value.")
        if target.kind == Target.Kind.INCREASE:
            raise _refuse(
                "提高类目标没有目标值（以基准年为比较基数）。",
                "An increase target has no value (it is judged against its base year).",
            )
        if value is None:
            raise _refuse("目标值不能为空。", "The value cannot be empty.", "required")
        if target.kind in (Target.Kind.REDUCTION_VS_BASE, Target.Kind.REDUCTION_VS_TARGET) and not (
            Decimal(0) < value < Decimal(100)
        ):
            raise _refuse(
                "下降幅度应在 0 到 100（%）之间。",
                "A reduction is a percentage between 0 and 100.",
            )
        cleaned["value"] = value
    if "target_year" in changes:
        try:
            year = int(str(changes["target_year"]).strip())
        except (TypeError, ValueError):
            raise _refuse(
                f"目标年无效：{changes['target_year']}",
                f"Invalid target year: {changes['target_year']}",
            ) from None
        start = target.base_year or target.plan.base_year
        if not start < year <= LATEST_TARGET_YEAR:
            raise _refuse(
                f"目标年应在 {start + 1} 到 {LATEST_TARGET_YEAR} 年之间。",
                f"The target year must be between {start + 1} and {LATEST_TARGET_YEAR}.",
            )
        cleaned["target_year"] = year
    if "tolerance" in changes:
        tolerance = _decimal("tolerance", changes["tolerance"], label_zh="容差")
        if tolerance is not None and tolerance < 0:
            raise _refuse("容差不能为负数。", "The tolerance cannot be negative.")
        cleaned["tolerance"] = tolerance
    if "qualifier" in changes:
        if changes["qualifier"] not in Target.Qualifier.values:
            raise _refuse(
                f"目标表述无效：{changes['qualifier']}",
                f"Invalid qualifier: {changes['qualifier']}",
            )
        cleaned["qualifier"] = changes["qualifier"]
    if "strict" in changes:
        if not isinstance(changes["strict"], bool):
            raise _refuse("“严格超过”应为是或否。", "strict must be true or false.")
        cleaned["strict"] = changes["strict"]
    if "owner" in changes:
        cleaned["owner"] = _owner(changes["owner"])
    return cleaned


def field_text(value) -> str | None:
    """A governed field's value as the history stores it."""
    if value is None:
        return None
    if isinstance(value, Department):
        return value.code
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def governed_state(target: Target) -> dict:
    """The governed fields of a target as text (what `original` and the history keep)."""
    return {
        name: field_text(target.owner if name == "owner" else getattr(target, name))
        for name in GOVERNED_FIELDS
    }


def decision_people_check(*, approver, actor) -> None:
    """A decision by the committee is recorded by the statistics office (or an administrator)
    and approved by a committee member who is not the recorder; refused in zh/en otherwise.
    Also used by other governed targets (footprints.services.count_target_set)."""
    if not permissions.can_change_targets(actor):
        raise PermissionRefused(
            "只有统计办或系统管理员可以录入目标调整。",
            "Only the statistics office or an administrator can record a target change.",
            code="permission_denied",
        )
    if approver is None or not permissions.can_approve_target_change(approver):
        raise PermissionRefused(
            "目标调整须经管委会批准：批准人应为管委会成员。",
            "A target change must be approved by the management committee.",
            code="approver_not_committee",
        )
    if approver.pk == actor.pk:
        raise PermissionRefused(
            "录入人与批准人不能是同一人。",
            "The person recording a change cannot be its approver.",
            code="four_eyes",
        )


@transaction.atomic
def target_change(
    target: Target, changes: dict, reason: str, document_no: str, approver, actor
) -> TargetRevision:
    """Change the governed fields of `target` by the committee's decision.

    Refused (zh/en, nothing written) without a reason or 文号, without a committee approver,
    by anyone but the statistics office or an administrator, for unknown fields, bad values
    or no actual change. Otherwise: the target is updated, its original promise kept (first
    change), a TargetRevision and an audit event written and a recompute of every result
    from the plan's base year requested, all in one transaction."""
    decision_people_check(approver=approver, actor=actor)
    reason, document_no = (reason or "").strip(), (document_no or "").strip()
    if not reason:
        raise _refuse("请填写调整原因。", "A reason for the change is required.", "reason_required")
    if not document_no:
        raise _refuse(
            "请填写批准文件的文号。",
            "The number of the authorising document (文号) is required.",
            "document_required",
        )
    target = (
        Target.objects.select_for_update(of=("self",))
        .select_related("plan", "owner")
        .get(pk=target.pk)
    )
    cleaned = cleaned_changes(target, changes)
    before = governed_state(target)
    for name, value in cleaned.items():
        setattr(target, name, value)
    after = governed_state(target)
    diff = {
        name: {"old": before[name], "new": after[name]}
        for name in GOVERNED_FIELDS
        if before[name] != after[name]
    }
    if not diff:
        raise _refuse("没有任何变化。", "Nothing would change.", "no_change")
    if target.original is None:
        target.original = before
    target.save()
    number = (
        TargetRevision.objects.filter(target=target)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    revision = TargetRevision.objects.create(
        target=target,
        number=number,
        changes=diff,
        reason=reason,
        document_no=document_no,
        approved_by=approver,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="target_change",
        object_type="target",
        object_id=target.pk,
        department_code=target.owner.code if target.owner else "",
        old_value={name: change["old"] for name, change in diff.items()},
        new_value={name: change["new"] for name, change in diff.items()},
        reason=reason,
        details={
            "target": target.code,
            "revision": number,
            "document_no": document_no,
            "approved_by": approver.get_username(),
        },
    )
    recompute_request(
        from_year=target.plan.base_year,
        reason=f"target {target.code}",
        scopes={RecomputeRequest.ALL_SCOPES},
    )
    transaction.on_commit(results_generation_bump)
    page_changed()
    return revision
