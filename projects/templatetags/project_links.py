from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_read_projects(user) -> bool:
    return permissions.can_read_all_data(user) or permissions.can_manage_projects(user)
