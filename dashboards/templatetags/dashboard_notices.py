"""Notices shared by the pages that show computed results."""

from django import template

from accounts import permissions
from dashboards import selectors

register = template.Library()


@register.inclusion_tag("dashboards/_updating.html")
def recompute_notice(state=None):
    """ "数据更新中" with the time of the last result while a recompute is pending or
    running (one query; pass `state` when the view already read it)."""
    return {"state": state or selectors.recompute_state()}


@register.filter
def may_see_board(user) -> bool:
    """May open the reporting rounds' completeness board."""
    return permissions.can_read_all_data(user)
