from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_use_assessment(user) -> bool:
    return permissions.can_use_assessment(user)
