"""Reads of the register: which enterprises a person may see, key units, designations."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts import permissions
from enterprises.models import Enterprise, EnterprisePeriod, KeyUnitDesignation


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    """Everything for who reads all data; the supervised enterprises for department staff;
    its own enterprise for an energy manager; nothing for anyone else."""
    enterprises = Enterprise.objects.select_related("supervising_department")
    if permissions.can_read_all_data(user):
        return enterprises
    if permissions.is_department_staff(user):
        return enterprises.filter(supervising_department_id=user.department_id)
    if permissions.is_energy_manager(user):
        return enterprises.filter(pk=user.enterprise_id)
    return enterprises.none()


def registered_codes(codes) -> set[str]:
    """Those of `codes` that are in the register."""
    codes = {c for c in codes if c}
    if not codes:
        return set()
    return set(Enterprise.objects.filter(code__in=codes).values_list("code", flat=True))


def designation_in_force(enterprise: Enterprise) -> KeyUnitDesignation | None:
    return enterprise.designations.order_by("-decided_at", "-id").first()


def register_rows(enterprises) -> list[dict]:
    """Register rows as the file has them (export, API)."""
    return [
        {
            "code": e.code,
            "name": e.name,
            "industry": e.industry,
            "department": e.supervising_department.code,
            "leading_industry": e.leading_industry,
            "above_scale": e.above_scale,
            "contact_name": e.contact_name,
            "contact_phone": e.contact_phone,
            "contact_email": e.contact_email,
            "key_unit": e.is_key_unit,
        }
        for e in enterprises
    ]


def enterprise_quarters(enterprise: Enterprise) -> list[EnterprisePeriod]:
    """The enterprise's own quarters (entered by its energy manager), newest first."""
    return list(
        enterprise.periods.select_related("submitted_by", "decided_by").order_by("-period")[:12]
    )


QUEUE_LIMIT = 50  # quarters listed on a page (the counts say how many there are)


def enterprise_quarter_queue(user, *, view: str = "submitted") -> tuple[list, int]:
    """The enterprise quarters a person sees in the review queue (their supervised
    enterprises for department staff; all for who reads all data): `submitted` ones
    waiting for a decision (oldest first), `correction` approved ones whose energy manager
    asked for a correction, `returned` or `approved` ones (newest first). At most
    QUEUE_LIMIT rows and their count: three queries however many there are."""
    rows = EnterprisePeriod.objects.filter(enterprise__in=enterprises_visible_to(user))
    if view == "correction":
        rows = rows.filter(
            state=EnterprisePeriod.State.APPROVED, correction_requested_at__isnull=False
        )
        order = ("correction_requested_at", "pk")
    elif view in ("returned", "approved"):
        rows = rows.filter(state=view)
        order = ("-decided_at", "-pk")
    else:
        rows = rows.filter(state=EnterprisePeriod.State.SUBMITTED)
        order = ("submitted_at", "pk")
    count = rows.count()
    listed = list(
        rows.select_related(
            "enterprise", "submitted_by", "decided_by", "correction_requested_by"
        ).order_by(*order)[:QUEUE_LIMIT]
    )
    return listed, count
