"""Writes to reference data: coefficients and counting rules are never edited in place;
a change is a new version with a reason, and the results it affects are recomputed."""

from decimal import Decimal

from django.db import transaction

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.models import Coefficient, MethodSetting, RecomputeRequest
from indicators.recompute import recompute_request
from tasks.selectors import plan_base_year


def _require_reference_rights(user) -> None:
    if not permissions.can_manage_reference_data(user):
        raise PermissionRefused(
            "只有统计办可以修改系数和口径。",
            "Only the statistics office can change coefficients and rules.",
            code="permission_denied",
        )


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ApplicationError(
            "请填写修改原因。", "A reason for the change is required.", code="reason_required"
        )


def _first_affected_year(year: int) -> int:
    return year or plan_base_year() - 10


@transaction.atomic
def coefficient_revise(
    *,
    key: str,
    year: int,
    value: Decimal,
    unit: str,
    source: str,
    tag: str,
    reason: str,
    user,
    name_zh: str = "",
    name_en: str = "",
) -> Coefficient:
    """Make `value` the current coefficient for (key, year) as a new version; every result
    from that year on (every year for a constant) is recomputed for every scope."""
    _require_reference_rights(user)
    _require_reason(reason)
    current = (
        Coefficient.objects.select_for_update().filter(key=key, year=year, is_current=True).first()
    )
    version = 1
    if current is not None:
        version = current.version + 1
        current.is_current = False
        current.save(update_fields=["is_current"])
        name_zh = name_zh or current.name_zh
        name_en = name_en or current.name_en
    revised = Coefficient.objects.create(
        key=key,
        year=year,
        value=Decimal(value),
        unit=unit,
        source=source,
        tag=tag,
        version=version,
        is_current=True,
        reason=reason,
        created_by=user,
        name_zh=name_zh or key,
        name_en=name_en,
    )
    audit_record(
        actor=user,
        action="coefficient_revise",
        object_type="coefficient",
        object_id=revised.pk,
        old_value=str(current.value) if current else None,
        new_value=str(revised.value),
        reason=reason,
        details={"key": key, "year": year, "version": version},
    )
    recompute_request(
        from_year=_first_affected_year(year),
        reason=f"coefficient {key}",
        scopes={RecomputeRequest.ALL_SCOPES},
    )
    return revised


@transaction.atomic
def method_setting_revise(*, key: str, value: dict, reason: str, user) -> MethodSetting:
    """Make `value` the current counting rule `key` as a new version; every result is
    recomputed."""
    _require_reference_rights(user)
    _require_reason(reason)
    current = MethodSetting.objects.select_for_update().filter(key=key, is_current=True).first()
    if current is None:
        raise ApplicationError(
            f"没有名为 {key} 的计算口径。", f"No counting rule named {key}.", code="not_found"
        )
    current.is_current = False
    current.save(update_fields=["is_current"])
    revised = MethodSetting.objects.create(
        key=key,
        name_zh=current.name_zh,
        name_en=current.name_en,
        value=value,
        description_zh=current.description_zh,
        version=current.version + 1,
        is_current=True,
        reason=reason,
        created_by=user,
    )
    audit_record(
        actor=user,
        action="method_setting_revise",
        object_type="method_setting",
        object_id=revised.pk,
        old_value=current.value,
        new_value=value,
        reason=reason,
        details={"key": key, "version": revised.version},
    )
    recompute_request(
        from_year=_first_affected_year(0),
        reason=f"rule {key}",
        scopes={RecomputeRequest.ALL_SCOPES},
    )
    return revised
