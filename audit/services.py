"""Writing the audit trail. Services call `audit_record` inside their own transaction, so
an action and its record commit or roll back together."""

from typing import Any

from audit.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    department_code: str = "",
    period: str = "",
    old_value: Any = None,
    new_value: Any = None,
    reason: str = "",
    details: Any = None,
) -> AuditEvent:
    """Append one audit event. `actor` may be None for system jobs (label "system")."""
    user = actor if getattr(actor, "pk", None) else None
    label = user.get_username() if user else (actor if isinstance(actor, str) else "system")
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        department_code=department_code,
        period=period,
        old_value=old_value,
        new_value=new_value,
        reason=reason,
        details=details,
    )
