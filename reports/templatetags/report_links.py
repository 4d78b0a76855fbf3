"""Template filters asking accounts.permissions whether to show a link to the reports
app (templates never check roles themselves)."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_export(user) -> bool:
    return permissions.can_export(user)


@register.filter
def may_trace(user) -> bool:
    """May open the lineage of stored results."""
    return permissions.can_read_all_data(user)


@register.filter
def may_read_audit(user) -> bool:
    return permissions.can_read_audit_trail(user)
