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
