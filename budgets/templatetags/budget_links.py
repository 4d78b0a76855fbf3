from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_read_budgets(user) -> bool:
    return permissions.can_read_budgets(user)
