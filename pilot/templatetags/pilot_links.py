from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_read_pilot(user) -> bool:
    return permissions.can_read_pilot_report(user)


@register.filter
def may_publish(user) -> bool:
    return permissions.can_publish(user)
