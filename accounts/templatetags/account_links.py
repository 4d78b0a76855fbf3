"""Template filters asking accounts.permissions whether to show a link of the layout: a
link a person may not follow is not shown (issue 15 #4). Templates never check roles."""

from django import template

from accounts import permissions

register = template.Library()


@register.filter
def may_use_product(user) -> bool:
    """The main menu, the API docs and one's API tokens: anyone given a role."""
    return permissions.can_use_product(user)


@register.filter
def may_hold_api_token(user) -> bool:
    """The API tokens page: the product's users and an enterprise's energy manager."""
    return permissions.can_hold_api_token(user)


@register.filter
def may_read_history_of(user, department_code: str) -> bool:
    """A figure's version history of the department with this code: its own staff and
    readers of all data (permissions.can_read_department_history)."""
    own = getattr(getattr(user, "department", None), "code", None) == department_code
    return permissions.can_read_department_history(user, user.department_id if own else None)


@register.filter
def may_see_warning(user, warning) -> bool:
    """A warning's page: readers of all data, and the staff of the department owning it."""
    return permissions.can_see_warning(user, warning.department_id)
