"""Template helpers of the enterprises app: which links a person may follow, and the gap
attribution's waterfall on the intensity indicator page."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_read_all(user) -> bool:
    return permissions.can_read_all_data(user)


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
