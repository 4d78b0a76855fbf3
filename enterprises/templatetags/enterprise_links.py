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
    """The latest comparable pair of periods' attribution (cached per results
    generation), for who reads all data; nothing for anyone else."""
    from enterprises.views import comparable_default, gap_context

    user = context.get("user")
    if not permissions.can_read_all_data(user):
        return {"show": False}
    default = comparable_default()
    if default is None:
        return {"show": False}
    return {"show": True, "gap": gap_context(*default)}
