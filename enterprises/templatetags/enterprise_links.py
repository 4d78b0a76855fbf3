"""Template helpers of the enterprises app: which links a person may follow, and the gap
attribution's waterfall on the intensity indicator page."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_read_all(user) -> bool:
    return permissions.can_read_all_data(user)


@register.filter
def is_energy_manager(user) -> bool:
    return permissions.is_energy_manager(user)


@register.filter
def may_read_register(user) -> bool:
    return permissions.can_read_all_data(user) or permissions.is_department_staff(user)


@register.inclusion_tag("enterprises/_gap_card.html", takes_context=True)
def gap_waterfall(context):
    """The latest comparable pair of periods' attribution, for who reads all data, as
    precomputed (enterprises.jobs after each recompute, or an earlier visit of the gap
    page) for the current results generation: this page never computes it, so its query
    count does not depend on the enterprises. A link to the gap page otherwise."""
    from enterprises.views import comparable_default, gap_context_stored

    user = context.get("user")
    if not permissions.can_read_all_data(user):
        return {"show": False}
    default = comparable_default()
    if default is None:
        return {"show": False}
    return {"show": True, "gap": gap_context_stored(*default), "periods": default}


@register.simple_tag(takes_context=True)
def register_count(context, work_item_code: str, period: str):
    """The enterprise register's count for a work item that counts enterprises (5.1 green
    factories, 12.3 clean-production audits, …) in the period's year, or None: read at the
    first row a page asks about (two queries), whatever the rows and their years."""
    from enterprises.work_selectors import work_item_counts

    render = context.render_context
    if "enterprise_register_counts" not in render:
        render["enterprise_register_counts"] = work_item_counts()
    try:
        year = int(str(period)[:4])
    except ValueError:
        return None
    return render["enterprise_register_counts"][year].get(work_item_code)


@register.simple_tag
def warning_enterprise(warning):
    """The enterprise a warning is about (its overdue plan measure, its visit's finding):
    the code in its key `enterprise:<code>:…`; None for every other warning (no query)."""
    from enterprises.models import Enterprise

    key = getattr(warning, "dedupe_key", "") or ""
    if not key.startswith("enterprise:"):
        return None
    code = key.split(":", 2)[1]
    return Enterprise.objects.filter(code=code).only("code", "name").first()


@register.simple_tag
def finding_page(warning) -> str:
    """The page of a visit finding's rectification (where its enterprise answers it and
    the supervising department verifies and closes it), from the warning's key
    `enterprise:<code>:finding:<id>`; "" for every other warning (no query)."""
    from django.urls import reverse

    parts = (getattr(warning, "dedupe_key", "") or "").split(":")
    if (
        len(parts) == 4
        and parts[0] == "enterprise"
        and parts[2] == "finding"
        and parts[3].isdigit()
    ):
        return reverse("enterprises:finding", args=[parts[1], int(parts[3])])
    return ""
